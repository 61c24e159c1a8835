import type { ErrorData } from '../errors/interlock-error.js';
import type { DecisionKind, Obligations } from '../policy/decision.js';
import type { CallStatus } from './ports.js';

export const CALL_SCHEMA_VERSION = 1;

/** A proposed tool call, as every door hands it to the kernel. */
export interface CallRequest {
  readonly tool: string;
  readonly operation: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  /** Groups the calls made for one user request; per-request caps count by it. */
  readonly traceId?: string | undefined;
  readonly sessionId?: string | undefined;
  /** A signed user assertion (JWT) from a trusted issuer, when the agent acts for a user. */
  readonly actingFor?: string | undefined;
  /** Aborted when the caller gives up (e.g. an MCP client cancels); passed on to the upstream. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Makes a write happen at most once: a retry with the same key returns the first outcome. Scoped
   * to the agent. Writes and destructive operations need one unless `deriveIdempotencyKey` is set.
   */
  readonly idempotencyKey?: string | undefined;
  /** Opt in to a key derived from the trace (or session) and the action: the same action in the same trace runs once. */
  readonly deriveIdempotencyKey?: boolean | undefined;
  /** Run under this approval; it must have been granted for exactly this action. */
  readonly approvalId?: string | undefined;
  /** Supporting material for approvers (e.g. cited sources); recorded with the approval request. */
  readonly evidence?: unknown;
  /**
   * Set only by in-process callers that undo an earlier call (rollback): the call id it compensates.
   * Such calls pass agent and tenant kill switches and modes (they are how an incident is undone),
   * but not a kill switch on the compensating tool or operation itself.
   */
  readonly compensationOf?: string | undefined;
  /** Citation ids of chunks retrieved in this trace that support the action (`POST /v1/retrieve`). */
  readonly citations?: readonly string[] | undefined;
  /** 0..1: how confident the agent (or its model) says it is in this action; low values raise a risk signal. */
  readonly confidence?: number | undefined;
  /** Receives progress the upstream reports while the tool runs. */
  readonly onProgress?: ((update: { progress: number; total?: number | undefined; message?: string | undefined }) => void) | undefined;
}

export interface DecisionSummary {
  readonly kind: DecisionKind;
  readonly reasons: readonly string[];
  readonly policyIds: readonly string[];
  readonly bundleVersion: string;
  readonly obligations: Obligations;
}

/** The kernel's answer. Every status carries the ids needed to find the evidence. */
export interface CallOutcome {
  readonly schemaVersion: typeof CALL_SCHEMA_VERSION;
  readonly status: CallStatus;
  readonly callId: string;
  readonly traceId: string;
  readonly decision: DecisionSummary | null;
  readonly result?: unknown;
  readonly error?: ErrorData;
  /** Id of the audit event that closes this call (`call.completed` or `call.refused`). */
  readonly auditEventId: string;
  /** The approval request this call waits for, was refused by, or ran under. */
  readonly approval?: ApprovalSummary;
  /** True when this answer repeats the first outcome of the same idempotency key; nothing ran again. */
  readonly replayed?: boolean;
  /** The idempotency key the call was governed under (given or derived). */
  readonly idempotencyKey?: string;
  /** Set when an operator settled an unknown outcome as executed (`interlock calls resolve`); the upstream's answer is not known. */
  readonly resolution?: OperatorResolution;
}

export interface OperatorResolution {
  readonly resolvedAs: 'executed';
  readonly resolvedBy: string;
  readonly reason: string;
  readonly resolvedAt: string;
}

export interface ApprovalSummary {
  readonly id: string;
  readonly status: 'pending' | 'approved' | 'denied' | 'expired' | 'consumed';
  readonly approverRole: string;
  readonly quorum: number;
  readonly expiresAt: string;
}

const ID_TEXT = /^[A-Za-z0-9._:-]{1,128}$/;

/** Ids supplied by callers end up in counter keys and queries: keep them short and plain. */
export function isValidExternalId(value: string): boolean {
  return ID_TEXT.test(value);
}
