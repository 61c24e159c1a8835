import type { AuditEventInput } from '../audit/event.js';
import type { InterlockError } from '../errors/interlock-error.js';
import type { OperationContract } from '../registry/contract.js';
import type { Credential, Principal } from '../identity/principal.js';
import type { Decision, PolicyRequest, RiskContext } from '../policy/decision.js';
import type { ApprovalRecord, CounterIncrement, IdempotencyRecord, WriteSettlement } from '../store/store.js';
import type { ContainmentRules } from '../containment/containment-rules.js';
import type { ApprovalDraft } from '../approvals/approval-service.js';

/**
 * What the kernel needs from the rest of the system, as narrow interfaces. The kernel imports no
 * framework, transport or database: the runtime wires real adapters into these ports.
 */

export interface AuthenticationPort {
  authenticate(credential: Credential, userAssertion: string | undefined): Promise<Principal>;
}

export interface DecisionPort {
  /** Never throws: engine errors come back as a deny with `errors` set. */
  decide(request: PolicyRequest): Decision;
}

export interface AuditPort {
  /** Enqueues an event (redacted inside) and returns its id. */
  record(input: AuditEventInput): string;
  /** Resolves once every event recorded before the call is durable. */
  flush(): Promise<void>;
}

export interface CounterPort {
  incrementCounters(increments: readonly CounterIncrement[]): Promise<number[]>;
}

/**
 * Whether a registered operation may run now, apart from policy: e.g. an MCP tool whose upstream
 * definition drifted from its pin is quarantined. Returns the refusal, or null when available.
 */
export interface AvailabilityPort {
  check(contract: OperationContract): InterlockError | null;
}

/** Redaction of values leaving the kernel (results to the agent). */
export interface OutputRedactionPort {
  redactResult(value: unknown, extraFields: readonly string[]): { value: unknown; redactedPaths: readonly string[] };
}

/** The kill switches and modes in force; null when they could not be loaded (the kernel then refuses). */
export interface ContainmentPort {
  rules(): ContainmentRules | null;
}

/** Durable approval requests (see approvals/approval-service.ts). */
export interface ApprovalPort {
  find(tenant: string, agentId: string, binding: string, idempotencyKey: string | null): Promise<ApprovalRecord | null>;
  get(id: string): Promise<ApprovalRecord | null>;
  request(draft: ApprovalDraft): Promise<ApprovalRecord>;
  consume(id: string, callId: string): Promise<boolean>;
}

/**
 * Idempotency records: claimed durably before a write runs, settled with its first outcome. A
 * write's settlement also registers how to undo it, in the same commit.
 */
export interface IdempotencyPort {
  claimIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord | null>;
  getIdempotencyRecord(scopeKey: string): Promise<IdempotencyRecord | null>;
  settleWrite(settlement: WriteSettlement): Promise<void>;
  releaseIdempotencyKey(scopeKey: string, callId: string): Promise<void>;
}

/** The risk engine as the kernel sees it (risk/risk-service.ts): assess a call, label what it returned. */
export interface RiskPort {
  assess(input: RiskAssessInput): Promise<{ risk: RiskContext; escalations: readonly unknown[] }>;
  /** Counts the call against the agent's recent baseline; returns anomaly signals (rate, deny rate, cost). Synchronous, in memory. */
  anomalies(tenant: string, agentId: string, costUsd: number): string[];
  /** Counts a call that ended denied or refused, for the deny-rate baseline. */
  denied(tenant: string, agentId: string): void;
  /** Records a result entering the session; never fails the call. */
  observeOutput(input: {
    tenant: string;
    agentId: string;
    sessionId: string;
    traceId: string;
    trust: 'trusted' | 'untrusted';
    sourceId: string;
    result: unknown;
  }): Promise<void>;
}

export interface RiskAssessInput {
  readonly tenant: string;
  readonly agentId: string;
  readonly sessionId: string;
  readonly traceId: string;
  readonly callId: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  readonly isWrite: boolean;
  readonly actionHash: string;
  readonly confidence?: number | undefined;
}

/** The citations handed out in a trace (governed retrieval), to check what a call cites. */
export interface CitationPort {
  citationsForTrace(
    traceId: string,
    tenant: string,
  ): Promise<
    ReadonlyArray<{ readonly citationId: string; readonly stale: boolean; readonly quarantined: boolean; readonly agentId: string }>
  >;
}

/**
 * `shadowed`: the agent is in the shadow stage; the decision was recorded and nothing ran.
 * `evaluated`: a plan step was decided (and approvals requested) without running.
 */
export type CallStatus = 'executed' | 'shadowed' | 'evaluated' | 'denied' | 'approval_required' | 'refused' | 'failed';

/** Hooks for metrics and tracing; must not throw. */
export interface KernelObserver {
  callFinished(status: CallStatus, tool: string | null, errorCode: string | null, durationSeconds: number): void;
  decisionMade(kind: Decision['kind'], durationSeconds: number): void;
}
