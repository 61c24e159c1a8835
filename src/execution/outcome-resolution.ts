/**
 * An operator's answer for a write whose outcome is unknown (it timed out, or its process died
 * mid-call): having checked the upstream, the operator says whether it took effect.
 *
 * - `executed`: the idempotency key keeps an outcome that says so (status `executed`, result
 *   unknown, `resolution` naming who and why); a retry with the key gets it back, replayed, and
 *   nothing runs again.
 * - `not_executed`: the key is released; a retry with it runs the operation, once.
 *
 * Only an unresolved record can be resolved, by one atomic update: two operators (or replicas)
 * resolving the same call at once get one success and one OUTCOME_NOT_UNKNOWN. Each resolution is
 * an audit event (`call.resolved`) on the call's trace, with the operator and the reason.
 */
import type { AuditEventInput } from '../audit/event.js';
import { parseDuration } from '../config/duration.js';
import { ID_PATTERN, type ProjectFile } from '../config/schema.js';
import { InterlockError } from '../errors/interlock-error.js';
import { CALL_SCHEMA_VERSION, isValidExternalId, type CallOutcome } from '../gate/call.js';
import type { IdempotencyRecord, Store } from '../store/store.js';

/**
 * The least time after its claim from which a call still `running` is taken for dead (its process
 * died, so its outcome is unknown). A project whose calls may legitimately run longer raises it:
 * see `processDiedAfterMs`.
 */
export const PROCESS_DIED_AFTER_MS = 10 * 60 * 1000;
export const RESOLUTIONS = ['executed', 'not_executed'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

const MAX_REASON = 1000;
const MAX_KEY = 128;
/** Events of one call read to find its latest, when its record holds no outcome (its process died). */
const CALL_EVENTS_READ = 200;

/** The call to resolve: by its id, or by the idempotency key it holds (keys are scoped to an agent). */
export type UnresolvedCallSelector =
  { readonly callId: string } | { readonly tenant: string; readonly agentId: string; readonly idempotencyKey: string };

export interface ResolutionOrder {
  readonly call: UnresolvedCallSelector;
  readonly as: Resolution;
  readonly reason: string;
}

/** Who resolves: an operator (proven by token over HTTP, or configured and named on the CLI), within its tenants. */
export interface ResolvingOperator {
  readonly operatorId: string;
  readonly tenants: readonly string[] | '*';
}

/** What was resolved, as the HTTP API and the CLI report it. */
export interface CallResolution {
  readonly schemaVersion: 1;
  readonly callId: string;
  readonly traceId: string;
  readonly tenant: string;
  readonly agentId: string;
  readonly tool: string;
  readonly operation: string;
  readonly idempotencyKey: string;
  readonly resolvedAs: Resolution;
  readonly resolvedBy: string;
  readonly reason: string;
  readonly resolvedAt: string;
  /** The `call.resolved` audit event. */
  readonly auditEventId: string;
}

/** A write whose outcome is unknown, as operators see it (never its arguments or result). */
export interface UnresolvedCall {
  readonly tenant: string;
  readonly agentId: string;
  readonly tool: string;
  readonly operation: string;
  /** `unknown`: no answer came (timeout, connection lost); `process_died`: still running past every deadline. */
  readonly state: 'unknown' | 'process_died';
  readonly callId: string;
  readonly traceId: string;
  readonly idempotencyKey: string;
  readonly createdAt: string;
}

export const MAX_UNRESOLVED_LISTED = 1000;

/** Writes whose outcome is unknown, oldest first: `unknown` records, and `running` ones past every deadline. */
export async function listUnresolvedCalls(
  store: Pick<Store, 'listUnresolvedIdempotency'>,
  options: { tenants: readonly string[] | undefined; limit?: number | undefined; now: number; processDiedAfterMs?: number | undefined },
): Promise<UnresolvedCall[]> {
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_UNRESOLVED_LISTED) {
    throw new InterlockError('REQUEST_INVALID', `limit is an integer from 1 to ${MAX_UNRESOLVED_LISTED}`);
  }
  const runningBefore = new Date(options.now - (options.processDiedAfterMs ?? PROCESS_DIED_AFTER_MS)).toISOString();
  const found = await store.listUnresolvedIdempotency(options.tenants, new Date(options.now + 1000).toISOString(), limit);
  // A call still running may simply be running; only one past every deadline is unresolved.
  return found
    .filter((record) => isUnresolved(record, runningBefore))
    .map((record) => ({
      tenant: record.tenant,
      agentId: record.agentId,
      tool: record.tool,
      operation: record.operation,
      state: record.state === 'running' ? ('process_died' as const) : ('unknown' as const),
      callId: record.callId,
      traceId: record.traceId,
      idempotencyKey: record.scopeKey.slice(`${record.tenant}/${record.agentId}/`.length),
      createdAt: record.createdAt,
    }));
}

export interface OutcomeResolutionOptions {
  readonly store: Pick<
    Store,
    | 'getIdempotencyRecord'
    | 'getUnresolvedIdempotencyByCall'
    | 'resolveUnknownIdempotency'
    | 'listAuditEvents'
    | 'listUnresolvedIdempotency'
  >;
  readonly audit: { record(input: AuditEventInput): string; flush(): Promise<void> };
  /** How long a key settled as executed is remembered from the resolution (execution.idempotencyTtl). */
  readonly idempotencyTtlMs: number;
  /** From when after its claim a `running` call counts as dead; default PROCESS_DIED_AFTER_MS (see processDiedAfterMs). */
  readonly processDiedAfterMs?: number;
  readonly now?: () => number;
}

/**
 * When a `running` call of this project is surely dead: past the longest deadline any of its
 * operations can have (every attempt's timeout and backoff, as the kernel allows), with a margin,
 * and never sooner than PROCESS_DIED_AFTER_MS. A call still inside its deadline may yet finish,
 * so an operator cannot resolve it.
 */
export function processDiedAfterMs(config: Pick<ProjectFile, 'tools' | 'mcp' | 'execution'>): number {
  const timeouts = [
    ...config.tools.flatMap((tool) => {
      const toolDefault = tool.upstream.kind === 'http' ? tool.upstream.timeout : '10s';
      return tool.operations.map((operation) => parseDuration(operation.timeout ?? toolDefault));
    }),
    ...config.mcp.servers.map((server) => parseDuration(server.timeout)),
  ];
  const retries = config.execution.retries;
  const longestCallMs = (Math.max(0, ...timeouts) + parseDuration(retries.maxDelay)) * retries.maxAttempts + 1000;
  return Math.max(PROCESS_DIED_AFTER_MS, 2 * longestCallMs);
}

export class OutcomeResolutionService {
  readonly #options: OutcomeResolutionOptions;
  readonly #now: () => number;

  constructor(options: OutcomeResolutionOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Writes whose outcome is unknown, oldest first, in the operator's tenants (optionally one of them). */
  async unresolved(operator: ResolvingOperator, options: { tenant?: string; limit?: number } = {}): Promise<UnresolvedCall[]> {
    if (options.tenant !== undefined && !mayActOn(operator, options.tenant)) {
      throw new InterlockError('FORBIDDEN', `operator "${operator.operatorId}" may not act on tenant "${options.tenant}"`);
    }
    const tenants = options.tenant !== undefined ? [options.tenant] : operator.tenants === '*' ? undefined : operator.tenants;
    return listUnresolvedCalls(this.#options.store, {
      tenants,
      limit: options.limit,
      now: this.#now(),
      processDiedAfterMs: this.#options.processDiedAfterMs,
    });
  }

  async resolve(operator: ResolvingOperator, order: ResolutionOrder): Promise<CallResolution> {
    if (!RESOLUTIONS.includes(order.as)) {
      throw new InterlockError('REQUEST_INVALID', `a call resolves as ${RESOLUTIONS.join(' or ')}`);
    }
    const reason = typeof order.reason === 'string' ? order.reason.trim() : '';
    if (reason.length === 0 || reason.length > MAX_REASON) {
      throw new InterlockError(
        'REQUEST_INVALID',
        `a resolution needs a reason (what the upstream showed), at most ${MAX_REASON} characters`,
      );
    }
    const now = this.#now();
    const at = new Date(now).toISOString();
    const runningBefore = new Date(now - (this.#options.processDiedAfterMs ?? PROCESS_DIED_AFTER_MS)).toISOString();
    const record = await this.#find(operator, order.call);
    if (!isUnresolved(record, runningBefore)) throw notUnknown(record);

    const idempotencyKey = record.scopeKey.slice(`${record.tenant}/${record.agentId}/`.length);
    const resolution =
      order.as === 'executed'
        ? {
            as: 'executed' as const,
            outcome: JSON.stringify(await this.#executedOutcome(record, idempotencyKey, operator.operatorId, reason, at)),
            at,
            expiresAt: new Date(now + this.#options.idempotencyTtlMs).toISOString(),
          }
        : { as: 'not_executed' as const };
    const resolved = await this.#options.store.resolveUnknownIdempotency(record.scopeKey, record.callId, runningBefore, resolution);
    if (!resolved) {
      throw new InterlockError('OUTCOME_NOT_UNKNOWN', `call ${record.callId} was resolved or settled by someone else meanwhile`, {
        callId: record.callId,
      });
    }
    const auditEventId = this.#options.audit.record({
      type: 'call.resolved',
      tenant: record.tenant,
      agent: record.agentId,
      traceId: record.traceId,
      callId: record.callId,
      data: {
        resolvedAs: order.as,
        resolvedBy: operator.operatorId,
        reason,
        tool: record.tool,
        operation: record.operation,
        idempotencyKey,
        previousState: record.state === 'running' ? 'process_died' : 'unknown',
      },
    });
    await this.#options.audit.flush();
    return {
      schemaVersion: 1,
      callId: record.callId,
      traceId: record.traceId,
      tenant: record.tenant,
      agentId: record.agentId,
      tool: record.tool,
      operation: record.operation,
      idempotencyKey,
      resolvedAs: order.as,
      resolvedBy: operator.operatorId,
      reason,
      resolvedAt: at,
      auditEventId,
    };
  }

  /** The record of the selected call, within the operator's tenants; typed errors otherwise. */
  async #find(operator: ResolvingOperator, call: UnresolvedCallSelector): Promise<IdempotencyRecord> {
    const { store } = this.#options;
    if ('callId' in call) {
      if (typeof call.callId !== 'string' || !isValidExternalId(call.callId)) {
        throw new InterlockError('REQUEST_INVALID', 'a call id is 1-128 characters of A-Z a-z 0-9 . _ : -');
      }
      const record = await store.getUnresolvedIdempotencyByCall(call.callId);
      // A call outside the operator's tenants is reported as absent, so its existence does not leak.
      if (record !== null && mayActOn(operator, record.tenant)) return record;
      if (record === null) {
        const seen = await store.listAuditEvents({
          callId: call.callId,
          limit: 1,
          ...(operator.tenants === '*' ? {} : { tenants: operator.tenants }),
        });
        if (seen.length > 0) {
          throw new InterlockError(
            'OUTCOME_NOT_UNKNOWN',
            `call ${call.callId} has no unknown outcome: it completed, never claimed a key, or was resolved already`,
            { callId: call.callId },
          );
        }
      }
      throw new InterlockError('NOT_FOUND', `no call "${call.callId}" in the tenants this operator may act on`);
    }
    const { tenant, agentId, idempotencyKey } = call;
    if (!ID_PATTERN.test(tenant) || !ID_PATTERN.test(agentId)) {
      throw new InterlockError('REQUEST_INVALID', 'the agent is TENANT/AGENT, both lowercase identifiers');
    }
    if (typeof idempotencyKey !== 'string' || idempotencyKey.length === 0 || idempotencyKey.length > MAX_KEY) {
      throw new InterlockError('REQUEST_INVALID', `an idempotency key is 1-${MAX_KEY} characters`);
    }
    if (!mayActOn(operator, tenant)) {
      throw new InterlockError('FORBIDDEN', `operator "${operator.operatorId}" may not act on tenant "${tenant}"`);
    }
    const record = await store.getIdempotencyRecord(`${tenant}/${agentId}/${idempotencyKey}`);
    if (record === null) throw new InterlockError('NOT_FOUND', `no call of ${tenant}/${agentId} holds this idempotency key`);
    return record;
  }

  /**
   * What a retry with the key answers from now on: the call executed, its result unknown, resolved
   * by an operator. Decision, approval and closing audit event are the call's own when recorded.
   */
  async #executedOutcome(
    record: IdempotencyRecord,
    idempotencyKey: string,
    operatorId: string,
    reason: string,
    at: string,
  ): Promise<CallOutcome> {
    const first = parseOutcome(record.outcome);
    return {
      schemaVersion: CALL_SCHEMA_VERSION,
      status: 'executed',
      callId: record.callId,
      traceId: record.traceId,
      decision: first?.decision ?? null,
      result: null,
      auditEventId: first?.auditEventId ?? (await this.#latestEventOf(record.callId)),
      ...(first?.approval === undefined ? {} : { approval: first.approval }),
      idempotencyKey,
      resolution: { resolvedAs: 'executed', resolvedBy: operatorId, reason, resolvedAt: at },
    };
  }

  async #latestEventOf(callId: string): Promise<string> {
    const events = await this.#options.store.listAuditEvents({ callId, limit: CALL_EVENTS_READ });
    return events[events.length - 1]?.id ?? '';
  }
}

function isUnresolved(record: IdempotencyRecord, runningBefore: string): boolean {
  return record.state === 'unknown' || (record.state === 'running' && record.updatedAt < runningBefore);
}

function notUnknown(record: IdempotencyRecord): InterlockError {
  const why =
    record.state === 'running'
      ? `is still running (claimed at ${record.createdAt}); its outcome is not known to be lost yet`
      : 'has a known outcome (it completed, or was resolved already)';
  return new InterlockError('OUTCOME_NOT_UNKNOWN', `call ${record.callId} ${why}`, { callId: record.callId, state: record.state });
}

function mayActOn(operator: ResolvingOperator, tenant: string): boolean {
  return operator.tenants === '*' || operator.tenants.includes(tenant);
}

/** The outcome stored with the record is Interlock's own JSON; anything unreadable counts as absent. */
function parseOutcome(text: string | null): CallOutcome | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as CallOutcome) : null;
  } catch {
    return null;
  }
}
