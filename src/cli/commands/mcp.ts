import { loadProjectFile } from '../../config/load.js';
import { openRuntime } from '../../runtime/open-runtime.js';
import { reloadOnHangup } from '../reload-on-hangup.js';
import { startStdioGateway, unknownAgent } from '../../mcp/stdio-door.js';
import { InterlockError } from '../../errors/interlock-error.js';

export interface McpOptions {
  readonly project: string;
  readonly agent: string;
}

/**
 * `interlock mcp --agent ID`: the MCP gateway over stdio, for clients that launch a command.
 * stdout carries only MCP messages; logs go to stderr.
 */
export async function mcpStdio(options: McpOptions): Promise<void> {
  // Refuse an unknown agent before any upstream server is started.
  const { config } = loadProjectFile(options.project);
  const configured = config.agents.find((candidate) => candidate.id === options.agent);
  if (configured === undefined) throw unknownAgent(options.agent);
  if (configured.environment !== config.environment) {
    throw new InterlockError(
      'AUTH_WRONG_ENVIRONMENT',
      `agent "${configured.id}" is a ${configured.environment} agent; this project serves ${config.environment}`,
    );
  }
  const runtime = await openRuntime(options.project, {
    loadHandlers: true,
    startMcpUpstreams: true,
    sweepApprovals: true,
    logStream: process.stderr,
    processMetrics: false,
  });
  try {
    const agent = runtime.config.agents.find((candidate) => candidate.id === options.agent) ?? configured;
    const gateway = await startStdioGateway({
      gateway: runtime.gatewayServices(),
      issuer: runtime.identity.issuer,
      agent: { agentId: agent.id, tenant: agent.tenant },
      onToolsChanged: (listener) => runtime.onToolsChanged(listener),
      actingFor: process.env['INTERLOCK_ACTING_FOR'],
    });
    reloadOnHangup(runtime);
    const stop = () => void gateway.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await gateway.closed;
  } finally {
    await runtime.close();
  }
}
