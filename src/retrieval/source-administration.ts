/**
 * What operators do with retrieval sources: ingest documents, quarantine and release sources, list
 * them, and ask which actions a source influenced. Needs no agent identity, so the CLI runs it on
 * the store directly and the HTTP door runs it for operator tokens. An actor sees and touches only
 * sources of its tenants; any other source is reported as unknown, so its existence does not leak.
 */
import { randomUUID } from 'node:crypto';
import type { AuditEventInput } from '../audit/event.js';
import { InterlockError } from '../errors/interlock-error.js';
import type { RetrievalStore } from '../store/store.js';
import type { ContentRedactor } from './content-redaction.js';
import { prepareDocument, type DocumentInput } from './document-ingest.js';
import { RETRIEVAL_SCHEMA_VERSION, type InfluencedCall, type IngestReport, type SourceActor, type SourceView } from './retrieval-answer.js';
import type { RetrievalSource, SourceRegistry } from './source-registry.js';

const MAX_REASON = 1000;
const MAX_BY = 200;
const MAX_INFLUENCE_LIMIT = 1000;

export interface SourceAdministrationOptions {
  readonly store: RetrievalStore;
  readonly audit: { record(input: AuditEventInput): string; flush(): Promise<void> };
  readonly sources: SourceRegistry;
  readonly redactor: ContentRedactor;
  readonly now?: () => number;
}

export class SourceAdministration {
  readonly #options: SourceAdministrationOptions;
  readonly #now: () => number;

  constructor(options: SourceAdministrationOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Ingests one document into a source: its earlier chunks (any version) are replaced atomically. */
  async ingest(sourceId: string, document: DocumentInput, actor: SourceActor): Promise<IngestReport> {
    checkActor(actor.by);
    const source = this.#sourceFor(sourceId, actor);
    const prepared = prepareDocument(source, document, this.#options.redactor, this.#now());
    const replaced = await this.#options.store.replaceDocumentChunks(source.id, prepared.documentId, prepared.chunks);
    const auditEventId = this.#options.audit.record({
      type: 'source.ingested',
      tenant: source.tenant,
      agent: null,
      traceId: null,
      callId: null,
      data: {
        sourceId: source.id,
        documentId: prepared.documentId,
        version: prepared.version,
        updatedAt: prepared.updatedAt,
        documentHash: prepared.documentHash,
        chunks: prepared.chunks.length,
        replaced,
        redactions: prepared.redactions,
        by: actor.by,
      },
    });
    await this.#options.audit.flush();
    return {
      schemaVersion: RETRIEVAL_SCHEMA_VERSION,
      sourceId: source.id,
      documentId: prepared.documentId,
      version: prepared.version,
      title: prepared.title,
      updatedAt: prepared.updatedAt,
      documentHash: prepared.documentHash,
      chunks: prepared.chunks.length,
      replaced,
      redactions: prepared.redactions,
      auditEventId,
    };
  }

  /** Quarantined sources are never searched until released. Quarantining twice keeps the first. */
  async quarantine(sourceId: string, reason: string, actor: SourceActor): Promise<SourceView> {
    checkActor(actor.by, reason);
    const source = this.#sourceFor(sourceId, actor);
    const active = (await this.#options.store.listActiveSourceQuarantines()).find((quarantine) => quarantine.sourceId === source.id);
    if (active === undefined) {
      const quarantine = {
        id: `qua_${randomUUID()}`,
        sourceId: source.id,
        tenant: source.tenant,
        reason,
        setBy: actor.by,
        setAt: new Date(this.#now()).toISOString(),
        liftedAt: null,
        liftedBy: null,
      };
      await this.#options.store.insertSourceQuarantine(quarantine);
      this.#options.audit.record({
        type: 'source.quarantined',
        tenant: source.tenant,
        agent: null,
        traceId: null,
        callId: null,
        data: { sourceId: source.id, quarantineId: quarantine.id, reason, by: actor.by },
      });
      await this.#options.audit.flush();
    }
    return this.#view(source);
  }

  async release(sourceId: string, reason: string, actor: SourceActor): Promise<{ lifted: number; source: SourceView }> {
    checkActor(actor.by, reason);
    const source = this.#sourceFor(sourceId, actor);
    const lifted = await this.#options.store.liftSourceQuarantines(source.id, actor.by, new Date(this.#now()).toISOString());
    this.#options.audit.record({
      type: 'source.released',
      tenant: source.tenant,
      agent: null,
      traceId: null,
      callId: null,
      data: { sourceId: source.id, lifted, reason, by: actor.by },
    });
    await this.#options.audit.flush();
    return { lifted, source: await this.#view(source) };
  }

  async listSources(actor: SourceActor): Promise<SourceView[]> {
    const sources = this.#options.sources.all().filter((source) => mayTouch(actor, source.tenant));
    const [stats, quarantines] = await Promise.all([
      this.#options.store.sourceStats(sources.map((source) => source.id)),
      this.#options.store.listActiveSourceQuarantines(),
    ]);
    return sources.map((source) =>
      toView(
        source,
        stats.find((entry) => entry.sourceId === source.id),
        quarantines.find((quarantine) => quarantine.sourceId === source.id),
      ),
    );
  }

  async getSource(sourceId: string, actor: SourceActor): Promise<SourceView> {
    return this.#view(this.#sourceFor(sourceId, actor));
  }

  /** "Which actions did this source influence?": calls completed in traces that retrieved from it, after that retrieval. */
  async influence(sourceId: string, actor: SourceActor, limit = 100): Promise<InfluencedCall[]> {
    const source = this.#sourceFor(sourceId, actor);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_INFLUENCE_LIMIT) {
      throw new InterlockError('REQUEST_INVALID', `limit must be a whole number from 1 to ${MAX_INFLUENCE_LIMIT}`);
    }
    const events = await this.#options.store.listInfluencedCalls(source.id, source.tenant, limit);
    return events.map((event) => {
      const data = readEventData(event.body);
      return {
        callId: event.callId,
        traceId: event.traceId,
        agent: event.agent,
        at: event.at,
        status: textOrNull(data['status']),
        tool: textOrNull(data['tool']),
        operation: textOrNull(data['operation']),
        errorCode: textOrNull(data['errorCode']),
        auditEventId: event.id,
      };
    });
  }

  async #view(source: RetrievalSource): Promise<SourceView> {
    const [stats, quarantines] = await Promise.all([
      this.#options.store.sourceStats([source.id]),
      this.#options.store.listActiveSourceQuarantines(),
    ]);
    return toView(
      source,
      stats[0],
      quarantines.find((quarantine) => quarantine.sourceId === source.id),
    );
  }

  /** A source outside the actor's tenants is reported as unknown, so its existence does not leak. */
  #sourceFor(sourceId: string, actor: SourceActor): RetrievalSource {
    const source = typeof sourceId === 'string' ? this.#options.sources.get(sourceId) : undefined;
    if (source === undefined || !mayTouch(actor, source.tenant)) {
      throw new InterlockError('SOURCE_UNKNOWN', `no retrieval source "${String(sourceId).slice(0, 80)}" is configured in your tenants`);
    }
    return source;
  }
}

function checkActor(by: string, reason?: string): void {
  if (typeof by !== 'string' || by.trim() === '' || by.length > MAX_BY) {
    throw new InterlockError('REQUEST_INVALID', `say who acts (1-${MAX_BY} characters)`);
  }
  if (reason !== undefined && (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_REASON)) {
    throw new InterlockError('REQUEST_INVALID', `give a reason (1-${MAX_REASON} characters)`);
  }
}

function mayTouch(actor: SourceActor, tenant: string): boolean {
  return actor.tenants === '*' || actor.tenants.includes(tenant);
}

function toView(
  source: RetrievalSource,
  stats: { documents: number; chunks: number; lastIngestedAt: string | null } | undefined,
  quarantine: { id: string; reason: string; setBy: string; setAt: string } | undefined,
): SourceView {
  return {
    id: source.id,
    tenant: source.tenant,
    owner: source.owner,
    description: source.description,
    classification: source.classification,
    trust: source.trust,
    freshness: source.freshness === null ? null : { budget: source.freshness.budget, response: source.freshness.response },
    allow: { agents: source.allow.agents, tasks: source.allow.tasks ?? null },
    readers: source.readers,
    documents: stats?.documents ?? 0,
    chunks: stats?.chunks ?? 0,
    lastIngestedAt: stats?.lastIngestedAt ?? null,
    quarantine:
      quarantine === undefined ? null : { id: quarantine.id, reason: quarantine.reason, setBy: quarantine.setBy, setAt: quarantine.setAt },
  };
}

function readEventData(body: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(body) as { data?: unknown };
    return typeof parsed.data === 'object' && parsed.data !== null ? (parsed.data as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function textOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
