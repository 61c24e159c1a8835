import { randomUUID } from 'node:crypto';
import type { AuditEventInput } from '../audit/event.js';
import { agentWindowCounters, capCounters, firstCapExceeded, type Caps } from '../bounds/blast-radius.js';
import type { RateLimiter, RateRule } from '../bounds/rate-limiter.js';
import { InterlockError, isInterlockError, type ErrorData } from '../errors/interlock-error.js';
import { deadline } from '../execution/deadline.js';
import type { Executor } from '../execution/executor.js';
import type { Credential, Principal } from '../identity/principal.js';
import type { CitationCheck, Decision, RiskContext } from '../policy/decision.js';
import type { ArgumentsValidator } from '../registry/arguments-validator.js';
import type { OperationContract } from '../registry/contract.js';
import { extractEntities } from '../registry/entities.js';
import { snapshotArguments } from './arguments-snapshot.js';
import type { Registry } from '../registry/registry.js';
import { deriveArguments } from '../registry/derived-call.js';
import type { ContainmentSubject, ModeVerdict } from '../containment/containment-rules.js';
import type { ApprovalRecord, CompensationRecord, ContainmentRule, IdempotencyRecord } from '../store/store.js';
import { actionHash, approvalBinding, derivedIdempotencyKey } from './action-hash.js';
import {
  CALL_SCHEMA_VERSION,
  isValidExternalId,
  type ApprovalSummary,
  type CallOutcome,
  type CallRequest,
  type DecisionSummary,
} from './call.js';
import type {
  ApprovalPort,
  AuditPort,
  AuthenticationPort,
  AvailabilityPort,
  CallStatus,
  ContainmentPort,
  CounterPort,
  DecisionPort,
  IdempotencyPort,
  KernelObserver,
  OutputRedactionPort,
  RiskPort,
  CitationPort,
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
  readonly containment: ContainmentPort;
  /** Citations handed out by governed retrieval, for calls that cite their sources. */
  readonly citations?: CitationPort | undefined;
  /** Risk signals of calls made in a session (taint, injection, loops, confidence). */
  readonly risk?: RiskPort | undefined;
  readonly approvals: ApprovalPort;
  /** Idempotency keys, and the settlement of each executed write (its key's outcome and its compensation). */
  readonly idempotency: IdempotencyPort;
  /** Writes and destructive operations need an idempotency key. */
  readonly requireIdempotencyKey: boolean;
  readonly idempotencyTtlMs: number;
  /** Role that approves writes in `elevated` mode. */
  readonly elevatedRole: string;
  /** Attempts and longest backoff the executor may spend on a retryable operation: its deadline covers them. */
  readonly retryBudget?: { readonly attempts: number; readonly maxDelayMs: number } | undefined;
  readonly now?: () => number;
}

/** `evaluate`: decide (and open approval requests) without bounding or running: a plan step. */
type RunMode = 'execute' | 'evaluate';

/** How long after a claimed call's deadline a duplicate still waits for it before calling its outcome unknown. */
const RUNNING_GRACE_MS = 5_000;
const DUPLICATE_POLL_MS = 20;
/** Failures that prove the upstream never received the call: its idempotency key is free again. */
const NOTHING_SENT: ReadonlySet<string> = new Set(['UPSTREAM_UNAVAILABLE', 'CIRCUIT_OPEN', 'HANDLER_MISSING']);

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
  idempotencyKey: string | null;
  /** The idempotency scope key this call claimed and must settle. */
  claimedKey: string | null;
  approval: ApprovalSummary | null;
  /** True once the operation was handed to the executor. */
  executing: boolean;
}

/**
 * The gate: the only place where a tool call is allowed to run. Every door (HTTP, SDK, MCP) calls
 * `call()`; each step below can stop the call, and every step leaves an audit event.
 */
export class Kernel {
  readonly #deps: KernelDependencies;
  readonly #now: () => number;
  #lastOrdinal = 0;

  constructor(dependencies: KernelDependencies) {
    this.#deps = dependencies;
    this.#now = dependencies.now ?? Date.now;
  }

  get registry(): Registry {
    return this.#deps.registry;
  }

  /** Governs one call: decides, bounds, runs it at most once and records every step. */
  call(request: CallRequest, credential: Credential): Promise<CallOutcome> {
    return this.#govern(request, credential, 'execute');
  }

  /**
   * Decides a proposed call without running it (a plan step): the same checks as `call` up to and
   * including the approval request, then status `evaluated`. Nothing is counted or executed.
   */
  evaluate(request: CallRequest, credential: Credential): Promise<CallOutcome> {
    return this.#govern(request, credential, 'evaluate');
  }

  async #govern(request: CallRequest, credential: Credential, mode: RunMode): Promise<CallOutcome> {
    const traceAccepted = request.traceId !== undefined && this.#acceptableId(request.traceId);
    const state: CallState = {
      callId: randomUUID(),
      traceId: traceAccepted && request.traceId !== undefined ? request.traceId : randomUUID(),
      traceGenerated: !traceAccepted,
      startedAt: performance.now(),
      principal: null,
      contract: null,
      decision: null,
      idempotencyKey: null,
      claimedKey: null,
      approval: null,
      executing: false,
    };
    try {
      return await this.#run(request, credential, state, mode);
    } catch (error) {
      // Fail closed: anything unexpected is a refusal, and never an acknowledgement of execution.
      const refusal = isInterlockError(error) ? error : new InterlockError('INTERNAL', 'internal error while governing the call');
      try {
        const outcome = await this.#finishRefused(state, refusal);
        // A key claimed by a call that never reached the upstream is free again; one that did is unknown.
        await this.#settleKey(state, state.executing ? 'unknown' : 'release', outcome).catch(() => undefined);
        return outcome;
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

  async #run(request: CallRequest, credential: Credential, state: CallState, mode: RunMode): Promise<CallOutcome> {
    const deps = this.#deps;
    this.#checkExternalIds(request);
    const args = snapshotArguments(request.arguments);
    const compensating = request.compensationOf !== undefined;

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
      ...(compensating ? { compensationOf: request.compensationOf } : {}),
      ...(mode === 'evaluate' ? { evaluateOnly: true } : {}),
    });

    // 2. contain: a kill switch on the fleet, the tenant or the agent, or a locked session, stops
    // the call before anything else is spent on it. Compensations pass agent and tenant switches.
    const containment = deps.containment.rules();
    if (containment === null) {
      throw new InterlockError('STORE_UNAVAILABLE', 'kill switches and modes could not be loaded; no tool runs until they are');
    }
    const subject: ContainmentSubject = {
      tenant: agent.tenant,
      agentId: agent.agentId,
      sessionId: request.sessionId ?? null,
      tool: null,
      operation: null,
    };
    if (!compensating) {
      refuseIfKilled(containment.killSwitchFor(subject));
      const sessionMode = containment.modeFor(subject);
      if (sessionMode.mode === 'locked') throw modeRefusal('SESSION_LOCKED', sessionMode);
    }
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
    // A kill switch on the tool or operation stops everything, compensations included.
    const onTool = containment.killSwitchFor({ ...subject, tool: contract.tool, operation: contract.operation });
    if (onTool !== null && (!compensating || onTool.scope === 'tool' || onTool.scope === 'operation')) refuseIfKilled(onTool);
    const isWrite = contract.effect !== 'read';
    let sessionMode: ModeVerdict = compensating ? { mode: 'normal', rule: null } : containment.modeFor(subject);
    if (isWrite && sessionMode.mode === 'read_only') throw modeRefusal('SESSION_READ_ONLY', sessionMode);
    const unavailable = deps.availability?.check(contract) ?? null;
    if (unavailable !== null) throw unavailable;

    // 4. validate
    const problems = deps.argumentsValidator.check(contract, args);
    if (problems.length > 0) {
      const summary = problems.map((problem) => `${problem.path || '(arguments)'} ${problem.message}`).join('; ');
      throw new InterlockError('ARGUMENTS_INVALID', `arguments of ${contract.qualifiedName} are invalid: ${summary}`, { problems });
    }

    // Exactly once: the same key with the same action returns the first outcome; with another action it is a conflict.
    const hash = actionHash({
      tenant: agent.tenant,
      agentId: agent.agentId,
      actingFor: principal.actingFor === null ? null : { userId: principal.actingFor.userId, issuer: principal.actingFor.issuer },
      tool: contract.tool,
      operation: contract.operation,
      arguments: args,
    });
    const idempotencyKey = this.#idempotencyKey(request, state, hash, isWrite);
    state.idempotencyKey = idempotencyKey;
    const scopeKey = idempotencyKey === null ? null : `${agent.tenant}/${agent.agentId}/${idempotencyKey}`;
    if (scopeKey !== null && mode === 'execute') {
      const earlier = await deps.idempotency.getIdempotencyRecord(scopeKey);
      if (earlier !== null) return this.#duplicate(state, contract, args, hash, earlier, request);
    }

    // 5. assess: what entered this session (taint, injection), loops, reported confidence. A
    // runbook may downgrade the session here; the mode is read again afterwards.
    const entities = extractEntities(contract, args);
    let risk: RiskContext = { score: 0, taintedArgs: [] };
    if (
      request.confidence !== undefined &&
      (typeof request.confidence !== 'number' || !(request.confidence >= 0 && request.confidence <= 1))
    ) {
      throw new InterlockError('REQUEST_INVALID', 'confidence must be a number from 0 to 1');
    }
    if (deps.risk !== undefined && request.sessionId !== undefined && !compensating) {
      const assessment = await deps.risk.assess({
        tenant: agent.tenant,
        agentId: agent.agentId,
        sessionId: request.sessionId,
        traceId: state.traceId,
        callId: state.callId,
        arguments: args,
        isWrite,
        actionHash: hash,
        confidence: request.confidence,
      });
      risk = assessment.risk;
      if (assessment.escalations.length > 0) {
        sessionMode = deps.containment.rules()?.modeFor(subject) ?? sessionMode;
        if (sessionMode.mode === 'locked') throw modeRefusal('SESSION_LOCKED', sessionMode);
        if (isWrite && sessionMode.mode === 'read_only') throw modeRefusal('SESSION_READ_ONLY', sessionMode);
      }
    } else if (request.confidence !== undefined) {
      risk = { ...risk, confidence: Math.round(request.confidence * 100) };
    }
    const citationsRequired = contract.citations === 'required';
    if (request.citations !== undefined || citationsRequired) {
      const check = await this.#checkCitations(request.citations ?? [], state.traceId, agent.tenant, agent.agentId);
      const raised = citationSignals(check, citationsRequired);
      risk = {
        ...risk,
        citations: check,
        signals: [...new Set([...(risk.signals ?? []), ...raised])].sort(),
        score: raised.length > 0 ? Math.max(risk.score, 70) : risk.score,
      };
    }
    const anomalies = compensating || deps.risk === undefined ? [] : deps.risk.anomalies(agent.tenant, agent.agentId, contract.costUsd);
    if (anomalies.length > 0) {
      risk = { ...risk, score: Math.max(risk.score, 40), signals: [...(risk.signals ?? []), ...anomalies].sort() };
    }

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
    const effective = requireCitations(
      explainRisk(applyMode(applyReadOnly(decision, contract), contract, sessionMode, deps.elevatedRole), risk),
      contract,
      risk,
    );
    state.decision = summarise(effective);
    // Entities are counted, not listed: their values are arguments, already in call.received where
    // configured redaction applies to them.
    this.#record(state, 'decision.made', {
      ...state.decision,
      effect: contract.effect,
      errors: effective.errors,
      entityCount: entities.length,
      stage: agent.stage,
      ...(sessionMode.mode === 'normal' ? {} : { mode: sessionMode.mode, modeRuleId: sessionMode.rule?.id ?? null }),
      ...((risk.signals ?? []).length === 0 ? {} : { riskScore: risk.score, riskSignals: risk.signals }),
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

    // 8. approve: a durable request bound to this exact action; the call runs once it is granted.
    let approvalToUse: ApprovalRecord | null = null;
    if (effective.kind === 'require_approval') {
      // A duplicate that read the key before the first call claimed it may find the approval used
      // by that call: it joins the first call rather than open a new request.
      const joinFirst = async (): Promise<CallOutcome | null> => {
        if (scopeKey === null || mode !== 'execute') return null;
        const first = await deps.idempotency.getIdempotencyRecord(scopeKey);
        return first === null ? null : this.#duplicate(state, contract, args, hash, first, request);
      };
      const approval = await this.#approval(state, request, contract, args, hash, effective, entities, idempotencyKey, joinFirst);
      if (approval.kind === 'answer') return approval.outcome;
      approvalToUse = approval.record;
    }
    if (mode === 'evaluate') return this.#finish(state, 'evaluated', {});

    // 7. bound: rate limits, then blast-radius caps.
    await this.#bound(state, contract, request, entities.length);

    // 9. execute once. The key is claimed durably first: a duplicate arriving now, or after a
    // crash, finds it and never runs the operation a second time.
    if (scopeKey !== null && idempotencyKey !== null) {
      const now = this.#now();
      const claimed = await deps.idempotency.claimIdempotencyKey({
        scopeKey,
        tenant: agent.tenant,
        agentId: agent.agentId,
        actionHash: hash,
        tool: contract.tool,
        operation: contract.operation,
        state: 'running',
        callId: state.callId,
        traceId: state.traceId,
        outcome: null,
        createdAt: new Date(now).toISOString(),
        updatedAt: new Date(now).toISOString(),
        expiresAt: new Date(now + deps.idempotencyTtlMs).toISOString(),
      });
      if (claimed !== null) return this.#duplicate(state, contract, args, hash, claimed, request);
      state.claimedKey = scopeKey;
    }
    if (approvalToUse !== null) {
      if (!(await deps.approvals.consume(approvalToUse.id, state.callId))) {
        throw new InterlockError('APPROVAL_CLOSED', 'the approval was already used by another call; an approval runs one action once', {
          approvalId: approvalToUse.id,
        });
      }
      state.approval = { ...approvalSummary(approvalToUse), status: 'consumed' };
    }
    // In durable mode the intent of a write is on disk before the side effect happens.
    if (isWrite && deps.durability === 'durable') await deps.audit.flush();
    const executionStartedAt = performance.now();
    const limit = deadline(request.signal ?? NEVER_ABORTED, this.#deadlineMs(contract));
    let execution: Awaited<ReturnType<Executor['execute']>>;
    state.executing = true;
    try {
      execution = await deps.executor.execute(contract, args, {
        callId: state.callId,
        traceId: state.traceId,
        idempotencyKey: state.idempotencyKey,
        agentId: agent.agentId,
        tenant: agent.tenant,
        actingForUserId: principal.actingFor?.userId ?? null,
        signal: limit.signal,
        onProgress: request.onProgress,
      });
    } finally {
      limit.dispose();
    }
    // From here on the side effect may have happened: whatever goes wrong, the answer never says
    // "refused", and a write is never reported as safe to retry.
    const retryIsUnsafe = isWrite && !contract.idempotent;
    let compensation: CompensationRecord | null = null;
    try {
      const durationMs = round(performance.now() - executionStartedAt);
      if (!execution.ok) {
        const error = retryIsUnsafe ? { ...execution.error.toData(), retryable: false } : execution.error.toData();
        this.#record(state, 'tool.failed', { outcome: execution.outcome, error, durationMs });
        const outcome = await this.#finish(state, 'failed', { error, outcome: execution.outcome });
        // Unknown stays unknown. A failure that proves nothing was sent (the upstream was unavailable,
        // the breaker open) frees the key; any other failure is the key's first outcome.
        const settle = execution.outcome === 'unknown' ? 'unknown' : NOTHING_SENT.has(execution.error.code) ? 'release' : 'completed';
        await this.#settleKey(state, settle, outcome);
        return outcome;
      }

      // 10. govern the output: plain JSON only, secrets stripped, obligation fields redacted.
      const plain = jsonResult(execution.result);
      const governed = deps.outputRedaction.redactResult(plain, effective.obligations.redactFields);
      this.#record(state, 'tool.executed', { durationMs, result: governed.value, redactedFromResult: governed.redactedPaths });
      // What the tool returned is now in the session: label it with the operation's trust.
      if (deps.risk !== undefined && request.sessionId !== undefined) {
        await deps.risk
          .observeOutput({
            tenant: agent.tenant,
            agentId: agent.agentId,
            sessionId: request.sessionId,
            traceId: state.traceId,
            trust: contract.contentTrust,
            sourceId: contract.qualifiedName,
            result: governed.value,
          })
          .catch(() => undefined);
      }

      // 11. record: the outcome, and how to undo it. The compensation is stored in the commit that
      // settles the key, after the outcome's events: a key is never completed without it, and a
      // crash before that commit leaves the key running (read as unknown later).
      compensation = isWrite ? this.#compensationFor(state, contract, args, plain, request) : null;
      const outcome = await this.#finish(state, 'executed', { result: governed.value, costUsd: contract.costUsd });
      await this.#settleKey(state, 'completed', outcome, compensation);
      return outcome;
    } catch (error) {
      // The write ran but its settlement did not commit: the key stays running (unknown to a
      // retry), and the undo is still registered if the store takes it.
      if (compensation !== null) await deps.idempotency.settleWrite({ compensation, key: null }).catch(() => undefined);
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

  /** One attempt's timeout plus a margin; for operations the executor may retry, every attempt and its backoff. */
  #deadlineMs(contract: OperationContract): number {
    const budget = this.#deps.retryBudget;
    const retryable = contract.effect === 'read' || (contract.effect === 'write' && contract.idempotent);
    if (budget === undefined || !retryable || budget.attempts <= 1) return contract.timeoutMs + 1000;
    return (contract.timeoutMs + budget.maxDelayMs) * budget.attempts + 1000;
  }

  /** Each cited id against the citations handed out in this trace, to this tenant and agent. */
  async #checkCitations(cited: readonly unknown[], traceId: string, tenant: string, agentId: string): Promise<CitationCheck> {
    if (!Array.isArray(cited) || cited.length > 100 || cited.some((id) => typeof id !== 'string' || !isValidExternalId(id))) {
      throw new InterlockError('REQUEST_INVALID', 'citations is a list of at most 100 citation ids');
    }
    const handedOut =
      cited.length === 0 || this.#deps.citations === undefined ? [] : await this.#deps.citations.citationsForTrace(traceId, tenant);
    const byId = new Map(handedOut.filter((citation) => citation.agentId === agentId).map((citation) => [citation.citationId, citation]));
    const check = { cited: 0, valid: 0, stale: 0, quarantined: 0, unknown: 0 };
    for (const id of new Set(cited as string[])) {
      check.cited += 1;
      const citation = byId.get(id);
      if (citation === undefined) check.unknown += 1;
      else if (citation.quarantined) check.quarantined += 1;
      else if (citation.stale) check.stale += 1;
      else check.valid += 1;
    }
    return check;
  }

  #checkExternalIds(request: CallRequest): void {
    const ids: Array<[string, string | undefined]> = [
      ['traceId', request.traceId],
      ['sessionId', request.sessionId],
      ['idempotencyKey', request.idempotencyKey],
      ['approvalId', request.approvalId],
    ];
    for (const [name, value] of ids) {
      if (value !== undefined && (typeof value !== 'string' || !this.#acceptableId(value))) {
        throw new InterlockError(
          'REQUEST_INVALID',
          `${name} must be 1-128 characters of A-Z a-z 0-9 . _ : - and must not carry a credential`,
        );
      }
    }
  }

  /** The key a call is governed under: given, derived on request, or none (reads need none). */
  #idempotencyKey(request: CallRequest, state: CallState, hash: string, isWrite: boolean): string | null {
    if (request.idempotencyKey !== undefined) return request.idempotencyKey;
    if (request.compensationOf !== undefined) return `compensation:${request.compensationOf}`;
    // Reads are never deduplicated behind the caller's back: a derived key applies to writes only.
    if (!isWrite) return null;
    if (request.deriveIdempotencyKey === true) {
      const scope = !state.traceGenerated
        ? `trace:${state.traceId}`
        : request.sessionId !== undefined
          ? `session:${request.sessionId}`
          : null;
      if (scope === null) {
        throw new InterlockError(
          'IDEMPOTENCY_KEY_REQUIRED',
          'a derived idempotency key needs a trace id or a session id to be derived from',
        );
      }
      return derivedIdempotencyKey(scope, hash);
    }
    if (!this.#deps.requireIdempotencyKey) return null;
    throw new InterlockError(
      'IDEMPOTENCY_KEY_REQUIRED',
      `${state.contract?.qualifiedName ?? 'this operation'} is a ${state.contract?.effect ?? 'write'} operation: send an idempotency key (or opt in to a derived one) so that a retry cannot run it twice`,
    );
  }

  /**
   * A call whose key was used before: the same action gets the first outcome (waiting for it while
   * the first call still runs), another action a conflict. Nothing runs again.
   */
  async #duplicate(
    state: CallState,
    contract: OperationContract,
    args: Readonly<Record<string, unknown>>,
    hash: string,
    first: IdempotencyRecord,
    request: CallRequest,
  ): Promise<CallOutcome> {
    if (first.actionHash !== hash) {
      throw new InterlockError(
        'IDEMPOTENCY_CONFLICT',
        `idempotency key "${state.idempotencyKey ?? ''}" was already used for a different action (${first.tool}.${first.operation})`,
        { firstCallId: first.callId },
      );
    }
    let record = first;
    // The first call finishes within its deadline; past that (plus a grace) its process has died.
    const settleBy = Date.parse(record.createdAt) + this.#deadlineMs(contract) + RUNNING_GRACE_MS;
    while (record.state === 'running' && this.#now() < settleBy && request.signal?.aborted !== true) {
      await sleep(DUPLICATE_POLL_MS);
      record = (await this.#deps.idempotency.getIdempotencyRecord(record.scopeKey)) ?? record;
    }
    if (record.state === 'completed' && record.outcome !== null) {
      const firstOutcome = JSON.parse(record.outcome) as CallOutcome;
      this.#record(state, 'call.replayed', {
        firstCallId: record.callId,
        status: firstOutcome.status,
        tool: contract.tool,
        operation: contract.operation,
      });
      await this.#acknowledge();
      this.#deps.observer.callFinished(firstOutcome.status, contract.tool, firstOutcome.error?.code ?? null, 0);
      return { ...firstOutcome, replayed: true, idempotencyKey: state.idempotencyKey ?? undefined } as CallOutcome;
    }
    if (record.state === 'running' && this.#now() < settleBy) {
      throw new InterlockError('IDEMPOTENCY_IN_PROGRESS', 'a call with this idempotency key is still running; retry to get its outcome', {
        firstCallId: record.callId,
      });
    }
    // Unknown: the first call may or may not have acted. A declared status check can tell.
    const checked = await this.#statusCheck(state, contract, args);
    if (checked !== null) return checked;
    throw new InterlockError(
      'OUTCOME_UNKNOWN',
      `an earlier ${contract.qualifiedName} call with this idempotency key may or may not have taken effect; it is not run again until an operator resolves it`,
      { firstCallId: record.callId, firstTraceId: record.traceId },
    );
  }

  /** Runs the operation's status check; an answer other than null means the write took effect. */
  async #statusCheck(state: CallState, contract: OperationContract, args: Readonly<Record<string, unknown>>): Promise<CallOutcome | null> {
    const check = contract.statusCheck;
    const agent = state.principal?.agent;
    if (check === null || agent === undefined) return null;
    const checkContract = this.#deps.registry.resolve(contract.tool, check.operation);
    const derived = deriveArguments(check, { arguments: args, result: null, idempotencyKey: state.idempotencyKey ?? null });
    if (checkContract === undefined || !derived.ok) return null;
    const limit = deadline(NEVER_ABORTED, checkContract.timeoutMs);
    try {
      const answer = await this.#deps.executor.execute(checkContract, derived.value, {
        callId: state.callId,
        traceId: state.traceId,
        agentId: agent.agentId,
        tenant: agent.tenant,
        actingForUserId: state.principal?.actingFor?.userId ?? null,
        signal: limit.signal,
      });
      if (!answer.ok || answer.result === null || answer.result === undefined) return null;
      const governed = this.#deps.outputRedaction.redactResult(jsonResult(answer.result), []);
      this.#record(state, 'call.replayed', {
        resolvedBy: 'statusCheck',
        statusCheck: check.operation,
        tool: contract.tool,
        operation: contract.operation,
      });
      return await this.#finish(state, 'executed', { result: governed.value });
    } finally {
      limit.dispose();
    }
  }

  /**
   * Stores the first outcome under the claimed key (with the write's compensation, in one commit),
   * marks it unknown, or releases it when nothing ran.
   */
  async #settleKey(
    state: CallState,
    how: 'completed' | 'unknown' | 'release',
    outcome: CallOutcome,
    compensation: CompensationRecord | null = null,
  ): Promise<void> {
    const scopeKey = state.claimedKey;
    state.claimedKey = null;
    if (how === 'release') {
      if (scopeKey !== null) await this.#deps.idempotency.releaseIdempotencyKey(scopeKey, state.callId);
      return;
    }
    if (scopeKey === null && compensation === null) return;
    await this.#deps.idempotency.settleWrite({
      compensation,
      key:
        scopeKey === null
          ? null
          : { scopeKey, callId: state.callId, state: how, outcome: JSON.stringify(outcome), at: new Date(this.#now()).toISOString() },
    });
  }

  /** Finds or opens the approval for this exact action; answers unless it is granted. */
  async #approval(
    state: CallState,
    request: CallRequest,
    contract: OperationContract,
    args: Readonly<Record<string, unknown>>,
    hash: string,
    decision: Decision,
    entities: readonly string[],
    idempotencyKey: string | null,
    joinFirst: () => Promise<CallOutcome | null>,
  ): Promise<{ kind: 'answer'; outcome: CallOutcome } | { kind: 'granted'; record: ApprovalRecord }> {
    const deps = this.#deps;
    const agent = state.principal?.agent;
    if (agent === undefined) throw new InterlockError('INTERNAL', 'approval step reached without a principal');
    const binding = approvalBinding(hash, decision.bundleVersion);
    let record: ApprovalRecord | null;
    if (request.approvalId !== undefined) {
      record = await deps.approvals.get(request.approvalId);
      if (record === null || record.tenant !== agent.tenant || record.agentId !== agent.agentId) {
        throw new InterlockError('APPROVAL_MISMATCH', 'no approval with this id was requested by this agent');
      }
    } else {
      record = await deps.approvals.find(agent.tenant, agent.agentId, binding, idempotencyKey);
      // A decided request is final for its key; for the same action without a key, ask again.
      const byKey = record !== null && idempotencyKey !== null && record.idempotencyKey === idempotencyKey;
      if (record !== null && !byKey && (record.status === 'denied' || record.status === 'expired')) record = null;
    }
    if (record !== null && record.actionHash !== binding) {
      throw new InterlockError(
        'APPROVAL_MISMATCH',
        'the approval was granted for a different action: the arguments, the user, the agent or the policy version changed since',
        { approvalId: record.id },
      );
    }
    if (record === null || record.status === 'consumed') {
      const joined = await joinFirst();
      if (joined !== null) return { kind: 'answer', outcome: joined };
    }
    if (record !== null && record.status === 'consumed') {
      throw new InterlockError('APPROVAL_CLOSED', 'the approval was already used; an approval runs one action once', {
        approvalId: record.id,
      });
    }
    if (record === null) {
      const obligation = decision.obligations.approval;
      const redactFields = decision.obligations.redactFields;
      record = await deps.approvals.request({
        tenant: agent.tenant,
        agentId: agent.agentId,
        actingForUserId: state.principal?.actingFor?.userId ?? null,
        binding,
        idempotencyKey,
        tool: contract.tool,
        operation: contract.operation,
        role: obligation?.role ?? 'approver',
        quorum: obligation?.quorum ?? 1,
        details: {
          traceId: state.traceId,
          sessionId: request.sessionId ?? null,
          callId: state.callId,
          effect: contract.effect,
          arguments: deps.outputRedaction.redactResult(args, redactFields).value,
          reasons: decision.reasons,
          policyIds: decision.policyIds,
          bundleVersion: decision.bundleVersion,
          entities,
          costUsd: contract.costUsd,
          evidence: request.evidence === undefined ? null : deps.outputRedaction.redactResult(jsonResult(request.evidence), []).value,
          dryRun: await this.#dryRun(state, contract, args, redactFields),
        },
      });
    }
    state.approval = approvalSummary(record);
    const summary = state.approval;
    if (record.status === 'approved') return { kind: 'granted', record };
    if (record.status === 'pending') {
      const outcome = await this.#finish(state, 'approval_required', {
        error: new InterlockError(
          'APPROVAL_REQUIRED',
          `${contract.qualifiedName} needs approval by ${summary.quorum > 1 ? `${summary.quorum} holders` : 'a holder'} of role "${summary.approverRole}" (approval ${summary.id}, pending until ${summary.expiresAt}): ${decision.reasons.join('; ') || 'policy requires approval'}. Retry with the same idempotency key, or poll the approval, to get the outcome.`,
          { approvalId: summary.id, approverRole: summary.approverRole, quorum: summary.quorum, expiresAt: summary.expiresAt },
        ).toData(),
      });
      return { kind: 'answer', outcome };
    }
    const expired = record.status === 'expired';
    const outcome = await this.#finish(state, 'denied', {
      error: new InterlockError(
        expired ? 'APPROVAL_EXPIRED' : 'APPROVAL_DENIED',
        expired
          ? `the approval request ${record.id} for ${contract.qualifiedName} expired before it was decided; it ends as denied`
          : `an approver denied ${contract.qualifiedName} (approval ${record.id})`,
        { approvalId: record.id },
      ).toData(),
    });
    return { kind: 'answer', outcome };
  }

  /** The tool's own preview of the change, for approvers; null when it offers none or it fails. */
  async #dryRun(
    state: CallState,
    contract: OperationContract,
    args: Readonly<Record<string, unknown>>,
    redactFields: readonly string[],
  ): Promise<unknown> {
    const agent = state.principal?.agent;
    const preview = contract.dryRun === null ? undefined : this.#deps.registry.resolve(contract.tool, contract.dryRun);
    if (preview === undefined || agent === undefined) return null;
    const limit = deadline(NEVER_ABORTED, preview.timeoutMs);
    try {
      const answer = await this.#deps.executor.execute(preview, args, {
        callId: state.callId,
        traceId: state.traceId,
        agentId: agent.agentId,
        tenant: agent.tenant,
        actingForUserId: state.principal?.actingFor?.userId ?? null,
        signal: limit.signal,
      });
      if (!answer.ok) return { unavailable: answer.error.code };
      return this.#deps.outputRedaction.redactResult(jsonResult(answer.result), redactFields).value;
    } finally {
      limit.dispose();
    }
  }

  /**
   * How to undo an executed write (or that it cannot be undone), recorded as an event now and
   * stored when the call settles its key.
   */
  #compensationFor(
    state: CallState,
    contract: OperationContract,
    args: Readonly<Record<string, unknown>>,
    result: unknown,
    request: CallRequest,
  ): CompensationRecord | null {
    const agent = state.principal?.agent;
    if (agent === undefined || request.compensationOf !== undefined) return null;
    let compensation: string | null = null;
    let status: 'pending' | 'irreversible' = 'irreversible';
    let missing: string | null = null;
    if (contract.compensation !== null) {
      const derived = deriveArguments(contract.compensation, { arguments: args, result, idempotencyKey: state.idempotencyKey ?? null });
      if (derived.ok) {
        status = 'pending';
        compensation = JSON.stringify({
          tool: contract.tool,
          operation: contract.compensation.operation,
          arguments: this.#deps.outputRedaction.redactResult(derived.value, []).value,
        });
      } else {
        missing = derived.missing;
      }
    }
    const at = new Date(this.#now()).toISOString();
    this.#record(state, 'compensation.registered', {
      status,
      compensatingOperation: contract.compensation === null ? null : `${contract.tool}.${contract.compensation.operation}`,
      ...(missing === null ? {} : { missing }),
    });
    return {
      callId: state.callId,
      ordinal: this.#nextOrdinal(),
      tenant: agent.tenant,
      agentId: agent.agentId,
      traceId: state.traceId,
      sessionId: request.sessionId ?? null,
      tool: contract.tool,
      operation: contract.operation,
      executedAt: at,
      status,
      compensation,
      compensatedByCall: null,
      updatedAt: at,
    };
  }

  /** Increases within this process and with time across restarts: orders one agent's calls. */
  #nextOrdinal(): number {
    const candidate = this.#now() * 1000;
    this.#lastOrdinal = Math.max(candidate, this.#lastOrdinal + 1);
    return this.#lastOrdinal;
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
    // A compensation undoes a write an operator chose to roll back: it is not new blast radius, and
    // caps sized for an agent's own work must not stop a rollback halfway.
    if (request.compensationOf !== undefined) return;
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
    if (status === 'denied') this.#countDenied(state);
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
      ...(state.approval === null ? {} : { approval: state.approval }),
      ...(state.idempotencyKey === null ? {} : { idempotencyKey: state.idempotencyKey }),
    };
    return outcome;
  }

  #countDenied(state: CallState): void {
    const agent = state.principal?.agent;
    if (agent !== undefined) this.#deps.risk?.denied(agent.tenant, agent.agentId);
  }

  async #finishRefused(state: CallState, refusal: InterlockError): Promise<CallOutcome> {
    this.#countDenied(state);
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
      ...(state.approval === null ? {} : { approval: state.approval }),
      ...(state.idempotencyKey === null ? {} : { idempotencyKey: state.idempotencyKey }),
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

/**
 * An `elevated` session, agent or tenant needs a human for every write: an allowed write becomes
 * an approval request (a stricter policy answer stands).
 */
function applyMode(decision: Decision, contract: OperationContract, mode: ModeVerdict, elevatedRole: string): Decision {
  if (mode.mode !== 'elevated' || contract.effect === 'read' || decision.kind !== 'allow') return decision;
  return {
    ...decision,
    kind: 'require_approval',
    reasons: [
      ...decision.reasons,
      `${mode.rule?.scope ?? 'session'} is in elevated mode: writes need approval (${mode.rule?.reason ?? ''})`,
    ],
    obligations: { ...decision.obligations, approval: { role: elevatedRole, quorum: 1 } },
  };
}

/** When untrusted content supplied arguments, the decision says which, and where they came from. */
function explainRisk(decision: Decision, risk: RiskContext): Decision {
  if (risk.taintedArgs.length === 0 || decision.kind === 'allow') return decision;
  const sources = (risk.taintSources ?? []).join(', ') || 'untrusted content';
  return {
    ...decision,
    reasons: [
      ...decision.reasons,
      `argument ${risk.taintedArgs.join(', ')} carries values from untrusted content in this session (${sources})`,
    ],
  };
}

function citationSignals(check: CitationCheck, required: boolean): string[] {
  const signals: string[] = [];
  if (required && check.valid === 0) signals.push('citation_missing');
  if (check.stale > 0) signals.push('citation_stale');
  if (check.quarantined > 0) signals.push('citation_quarantined');
  if (check.unknown > 0) signals.push('citation_unknown');
  return signals;
}

/**
 * An operation that requires citations does not run on policy's plain allow without valid ones:
 * policy may ask for approval on the `citation_*` signals; otherwise the call is denied.
 */
function requireCitations(decision: Decision, contract: OperationContract, risk: RiskContext): Decision {
  if (contract.citations !== 'required' || decision.kind !== 'allow') return decision;
  const check = risk.citations;
  const problems =
    check === undefined || check.valid === 0
      ? ['it cites no chunk retrieved in this trace that is fresh and from a source in good standing']
      : check.stale + check.quarantined + check.unknown > 0
        ? [`it cites ${check.stale} stale, ${check.quarantined} quarantined and ${check.unknown} unknown chunk(s)`]
        : [];
  if (problems.length === 0) return decision;
  return {
    ...decision,
    kind: 'deny',
    reasons: [...decision.reasons, `${contract.qualifiedName} requires citations: ${problems.join('; ')}`],
  };
}

function refuseIfKilled(rule: ContainmentRule | null): void {
  if (rule === null) return;
  throw new InterlockError(
    'KILL_SWITCH_ACTIVE',
    `a kill switch stops tool execution for ${rule.scope === 'fleet' ? 'the whole fleet' : `${rule.scope} ${rule.target}`} (set by ${rule.setBy} at ${rule.setAt}: ${rule.reason})`,
    { ruleId: rule.id, scope: rule.scope, target: rule.target },
  );
}

function modeRefusal(code: 'SESSION_LOCKED' | 'SESSION_READ_ONLY', verdict: ModeVerdict): InterlockError {
  const where = verdict.rule === null ? 'the session' : `${verdict.rule.scope} ${verdict.rule.target}`;
  const what = code === 'SESSION_LOCKED' ? 'is locked: every call is refused' : 'is read-only: writes are refused, reads still run';
  return new InterlockError(code, `${where} ${what} (${verdict.rule?.reason ?? 'no reason given'})`, {
    mode: verdict.mode,
    ruleId: verdict.rule?.id ?? null,
  });
}

function approvalSummary(record: ApprovalRecord): ApprovalSummary {
  return { id: record.id, status: record.status, approverRole: record.role, quorum: record.quorum, expiresAt: record.expiresAt };
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
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

/** The parent of deadlines that no caller can cut short. */
const NEVER_ABORTED = new AbortController().signal;

function round(milliseconds: number): number {
  return Math.round(milliseconds * 1000) / 1000;
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
