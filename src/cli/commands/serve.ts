import { relative, resolve } from 'node:path';
import { buildServer } from '../../server/app.js';
import { openRuntime, type Runtime } from '../../runtime/open-runtime.js';
import { reloadOnHangup } from '../reload-on-hangup.js';

export interface ServeOptions {
  readonly project: string;
  readonly port?: number;
  readonly host?: string;
}

/** Starts the HTTP door on a project; reloads policy on SIGHUP; drains and closes on SIGINT/SIGTERM. */
export async function serve(options: ServeOptions): Promise<void> {
  const runtime = await openRuntime(options.project, { loadHandlers: true, startMcpUpstreams: true, sweepApprovals: true });
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
  process.stderr.write(banner(address, options.project, runtime));

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
  reloadOnHangup(runtime);
}

/** What to try next, built from the project itself: its first agent, a read it may call, an operator. */
function banner(address: string, project: string, runtime: Runtime): string {
  const fromHere = relative(process.cwd(), project);
  const projectArg = fromHere === '' ? '.' : fromHere.startsWith('..') ? resolve(project) : fromHere;
  const { config } = runtime;
  const agent = config.agents.find((candidate) => candidate.environment === config.environment) ?? config.agents[0];
  const operation =
    runtime.registry
      .operations()
      .find((candidate) => candidate.effect === 'read' && runtime.registry.toolVisibleTo(candidate.tool, agent?.tenant ?? '')) ??
    runtime.registry.operations()[0];
  const operator = config.operators[0]?.id ?? '<operator-id>';
  const lines = [
    '',
    `Interlock is listening on ${address}  (environment ${config.environment}, policy ${(runtime.policy.version ?? 'none').slice(0, 19)}…)`,
    '',
    'Try it:',
    `  export TOKEN=$(node bin/interlock.js agents token --project ${projectArg} --agent ${agent?.id ?? '<agent-id>'})`,
  ];
  if (operation !== undefined) {
    const body = JSON.stringify({
      tool: operation.tool,
      operation: operation.operation,
      arguments: sampleArguments(operation.argumentsSchema),
      traceId: 'demo-1',
    });
    lines.push(
      `  curl -s ${address}/v1/calls -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`,
      `    -d '${body}'`,
    );
  }
  lines.push(
    '',
    'Then read the evidence:',
    `  export OPS=$(node bin/interlock.js operators token --project ${projectArg} --operator ${operator})`,
    `  curl -s ${address}/v1/traces/demo-1 -H "authorization: Bearer $OPS"`,
    `  node bin/interlock.js audit verify --project ${projectArg}`,
    '',
    `API description: ${address}/openapi.json   Metrics: ${address}/metrics   Stop: Ctrl-C`,
    '',
    '',
  );
  return lines.join('\n');
}

/** Required arguments filled from the schema's own `examples` (or `default`), else a placeholder. */
function sampleArguments(schema: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const properties = (schema['properties'] ?? {}) as Record<string, Record<string, unknown>>;
  const required = Array.isArray(schema['required']) ? (schema['required'] as unknown[]) : [];
  const sample: Record<string, unknown> = {};
  for (const name of required) {
    if (typeof name !== 'string') continue;
    const property = Object.prototype.hasOwnProperty.call(properties, name) ? properties[name] : undefined;
    const examples = property?.['examples'];
    sample[name] = Array.isArray(examples) && examples.length > 0 ? examples[0] : (property?.['default'] ?? `<${name}>`);
  }
  return sample;
}
