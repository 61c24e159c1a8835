import { parseDuration } from '../../config/duration.js';
import { InterlockError } from '../../errors/interlock-error.js';
import {
  OutcomeResolutionService,
  listUnresolvedCalls,
  processDiedAfterMs,
  RESOLUTIONS,
  type Resolution,
  type UnresolvedCallSelector,
} from '../../execution/outcome-resolution.js';
import { projectContext, type ProjectContext } from '../project-context.js';
import { withAuditedStore } from './audited-store.js';

export const RESOLUTION_CHOICES: readonly Resolution[] = RESOLUTIONS;

export interface CallsResolveOptions {
  readonly project: string;
  readonly callId?: string;
  readonly key?: string;
  /** TENANT/AGENT (or a configured agent id alone) holding `key`. */
  readonly agent?: string;
  readonly as: string;
  readonly reason?: string;
  /** A configured operator: its tenants bound what it may resolve. */
  readonly by: string;
  readonly json?: boolean;
}

/**
 * Lists writes whose outcome is unknown: they timed out or their process died after sending, so
 * Interlock will not run them again under the same idempotency key. An operator checks the upstream
 * (or the operation declares a status check that resolves it on the next retry).
 */
export async function callsUnresolved(options: { project: string; tenant?: string; limit?: number; json?: boolean }): Promise<number> {
  const context = projectContext(options.project);
  const store = await context.openStore();
  try {
    const records = await listUnresolvedCalls(store, {
      tenants: options.tenant === undefined ? undefined : [options.tenant],
      limit: options.limit,
      now: Date.now(),
      processDiedAfterMs: processDiedAfterMs(context.project.config),
    });
    if (options.json === true) {
      process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
      return 0;
    }
    if (records.length === 0) {
      process.stdout.write('no writes with an unknown outcome\n');
      return 0;
    }
    process.stdout.write(`${records.length} write(s) with an unknown outcome (not run again under the same key):\n`);
    for (const record of records) {
      const state = record.state === 'process_died' ? 'process died mid-call' : 'no answer (timeout or connection lost)';
      process.stdout.write(
        `  ${record.createdAt}  ${record.tenant}/${record.agentId}  ${record.tool}.${record.operation}  call ${record.callId}  trace ${record.traceId}  key ${JSON.stringify(record.idempotencyKey)}  ${state}\n`,
      );
    }
    process.stdout.write(
      'Check the upstream for each call (its trace story shows the arguments: GET /v1/traces/<trace>), then\n' +
        '  interlock calls resolve <call> --as executed|not_executed --reason "what the upstream showed" --by <operator>\n',
    );
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * `interlock calls resolve`: an operator, having checked the upstream, says whether a write whose
 * outcome is unknown took effect. `executed` settles its key with an outcome saying so (a retry
 * gets it, replayed, and nothing runs); `not_executed` frees the key (a retry runs once). Audited
 * with --by and --reason.
 */
export async function callsResolve(options: CallsResolveOptions): Promise<void> {
  if (!RESOLUTION_CHOICES.includes(options.as as Resolution)) throw usage(`--as must be one of ${RESOLUTIONS.join(', ')}`);
  if (options.reason === undefined || options.reason.trim() === '') {
    throw usage('--reason is required: what the upstream showed (recorded in the audit log with --by)');
  }
  const reason = options.reason;
  const resolution = await withAuditedStore(options.project, ({ context, store, audit }) =>
    new OutcomeResolutionService({
      store,
      audit,
      idempotencyTtlMs: parseDuration(context.project.config.execution.idempotencyTtl),
      processDiedAfterMs: processDiedAfterMs(context.project.config),
    }).resolve(configuredOperator(context, options.by), { call: selected(context, options), as: options.as as Resolution, reason }),
  );
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(resolution, null, 2)}\n`);
    return;
  }
  const effect =
    resolution.resolvedAs === 'executed'
      ? 'a retry with its key answers executed (replayed) and runs nothing'
      : 'its key is free: a retry with it runs the operation once';
  process.stdout.write(
    `call ${resolution.callId} (${resolution.tool}.${resolution.operation} of ${resolution.tenant}/${resolution.agentId}) resolved as ${resolution.resolvedAs} by ${resolution.resolvedBy}: ${effect}\n`,
  );
}

function selected(context: ProjectContext, options: CallsResolveOptions): UnresolvedCallSelector {
  if (options.callId !== undefined && options.key === undefined && options.agent === undefined) return { callId: options.callId };
  if (options.callId !== undefined || options.key === undefined || options.agent === undefined) {
    throw usage('name the call by its id, or by --key KEY with --agent TENANT/AGENT, not both');
  }
  if (options.agent.includes('/')) {
    const [tenant = '', agentId = ''] = options.agent.split('/');
    return { tenant, agentId, idempotencyKey: options.key };
  }
  const agent = context.project.config.agents.find((candidate) => candidate.id === options.agent);
  if (agent === undefined) throw usage(`--agent "${options.agent.slice(0, 80)}" is not a configured agent; give TENANT/AGENT`);
  return { tenant: agent.tenant, agentId: agent.id, idempotencyKey: options.key };
}

/** --by names a configured operator; its tenants bound what it may resolve, as its token would over HTTP. */
function configuredOperator(context: ProjectContext, operatorId: string): { operatorId: string; tenants: readonly string[] | '*' } {
  const operators = context.project.config.operators;
  const operator = operators.find((candidate) => candidate.id === operatorId);
  if (operator === undefined) {
    const known = operators.map((candidate) => candidate.id).join(', ');
    throw usage(
      `--by "${operatorId.slice(0, 80)}" is not an operator in ${context.project.file}${known === '' ? ' (none is configured)' : `; configured: ${known}`}`,
    );
  }
  return { operatorId: operator.id, tenants: operator.tenants };
}

function usage(message: string): InterlockError {
  return new InterlockError('REQUEST_INVALID', message);
}
