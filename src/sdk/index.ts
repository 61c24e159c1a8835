import type { ErrorData } from '../errors/interlock-error.js';
import type { ExecutionContext } from '../execution/executor.js';
import type { ToolHandler } from '../execution/in-process-executor.js';
import type { CallOutcome, CallRequest } from '../gate/call.js';
import { openRuntime, type Runtime, type RuntimeOptions } from '../runtime/open-runtime.js';

export type { CallOutcome, CallRequest } from '../gate/call.js';
export type { ToolHandler } from '../execution/in-process-executor.js';
export type { ExecutionContext } from '../execution/executor.js';
export type { RuntimeOptions } from '../runtime/open-runtime.js';

/** Per-call context a host passes with a governed call. */
export interface CallContext {
  /** Agent id from interlock.yaml; the host process is trusted to say which agent is acting. */
  readonly agent: string;
  readonly traceId?: string;
  readonly sessionId?: string;
  /** Signed user assertion when the agent acts for a user. */
  readonly actingFor?: string;
  /**
   * Writes and destructive operations need one (unless `deriveIdempotencyKey` is set): a retry with
   * the same key returns the first outcome instead of running again; the same key for another
   * action is refused. One key names one intended action, so pass it per call, not in `wrap` defaults.
   */
  readonly idempotencyKey?: string;
  /**
   * Opt in to a key derived from the trace id (or else the session id) and the action: the same
   * write with the same arguments runs once per trace. Fits `wrap` defaults when every call carries a trace id.
   */
  readonly deriveIdempotencyKey?: boolean;
}

/** Thrown by wrapped tools when a call does not execute: denied, approval required, refused or failed. */
export class GovernedCallError extends Error {
  /** The error code, or `SHADOWED` when the agent is in the shadow stage and nothing ran. */
  readonly code: ErrorData['code'] | 'SHADOWED';
  readonly outcome: CallOutcome;

  constructor(outcome: CallOutcome) {
    super(
      outcome.error?.message ??
        (outcome.status === 'shadowed'
          ? 'the agent is in the shadow stage: the call was decided and recorded, not run'
          : `call ${outcome.status}`),
    );
    this.name = 'GovernedCallError';
    this.code = outcome.error?.code ?? (outcome.status === 'shadowed' ? 'SHADOWED' : 'INTERNAL');
    this.outcome = outcome;
  }
}

/**
 * Interlock in-process: the same kernel as the server, with tools implemented by functions of the
 * host application. Every call is authenticated (as a configured agent), decided, bounded,
 * executed and recorded exactly as over HTTP.
 */
export class Interlock {
  readonly runtime: Runtime;

  constructor(runtime: Runtime) {
    this.runtime = runtime;
  }

  /** Registers the implementation of `tool.operation` (declared with `upstream: { kind: in_process }`). */
  handle(qualifiedName: string, handler: ToolHandler): this {
    this.runtime.registerHandler(qualifiedName, handler);
    return this;
  }

  /** Governs and executes one call; outcomes other than `executed` are returned, not thrown. */
  call(request: CallRequest, context: CallContext): Promise<CallOutcome> {
    return this.runtime.kernel.call(
      {
        ...request,
        traceId: request.traceId ?? context.traceId,
        sessionId: request.sessionId ?? context.sessionId,
        actingFor: request.actingFor ?? context.actingFor,
        idempotencyKey: request.idempotencyKey ?? context.idempotencyKey,
        deriveIdempotencyKey: request.deriveIdempotencyKey ?? context.deriveIdempotencyKey,
      },
      { kind: 'in_process', agentId: context.agent },
    );
  }

  /**
   * Wraps a function as a governed tool: registers it as the implementation of `tool.operation`
   * and returns a function that only reaches it through the kernel. Resolves with the (governed)
   * result; throws GovernedCallError when the call does not execute. A wrapped write takes its
   * idempotency key in the per-call context (`fn(args, { idempotencyKey })`), or derives one when
   * the defaults set `deriveIdempotencyKey`.
   */
  wrap<Args extends Record<string, unknown>, Result>(
    qualifiedName: `${string}.${string}`,
    implementation: (args: Args, context: ExecutionContext) => Result | Promise<Result>,
    defaults: CallContext,
  ): (args: Args, context?: Partial<CallContext>) => Promise<Result> {
    if (defaults.idempotencyKey !== undefined) {
      // Every call would share it: the first would run and the rest replay it or conflict with it.
      throw new TypeError('an idempotency key names one call: pass it per call, not in the defaults of wrap()');
    }
    const separator = qualifiedName.indexOf('.');
    const tool = qualifiedName.slice(0, separator);
    const operation = qualifiedName.slice(separator + 1);
    this.handle(qualifiedName, (args, context) => implementation(args as Args, context));
    return async (args, context = {}) => {
      const outcome = await this.call({ tool, operation, arguments: args }, { ...defaults, ...context });
      if (outcome.status !== 'executed') throw new GovernedCallError(outcome);
      return outcome.result as Result;
    };
  }

  close(): Promise<void> {
    return this.runtime.close();
  }
}

/** Opens a project (directory or interlock.yaml) in this process. */
export async function openInterlock(projectPath: string, options: RuntimeOptions = {}): Promise<Interlock> {
  return new Interlock(await openRuntime(projectPath, options));
}
