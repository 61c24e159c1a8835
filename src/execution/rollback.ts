import { randomUUID } from 'node:crypto';
import type { AuditEventInput } from '../audit/event.js';
import { InterlockError } from '../errors/interlock-error.js';
import type { CallOutcome, CallRequest } from '../gate/call.js';
import { isValidExternalId } from '../gate/call.js';
import type { CallStatus } from '../gate/ports.js';
import type { Credential } from '../identity/principal.js';
import type { CompensationRecord, CompensationStatus, SafeExecutionStore } from '../store/store.js';

/**
 * What to roll back: the writes of one trace, of one session, or of one agent since a time;
 * optionally only those of one tenant.
 */
export type RollbackFilter = (
  | { readonly traceId: string; readonly sessionId?: undefined; readonly agentId?: undefined; readonly since?: undefined }
  | { readonly sessionId: string; readonly traceId?: undefined; readonly agentId?: undefined; readonly since?: undefined }
  | { readonly agentId: string; readonly since: string; readonly traceId?: undefined; readonly sessionId?: undefined }
) & { readonly tenant?: string | undefined };

/** The call that undoes an original write, as the kernel derived it when the write executed. */
export interface CompensatingCall {
  readonly tool: string;
  readonly operation: string;
  readonly arguments: Readonly<Record<string, unknown>>;
}

/** One original write, in the order compensations run (newest first). */
export interface RollbackEntry {
  /** 1-based position in the run order. */
  readonly order: number;
  readonly callId: string;
  readonly tool: string;
  readonly operation: string;
  readonly tenant: string;
  readonly agentId: string;
  readonly traceId: string;
  readonly sessionId: string | null;
  readonly executedAt: string;
  readonly status: CompensationStatus;
  /** Null when the write is irreversible (or its stored compensation cannot be read). */
  readonly compensation: CompensatingCall | null;
  readonly compensatedByCall: string | null;
}

export interface RollbackCounts {
  readonly total: number;
  /** `pending`: what an execution will compensate. */
  readonly pending: number;
  readonly compensated: number;
  readonly irreversible: number;
  readonly quarantined: number;
}

export interface RollbackPlan {
  readonly filter: RollbackFilter;
  readonly entries: readonly RollbackEntry[];
  readonly counts: RollbackCounts;
}

export interface RollbackOptions {
  /** Who runs the rollback (recorded in the audit log). */
  readonly by: string;
  /** Why (recorded in the audit log). */
  readonly reason: string;
  /** Move irreversible writes to `quarantined`, so they show up for human review. */
  readonly quarantineIrreversible?: boolean;
}

/**
 * What happened to one entry: `compensated` now (or found compensated by an earlier run that
 * crashed before marking it: `replayed`), skipped because it was `already_compensated`,
 * `irreversible` or `quarantined`, the compensation `failed` (the rollback stops there), or
 * `not_run` because the rollback stopped earlier.
 */
export type RollbackStepResult = 'compensated' | 'already_compensated' | 'irreversible' | 'quarantined' | 'failed' | 'not_run';

export interface RollbackStep {
  readonly order: number;
  readonly callId: string;
  readonly tool: string;
  readonly operation: string;
  readonly compensation: CompensatingCall | null;
  readonly result: RollbackStepResult;
  /** The call that compensated the write (this run's, or the first one's when replayed). */
  readonly compensatingCallId: string | null;
  /** True when the kernel repeated an earlier execution of this compensation instead of running it again. */
  readonly replayed: boolean;
  /** One line for people. */
  readonly note: string;
}

/** Why the rollback stopped: the first compensation that did not execute. */
export interface RollbackStop {
  readonly order: number;
  readonly callId: string;
  /** The kernel's status for the compensating call, or null when it could not be asked. */
  readonly callStatus: CallStatus | null;
  /** The error code of the refusal or failure (null when the call simply did not execute, e.g. shadowed). */
  readonly code: string | null;
  readonly message: string;
  readonly compensatingCallId: string | null;
  /** Set when the compensation waits for an approval: approve it and run the rollback again. */
  readonly approvalId: string | null;
}

export interface RollbackReport {
  readonly rollbackId: string;
  /** The trace every compensating call of this run belongs to. */
  readonly traceId: string;
  readonly filter: RollbackFilter;
  readonly by: string;
  readonly reason: string;
  readonly steps: readonly RollbackStep[];
  readonly counts: {
    readonly compensated: number;
    readonly alreadyCompensated: number;
    readonly irreversible: number;
    readonly quarantined: number;
    readonly failed: number;
    readonly notRun: number;
  };
  readonly stoppedAt: RollbackStop | null;
  /** True when nothing failed (every pending write is compensated now). */
  readonly ok: boolean;
}

export interface RollbackAudit {
  record(input: AuditEventInput): string;
  flush(): Promise<void>;
}

/** The kernel, as the rollback sees it: compensations are ordinary governed calls. */
export interface RollbackKernel {
  call(request: CallRequest, credential: Credential): Promise<CallOutcome>;
}

export interface RollbackServiceOptions {
  readonly store: Pick<SafeExecutionStore, 'listCompensations' | 'updateCompensation'>;
  readonly kernel: RollbackKernel;
  readonly audit: RollbackAudit;
  readonly now?: () => number;
  /** Maximum number of writes one rollback covers; more is refused so nothing is silently left out. */
  readonly maxEntries?: number;
}

const DEFAULT_MAX_ENTRIES = 10_000;
const MAX_BY = 200;
const MAX_REASON = 1000;

/**
 * Undoes what agents did: lists the compensations registered for the writes of a trace, session
 * or agent, newest first, and runs them through the kernel, so each one is decided by policy,
 * executed at most once (idempotency key `compensation:<callId>`) and audited.
 */
export class RollbackService {
  readonly #store: RollbackServiceOptions['store'];
  readonly #kernel: RollbackKernel;
  readonly #audit: RollbackAudit;
  readonly #now: () => number;
  readonly #maxEntries: number;

  constructor(options: RollbackServiceOptions) {
    this.#store = options.store;
    this.#kernel = options.kernel;
    this.#audit = options.audit;
    this.#now = options.now ?? Date.now;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  }

  /** The writes the filter selects, in the order their compensations run; changes nothing. */
  async planRollback(filter: RollbackFilter): Promise<RollbackPlan> {
    const normalised = normaliseFilter(filter);
    const records = await this.#store.listCompensations({ ...storeFilter(normalised), limit: this.#maxEntries + 1 });
    if (records.length > this.#maxEntries) {
      throw new InterlockError(
        'REQUEST_INVALID',
        `more than ${this.#maxEntries} writes match; narrow the rollback (a trace, a session, or a later --since)`,
        { maxEntries: this.#maxEntries },
      );
    }
    const entries = records.map((record, index) => toEntry(record, index + 1));
    return { filter: normalised, entries, counts: countEntries(entries) };
  }

  /**
   * Runs the plan: quarantines irreversible writes when asked, then compensates every pending
   * write in order, stopping at the first compensation that does not execute (the rest stay
   * pending). Running it again compensates nothing twice.
   */
  async executeRollback(filter: RollbackFilter, options: RollbackOptions): Promise<RollbackReport> {
    checkActor(options.by, options.reason);
    const plan = await this.planRollback(filter);
    const rollbackId = randomUUID();
    const traceId = `rollback-${rollbackId.slice(0, 8)}`;
    const quarantine = options.quarantineIrreversible === true;
    this.#audit.record({
      type: 'rollback.planned',
      tenant: plan.filter.tenant ?? onlyValue(plan.entries.map((entry) => entry.tenant)),
      agent: plan.filter.agentId ?? onlyValue(plan.entries.map((entry) => entry.agentId)),
      traceId,
      callId: null,
      data: {
        rollbackId,
        by: options.by,
        reason: options.reason,
        filter: plan.filter,
        counts: plan.counts,
        quarantineIrreversible: quarantine,
        order: plan.entries.filter((entry) => entry.status === 'pending').map((entry) => entry.callId),
      },
    });
    // The intent is on record before the first compensation runs.
    await this.#audit.flush();

    const steps: RollbackStep[] = [];
    if (quarantine) {
      for (const entry of plan.entries) {
        if (entry.status === 'irreversible') await this.#quarantine(entry, rollbackId, traceId, options);
      }
      await this.#audit.flush();
    }
    let stoppedAt: RollbackStop | null = null;
    for (const entry of plan.entries) {
      if (stoppedAt !== null) {
        steps.push(
          entry.status === 'pending'
            ? step(entry, 'not_run', null, false, `not run: the rollback stopped at #${stoppedAt.order}`)
            : skipped(entry, quarantine),
        );
        continue;
      }
      if (entry.status !== 'pending') {
        steps.push(skipped(entry, quarantine));
        continue;
      }
      const outcome = await this.#compensate(entry, traceId);
      steps.push(outcome.step);
      stoppedAt = outcome.stop;
    }
    const count = (result: RollbackStepResult) => steps.filter((entry) => entry.result === result).length;
    return {
      rollbackId,
      traceId,
      filter: plan.filter,
      by: options.by,
      reason: options.reason,
      steps,
      counts: {
        compensated: count('compensated'),
        alreadyCompensated: count('already_compensated'),
        irreversible: count('irreversible'),
        quarantined: count('quarantined'),
        failed: count('failed'),
        notRun: count('not_run'),
      },
      stoppedAt,
      ok: stoppedAt === null,
    };
  }

  /** One compensation through the kernel, as the agent that made the original call. */
  async #compensate(entry: RollbackEntry, traceId: string): Promise<{ step: RollbackStep; stop: RollbackStop | null }> {
    const compensation = entry.compensation;
    if (compensation === null) {
      return this.#failed(
        entry,
        null,
        'INTERNAL',
        'the stored compensating call cannot be read; quarantine or compensate it by hand',
        null,
        null,
      );
    }
    // No session id: a compensation must not be refused because the session it undoes reached its
    // write cap. The kernel records `compensationOf`, which links it to the original call.
    const outcome = await this.#kernel.call(
      {
        tool: compensation.tool,
        operation: compensation.operation,
        arguments: compensation.arguments,
        compensationOf: entry.callId,
        traceId,
      },
      { kind: 'in_process', agentId: entry.agentId },
    );
    if (outcome.status !== 'executed') {
      return this.#failed(
        entry,
        outcome.status,
        outcome.error?.code ?? null,
        outcome.error?.message ?? `the compensation ended as ${outcome.status}`,
        outcome.callId,
        outcome.approval?.id ?? null,
      );
    }
    const replayed = outcome.replayed === true;
    let marked: boolean;
    try {
      marked = await this.#store.updateCompensation(entry.callId, 'pending', 'compensated', outcome.callId, this.#isoNow());
    } catch {
      return this.#failed(
        entry,
        outcome.status,
        'STORE_UNAVAILABLE',
        `the compensation ran (call ${outcome.callId}) but could not be marked; run the rollback again: it is repeated, not run twice`,
        outcome.callId,
        null,
      );
    }
    if (!marked) {
      // Another rollback marked it first; the idempotency key made both of us see one execution.
      return {
        step: step(entry, 'already_compensated', outcome.callId, true, `compensated by a concurrent rollback (call ${outcome.callId})`),
        stop: null,
      };
    }
    const note = replayed
      ? `compensated earlier by call ${outcome.callId} (repeated, not run again)`
      : `compensated by call ${outcome.callId}`;
    return { step: step(entry, 'compensated', outcome.callId, replayed, note), stop: null };
  }

  #failed(
    entry: RollbackEntry,
    callStatus: CallStatus | null,
    code: string | null,
    message: string,
    compensatingCallId: string | null,
    approvalId: string | null,
  ): { step: RollbackStep; stop: RollbackStop } {
    const note =
      approvalId === null
        ? `${code === null ? '' : `${code}: `}${message}`
        : `waits for approval ${approvalId}; run the rollback again once it is granted`;
    return {
      step: step(entry, 'failed', compensatingCallId, false, note),
      stop: { order: entry.order, callId: entry.callId, callStatus, code, message, compensatingCallId, approvalId },
    };
  }

  async #quarantine(entry: RollbackEntry, rollbackId: string, rollbackTraceId: string, options: RollbackOptions): Promise<void> {
    const moved = await this.#store.updateCompensation(entry.callId, 'irreversible', 'quarantined', null, this.#isoNow());
    if (!moved) return;
    this.#audit.record({
      type: 'compensation.quarantined',
      tenant: entry.tenant,
      agent: entry.agentId,
      traceId: entry.traceId,
      callId: entry.callId,
      data: {
        tool: entry.tool,
        operation: entry.operation,
        by: options.by,
        reason: options.reason,
        rollbackId,
        rollbackTraceId,
      },
    });
  }

  #isoNow(): string {
    return new Date(this.#now()).toISOString();
  }
}

function step(
  entry: RollbackEntry,
  result: RollbackStepResult,
  compensatingCallId: string | null,
  replayed: boolean,
  note: string,
): RollbackStep {
  return {
    order: entry.order,
    callId: entry.callId,
    tool: entry.tool,
    operation: entry.operation,
    compensation: entry.compensation,
    result,
    compensatingCallId,
    replayed,
    note,
  };
}

/** An entry that is not run: already compensated, irreversible, or quarantined (now or before). */
function skipped(entry: RollbackEntry, quarantinedNow: boolean): RollbackStep {
  switch (entry.status) {
    case 'compensated':
      return step(
        entry,
        'already_compensated',
        entry.compensatedByCall,
        false,
        `already compensated by call ${entry.compensatedByCall ?? '?'}`,
      );
    case 'quarantined':
      return step(entry, 'quarantined', null, false, 'quarantined for review (no compensation)');
    case 'irreversible':
      return quarantinedNow
        ? step(entry, 'quarantined', null, false, 'irreversible: quarantined for review')
        : step(entry, 'irreversible', null, false, 'irreversible: no compensation declared');
    case 'pending':
      return step(entry, 'not_run', null, false, 'not run');
  }
}

/** Checks the filter's shape and values; returns it with `since` as a canonical ISO time. */
export function normaliseFilter(filter: RollbackFilter): RollbackFilter {
  if (typeof filter !== 'object' || filter === null) throw usage('a rollback filter is required');
  const selectors = (['traceId', 'sessionId', 'agentId'] as const).filter((name) => filter[name] !== undefined);
  if (selectors.length !== 1) throw usage('choose exactly one of a trace, a session, or an agent with a start time');
  const tenant = filter.tenant;
  if (tenant !== undefined) checkId('tenant', tenant);
  const withTenant = tenant === undefined ? {} : { tenant };
  if (filter.traceId !== undefined) {
    if (filter.since !== undefined) throw usage('a start time goes with an agent only');
    checkId('trace id', filter.traceId);
    return { traceId: filter.traceId, ...withTenant };
  }
  if (filter.sessionId !== undefined) {
    if (filter.since !== undefined) throw usage('a start time goes with an agent only');
    checkId('session id', filter.sessionId);
    return { sessionId: filter.sessionId, ...withTenant };
  }
  const agentId = filter.agentId ?? '';
  checkId('agent id', agentId);
  if (typeof filter.since !== 'string') throw usage('an agent rollback needs a start time (since)');
  const since = Date.parse(filter.since);
  if (!Number.isFinite(since)) throw usage(`"${filter.since.slice(0, 40)}" is not an ISO time`);
  return { agentId, since: new Date(since).toISOString(), ...withTenant };
}

function storeFilter(filter: RollbackFilter): { tenant?: string; traceId?: string; sessionId?: string; agentId?: string; since?: string } {
  return {
    ...(filter.tenant === undefined ? {} : { tenant: filter.tenant }),
    ...(filter.traceId === undefined ? {} : { traceId: filter.traceId }),
    ...(filter.sessionId === undefined ? {} : { sessionId: filter.sessionId }),
    ...(filter.agentId === undefined ? {} : { agentId: filter.agentId }),
    ...(filter.since === undefined ? {} : { since: filter.since }),
  };
}

function toEntry(record: CompensationRecord, order: number): RollbackEntry {
  return {
    order,
    callId: record.callId,
    tool: record.tool,
    operation: record.operation,
    tenant: record.tenant,
    agentId: record.agentId,
    traceId: record.traceId,
    sessionId: record.sessionId,
    executedAt: record.executedAt,
    status: record.status,
    compensation: parseCompensation(record.compensation),
    compensatedByCall: record.compensatedByCall,
  };
}

/** The stored `{ tool, operation, arguments }`, or null when absent or not of that shape. */
function parseCompensation(text: string | null): CompensatingCall | null {
  if (text === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const { tool, operation, arguments: args } = value as Record<string, unknown>;
  if (typeof tool !== 'string' || typeof operation !== 'string') return null;
  if (args === null || typeof args !== 'object' || Array.isArray(args)) return null;
  return { tool, operation, arguments: args as Record<string, unknown> };
}

function countEntries(entries: readonly RollbackEntry[]): RollbackCounts {
  const count = (status: CompensationStatus) => entries.filter((entry) => entry.status === status).length;
  return {
    total: entries.length,
    pending: count('pending'),
    compensated: count('compensated'),
    irreversible: count('irreversible'),
    quarantined: count('quarantined'),
  };
}

/** The single value all items share, or null when they differ or there are none. */
function onlyValue(values: readonly string[]): string | null {
  const distinct = new Set(values);
  return distinct.size === 1 ? (values[0] ?? null) : null;
}

function checkId(name: string, value: string): void {
  if (typeof value !== 'string' || !isValidExternalId(value)) {
    throw usage(`the ${name} must be 1-128 characters of A-Z a-z 0-9 . _ : -`);
  }
}

function checkActor(by: string, reason: string): void {
  if (typeof by !== 'string' || by.trim() === '' || by.length > MAX_BY) throw usage(`say who runs the rollback (1-${MAX_BY} characters)`);
  if (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_REASON) {
    throw usage(`give a reason for the rollback (1-${MAX_REASON} characters)`);
  }
}

function usage(message: string): InterlockError {
  return new InterlockError('REQUEST_INVALID', message);
}
