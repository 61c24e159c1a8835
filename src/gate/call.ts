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
}

const ID_TEXT = /^[A-Za-z0-9._:-]{1,128}$/;

/** Ids supplied by callers end up in counter keys and queries: keep them short and plain. */
export function isValidExternalId(value: string): boolean {
  return ID_TEXT.test(value);
}
