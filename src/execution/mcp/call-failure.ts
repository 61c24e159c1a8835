import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { $ZodError } from 'zod/v4/core';
import { InterlockError } from '../../errors/interlock-error.js';
import { scrubSecrets } from './upstream-transport.js';

/** Longest upstream error message passed on; the rest is cut. */
export const MAX_UPSTREAM_MESSAGE_CHARS = 300;

export interface CallFailure {
  readonly outcome: 'failed' | 'unknown';
  readonly error: InterlockError;
  /** The connection itself is broken (HTTP session gone, network down): reconnect before the next call. */
  readonly connectionBroken: boolean;
}

/** What was known about the call when it failed. */
export interface CallCircumstances {
  /** Server name, for messages. */
  readonly server: string;
  /** What was asked: `tools/call fs__read_file`, `resources/read`... */
  readonly what: string;
  readonly timeoutMs: number;
  /** The caller's signal fired while the request was in flight; its reason. */
  readonly abortedWith: { readonly reason: unknown } | null;
  /** The transport closed while the request was in flight (a crashed child). */
  readonly connectionLost: boolean;
  /** Secret values of this connection, scrubbed from anything the upstream says. */
  readonly secrets: readonly string[];
}

/**
 * Whether an abort reason means the caller gave up on the call (a client's cancellation) rather
 * than a deadline. Deadlines abort with a `TimeoutError` (AbortSignal.timeout); a plain
 * `abort()` gives an `AbortError`; doors may also pass an Error or a string naming cancellation.
 */
export function isCancellation(reason: unknown): boolean {
  if (reason instanceof Error || reason instanceof DOMException) {
    if (reason.name === 'TimeoutError') return false;
    return reason.name === 'AbortError' || /cancel/i.test(reason.name) || /cancel/i.test(reason.message);
  }
  return typeof reason === 'string' && /cancel/i.test(reason);
}

/**
 * The one place where an error from an upstream request becomes an outcome. `failed` only where
 * the upstream certainly did nothing (it answered with an error, or the request never left);
 * whenever the request was sent and no answer came, the outcome is `unknown`.
 */
export function classifyCallFailure(error: unknown, circumstances: CallCircumstances): CallFailure {
  const { server, what } = circumstances;
  const unknown = (code: 'UPSTREAM_TIMEOUT' | 'UPSTREAM_FAILED', message: string, details?: Record<string, unknown>): CallFailure => ({
    outcome: 'unknown',
    error: new InterlockError(code, message, details),
    connectionBroken: false,
  });

  if (circumstances.abortedWith !== null) {
    // A cancelled call was already sent: the upstream may have acted before the cancellation
    // reached it (cancellation is advisory in MCP), so the outcome is unknown, not failed.
    return isCancellation(circumstances.abortedWith.reason)
      ? unknown('UPSTREAM_FAILED', `${what} on upstream ${server} was cancelled after it was sent; the upstream may have acted`, {
          cancelled: true,
        })
      : unknown('UPSTREAM_TIMEOUT', `${what} on upstream ${server} did not answer before the deadline`);
  }
  if (circumstances.connectionLost) return unknown('UPSTREAM_FAILED', `connection to upstream ${server} lost during the call (${what})`);

  if (error instanceof McpError) {
    // The SDK's own deadline and an upstream saying it timed out both leave the outcome unknown.
    if (error.code === ErrorCode.RequestTimeout) {
      return unknown('UPSTREAM_TIMEOUT', `${what} on upstream ${server} did not answer within ${circumstances.timeoutMs} ms`);
    }
    const upstreamMessage = scrubSecrets(error.message.replace(/^(MCP error -?\d+: )+/, ''), circumstances.secrets);
    return {
      outcome: 'failed',
      error: new InterlockError('UPSTREAM_FAILED', `${what} on upstream ${server} failed: ${truncate(upstreamMessage)}`, {
        upstreamCode: error.code,
      }),
      connectionBroken: false,
    };
  }
  if (error instanceof $ZodError) {
    return {
      outcome: 'failed',
      error: new InterlockError('UPSTREAM_FAILED', `${what} on upstream ${server}: the answer does not follow the MCP schema`),
      connectionBroken: false,
    };
  }
  if (error instanceof Error && error.message === 'Not connected') {
    // Raised before anything is written: the request never left.
    return {
      outcome: 'failed',
      error: new InterlockError('UPSTREAM_UNAVAILABLE', `upstream ${server} is not connected; nothing was sent`),
      connectionBroken: true,
    };
  }
  if (error instanceof StreamableHTTPError && error.code !== undefined && error.code >= 400 && error.code < 500) {
    // Refused at the HTTP layer before the request reached the server's handler. A 404 means the
    // session is gone (the server restarted): reconnect.
    return {
      outcome: 'failed',
      error: new InterlockError('UPSTREAM_FAILED', `${what} on upstream ${server}: refused with HTTP ${error.code}`, {
        upstreamStatus: error.code,
      }),
      connectionBroken: error.code === 404,
    };
  }
  // A network failure or server error after the request was sent.
  return { ...unknown('UPSTREAM_FAILED', `connection to upstream ${server} lost during the call (${what})`), connectionBroken: true };
}

export function truncate(text: string, max = MAX_UPSTREAM_MESSAGE_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
