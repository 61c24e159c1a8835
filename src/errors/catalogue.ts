/**
 * The one catalogue of error codes Interlock returns. Codes are stable and never reused;
 * `docs/reference/errors.md` is kept in sync with this table by a test.
 */
export interface ErrorSpec {
  /** HTTP status used by the HTTP door. */
  readonly status: number;
  /** Whether the same request may succeed if retried later unchanged. */
  readonly retryable: boolean;
  /** One-line meaning, shown in the reference documentation. */
  readonly summary: string;
}

export const ERROR_CATALOGUE = {
  // request shape
  BODY_MALFORMED: { status: 400, retryable: false, summary: 'The request body is not valid JSON.' },
  BODY_TOO_LARGE: { status: 413, retryable: false, summary: 'The request body exceeds the configured size limit.' },
  REQUEST_INVALID: { status: 400, retryable: false, summary: 'The request does not match the API schema (missing field, wrong type).' },
  SCHEMA_VERSION_UNSUPPORTED: {
    status: 400,
    retryable: false,
    summary: 'The payload declares a schema version this server does not understand.',
  },
  NOT_FOUND: { status: 404, retryable: false, summary: 'No such route or record.' },

  // authentication and identity
  AUTH_MISSING: { status: 401, retryable: false, summary: 'No bearer token was presented.' },
  AUTH_INVALID: { status: 401, retryable: false, summary: 'The token is malformed or its signature does not verify.' },
  AUTH_EXPIRED: { status: 401, retryable: false, summary: 'The token has expired or is not valid yet.' },
  AUTH_REVOKED: { status: 401, retryable: false, summary: 'The token, or every token of its agent, has been revoked.' },
  AUTH_WRONG_ENVIRONMENT: { status: 401, retryable: false, summary: 'The token was minted for another environment.' },
  AGENT_UNKNOWN: { status: 401, retryable: false, summary: 'The token names an agent that is not configured.' },
  USER_ASSERTION_INVALID: {
    status: 401,
    retryable: false,
    summary: 'The acting-for-user assertion is malformed, expired, or not from a trusted issuer.',
  },
  FORBIDDEN: { status: 403, retryable: false, summary: 'The caller may not read or change this resource.' },
  TENANT_MISMATCH: { status: 403, retryable: false, summary: 'The request crosses a tenant boundary.' },

  // registry and arguments
  TOOL_UNKNOWN: { status: 404, retryable: false, summary: 'The tool is not in the registry (or not available to this tenant).' },
  OPERATION_UNKNOWN: { status: 404, retryable: false, summary: 'The tool has no such operation.' },
  ARGUMENTS_INVALID: { status: 422, retryable: false, summary: 'The arguments do not match the operation schema.' },

  // decision
  POLICY_DENIED: { status: 403, retryable: false, summary: 'Policy denied the action.' },
  APPROVAL_REQUIRED: { status: 202, retryable: false, summary: 'Policy requires a human approval before the action may run.' },
  APPROVAL_DENIED: { status: 403, retryable: false, summary: 'An approver denied the action; it will not run.' },
  APPROVAL_EXPIRED: {
    status: 403,
    retryable: false,
    summary: 'The approval request expired before its quorum was reached; it ends as denied.',
  },
  APPROVAL_MISMATCH: {
    status: 409,
    retryable: false,
    summary: 'The approval was granted for a different action (arguments, user, agent or policy version changed since).',
  },
  APPROVER_NOT_ALLOWED: {
    status: 403,
    retryable: false,
    summary: 'This operator may not decide this approval: missing role, or they requested or benefit from the action.',
  },
  APPROVAL_CLOSED: { status: 409, retryable: false, summary: 'The approval request is already decided, expired or used.' },
  POLICY_BUNDLE_INVALID: {
    status: 422,
    retryable: false,
    summary: 'A policy bundle failed validation or its own tests and was not loaded.',
  },

  // bounds
  RATE_LIMITED: { status: 429, retryable: true, summary: 'A rate limit (per agent, tool or tenant) was hit.' },
  BLAST_RADIUS_EXCEEDED: {
    status: 429,
    retryable: false,
    summary: 'A cap on tool calls, writes or entities per request or session was hit.',
  },

  // execution
  UPSTREAM_TIMEOUT: { status: 504, retryable: true, summary: 'The upstream tool did not answer in time; the outcome is unknown.' },
  UPSTREAM_FAILED: { status: 502, retryable: true, summary: 'The upstream tool returned an error or an unreadable answer.' },
  HANDLER_MISSING: { status: 503, retryable: false, summary: 'An in-process tool has no handler registered in this process.' },
  UPSTREAM_UNAVAILABLE: {
    status: 503,
    retryable: true,
    summary: 'The upstream (e.g. an MCP server) is starting, restarting or down; nothing was sent to it.',
  },
  TOOL_QUARANTINED: {
    status: 409,
    retryable: false,
    summary: "The upstream's tool definition no longer matches its pin; the tool is hidden and refused until an operator re-pins it.",
  },

  // containment
  KILL_SWITCH_ACTIVE: {
    status: 503,
    retryable: false,
    summary: 'A kill switch stops tool execution for this fleet, tenant, agent, tool or operation; nothing was sent upstream.',
  },
  SESSION_LOCKED: { status: 403, retryable: false, summary: 'The session, agent or tenant is in locked mode: every call is refused.' },
  SESSION_READ_ONLY: {
    status: 403,
    retryable: false,
    summary: 'The session, agent or tenant is in read-only mode: writes are refused, reads still run.',
  },

  // exactly-once execution
  IDEMPOTENCY_KEY_REQUIRED: {
    status: 400,
    retryable: false,
    summary: 'A write or destructive operation needs an idempotency key (or the caller opting in to a derived one).',
  },
  IDEMPOTENCY_CONFLICT: {
    status: 409,
    retryable: false,
    summary: 'The idempotency key was already used for a different action.',
  },
  IDEMPOTENCY_IN_PROGRESS: {
    status: 409,
    retryable: true,
    summary: 'A call with the same idempotency key is still running; retry later to get its outcome.',
  },
  OUTCOME_UNKNOWN: {
    status: 409,
    retryable: false,
    summary:
      'An earlier call with this idempotency key may or may not have acted upstream; it is not run again until an operator resolves it.',
  },
  OUTCOME_NOT_UNKNOWN: {
    status: 409,
    retryable: false,
    summary: 'Only a call whose outcome is unknown can be resolved; this one completed, is still running, or was resolved already.',
  },
  CIRCUIT_OPEN: {
    status: 503,
    retryable: true,
    summary: 'The circuit breaker for this upstream is open after repeated failures; nothing was sent to it.',
  },

  // plans and rollback
  PLAN_BLOCKED: {
    status: 409,
    retryable: false,
    summary: 'The plan cannot run: a step is denied or refused, or the plan as a whole exceeds a cap.',
  },
  PLAN_NOT_READY: { status: 409, retryable: true, summary: 'The plan still waits for approvals of one or more steps.' },
  PLAN_CLOSED: { status: 409, retryable: false, summary: 'The plan was already executed, is executing, or failed.' },

  // MCP gateway
  ORIGIN_FORBIDDEN: { status: 403, retryable: false, summary: 'The Origin or Host header is not allowed (DNS-rebinding protection).' },
  MCP_SESSION_UNKNOWN: { status: 404, retryable: false, summary: 'The MCP session id is unknown, expired or belongs to another agent.' },

  // retrieval
  SOURCE_UNKNOWN: {
    status: 404,
    retryable: false,
    summary: "No retrieval source with this id is configured in the caller's tenants.",
  },
  RETRIEVAL_FORBIDDEN: {
    status: 403,
    retryable: false,
    summary: 'No retrieval source is allowlisted for this agent (and task); nothing was searched.',
  },

  // configuration
  CONFIG_INVALID: { status: 500, retryable: false, summary: 'The project configuration is invalid.' },
  SECRET_UNRESOLVED: { status: 500, retryable: false, summary: 'A secret reference could not be resolved.' },

  // service
  AUDIT_UNAVAILABLE: { status: 503, retryable: true, summary: 'Audit events could not be made durable; the call was not acknowledged.' },
  STORE_UNAVAILABLE: { status: 503, retryable: true, summary: 'The store could not be reached.' },
  INTERNAL: { status: 500, retryable: true, summary: 'An unexpected internal error; the request was not acknowledged.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, value);
}
