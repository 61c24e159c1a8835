/**
 * Projects for end-to-end tests of the MCP gateway, each in its own temporary directory:
 *
 *   copyGatewayExample('http')   examples/mcp-gateway (fs, memory, everything) with its lock and
 *                                workspace; the upstream commands point at this repository's
 *                                node_modules, so the copy can live anywhere.
 *   writeFixtureProject(dir, …)  a project whose upstreams are test/support/mcp/fixture-server.ts,
 *                                one server per entry, with a policy that permits everything.
 *
 * The reference servers and the fixture run as real child processes of the gateway under test.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { loadProjectFile } from '../../../src/config/load.js';
import { TokenIssuer } from '../../../src/identity/token-issuer.js';
import { loadOrCreateSigningKey } from '../../../src/keys/keystore.js';
import { REPOSITORY_ROOT, temporaryDirectory } from '../../cli/interlock-process.js';

export const GATEWAY_EXAMPLE = join(REPOSITORY_ROOT, 'examples', 'mcp-gateway');
export const FIXTURE_SERVER = join(REPOSITORY_ROOT, 'test', 'support', 'mcp', 'fixture-server.ts');

/** The parsed interlock.yaml, changed in place. */
export type ProjectDocument = Record<string, unknown>;

const EXAMPLE_MODULES_PREFIX = '../../node_modules/';

/**
 * Copies the example into a new temporary directory (without any `.interlock` data a local run
 * left behind), rewrites the upstream commands' `../../node_modules/...` and the memory server's
 * file to absolute paths, adds
 * `files` (relative paths, e.g. an extra policy) and applies `edit` to the parsed interlock.yaml.
 */
export function copyGatewayExample(
  prefix: string,
  options: { files?: Readonly<Record<string, string>>; edit?: (document: ProjectDocument) => void } = {},
): string {
  const directory = temporaryDirectory(`mcp-${prefix}`);
  cpSync(GATEWAY_EXAMPLE, directory, {
    recursive: true,
    filter: (source) => !relative(GATEWAY_EXAMPLE, source).split(/[\\/]/).includes('.interlock'),
  });
  const projectFile = join(directory, 'interlock.yaml');
  const document = parseYaml(readFileSync(projectFile, 'utf8')) as ProjectDocument;
  let rewritten = 0;
  for (const server of mcpServers(document)) {
    const stdio = server['stdio'] as { args?: string[] } | undefined;
    if (stdio?.args === undefined) continue;
    stdio.args = stdio.args.map((arg) => {
      if (!arg.startsWith(EXAMPLE_MODULES_PREFIX)) return arg;
      rewritten += 1;
      return join(REPOSITORY_ROOT, 'node_modules', arg.slice(EXAMPLE_MODULES_PREFIX.length));
    });
  }
  if (rewritten === 0) throw new Error('expected the example to start its upstreams from ../../node_modules');
  // The example anchors MEMORY_FILE_PATH to ${PROJECT_DIR}: each copy must keep its own memory file.
  const memory = mcpServers(document).find((server) => server['name'] === 'memory');
  const memoryFile = (memory?.['stdio'] as { env?: Record<string, string> } | undefined)?.env?.['MEMORY_FILE_PATH'];
  if (memory !== undefined && memoryFile?.startsWith('${PROJECT_DIR}/') !== true) {
    throw new Error('expected the example to anchor MEMORY_FILE_PATH to ${PROJECT_DIR}');
  }
  options.edit?.(document);
  writeFileSync(projectFile, stringifyYaml(document));
  for (const [path, content] of Object.entries(options.files ?? {})) {
    const target = join(directory, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  return directory;
}

/** The `mcp.servers` entries of a parsed project file. */
export function mcpServers(document: ProjectDocument): Array<Record<string, unknown>> {
  const mcp = document['mcp'] as { servers?: Array<Record<string, unknown>> } | undefined;
  if (mcp?.servers === undefined) throw new Error('the project has no mcp.servers');
  return mcp.servers;
}

/** Switches a parsed project file to PostgreSQL; the URL is read from `urlVariable` at start. */
export function usePostgres(document: ProjectDocument, schema: string, urlVariable: string): void {
  document['storage'] = { driver: 'postgres', url: `env:${urlVariable}`, schema, durability: 'durable', poolSize: 4 };
}

/** One fixture server of a fixture project. */
export interface FixtureServerSpec {
  readonly name: string;
  /** The fixture's environment (FIXTURE_LOG, FIXTURE_HANG_INIT…); values may be `env:` references. */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeout?: string;
  readonly startupTimeout?: string;
  readonly restart?: { readonly initialDelay: string; readonly maxDelay: string };
}

/**
 * Writes interlock.yaml and a permit-everything policy for a project whose upstream MCP servers
 * are all the fixture. Agents `bot` and `other` (tenant acme), operator `auditor`. The fixture's
 * `crash` and `counter` are writes; every other tool is a read.
 */
export function writeFixtureProject(
  directory: string,
  servers: readonly FixtureServerSpec[],
  options: { logLevel?: string; edit?: (document: ProjectDocument) => void } = {},
): void {
  const document: ProjectDocument = {
    version: 1,
    project: 'mcp-fixture',
    environment: 'dev',
    storage: { driver: 'sqlite', path: 'interlock.db', durability: 'durable' },
    tenants: [{ id: 'acme' }],
    agents: ['bot', 'other'].map((id) => ({ id, tenant: 'acme', owner: 'tests@acme.example', environment: 'dev', stage: 'governed' })),
    operators: [{ id: 'auditor', tenants: '*', roles: ['auditor'] }],
    mcp: {
      lockFile: 'tools.lock.json',
      servers: servers.map((server) => ({
        name: server.name,
        stdio: {
          command: process.execPath,
          args: ['--import', 'tsx', FIXTURE_SERVER],
          // tsx is resolved from the repository, whatever the project directory is.
          cwd: REPOSITORY_ROOT,
          env: { ...(server.env ?? {}) },
        },
        effects: [
          { tools: ['crash', 'counter'], effect: 'write' },
          { tools: ['*'], effect: 'read' },
        ],
        timeout: server.timeout ?? '20s',
        startupTimeout: server.startupTimeout ?? '20s',
        restart: server.restart ?? { initialDelay: '100ms', maxDelay: '1s' },
      })),
    },
    policy: { bundle: './policies' },
    logging: { level: options.logLevel ?? 'info' },
  };
  options.edit?.(document);
  writeFileSync(join(directory, 'interlock.yaml'), stringifyYaml(document));
  mkdirSync(join(directory, 'policies'), { recursive: true });
  writeFileSync(
    join(directory, 'policies', 'everything.cedar'),
    '@id("tests-may-do-anything")\n@reason("the fixture is harmless")\npermit (principal, action, resource);\n',
  );
}

/** Mints tokens the way `interlock agents token` / `operators token` do, without a process per token. */
export interface ProjectTokens {
  agent(agentId: string): Promise<string>;
  operator(operatorId: string): Promise<string>;
}

/**
 * Tokens signed with the project's identity key. Call it after the gateway has started (which
 * creates the key), so the two never race to create it.
 */
export function projectTokens(projectDir: string): ProjectTokens {
  const { config } = loadProjectFile(projectDir);
  const dataDir = isAbsolute(config.dataDir) ? config.dataDir : join(projectDir, config.dataDir);
  const issuer = new TokenIssuer({ config, signingKey: loadOrCreateSigningKey(dataDir, 'identity') });
  return {
    agent: async (agentId) => (await issuer.mintAgentToken({ agentId })).token,
    operator: async (operatorId) => (await issuer.mintOperatorToken({ operatorId })).token,
  };
}

/** One line the fixture appended to its FIXTURE_LOG: a call (`tool`, `args`) or an event, with the fixture's pid. */
export interface FixtureLogLine {
  readonly tool?: string;
  readonly args?: Readonly<Record<string, unknown>>;
  readonly event?: string;
  readonly pid: number;
}

/** The lines of a FIXTURE_LOG file (none when no call has reached the fixture yet). */
export function fixtureLogLines(path: string): FixtureLogLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as FixtureLogLine);
}
