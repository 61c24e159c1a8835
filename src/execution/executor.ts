import type { InterlockError } from '../errors/interlock-error.js';
import type { OperationContract } from '../registry/contract.js';
import type { ProgressUpdate } from './mcp/upstream.js';

/** What an upstream may know about the call it serves. Never carries credentials. */
export interface ExecutionContext {
  readonly callId: string;
  readonly traceId: string;
  readonly agentId: string;
  readonly tenant: string;
  readonly actingForUserId: string | null;
  /** The key a write runs under; HTTP upstreams receive it as the `Idempotency-Key` header. */
  readonly idempotencyKey?: string | null | undefined;
  readonly signal: AbortSignal;
  /** Progress reported by the upstream while the call runs, for doors that can pass it on. */
  readonly onProgress?: ((update: ProgressUpdate) => void) | undefined;
}

/**
 * `failed`: the upstream answered with an error, nothing is known to have changed.
 * `unknown`: no answer (timeout, connection lost after sending); a write may have happened.
 */
export type ExecutionResult =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly outcome: 'failed' | 'unknown'; readonly error: InterlockError };

export interface Executor {
  execute(contract: OperationContract, args: Readonly<Record<string, unknown>>, context: ExecutionContext): Promise<ExecutionResult>;
}
