import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { unreachableLimits } from './bench-project.js';
import { EVERYTHING_ENTRY } from './mcp-endpoints.js';

export const MCP_BENCH_AGENT = 'bench-agent';
/** The upstream's name in the project: its tools reach clients as `everything__<tool>`. */
export const MCP_BENCH_SERVER = 'everything';

export interface McpBenchProject {
  readonly dir: string;
  remove(): void;
}

export interface McpBenchProjectOptions {
  readonly durability: 'durable' | 'relaxed';
  readonly keep?: boolean;
}

/**
 * A gateway project in a fresh temporary directory whose only upstream is the MCP reference server
 * (every tool a read), pinned on first start, one agent, a policy that permits everything, and
 * limits every call counts against but none reaches: every step of the kernel runs, none refuses.
 */
export function createMcpBenchProject(options: McpBenchProjectOptions): McpBenchProject {
  const dir = mkdtempSync(join(tmpdir(), `interlock-bench-mcp-${options.durability}-`));
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'policies', 'allow.cedar'), 'permit (principal, action, resource);\n');
  const config = {
    version: 1,
    project: 'mcp-bench',
    environment: 'dev',
    storage: { driver: 'sqlite', path: 'interlock.db', durability: options.durability },
    tenants: [{ id: 'bench' }],
    agents: [{ id: MCP_BENCH_AGENT, tenant: 'bench', owner: 'bench@example.com', environment: 'dev', stage: 'governed' }],
    mcp: {
      pinOnFirstStart: true,
      servers: [
        {
          name: MCP_BENCH_SERVER,
          stdio: { command: process.execPath, args: [EVERYTHING_ENTRY, 'stdio'] },
          effects: [{ tools: ['*'], effect: 'read' }],
        },
      ],
    },
    policy: { bundle: './policies' },
    limits: unreachableLimits(),
    logging: { level: 'warn' },
  };
  writeFileSync(join(dir, 'interlock.yaml'), stringify(config));
  return {
    dir,
    remove() {
      if (options.keep !== true) rmSync(dir, { recursive: true, force: true });
    },
  };
}
