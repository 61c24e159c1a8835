import { relative } from 'node:path';
import { buildServer } from '../../server/app.js';
import { openRuntime } from '../../runtime/open-runtime.js';

export interface ServeOptions {
  readonly project: string;
  readonly port?: number;
  readonly host?: string;
}

/** Starts the HTTP door on a project; reloads policy on SIGHUP; drains and closes on SIGINT/SIGTERM. */
export async function serve(options: ServeOptions): Promise<void> {
  const runtime = await openRuntime(options.project, { loadHandlers: true });
  const app = buildServer(runtime.serverServices());
  const host = options.host ?? runtime.config.server.host;
  const port = options.port ?? runtime.config.server.port;
  let address: string;
  try {
    address = await app.listen({ host, port });
  } catch (error) {
    await runtime.close();
    throw error;
  }
  runtime.audit.record({
    type: 'server.started',
    tenant: null,
    agent: null,
    traceId: null,
    callId: null,
    data: {
      address,
      environment: runtime.config.environment,
      policyVersion: runtime.policy.version,
      storage: runtime.config.storage.driver,
      durability: runtime.audit.mode,
    },
  });
  await runtime.audit.flush();
  await runtime.audit.checkpointNow();
  process.stderr.write(
    banner(address, options.project, runtime.config.environment, runtime.policy.version ?? 'none', runtime.config.agents[0]?.id),
  );

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    runtime.logger.info({ signal }, 'shutting down: finishing in-flight calls');
    try {
      await app.close();
    } finally {
      await runtime.close();
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => {
    runtime
      .reloadPolicy()
      .then((result) => {
        if (result.ok) runtime.logger.info({ version: result.version }, 'policy bundle reloaded');
        else runtime.logger.error({ report: result.report }, 'policy bundle refused; the running bundle stays in force');
      })
      // A reload that fails (e.g. its audit event cannot be committed) must never take the server down.
      .catch((error: unknown) => runtime.logger.error({ code: (error as { code?: unknown }).code ?? 'unknown' }, 'policy reload failed'));
  });
}

function banner(address: string, project: string, environment: string, policyVersion: string, agent: string | undefined): string {
  const projectArg = relative(process.cwd(), project) || '.';
  const agentId = agent ?? '<agent-id>';
  return `
Interlock is listening on ${address}  (environment ${environment}, policy ${policyVersion.slice(0, 19)}…)

Try it:
  export TOKEN=$(node bin/interlock.js agents token --project ${projectArg} --agent ${agentId})
  curl -s ${address}/v1/calls -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"tool":"orders","operation":"lookup","arguments":{"order_id":"o-1001"},"traceId":"demo-1"}'

Then read the evidence:
  export OPS=$(node bin/interlock.js operators token --project ${projectArg} --operator auditor)
  curl -s ${address}/v1/traces/demo-1 -H "authorization: Bearer $OPS"
  node bin/interlock.js audit verify --project ${projectArg}

API description: ${address}/openapi.json   Metrics: ${address}/metrics   Stop: Ctrl-C

`;
}
