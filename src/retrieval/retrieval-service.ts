/**
 * Governed retrieval: the one place where chunks leave the store. Every door (HTTP, SDK, CLI)
 * calls this service; it authenticates the agent (and the user it acts for), searches only the
 * sources allowlisted for that agent and task in its own tenant, drops what the reader may not
 * see, redacts before anything is returned, applies each source's freshness response, hands out
 * citation ids bound to the trace, and records the retrieval before answering.
 */
import { randomUUID } from 'node:crypto';
import type { AuditEventInput } from '../audit/event.js';
import type { ContainmentRules } from '../containment/containment-rules.js';
import type { ModeRequest } from '../containment/containment-service.js';
import { InterlockError, isInterlockError } from '../errors/interlock-error.js';
import { isValidExternalId } from '../gate/call.js';
import type { Credential, Principal } from '../identity/principal.js';
import type { ChunkHit, ContainmentRule, RetrievalStore, StoredCitation } from '../store/store.js';
import { accessTo, stricterClassification, type Reader } from './access.js';
import { mergeRedactions, type ContentRedaction, type ContentRedactor } from './content-redaction.js';
import type { DocumentInput } from './document-ingest.js';
import { rerank, RERANK_CANDIDATES_PER_RESULT, type EmbeddingsProvider } from './embeddings.js';
import { citationId } from './identifiers.js';
import { MAX_QUERY_LENGTH, queryTerms } from './query-terms.js';
import {
  RETRIEVAL_SCHEMA_VERSION,
  type InfluencedCall,
  type IngestReport,
  type RetrievalAnswer,
  type RetrievedChunk,
  type RetrievedContent,
  type RetrieveRequest,
  type SourceActor,
  type SourceView,
  type WithheldSource,
} from './retrieval-answer.js';
import { SourceAdministration } from './source-administration.js';
import type { RetrievalSource, SourceRegistry } from './source-registry.js';

export const MAX_RETRIEVAL_LIMIT = 50;
const TASK_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
/** Who is named as having set a mode when a stale chunk downgrades a session. */
const DOWNGRADED_BY = 'retrieval';

export interface RetrievalAudit {
  record(input: AuditEventInput): string;
  flush(): Promise<void>;
}

export interface RetrievalServiceOptions {
  readonly store: RetrievalStore;
  readonly audit: RetrievalAudit;
  readonly sources: SourceRegistry;
  readonly authentication: { authenticate(credential: Credential, userAssertion: string | undefined): Promise<Principal> };
  /** Kill switches and modes in force; null when they could not be loaded (then nothing is retrieved). */
  readonly containmentRules: () => ContainmentRules | null;
  /** Sets a session's mode: how a stale chunk of a `downgrade` source moves its session to `elevated`. */
  readonly containment: { setMode(request: ModeRequest): Promise<ContainmentRule | null> };
  readonly redactor: ContentRedactor;
  readonly defaultLimit: number;
  /** `durable`: the audit record is committed before an answer leaves (the store's durability choice). */
  readonly durable: boolean;
  readonly embeddings?: EmbeddingsProvider | undefined;
  readonly now?: () => number;
}

/** Called before the answer leaves; a listener that returns a promise is awaited (its failure is ignored). */
type RetrievalListener = (content: RetrievedContent) => void | Promise<void>;

interface Candidate {
  readonly hit: ChunkHit;
  readonly source: RetrievalSource;
  readonly classification: RetrievalSource['classification'];
  readonly redactPersonalData: boolean;
  readonly stale: boolean;
  readonly similarity: number | null;
}

export class RetrievalService {
  readonly #options: RetrievalServiceOptions;
  readonly #now: () => number;
  readonly #listeners = new Set<RetrievalListener>();
  readonly #administration: SourceAdministration;

  constructor(options: RetrievalServiceOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#administration = new SourceAdministration(options);
  }

  get sources(): SourceRegistry {
    return this.#options.sources;
  }

  /** Hears of every answered retrieval (after it was recorded); listener errors are ignored. */
  onRetrieved(listener: RetrievalListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async retrieve(request: RetrieveRequest, credential: Credential): Promise<RetrievalAnswer> {
    const checked = checkRequest(request, this.#options.defaultLimit);
    const principal = await this.#options.authentication.authenticate(credential, request.actingFor);
    const { agent } = principal;
    const reader: Reader = {
      tenant: agent.tenant,
      agentId: agent.agentId,
      user: principal.actingFor === null ? null : { userId: principal.actingFor.userId, roles: principal.actingFor.roles },
      task: checked.task,
    };
    const traceId = checked.traceId ?? randomUUID();
    try {
      this.#checkContainment(agent.tenant, agent.agentId, checked.sessionId);
      const allowlisted = this.#options.sources.allowlistedFor(reader);
      if (allowlisted.length === 0) {
        throw new InterlockError(
          'RETRIEVAL_FORBIDDEN',
          checked.task === null
            ? `no retrieval source is allowlisted for agent "${agent.agentId}" without a task`
            : `no retrieval source is allowlisted for agent "${agent.agentId}" and task "${checked.task}"`,
        );
      }
      return await this.#answer(checked, principal, reader, traceId, allowlisted);
    } catch (error) {
      const refusal = isInterlockError(error) ? error : new InterlockError('INTERNAL', 'internal error while retrieving');
      this.#options.audit.record({
        type: 'retrieval.refused',
        tenant: agent.tenant,
        agent: agent.agentId,
        traceId,
        callId: null,
        data: { code: refusal.code, task: checked.task, sessionId: checked.sessionId, actingFor: actingForOf(principal) },
      });
      // The refusal stands whether or not its record commits; a commit failure is reported instead.
      await this.#options.audit.flush().catch(() => undefined);
      throw refusal;
    }
  }

  async #answer(
    request: CheckedRequest,
    principal: Principal,
    reader: Reader,
    traceId: string,
    allowlisted: readonly RetrievalSource[],
  ): Promise<RetrievalAnswer> {
    const nowMs = this.#now();
    const { agent } = principal;
    const withheld: WithheldSource[] = [];
    const searchable: RetrievalSource[] = [];
    for (const source of allowlisted) {
      const verdict = accessTo(source, source.classification, reader);
      if (verdict.kind === 'visible') searchable.push(source);
      else if (verdict.kind === 'withheld') withheld.push({ sourceId: source.id, reason: verdict.reason });
    }

    const terms = queryTerms(request.query);
    const wanted = this.#options.embeddings === undefined ? request.limit : request.limit * RERANK_CANDIDATES_PER_RESULT;
    const hits = await this.#search(agent.tenant, searchable, terms, wanted, nowMs);

    let candidates: Candidate[] = [];
    for (const hit of hits) {
      const source = this.#options.sources.get(hit.sourceId);
      if (source === undefined) continue;
      // A chunk ingested under a stricter classification than its source has now keeps it.
      const classification = stricterClassification(hit.classification, source.classification);
      const verdict = accessTo(source, classification, reader);
      if (verdict.kind !== 'visible') continue;
      const stale = source.freshness !== null && Date.parse(hit.updatedAt) < nowMs - source.freshness.budgetMs;
      if (stale && source.freshness?.response === 'exclude') continue;
      candidates.push({ hit, source, classification, redactPersonalData: verdict.redactPersonalData, stale, similarity: null });
    }
    const reranked = await this.#rerank(request.query, candidates);
    candidates = reranked.slice(0, request.limit);

    // Stale chunks of downgrading sources: the session goes to `elevated` before they are handed
    // out; without a session there is nothing to downgrade, so they are left out instead.
    const downgrading = candidates.filter((candidate) => candidate.stale && candidate.source.freshness?.response === 'downgrade');
    let downgrade: RetrievalAnswer['downgrade'] = null;
    if (downgrading.length > 0) {
      if (request.sessionId === null) {
        candidates = candidates.filter((candidate) => !downgrading.includes(candidate));
        for (const sourceId of new Set(downgrading.map((candidate) => candidate.source.id))) {
          withheld.push({ sourceId, reason: 'stale_without_session' });
        }
      } else {
        downgrade = await this.#downgrade(agent.tenant, agent.agentId, request.sessionId, downgrading);
      }
    }

    const retrievalId = `ret_${randomUUID()}`;
    const retrievedAt = new Date(nowMs).toISOString();
    const chunks = candidates.map((candidate) => this.#present(candidate, traceId));
    await this.#options.store.insertCitations(
      candidates.map((candidate, index) => ({
        retrievalId,
        citationId: chunks[index]?.citationId ?? citationId(candidate.hit.chunkId, traceId),
        traceId,
        tenant: agent.tenant,
        agentId: agent.agentId,
        sessionId: request.sessionId,
        chunkId: candidate.hit.chunkId,
        sourceId: candidate.source.id,
        documentId: candidate.hit.documentId,
        documentVersion: candidate.hit.documentVersion,
        contentHash: candidate.hit.contentHash,
        updatedAt: candidate.hit.updatedAt,
        stale: candidate.stale,
        retrievedAt,
      })),
    );

    const auditEventId = this.#options.audit.record({
      type: 'retrieval.performed',
      tenant: agent.tenant,
      agent: agent.agentId,
      traceId,
      callId: null,
      data: {
        retrievalId,
        sessionId: request.sessionId,
        task: request.task,
        actingFor: actingForOf(principal),
        // The query as the model would see it: secrets and personal data removed. A hash of the raw
        // query would protect nothing (a short query such as a phone number is found by trying them all).
        query: this.#redactForRecord(request.query),
        terms: terms.length,
        limit: request.limit,
        sources: searchable.map((source) => source.id),
        withheld,
        reranker: this.#options.embeddings?.id ?? null,
        chunks: chunks.map((chunk) => ({
          citationId: chunk.citationId,
          chunkId: chunk.chunkId,
          sourceId: chunk.source.id,
          documentId: chunk.document.id,
          version: chunk.document.version,
          contentHash: chunk.contentHash,
          classification: chunk.source.classification,
          trust: chunk.source.trust,
          stale: chunk.stale,
          redactions: chunk.redactions,
        })),
        redactions: mergeRedactions(...chunks.map((chunk) => chunk.redactions)),
        staleChunks: chunks.filter((chunk) => chunk.stale).length,
        downgrade,
      },
    });
    if (this.#options.durable) await this.#options.audit.flush();

    const answer: RetrievalAnswer = {
      schemaVersion: RETRIEVAL_SCHEMA_VERSION,
      retrievalId,
      traceId,
      sessionId: request.sessionId,
      task: request.task,
      chunks,
      withheld,
      downgrade,
      auditEventId,
    };
    await this.#notify(answer, agent.tenant, agent.agentId);
    return answer;
  }

  /** Chunks matching every term first; when fewer than wanted, those matching any term after them. */
  async #search(
    tenant: string,
    sources: readonly RetrievalSource[],
    terms: readonly string[],
    wanted: number,
    nowMs: number,
  ): Promise<ChunkHit[]> {
    if (sources.length === 0 || terms.length === 0) return [];
    const searched = sources.map((source) => ({
      id: source.id,
      staleBefore: source.freshness?.response === 'exclude' ? new Date(nowMs - source.freshness.budgetMs).toISOString() : null,
    }));
    const all = await this.#options.store.searchChunks({ tenant, sources: searched, terms, match: 'all', limit: wanted });
    if (all.length >= wanted || terms.length === 1) return all;
    const seen = new Set(all.map((hit) => hit.chunkId));
    const any = await this.#options.store.searchChunks({ tenant, sources: searched, terms, match: 'any', limit: wanted });
    return [...all, ...any.filter((hit) => !seen.has(hit.chunkId))].slice(0, wanted);
  }

  /** Re-orders by meaning when a provider is configured; a provider failure keeps the full-text order. */
  async #rerank(query: string, candidates: Candidate[]): Promise<Candidate[]> {
    const provider = this.#options.embeddings;
    if (provider === undefined || candidates.length === 0) return candidates;
    try {
      const ranked = await rerank(provider, query, candidates, (candidate) => candidate.hit.text);
      return ranked.map(({ item, similarity }) => ({ ...item, similarity }));
    } catch {
      return candidates;
    }
  }

  async #downgrade(
    tenant: string,
    agentId: string,
    sessionId: string,
    stale: readonly Candidate[],
  ): Promise<NonNullable<RetrievalAnswer['downgrade']>> {
    const rules = this.#options.containmentRules();
    const current = rules?.modeFor({ tenant, agentId, sessionId, tool: null, operation: null });
    // Never loosen: a session already elevated or stricter (by any rule) stays as it is.
    if (current !== undefined && current.mode !== 'normal') return { mode: current.mode, changed: false, ruleId: current.rule?.id ?? null };
    const distinct = [...new Set(stale.map((candidate) => candidate.source.id))];
    // The reason is bounded (1000 characters): name a few sources, count the rest.
    const sources = distinct.length <= 5 ? distinct : [...distinct.slice(0, 5), `${distinct.length - 5} more`];
    const rule = await this.#options.containment.setMode({
      scope: 'session',
      target: `${tenant}/${sessionId}`,
      mode: 'elevated',
      reason: `stale retrieval: chunks of ${sources.join(', ')} are older than their freshness budget`,
      by: DOWNGRADED_BY,
    });
    return { mode: 'elevated', changed: true, ruleId: rule?.id ?? null };
  }

  #present(candidate: Candidate, traceId: string): RetrievedChunk {
    const { hit, source } = candidate;
    const redactor = this.#options.redactor;
    const secrets = redactor.redactSecrets(hit.text);
    const titleSecrets = redactor.redactSecrets(hit.documentTitle);
    const personal = candidate.redactPersonalData ? redactor.redactPersonalData(secrets.text) : { text: secrets.text, redactions: [] };
    const title = candidate.redactPersonalData ? redactor.redactPersonalData(titleSecrets.text).text : titleSecrets.text;
    const redactions = mergeRedactions(ingestRedactions(hit.redactions), secrets.redactions, personal.redactions);
    return {
      citationId: citationId(hit.chunkId, traceId),
      chunkId: hit.chunkId,
      text: personal.text,
      score: round(hit.score),
      ...(candidate.similarity === null ? {} : { similarity: round(candidate.similarity) }),
      source: { id: source.id, owner: source.owner, classification: candidate.classification, trust: source.trust },
      document: { id: hit.documentId, version: hit.documentVersion, title, updatedAt: hit.updatedAt },
      contentHash: hit.contentHash,
      stale: candidate.stale,
      warning:
        candidate.stale && source.freshness !== null
          ? `stale: last updated ${hit.updatedAt}, older than the ${source.freshness.budget} freshness budget of source "${source.id}"; verify before acting on it`
          : null,
      redactions,
    };
  }

  #redactForRecord(query: string): string {
    const secrets = this.#options.redactor.redactSecrets(query);
    return this.#options.redactor.redactPersonalData(secrets.text).text;
  }

  #checkContainment(tenant: string, agentId: string, sessionId: string | null): void {
    const rules = this.#options.containmentRules();
    if (rules === null)
      throw new InterlockError('STORE_UNAVAILABLE', 'kill switches and modes could not be loaded; nothing is retrieved until they are');
    const subject = { tenant, agentId, sessionId, tool: null, operation: null };
    const kill = rules.killSwitchFor(subject);
    if (kill !== null) {
      throw new InterlockError(
        'KILL_SWITCH_ACTIVE',
        `a kill switch stops ${kill.scope === 'fleet' ? 'the whole fleet' : `${kill.scope} ${kill.target}`} (${kill.reason})`,
        {
          ruleId: kill.id,
          scope: kill.scope,
          target: kill.target,
        },
      );
    }
    const mode = rules.modeFor(subject);
    if (mode.mode === 'locked') {
      throw new InterlockError(
        'SESSION_LOCKED',
        `${mode.rule === null ? 'the session' : `${mode.rule.scope} ${mode.rule.target}`} is locked: nothing is retrieved`,
        {
          mode: mode.mode,
          ruleId: mode.rule?.id ?? null,
        },
      );
    }
  }

  async #notify(answer: RetrievalAnswer, tenant: string, agentId: string): Promise<void> {
    if (this.#listeners.size === 0) return;
    const content: RetrievedContent = {
      tenant,
      agentId,
      sessionId: answer.sessionId,
      traceId: answer.traceId,
      retrievalId: answer.retrievalId,
      chunks: answer.chunks.map((chunk) => ({
        citationId: chunk.citationId,
        sourceId: chunk.source.id,
        trust: chunk.source.trust,
        text: chunk.text,
      })),
    };
    // A listener's failure must not undo an answered retrieval.
    await Promise.allSettled([...this.#listeners].map(async (listener) => listener(content)));
  }

  // --- operators (see SourceAdministration) --------------------------------------------------------

  ingest(sourceId: string, document: DocumentInput, actor: SourceActor): Promise<IngestReport> {
    return this.#administration.ingest(sourceId, document, actor);
  }

  quarantine(sourceId: string, reason: string, actor: SourceActor): Promise<SourceView> {
    return this.#administration.quarantine(sourceId, reason, actor);
  }

  release(sourceId: string, reason: string, actor: SourceActor): Promise<{ lifted: number; source: SourceView }> {
    return this.#administration.release(sourceId, reason, actor);
  }

  listSources(actor: SourceActor): Promise<SourceView[]> {
    return this.#administration.listSources(actor);
  }

  getSource(sourceId: string, actor: SourceActor): Promise<SourceView> {
    return this.#administration.getSource(sourceId, actor);
  }

  influence(sourceId: string, actor: SourceActor, limit?: number): Promise<InfluencedCall[]> {
    return this.#administration.influence(sourceId, actor, limit);
  }

  /**
   * The citations handed out in a trace of this tenant, with whether each was stale when retrieved
   * and whether its source is quarantined now: what a call that must cite its sources is checked against.
   */
  citationsForTrace(traceId: string, tenant: string): Promise<StoredCitation[]> {
    if (typeof traceId !== 'string' || !isValidExternalId(traceId)) return Promise.resolve([]);
    return this.#options.store.listCitations(traceId, tenant);
  }
}

interface CheckedRequest {
  readonly query: string;
  readonly task: string | null;
  readonly sessionId: string | null;
  readonly traceId: string | null;
  readonly limit: number;
}

function checkRequest(request: RetrieveRequest, defaultLimit: number): CheckedRequest {
  if (typeof request !== 'object' || request === null) throw new InterlockError('REQUEST_INVALID', 'a retrieval request is an object');
  const { query, task, sessionId, traceId, limit } = request;
  if (typeof query !== 'string' || query.trim().length === 0 || query.length > MAX_QUERY_LENGTH) {
    throw new InterlockError('REQUEST_INVALID', `query must be 1-${MAX_QUERY_LENGTH} characters`);
  }
  if (task !== undefined && (typeof task !== 'string' || !TASK_PATTERN.test(task))) {
    throw new InterlockError('REQUEST_INVALID', 'task must be a lowercase identifier (a-z first, then a-z, 0-9, "_" or "-")');
  }
  for (const [name, value] of [
    ['sessionId', sessionId],
    ['traceId', traceId],
  ] as const) {
    if (value !== undefined && (typeof value !== 'string' || !isValidExternalId(value))) {
      throw new InterlockError('REQUEST_INVALID', `${name} must be 1-128 characters of A-Z a-z 0-9 . _ : -`);
    }
  }
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_RETRIEVAL_LIMIT)) {
    throw new InterlockError('REQUEST_INVALID', `limit must be a whole number from 1 to ${MAX_RETRIEVAL_LIMIT}`);
  }
  return { query, task: task ?? null, sessionId: sessionId ?? null, traceId: traceId ?? null, limit: limit ?? defaultLimit };
}

function actingForOf(principal: Principal): { userId: string; issuer: string } | null {
  return principal.actingFor === null ? null : { userId: principal.actingFor.userId, issuer: principal.actingFor.issuer };
}

/** What the store recorded as removed at ingest; anything unreadable counts as nothing. */
function ingestRedactions(text: string): ContentRedaction[] {
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((entry: unknown) => {
      const { kind, count } = (entry ?? {}) as { kind?: unknown; count?: unknown };
      return typeof kind === 'string' && typeof count === 'number' ? [{ kind, category: 'secret' as const, count }] : [];
    });
  } catch {
    return [];
  }
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
