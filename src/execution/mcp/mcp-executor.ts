import { InterlockError } from '../../errors/interlock-error.js';
import type { OperationContract } from '../../registry/contract.js';
import type { ExecutionContext, ExecutionResult, Executor } from '../executor.js';
import type { McpUpstream } from './upstream.js';

/** Finds the upstream of a configured server by name (an UpstreamPool). */
export interface UpstreamLookup {
  get(name: string): McpUpstream | undefined;
}

/** Runs operations bound to a tool of an upstream MCP server. */
export class McpExecutor implements Executor {
  readonly #upstreams: UpstreamLookup;

  constructor(upstreams: UpstreamLookup) {
    this.#upstreams = upstreams;
  }

  execute(contract: OperationContract, args: Readonly<Record<string, unknown>>, context: ExecutionContext): Promise<ExecutionResult> {
    const binding = contract.upstream;
    if (binding.kind !== 'mcp') {
      return Promise.resolve({
        ok: false,
        outcome: 'failed',
        error: new InterlockError('INTERNAL', `${contract.qualifiedName} has no MCP binding`),
      });
    }
    const upstream = this.#upstreams.get(binding.server);
    if (upstream === undefined) {
      return Promise.resolve({
        ok: false,
        outcome: 'failed',
        error: new InterlockError('UPSTREAM_UNAVAILABLE', `${contract.qualifiedName}: MCP server ${binding.server} is not configured`),
      });
    }
    // callTool never throws by contract; should one break it, the call may have been sent.
    return upstream
      .callTool(binding.tool, args, { signal: context.signal, timeoutMs: contract.timeoutMs, onProgress: context.onProgress })
      .catch(() => ({
        ok: false,
        outcome: 'unknown',
        error: new InterlockError(
          'UPSTREAM_FAILED',
          `${contract.qualifiedName}: the call to MCP server ${binding.server} failed unexpectedly`,
        ),
      }));
  }
}
