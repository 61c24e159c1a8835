import type { OperationContract } from '../registry/contract.js';
import type { ExecutionContext, ExecutionResult, Executor } from './executor.js';

/** Sends each operation to the adapter for its upstream kind. */
export class RoutingExecutor implements Executor {
  readonly #byKind: Readonly<Record<OperationContract['upstream']['kind'], Executor>>;

  constructor(byKind: Readonly<Record<OperationContract['upstream']['kind'], Executor>>) {
    this.#byKind = byKind;
  }

  execute(contract: OperationContract, args: Readonly<Record<string, unknown>>, context: ExecutionContext): Promise<ExecutionResult> {
    return this.#byKind[contract.upstream.kind].execute(contract, args, context);
  }
}
