/** Paths, names and the temporary Interlock project the gateway runs on. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { temporaryDirectory } from '../../test/cli/interlock-process.js';

export const REPOSITORY_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const UPSTREAM_SCRIPT = join(REPOSITORY_ROOT, 'test', 'support', 'mcp', 'conformance-upstream.ts');
export const EXPECTED_FAILURES_FILE = join(REPOSITORY_ROOT, 'docs', 'mcp-conformance-expected-failures.yaml');
export const REPORT_FILE = join(REPOSITORY_ROOT, 'docs', 'mcp-conformance.md');

/** The configured name of the upstream MCP server: with namespacing, its tools are `conf__<tool>`. */
export const UPSTREAM_SERVER = 'conf';
export const AGENT = 'conformance-client';
const TENANT = 'conformance';

/** The project: one upstream MCP server, every tool `read`, a policy that permits everything. */
export function conformanceProject(namespace: boolean): string {
  const tsx = import.meta.resolve('tsx');
  const config = {
    version: 1,
    project: 'mcp-conformance',
    environment: 'dev',
    server: { host: '127.0.0.1', port: 0 },
    storage: { driver: 'sqlite', path: 'interlock.db', durability: 'relaxed' },
    tenants: [{ id: TENANT }],
    agents: [{ id: AGENT, tenant: TENANT, owner: 'conformance@interlock.test', environment: 'dev', stage: 'governed' }],
    mcp: {
      pinOnFirstStart: true,
      servers: [
        {
          name: UPSTREAM_SERVER,
          description: 'Implements what the MCP conformance scenarios call.',
          ...(namespace ? {} : { namespace: false }),
          stdio: { command: process.execPath, args: ['--import', tsx, UPSTREAM_SCRIPT] },
          effects: [{ tools: ['*'], effect: 'read' }],
          passthrough: { resources: true, prompts: true },
        },
      ],
    },
    policy: { bundle: './policies' },
    logging: { level: 'warn' },
  };
  const directory = temporaryDirectory('conformance');
  mkdirSync(join(directory, 'policies'));
  writeFileSync(join(directory, 'policies', 'allow-all.cedar'), 'permit (principal, action, resource);\n');
  writeFileSync(join(directory, 'interlock.yaml'), stringify(config));
  return directory;
}
