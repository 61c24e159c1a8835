import type { AuditEventInput } from '../audit/event.js';
import type { InterlockError } from '../errors/interlock-error.js';
import type { OperationContract } from '../registry/contract.js';
import type { Credential, Principal } from '../identity/principal.js';
import type { Decision, PolicyRequest } from '../policy/decision.js';
import type { CounterIncrement } from '../store/store.js';

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

/** `shadowed`: the agent is in the shadow stage; the decision was recorded and nothing ran. */
export type CallStatus = 'executed' | 'shadowed' | 'denied' | 'approval_required' | 'refused' | 'failed';

/** Hooks for metrics and tracing; must not throw. */
export interface KernelObserver {
  callFinished(status: CallStatus, tool: string | null, errorCode: string | null, durationSeconds: number): void;
  decisionMade(kind: Decision['kind'], durationSeconds: number): void;
}
