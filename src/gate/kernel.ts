import { randomUUID } from 'node:crypto';
import type { AuditEventInput } from '../audit/event.js';
import { agentWindowCounters, capCounters, firstCapExceeded, type Caps } from '../bounds/blast-radius.js';
import type { RateLimiter, RateRule } from '../bounds/rate-limiter.js';
import { InterlockError, isInterlockError, type ErrorData } from '../errors/interlock-error.js';
import type { Executor } from '../execution/executor.js';
import type { Credential, Principal } from '../identity/principal.js';
import type { Decision } from '../policy/decision.js';
import type { ArgumentsValidator } from '../registry/arguments-validator.js';
import type { OperationContract } from '../registry/contract.js';
import { extractEntities } from '../registry/entities.js';
import { snapshotArguments } from './arguments-snapshot.js';
import type { Registry } from '../registry/registry.js';
import { CALL_SCHEMA_VERSION, isValidExternalId, type CallOutcome, type CallRequest, type DecisionSummary } from './call.js';
import type {
  AuditPort,
  AuthenticationPort,
  AvailabilityPort,
  CallStatus,
  CounterPort,
  DecisionPort,
  KernelObserver,
  OutputRedactionPort,
} from './ports.js';

export interface KernelLimits {
  readonly rate: {
    readonly perAgent?: RateRule | undefined;
    readonly perTool?: RateRule | undefined;
    readonly perTenant?: RateRule | undefined;
  };
  readonly perRequest: Caps;
  readonly perSession: Caps;
  readonly perAgent?: { readonly caps: Caps; readonly windowMs: number } | undefined;
  readonly counterTtlMs: number;
}

export interface KernelDependencies {
  readonly environment: string;
  /** `durable`: audit events are committed before a write runs and before any answer. */
  readonly durability: 'durable' | 'relaxed';
  readonly authentication: AuthenticationPort;
  readonly registry: Registry;
  readonly argumentsValidator: ArgumentsValidator;
  readonly policy: DecisionPort;
  readonly rateLimiter: RateLimiter;
  readonly counters: CounterPort;
  readonly limits: KernelLimits;
  readonly executor: Executor;
  readonly outputRedaction: OutputRedactionPort;
  readonly audit: AuditPort;
  readonly observer: KernelObserver;
  /** Refuses registered operations that may not run now (quarantined tools, upstreams not verified yet). */
  readonly availability?: AvailabilityPort | undefined;
  readonly now?: () => number;
}

/** Everything known about a call so far; grows as it moves down the pipeline. */
interface CallState {
  readonly callId: string;
  readonly traceId: string;
  readonly startedAt: number;
  /** True when the caller gave no trace id: the request is this one call. */
  readonly traceGenerated: boolean;
  principal: Principal | null;
  contract: OperationContract | null;
  decision: DecisionSummary | null;
}

/**
 * The gate: the only place where a tool call is allowed to run. Every door (HTTP, SDK, MCP) calls
 * `call()`; each step below can stop the call, and every step leaves an audit event.
 */
export class Kernel {
  readonly #deps: KernelDependencies;
  readonly #now: () => number;

  constructor(dependencies: KernelDependencies) {
    this.#deps = dependencies;
    this.#now = dependencies.now ?? Date.now;
  }

  get registry(): Registry {
    return this.#deps.registry;
  }

  async call(request: CallRequest, credential: Credential): Promise<CallOutcome> {
    const traceAccepted = request.traceId !== undefined && this.#acceptableId(request.traceId);
    const state: CallState = {
      callId: randomUUID(),
      traceId: traceAccepted && request.traceId !== undefined ? request.traceId : randomUUID(),
      traceGenerated: !traceAccepted,
      startedAt: performance.now(),
      principal: null,
      contract: null,
      decision: null,
    };
    try {
      return await this.#run(request, credential, state);
    } catch (error) {
      // Fail closed: anything unexpected is a refusal, and never an acknowledgement of execution.
      const refusal = isInterlockError(error) ? error : new InterlockError('INTERNAL', 'internal error while governing the call');
      try {
        return await this.#finishRefused(state, refusal);
      } catch {
        // Not even the refusal could be recorded (the audit queue is full or closed): answer with a
        // typed error and no evidence id rather than throw past the door.
        return this.#refused(
          state,
          '',
          new InterlockError('AUDIT_UNAVAILABLE', 'audit events could not be recorded; the call was not acknowledged').toData(),
        );
      }
    }
  }

  async #run(request: CallRequest, credential: Credential, state: CallState): Promise<CallOutcome> {
    const deps = this.#deps;
    if (request.traceId !== undefined && !this.#acceptableId(request.traceId)) {
      throw new InterlockError(
        'REQUEST_INVALID',
        'traceId must be 1-128 characters of A-Z a-z 0-9 . _ : - and must not carry a credential',
      );
    }
    if (request.sessionId !== undefined && !this.#acceptableId(request.sessionId)) {
      throw new InterlockError(
        'REQUEST_INVALID',
        'sessionId must be 1-128 characters of A-Z a-z 0-9 . _ : - and must not carry a credential',
      );
    }

    const args = snapshotArguments(request.arguments);

    // 1. authenticate
    state.principal = await deps.authentication.authenticate(credential, request.actingFor);
    const principal = state.principal;
    const { agent } = principal;
    this.#record(state, 'call.received', {
      tool: request.tool,
      operation: request.operation,
      arguments: args,
      sessionId: request.sessionId ?? null,
      stage: agent.stage,
      environment: agent.environment,
      actingFor: principal.actingFor === null ? null : { userId: principal.actingFor.userId, issuer: principal.actingFor.issuer },
      tokenId: agent.tokenId,
    });

    // 2. contain: kill switches and session modes plug in here (they arrive with safe execution).
    // Every authenticated call counts against its agent's and tenant's rate, allowed or not, so an
    // agent cannot flood the gate (and the evidence) with calls that policy refuses.
    const { rate } = deps.limits;
    const entryBuckets: Array<{ key: string; rule: RateRule; name: string }> = [];
    if (rate.perAgent !== undefined)
      entryBuckets.push({ key: `agent:${agent.tenant}:${agent.agentId}`, rule: rate.perAgent, name: 'rate.perAgent' });
    if (rate.perTenant !== undefined) entryBuckets.push({ key: `tenant:${agent.tenant}`, rule: rate.perTenant, name: 'rate.perTenant' });
    this.#takeRate(entryBuckets);

    // 3. resolve: unknown tools, and tools of other tenants, do not exist for this agent.
    const contract = deps.registry.resolve(request.tool, request.operation);
    if (!deps.registry.toolVisibleTo(request.tool, agent.tenant)) {
      throw new InterlockError('TOOL_UNKNOWN', `unknown tool "${truncate(request.tool)}"`);
    }
    if (contract === undefined) {
      throw new InterlockError('OPERATION_UNKNOWN', `tool "${request.tool}" has no operation "${truncate(request.operation)}"`);
    }
    state.contract = contract;
    const unavailable = deps.availability?.check(contract) ?? null;
    if (unavailable !== null) throw unavailable;

    // 4. validate
    const problems = deps.argumentsValidator.check(contract, args);
    if (problems.length > 0) {
      const summary = problems.map((problem) => `${problem.path || '(arguments)'} ${problem.message}`).join('; ');
      throw new InterlockError('ARGUMENTS_INVALID', `arguments of ${contract.qualifiedName} are invalid: ${summary}`, { problems });
    }

    // 5. assess: risk signals arrive with the risk engine; the context slot is already there.
    const entities = extractEntities(contract, args);
    const risk = { score: 0, taintedArgs: [] as string[] };

    // 6. decide
    const decisionStartedAt = performance.now();
    const decision: Decision = deps.policy.decide({
      agent,
      actingFor: principal.actingFor,
      tool: contract.tool,
      operation: contract.operation,
      effect: contract.effect,
      arguments: args,
      environment: deps.environment,
      risk,
      entities,
    });
    deps.observer.decisionMade(decision.kind, (performance.now() - decisionStartedAt) / 1000);
    const effective = applyReadOnly(decision, contract);
    state.decision = summarise(effective);
    // Entities are counted, not listed: their values are arguments, already in call.received where
    // configured redaction applies to them.
    this.#record(state, 'decision.made', {
      ...state.decision,
      effect: contract.effect,
      errors: effective.errors,
      entityCount: entities.length,
      stage: agent.stage,
    });
    // Shadow stage: the would-be decision is recorded and nothing runs, whatever policy said.
    if (agent.stage === 'shadow') return this.#finish(state, 'shadowed', {});
    if (effective.kind === 'deny') {
      return this.#finish(state, 'denied', {
        error: new InterlockError(
          'POLICY_DENIED',
          `policy denied ${contract.qualifiedName}: ${effective.reasons.join('; ') || 'no reason given'}`,
        ).toData(),
      });
    }
    if (effective.kind === 'require_approval') {
      const role = effective.obligations.approval?.role ?? 'unspecified';
      return this.#finish(state, 'approval_required', {
        error: new InterlockError(
          'APPROVAL_REQUIRED',
          `${contract.qualifiedName} needs approval by role "${role}": ${effective.reasons.join('; ') || 'policy requires approval'}`,
          {
            approverRole: role,
            quorum: effective.obligations.approval?.quorum ?? 1,
          },
        ).toData(),
      });
    }

    // 7. bound: rate limits, then blast-radius caps.
    await this.#bound(state, contract, request, entities.length);

    // 8. approve: the approval workflow arrives with safe execution.
    // 9. execute. In durable mode the intent of a write is on disk before the side effect happens.
    if (contract.effect !== 'read' && deps.durability === 'durable') await deps.audit.flush();
    const executionStartedAt = performance.now();
    const deadline = executionDeadline(contract.timeoutMs + 1000, request.signal);
    let execution: Awaited<ReturnType<Executor['execute']>>;
    try {
      execution = await deps.executor.execute(contract, args, {
        callId: state.callId,
        traceId: state.traceId,
        agentId: agent.agentId,
        tenant: agent.tenant,
        actingForUserId: principal.actingFor?.userId ?? null,
        signal: deadline.signal,
        onProgress: request.onProgress,
      });
    } finally {
      deadline.dispose();
    }
    // From here on the side effect may have happened: whatever goes wrong, the answer never says
    // "refused", and a write is never reported as safe to retry.
    const retryIsUnsafe = contract.effect !== 'read' && !contract.idempotent;
    try {
      const durationMs = round(performance.now() - executionStartedAt);
      if (!execution.ok) {
        const error = retryIsUnsafe ? { ...execution.error.toData(), retryable: false } : execution.error.toData();
        this.#record(state, 'tool.failed', { outcome: execution.outcome, error, durationMs });
        return await this.#finish(state, 'failed', { error, outcome: execution.outcome });
      }

      // 10. govern the output: plain JSON only, secrets stripped, obligation fields redacted.
      const governed = deps.outputRedaction.redactResult(jsonResult(execution.result), effective.obligations.redactFields);
      this.#record(state, 'tool.executed', { durationMs, result: governed.value, redactedFromResult: governed.redactedPaths });

      // 11. record
      return await this.#finish(state, 'executed', { result: governed.value, costUsd: contract.costUsd });
    } catch (error) {
      const cause = isInterlockError(error) ? error.code : 'INTERNAL';
      const failure = new InterlockError('AUDIT_UNAVAILABLE', `${contract.qualifiedName} ran, but its outcome could not be recorded`, {
        executed: true,
        cause,
      });
      this.#deps.observer.callFinished('failed', contract.tool, failure.code, (performance.now() - state.startedAt) / 1000);
      return {
        schemaVersion: CALL_SCHEMA_VERSION,
        status: 'failed',
        callId: state.callId,
        traceId: state.traceId,
        decision: state.decision,
        auditEventId: '',
        error: { ...failure.toData(), retryable: !retryIsUnsafe },
      };
    }
  }

  /** Takes one token from each bucket, or refuses with the limit that was hit. */
  #takeRate(buckets: ReadonlyArray<{ key: string; rule: RateRule; name: string }>): void {
    if (buckets.length === 0) return;
    const verdict = this.#deps.rateLimiter.take(buckets);
    if (verdict.ok) return;
    const hit = buckets.find((bucket) => bucket.key === verdict.key) ?? buckets[0];
    throw new InterlockError(
      'RATE_LIMITED',
      `rate limit ${hit?.name ?? 'rate'} reached (${hit?.rule.limit ?? '?'} per ${hit?.rule.perMs ?? '?'} ms)`,
      {
        limit: hit?.name ?? 'rate',
        max: hit?.rule.limit ?? 0,
        perMs: hit?.rule.perMs ?? 0,
        retryAfterMs: verdict.retryAfterMs,
      },
    );
  }

  async #bound(state: CallState, contract: OperationContract, request: CallRequest, entityCount: number): Promise<void> {
    const deps = this.#deps;
    const agent = state.principal?.agent;
    if (agent === undefined) throw new InterlockError('INTERNAL', 'bound step reached without a principal');
    // Per-tool rate: only for tools that exist; per-agent and per-tenant rates were taken on entry.
    if (deps.limits.rate.perTool !== undefined) {
      this.#takeRate([{ key: `tool:${agent.tenant}:${contract.tool}`, rule: deps.limits.rate.perTool, name: 'rate.perTool' }]);
    }
    const counters = capCounters(
      deps.limits.perRequest,
      deps.limits.perSession,
      { tenant: agent.tenant, traceId: state.traceId, sessionId: request.sessionId ?? null },
      { isWrite: contract.effect !== 'read', entityCount },
      new Date(this.#now() + deps.limits.counterTtlMs).toISOString(),
    );
    const perAgent = deps.limits.perAgent;
    if (perAgent !== undefined) {
      const weight = { isWrite: contract.effect !== 'read', entityCount };
      counters.push(
        ...agentWindowCounters(perAgent.caps, perAgent.windowMs, { tenant: agent.tenant, agentId: agent.agentId }, weight, this.#now()),
      );
    }
    if (counters.length === 0) return;
    // A request whose trace id Interlock generated has no earlier calls: its counters start at zero
    // and need no round trip to the store.
    const shared = counters.filter((counter) => !(state.traceGenerated && counter.limitName.startsWith('perRequest.')));
    const sharedValues = shared.length === 0 ? [] : await deps.counters.incrementCounters(shared.map((counter) => counter.increment));
    const values = counters.map((counter) => {
      const index = shared.indexOf(counter);
      return index === -1 ? counter.increment.by : (sharedValues[index] ?? Number.NaN);
    });
    const hit = firstCapExceeded(counters, values);
    if (hit !== null) {
      throw new InterlockError('BLAST_RADIUS_EXCEEDED', `limit ${hit.limit} of ${hit.max} reached`, {
        limit: hit.limit,
        max: hit.max,
        reached: hit.reached,
      });
    }
  }

  /**
   * Ids chosen by callers are stored verbatim (columns, counter keys), outside the reach of
   * redaction: one that is, or contains, a secret is refused rather than recorded.
   */
  #acceptableId(id: string): boolean {
    return isValidExternalId(id) && this.#deps.outputRedaction.redactResult(id, []).redactedPaths.length === 0;
  }

  #record(state: CallState, type: AuditEventInput['type'], data: Record<string, unknown>): string {
    const agent = state.principal?.agent ?? null;
    return this.#deps.audit.record({
      type,
      tenant: agent?.tenant ?? null,
      agent: agent?.agentId ?? null,
      traceId: state.traceId,
      callId: state.callId,
      data,
    });
  }

  async #finish(
    state: CallState,
    status: CallStatus,
    extra: { result?: unknown; error?: ErrorData; costUsd?: number; outcome?: string },
  ): Promise<CallOutcome> {
    const durationMs = round(performance.now() - state.startedAt);
    const auditEventId = this.#record(state, 'call.completed', {
      status,
      tool: state.contract?.tool ?? null,
      operation: state.contract?.operation ?? null,
      errorCode: extra.error?.code ?? null,
      executionOutcome: extra.outcome ?? null,
      costUsd: extra.costUsd ?? 0,
      durationMs,
    });
    await this.#acknowledge();
    this.#deps.observer.callFinished(status, state.contract?.tool ?? null, extra.error?.code ?? null, durationMs / 1000);
    const outcome: CallOutcome = {
      schemaVersion: CALL_SCHEMA_VERSION,
      status,
      callId: state.callId,
      traceId: state.traceId,
      decision: state.decision,
      auditEventId,
      ...(extra.error === undefined ? {} : { error: extra.error }),
      ...(status === 'executed' ? { result: extra.result } : {}),
    };
    return outcome;
  }

  async #finishRefused(state: CallState, refusal: InterlockError): Promise<CallOutcome> {
    const data = refusal.toData();
    const auditEventId = this.#record(state, 'call.refused', {
      code: data.code,
      message: data.message,
      ...(data.details === undefined ? {} : { details: data.details }),
      tool: state.contract?.tool ?? null,
      operation: state.contract?.operation ?? null,
    });
    let answered = data;
    try {
      await this.#acknowledge();
    } catch (error) {
      // The refusal itself could not be made durable: say so rather than pretend it was recorded.
      answered = (
        isInterlockError(error) ? error : new InterlockError('AUDIT_UNAVAILABLE', 'audit events could not be committed')
      ).toData();
    }
    return this.#refused(state, auditEventId, answered);
  }

  #refused(state: CallState, auditEventId: string, error: ErrorData): CallOutcome {
    this.#deps.observer.callFinished('refused', state.contract?.tool ?? null, error.code, (performance.now() - state.startedAt) / 1000);
    return {
      schemaVersion: CALL_SCHEMA_VERSION,
      status: 'refused',
      callId: state.callId,
      traceId: state.traceId,
      decision: state.decision,
      auditEventId,
      error,
    };
  }

  /** In durable mode nothing is acknowledged before its events are committed. */
  async #acknowledge(): Promise<void> {
    if (this.#deps.durability === 'durable') await this.#deps.audit.flush();
  }
}

/**
 * A `read_only` obligation grants reads only: a write or destructive operation under it is denied.
 */
function applyReadOnly(decision: Decision, contract: OperationContract): Decision {
  if (decision.kind === 'deny' || !decision.obligations.readOnly || contract.effect === 'read') return decision;
  return {
    ...decision,
    kind: 'deny',
    reasons: [...decision.reasons, `policy grants read-only access; ${contract.qualifiedName} is a ${contract.effect} operation`],
  };
}

function summarise(decision: Decision): DecisionSummary {
  return {
    kind: decision.kind,
    reasons: decision.reasons,
    policyIds: decision.policyIds,
    bundleVersion: decision.bundleVersion,
    obligations: decision.obligations,
  };
}

/**
 * A tool's result as plain JSON: big integers become strings, values JSON cannot hold are dropped,
 * and a result with no JSON form at all (a cycle) is replaced by a marker, never an exception.
 */
function jsonResult(result: unknown): unknown {
  try {
    const text = JSON.stringify(result, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    return text === undefined ? null : (JSON.parse(text) as unknown);
  } catch {
    return { unserialisableResult: true };
  }
}

/**
 * The signal an execution runs under: aborted by the caller, or with a `TimeoutError` once the
 * deadline passes. One controller and one timer, released as soon as the execution returns.
 */
function executionDeadline(timeoutMs: number, caller: AbortSignal | undefined): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('the execution deadline passed', 'TimeoutError')), timeoutMs);
  const forward = () => controller.abort(caller?.reason);
  if (caller !== undefined) {
    if (caller.aborted) forward();
    else caller.addEventListener('abort', forward, { once: true });
  }
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      caller?.removeEventListener('abort', forward);
    },
  };
}

function round(milliseconds: number): number {
  return Math.round(milliseconds * 1000) / 1000;
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
