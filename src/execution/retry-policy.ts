/**
 * Which failed executions say something about an upstream's health, which may be tried again,
 * and how long to wait before the next attempt. Pure: values in, values out.
 *
 * Health, read from how the adapters classify their failures (http-executor.ts,
 * mcp/call-failure.ts, in-process-executor.ts):
 * - unhealthy: no answer (outcome `unknown`: timeout, connection lost after sending),
 *   `UPSTREAM_TIMEOUT`, `UPSTREAM_UNAVAILABLE` (nothing could be sent), an HTTP 5xx answer, and an
 *   `UPSTREAM_FAILED` from an HTTP or MCP upstream that carries neither an HTTP status nor a
 *   JSON-RPC code. The HTTP adapter gives a transport failure of a read no detail at all, which
 *   is also how it reports an unreadable or non-JSON body and how the MCP client reports an answer
 *   that breaks the protocol's schema: all are counted, as an upstream answering garbage is not
 *   healthy either.
 * - healthy: the upstream answered, even with an error of its own. An HTTP status below 500
 *   (404, 409, 422, 429...), a JSON-RPC error from an MCP server, and an in-process handler that
 *   threw are business answers: they depend on the arguments, so counting them would let one
 *   agent open a circuit for everyone by sending calls the upstream rejects.
 * - no signal: the caller cancelled (its signal aborted with anything but a `TimeoutError`, or
 *   the adapter marked the failure `cancelled`), and failures raised before anything left
 *   (`HANDLER_MISSING`, `ARGUMENTS_INVALID`, `CIRCUIT_OPEN`, `INTERNAL`...).
 *
 * Retries: only operations whose repetition changes nothing — reads, and writes declared
 * idempotent; never a non-idempotent write nor a destructive operation, whatever it declares.
 * Only transient failures are retried: `UPSTREAM_UNAVAILABLE`, transport failures and HTTP
 * 502/503/504 behind `UPSTREAM_FAILED`, and `UPSTREAM_TIMEOUT` for reads only (a slow write is
 * not made faster by sending it again). `CIRCUIT_OPEN` is never retried: it fails fast.
 */
import type { ExecutionResult } from './executor.js';
import type { OperationContract } from '../registry/contract.js';
import type { UpstreamHealth } from './circuit-breaker.js';

export type ExecutionFailure = Extract<ExecutionResult, { ok: false }>;

export interface FailureAssessment {
  /** What the failure says about the upstream, for its circuit breaker. */
  readonly health: UpstreamHealth;
  /** Whether the same call may succeed if sent again soon (the operation's own safety is checked apart). */
  readonly transient: boolean;
}

/** HTTP answers that say "try again": a gateway or the server itself is briefly unable to serve. */
const TRANSIENT_HTTP_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

export interface BackoffOptions {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Whether sending this operation more than once is safe. */
export function operationMayBeRetried(contract: Pick<OperationContract, 'effect' | 'idempotent'>): boolean {
  return contract.effect === 'read' || (contract.effect === 'write' && contract.idempotent);
}

/** Whether an abort reason is a deadline rather than a caller giving up. */
export function isDeadlineReason(reason: unknown): boolean {
  return (reason instanceof Error || reason instanceof DOMException) && reason.name === 'TimeoutError';
}

export function assessFailure(
  contract: Pick<OperationContract, 'effect' | 'upstream'>,
  failure: ExecutionFailure,
  signal: AbortSignal,
): FailureAssessment {
  const { error, outcome } = failure;
  const details = error.details ?? {};
  if ((signal.aborted && !isDeadlineReason(signal.reason)) || details['cancelled'] === true) {
    return { health: 'no_signal', transient: false };
  }
  switch (error.code) {
    case 'UPSTREAM_UNAVAILABLE':
      return { health: 'unhealthy', transient: true };
    case 'UPSTREAM_TIMEOUT':
      return { health: 'unhealthy', transient: contract.effect === 'read' };
    case 'UPSTREAM_FAILED': {
      const status = details['upstreamStatus'];
      if (typeof status === 'number') {
        return status >= 500
          ? { health: 'unhealthy', transient: TRANSIENT_HTTP_STATUSES.has(status) }
          : { health: 'healthy', transient: false };
      }
      if (outcome === 'unknown') return { health: 'unhealthy', transient: true };
      if (typeof details['upstreamCode'] === 'number' || contract.upstream.kind === 'in_process') {
        return { health: 'healthy', transient: false };
      }
      return { health: 'unhealthy', transient: true };
    }
    default:
      // An adapter that sent the call and got no answer, whatever code it chose.
      return outcome === 'unknown' ? { health: 'unhealthy', transient: false } : { health: 'no_signal', transient: false };
  }
}

/**
 * How long to wait after the `failedAttempts`-th attempt failed: "full jitter", a uniform draw
 * between zero and the exponential ceiling `baseDelayMs · 2^(failedAttempts − 1)`, capped at
 * `maxDelayMs`, so that callers failing together do not come back together.
 */
export function backoffDelay(failedAttempts: number, options: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1));
  const draw = random();
  // A random source outside [0, 1) must not stretch the wait past the ceiling.
  const unit = Number.isFinite(draw) ? Math.min(Math.max(draw, 0), 1) : 0;
  return Math.floor(unit * ceiling);
}
