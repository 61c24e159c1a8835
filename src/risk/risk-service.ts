import { randomUUID } from 'node:crypto';
import type { AuditEventInput } from '../audit/event.js';
import type { ContainmentRules } from '../containment/containment-rules.js';
import { MODE_ORDER } from '../containment/containment-rules.js';
import type { ModeRequest } from '../containment/containment-service.js';
import { InterlockError } from '../errors/interlock-error.js';
import type { RiskContext } from '../policy/decision.js';
import type { CounterIncrement, SessionContentRecord, SessionMode, Store } from '../store/store.js';
import type { ContentScanner, LedgerValues, TaintAnalyzer } from './content-analysis.js';
import { AnomalyTracker } from './anomaly.js';

export type Trust = 'trusted' | 'untrusted';

/** A runbook: when a signal is raised `count` times within `windowMs` for one scope, set a mode. */
export interface Runbook {
  readonly id: string;
  /** `taint`, `injection`, `loop`, `low_confidence`, or `injection:<category>`. */
  readonly signal: string;
  readonly count: number;
  readonly windowMs: number;
  readonly scope: 'session' | 'agent' | 'tenant';
  /** Undefined: the runbook only quarantines or notifies. */
  readonly mode?: Exclude<SessionMode, 'normal'> | undefined;
  /** Quarantine the retrieval source whose chunk raised the signal. */
  readonly quarantineSource: boolean;
  readonly notify: boolean;
}

export interface RiskSettings {
  /** Trust of content by origin; origins not listed are untrusted. */
  readonly origins: Readonly<Record<string, Trust>>;
  /** 0..1: content scoring at least this raises an injection signal. */
  readonly injectionThreshold: number;
  readonly loopThreshold: number;
  readonly loopWindowMs: number;
  /** 0..100: a reported confidence below this raises `low_confidence`. */
  readonly lowConfidence: number;
  /** Most recent ledger entries considered per session. */
  readonly ledgerLimit: number;
  readonly runbooks: readonly Runbook[];
}

export interface RiskServiceOptions {
  readonly store: Pick<Store, 'appendSessionContents' | 'listSessionContent' | 'incrementCounters'>;
  readonly audit: { record(input: AuditEventInput): string };
  readonly scanner: ContentScanner;
  /** A classifier consulted as well (the higher score wins); never throws, may say it has no score. */
  readonly classifier?: { classify(text: string): Promise<{ readonly score?: number | undefined }> } | undefined;
  readonly taint: TaintAnalyzer;
  readonly settings: RiskSettings;
  /** Sets a mode (the containment service); used by runbooks. */
  readonly setMode: (request: ModeRequest) => Promise<unknown>;
  /** The rules in force, to avoid re-setting a mode that is already as strict. */
  readonly containment: () => ContainmentRules | null;
  /** Quarantines a retrieval source (suspected poisoning). */
  readonly quarantineSource?: ((sourceId: string, reason: string, by: string) => Promise<unknown>) | undefined;
  /** Sends an event to the configured webhook. */
  readonly notify?: ((event: { type: string; payload: Record<string, unknown> }) => void) | undefined;
  readonly now?: () => number;
}

export interface ContentInput {
  readonly tenant: string;
  readonly sessionId: string;
  readonly origin: string;
  /** Overrides the origin's configured trust; only the runtime's own callers set it. */
  readonly trust?: Trust;
  readonly sourceId: string;
  readonly label: string;
  readonly text: string;
  readonly agentId?: string | null;
  readonly traceId?: string | null;
  /** For retrieved chunks: the source they came from (quarantined by runbooks that ask for it). */
  readonly retrievalSourceId?: string | undefined;
}

/** What was recorded of one piece of content: never its text. */
export interface RecordedContent {
  readonly id: string;
  readonly trust: Trust;
  readonly injectionScore: number;
  readonly signals: string[];
  readonly values: number;
}

export interface AssessInput {
  readonly tenant: string;
  readonly agentId: string;
  readonly sessionId: string;
  readonly traceId: string;
  readonly callId: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  readonly isWrite: boolean;
  readonly actionHash: string;
  /** 0..1 as reported by the caller. */
  readonly confidence?: number | undefined;
}

export interface Assessment {
  readonly risk: RiskContext;
  /** Modes set by runbooks because of this call. */
  readonly escalations: ReadonlyArray<{ readonly runbook: string; readonly scope: string; readonly mode: SessionMode }>;
}

/** Longest text scanned per entry; longer content is scanned in its first part (and its values extracted from it). */
const MAX_CONTENT_CHARS = 256 * 1024;

/**
 * The session side of the risk engine: labels what enters a session with its origin and trust,
 * scores it for injection, and assesses proposed calls against it (taint, injection in the
 * session, loops, reported confidence), firing the configured runbooks.
 */
export class RiskService {
  readonly #options: RiskServiceOptions;
  readonly #now: () => number;
  readonly #anomaly: AnomalyTracker;

  constructor(options: RiskServiceOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#anomaly = new AnomalyTracker(undefined, this.#now);
  }

  anomalies(tenant: string, agentId: string, costUsd: number): string[] {
    return this.#anomaly.call(`${tenant}/${agentId}`, costUsd);
  }

  denied(tenant: string, agentId: string): void {
    this.#anomaly.denied(`${tenant}/${agentId}`);
  }

  /** The configured trust of an origin (untrusted when not configured). */
  trustOf(origin: string): Trust {
    return Object.hasOwn(this.#options.settings.origins, origin) ? (this.#options.settings.origins[origin] ?? 'untrusted') : 'untrusted';
  }

  /** Records content entering a session: its value hashes and its injection score, never the text. */
  async recordContent(input: ContentInput): Promise<RecordedContent> {
    const [recorded] = await this.recordContents([input]);
    if (recorded === undefined) throw new InterlockError('INTERNAL', 'the content was not recorded');
    return recorded;
  }

  /**
   * Records several pieces of content (the chunks of one retrieval) as `recordContent` does, with
   * their ledger entries stored in one transaction: one commit for all, or none when it fails.
   */
  async recordContents(inputs: readonly ContentInput[]): Promise<RecordedContent[]> {
    const analysed: Array<{ input: ContentInput; record: SessionContentRecord; recorded: RecordedContent }> = [];
    for (const input of inputs) analysed.push(await this.#analyse(input));
    await this.#options.store.appendSessionContents(analysed.map((entry) => entry.record));
    for (const { input, record, recorded } of analysed) {
      this.#options.audit.record({
        type: 'session.content',
        tenant: input.tenant,
        agent: input.agentId ?? null,
        traceId: input.traceId ?? null,
        callId: null,
        data: {
          entryId: record.id,
          sessionId: input.sessionId,
          origin: input.origin,
          trust: recorded.trust,
          sourceId: record.sourceId,
          label: record.label,
          chars: input.text.length,
          values: recorded.values,
          injectionScore: recorded.injectionScore,
          signals: recorded.signals,
        },
      });
    }
    for (const { input, recorded } of analysed) {
      if (input.origin === 'retrieval' && recorded.signals.length > 0) await this.#quarantineRunbooks(input, recorded.signals);
    }
    return analysed.map((entry) => entry.recorded);
  }

  /** Scores one piece of content and builds its ledger entry. */
  async #analyse(input: ContentInput): Promise<{ input: ContentInput; record: SessionContentRecord; recorded: RecordedContent }> {
    if (typeof input.text !== 'string') throw new InterlockError('REQUEST_INVALID', 'content text must be a string');
    const text = input.text.length > MAX_CONTENT_CHARS ? input.text.slice(0, MAX_CONTENT_CHARS) : input.text;
    const trust = input.trust ?? this.trustOf(input.origin);
    const rules = this.#options.scanner.scan(text);
    const classified = this.#options.classifier === undefined ? undefined : (await this.#options.classifier.classify(text)).score;
    const scan =
      classified !== undefined && Number.isFinite(classified) && classified > rules.score
        ? { score: Math.min(1, classified), categories: [...rules.categories, 'classifier'] }
        : rules;
    const injectionScore = Math.max(0, Math.min(100, Math.round(scan.score * 100)));
    const signals =
      scan.score >= this.#options.settings.injectionThreshold
        ? ['injection', ...scan.categories.map((category) => `injection:${category}`)]
        : [];
    const values = [...new Set(this.#options.taint.valueHashes(text))];
    const record: SessionContentRecord = {
      id: randomUUID(),
      tenant: input.tenant,
      sessionId: input.sessionId,
      origin: input.origin,
      trust,
      sourceId: input.sourceId.slice(0, 300),
      label: input.label.slice(0, 300),
      at: new Date(this.#now()).toISOString(),
      values: JSON.stringify(values),
      injectionScore,
      signals: JSON.stringify(signals),
    };
    return { input, record, recorded: { id: record.id, trust, injectionScore, signals, values: values.length } };
  }

  /** Suspected retrieval poisoning: the source of a chunk that raised a signal is quarantined. */
  async #quarantineRunbooks(input: ContentInput, signals: readonly string[]): Promise<void> {
    const quarantine = this.#options.quarantineSource;
    if (quarantine === undefined) return;
    const sourceId = input.retrievalSourceId ?? input.sourceId;
    for (const runbook of this.#options.settings.runbooks) {
      if (!runbook.quarantineSource || !signals.includes(runbook.signal)) continue;
      const reason = `signal ${runbook.signal} in a chunk retrieved in session ${input.sessionId}`;
      await quarantine(sourceId, reason, `runbook:${runbook.id}`);
      this.#notify(runbook, {
        action: 'quarantine_source',
        sourceId,
        tenant: input.tenant,
        sessionId: input.sessionId,
        signal: runbook.signal,
      });
    }
  }

  #notify(runbook: Runbook, payload: Record<string, unknown>): void {
    if (runbook.notify) this.#options.notify?.({ type: 'risk.runbook', payload: { runbook: runbook.id, ...payload } });
  }

  /** Records what a tool returned as content of the session, with the operation's trust. */
  async observeOutput(input: {
    tenant: string;
    agentId: string;
    sessionId: string;
    traceId: string;
    trust: Trust;
    sourceId: string;
    result: unknown;
  }): Promise<void> {
    const text = typeof input.result === 'string' ? input.result : (JSON.stringify(input.result) ?? '');
    if (text === '' || text === 'null') return;
    await this.recordContent({
      tenant: input.tenant,
      sessionId: input.sessionId,
      origin: 'tool',
      trust: input.trust,
      sourceId: input.sourceId,
      label: `${input.sourceId} result`,
      text,
      agentId: input.agentId,
      traceId: input.traceId,
    });
  }

  /** The risk context of a proposed call in a session, after firing any runbook it trips. */
  async assess(input: AssessInput): Promise<Assessment> {
    const settings = this.#options.settings;
    const entries = await this.#options.store.listSessionContent(input.tenant, input.sessionId, settings.ledgerLimit);
    const signals = new Set<string>();
    let injectionScore = 0;
    const ledger: LedgerValues[] = [];
    for (const entry of entries) {
      if (entry.trust === 'untrusted') {
        injectionScore = Math.max(injectionScore, entry.injectionScore);
        for (const signal of parseStrings(entry.signals)) signals.add(signal);
      }
      ledger.push({
        origin: entry.origin,
        trust: entry.trust,
        sourceId: entry.sourceId,
        label: entry.label,
        valueHashes: parseStrings(entry.values),
      });
    }
    const tainted = input.isWrite && ledger.length > 0 ? this.#options.taint.taintedArguments(input.arguments, ledger) : [];
    if (tainted.length > 0) signals.add('taint');
    const window = Math.floor(this.#now() / settings.loopWindowMs);
    const [repeats = 1] = await this.#options.store.incrementCounters([
      {
        key: `risk:repeat:${input.tenant}:${input.sessionId}:${window}:${input.actionHash}`,
        by: 1,
        expiresAt: new Date((window + 2) * settings.loopWindowMs).toISOString(),
      },
    ]);
    if (repeats >= settings.loopThreshold) signals.add('loop');
    const confidence = input.confidence === undefined ? 100 : Math.max(0, Math.min(100, Math.round(input.confidence * 100)));
    if (confidence < settings.lowConfidence) signals.add('low_confidence');
    const score = Math.max(
      signals.has('injection') ? injectionScore : Math.min(injectionScore, 49),
      tainted.length > 0 ? 80 : 0,
      signals.has('loop') ? 60 : 0,
      signals.has('low_confidence') ? 50 : 0,
    );
    const risk: RiskContext = {
      score,
      taintedArgs: tainted.map((argument) => argument.argument),
      taintSources: [...new Set(tainted.flatMap((argument) => argument.sources.map((source) => `${source.origin}:${source.sourceId}`)))],
      injectionScore,
      signals: [...signals].sort(),
      repeats,
      confidence,
    };
    if (signals.size > 0) {
      this.#options.audit.record({
        type: 'risk.assessed',
        tenant: input.tenant,
        agent: input.agentId,
        traceId: input.traceId,
        callId: input.callId,
        data: {
          sessionId: input.sessionId,
          score,
          signals: risk.signals,
          injectionScore,
          repeats,
          confidence,
          taintedArgs: tainted.map((argument) => ({ argument: argument.argument, kind: argument.kind, sources: argument.sources })),
        },
      });
    }
    const escalations = signals.size === 0 ? [] : await this.#runbooks(input, signals);
    return { risk, escalations };
  }

  async #runbooks(input: AssessInput, signals: ReadonlySet<string>): Promise<Assessment['escalations']> {
    const fired: Array<{ runbook: string; scope: string; mode: SessionMode }> = [];
    const due = this.#options.settings.runbooks.filter((runbook) => runbook.mode !== undefined && signals.has(runbook.signal));
    if (due.length === 0) return fired;
    const now = this.#now();
    const increments: CounterIncrement[] = due.map((runbook) => {
      const window = Math.floor(now / runbook.windowMs);
      return {
        key: `risk:runbook:${runbook.id}:${scopeTarget(runbook.scope, input)}:${window}`,
        by: 1,
        expiresAt: new Date((window + 2) * runbook.windowMs).toISOString(),
      };
    });
    const counts = await this.#options.store.incrementCounters(increments);
    for (const [index, runbook] of due.entries()) {
      const mode = runbook.mode;
      if ((counts[index] ?? 0) < runbook.count || mode === undefined) continue;
      const target = scopeTarget(runbook.scope, input);
      if (this.#alreadyAtLeast(runbook, mode, target)) continue;
      await this.#options.setMode({
        scope: runbook.scope,
        target,
        mode,
        by: `runbook:${runbook.id}`,
        reason: `signal ${runbook.signal} raised ${counts[index] ?? 0} time(s) within ${Math.round(runbook.windowMs / 1000)} s`,
      });
      fired.push({ runbook: runbook.id, scope: `${runbook.scope} ${target}`, mode });
      this.#notify(runbook, { action: 'mode', scope: runbook.scope, target, mode, tenant: input.tenant, signal: runbook.signal });
    }
    return fired;
  }

  #alreadyAtLeast(runbook: Runbook, mode: SessionMode, target: string): boolean {
    const rules = this.#options.containment();
    if (rules === null) return false;
    const current = rules.rules.find(
      (rule) => rule.kind === 'mode' && rule.liftedAt === null && rule.scope === runbook.scope && rule.target === target,
    );
    return current !== undefined && MODE_ORDER.indexOf(current.mode ?? 'normal') >= MODE_ORDER.indexOf(mode);
  }
}

function scopeTarget(scope: Runbook['scope'], input: { tenant: string; agentId: string; sessionId: string }): string {
  return scope === 'tenant' ? input.tenant : scope === 'agent' ? `${input.tenant}/${input.agentId}` : `${input.tenant}/${input.sessionId}`;
}

function parseStrings(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}
