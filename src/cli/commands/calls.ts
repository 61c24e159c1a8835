import { projectContext } from '../project-context.js';
import type { IdempotencyRecord } from '../../store/store.js';

/** A call still `running` this long after it started is past any deadline: its process died. */
const STALE_AFTER_MS = 10 * 60 * 1000;

/**
 * Lists writes whose outcome is unknown: they timed out or their process died after sending, so
 * Interlock will not run them again under the same idempotency key. An operator checks the upstream
 * (or the operation declares a status check that resolves it on the next retry).
 */
export async function callsUnresolved(options: { project: string; tenant?: string; limit?: number; json?: boolean }): Promise<number> {
  const context = projectContext(options.project);
  const store = await context.openStore();
  try {
    const staleBefore = new Date(Date.now() - STALE_AFTER_MS).toISOString();
    const found = await store.listUnresolvedIdempotency(
      options.tenant === undefined ? undefined : [options.tenant],
      new Date(Date.now() + 1000).toISOString(),
      options.limit ?? 100,
    );
    // A call still running may simply be running; only one past every deadline is unresolved.
    const records = found.filter((record) => record.state === 'unknown' || record.updatedAt < staleBefore);
    if (options.json === true) {
      process.stdout.write(`${JSON.stringify(records.map(publicView), null, 2)}\n`);
      return 0;
    }
    if (records.length === 0) {
      process.stdout.write('no writes with an unknown outcome\n');
      return 0;
    }
    process.stdout.write(`${records.length} write(s) with an unknown outcome (not run again under the same key):\n`);
    for (const record of records) {
      const state = record.state === 'running' ? 'process died mid-call' : 'no answer (timeout or connection lost)';
      process.stdout.write(
        `  ${record.createdAt}  ${record.tenant}/${record.agentId}  ${record.tool}.${record.operation}  call ${record.callId}  trace ${record.traceId}  ${state}\n`,
      );
    }
    process.stdout.write('Check the upstream for each call; its trace story shows the arguments: GET /v1/traces/<trace>.\n');
    return 0;
  } finally {
    await store.close();
  }
}

function publicView(record: IdempotencyRecord): Record<string, unknown> {
  return {
    tenant: record.tenant,
    agentId: record.agentId,
    tool: record.tool,
    operation: record.operation,
    state: record.state === 'running' ? 'process_died' : 'unknown',
    callId: record.callId,
    traceId: record.traceId,
    createdAt: record.createdAt,
  };
}
