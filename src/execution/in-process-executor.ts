import { InterlockError } from '../errors/interlock-error.js';
import type { OperationContract } from '../registry/contract.js';
import type { ExecutionContext, ExecutionResult, Executor } from './executor.js';

/** A function registered by the host application as the implementation of one operation. */
export type ToolHandler = (args: Readonly<Record<string, unknown>>, context: ExecutionContext) => unknown;

/** Runs in-process handlers registered through the SDK, keyed by `tool.operation`. */
export class InProcessExecutor implements Executor {
  readonly #handlers = new Map<string, ToolHandler>();

  register(qualifiedName: string, handler: ToolHandler): void {
    this.#handlers.set(qualifiedName, handler);
  }

  has(qualifiedName: string): boolean {
    return this.#handlers.has(qualifiedName);
  }

  async execute(contract: OperationContract, args: Readonly<Record<string, unknown>>, context: ExecutionContext): Promise<ExecutionResult> {
    const handler = this.#handlers.get(contract.qualifiedName);
    if (handler === undefined) {
      return {
        ok: false,
        outcome: 'failed',
        error: new InterlockError('HANDLER_MISSING', `no handler is registered for ${contract.qualifiedName} in this process`),
      };
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), contract.timeoutMs);
    });
    try {
      // The handler gets its own copy: the governed arguments are frozen and shared with the audit.
      const answer = await Promise.race([Promise.resolve().then(() => handler(structuredClone(args), context)), timeout]);
      if (answer === 'timeout') {
        return {
          ok: false,
          outcome: 'unknown',
          error: new InterlockError('UPSTREAM_TIMEOUT', `${contract.qualifiedName} did not finish within ${contract.timeoutMs} ms`),
        };
      }
      return { ok: true, result: answer === undefined ? null : answer };
    } catch (error) {
      // The handler's own message may carry data it was given; only its class name leaves here.
      const kind = error instanceof Error ? error.name : typeof error;
      return { ok: false, outcome: 'failed', error: new InterlockError('UPSTREAM_FAILED', `${contract.qualifiedName} failed (${kind})`) };
    } finally {
      clearTimeout(timer);
    }
  }
}
