import type { ToolDefinition } from '../../drift/tool-definition.js';
import type { ExecutionResult } from '../executor.js';

/** Progress reported by an upstream during a call (MCP `notifications/progress`). */
export interface ProgressUpdate {
  readonly progress: number;
  readonly total?: number | undefined;
  readonly message?: string | undefined;
}

export interface UpstreamCallOptions {
  /** Aborted by the caller (client cancellation) or the kernel's deadline: the upstream gets `notifications/cancelled`. */
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  readonly onProgress?: ((update: ProgressUpdate) => void) | undefined;
}

/**
 * `starting`: first connection in progress. `ready`: initialised and tools listed.
 * `restarting`: lost (crash, closed pipe) and waiting for the next attempt with backoff.
 * `closed`: shut down by Interlock.
 */
export type UpstreamStatus = 'starting' | 'ready' | 'restarting' | 'closed';

export interface UpstreamEvents {
  /** The tool listing changed: first listing after (re)connect, or after `notifications/tools/list_changed`. */
  tools(tools: readonly ToolDefinition[]): void;
  status(status: UpstreamStatus, detail: { readonly reason?: string; readonly attempt?: number }): void;
}

/** One upstream MCP server, kept connected by Interlock. */
export interface McpUpstream {
  readonly name: string;
  readonly status: UpstreamStatus;
  /** The latest listing, or null before the first one. */
  readonly tools: readonly ToolDefinition[] | null;
  /** What the upstream offers (`resources`, `prompts`, `logging`, `completions`...), or null before initialisation. */
  readonly capabilities: Readonly<Record<string, unknown>> | null;
  /**
   * Calls a tool. Never throws: not connected → failed/UPSTREAM_UNAVAILABLE (nothing sent);
   * JSON-RPC error or malformed answer → failed/UPSTREAM_FAILED; no answer in time, or the
   * connection lost after sending → unknown/UPSTREAM_TIMEOUT or unknown/UPSTREAM_FAILED.
   * An `isError: true` tool result is a successful call whose result says the tool failed.
   */
  callTool(name: string, args: Readonly<Record<string, unknown>>, options: UpstreamCallOptions): Promise<ExecutionResult>;
  /** A raw request (resources/list, resources/read, prompts/get, completion/complete...); throws InterlockError. */
  request(method: string, params: Readonly<Record<string, unknown>> | undefined, options: UpstreamCallOptions): Promise<unknown>;
  on<Event extends keyof UpstreamEvents>(event: Event, listener: UpstreamEvents[Event]): void;
  start(): void;
  close(): Promise<void>;
}
