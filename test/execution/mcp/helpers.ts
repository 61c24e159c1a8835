import { strict as assert } from 'node:assert';
import { after } from 'node:test';
/**
 * Helpers for tests of upstream MCP connections: configs for the fixture server and the reference
 * servers, a logger whose lines are kept for inspection, and waits with generous time limits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import type { McpServerConfig } from '../../../src/config/schema.js';
import { SecretResolver } from '../../../src/config/secrets.js';
import { SdkUpstream } from '../../../src/execution/mcp/sdk-upstream.js';
import type { McpUpstream, UpstreamStatus } from '../../../src/execution/mcp/upstream.js';

export const REPO_DIR = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURE_PATH = join(REPO_DIR, 'test/support/mcp/fixture-server.ts');

/** The fields every server config has after the schema's defaults. */
const DEFAULTS: Pick<McpServerConfig, 'namespace' | 'effects' | 'timeout' | 'startupTimeout' | 'restart' | 'passthrough'> = {
  namespace: true,
  effects: [],
  timeout: '10s',
  startupTimeout: '20s',
  restart: { initialDelay: '100ms', maxDelay: '1s' },
  passthrough: { resources: false, prompts: false },
};

export function fixtureConfig(
  name: string,
  env: Readonly<Record<string, string>> = {},
  overrides: Partial<Pick<McpServerConfig, 'timeout' | 'startupTimeout' | 'restart'>> = {},
): McpServerConfig {
  return {
    name,
    stdio: { command: process.execPath, args: ['--import', 'tsx', FIXTURE_PATH], env: { ...env } },
    ...DEFAULTS,
    ...overrides,
  };
}

export function stdioConfig(
  name: string,
  command: string,
  args: readonly string[],
  options: {
    env?: Readonly<Record<string, string>>;
    cwd?: string;
    overrides?: Partial<Pick<McpServerConfig, 'startupTimeout' | 'restart'>>;
  } = {},
): McpServerConfig {
  return {
    name,
    stdio: {
      command,
      args: [...args],
      env: { ...(options.env ?? {}) },
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    },
    ...DEFAULTS,
    ...(options.overrides ?? {}),
  };
}

export function httpConfig(name: string, url: string, headers: Readonly<Record<string, string>> = {}): McpServerConfig {
  return { name, http: { url, headers: { ...headers } }, ...DEFAULTS };
}

/** A debug-level logger whose lines are kept in memory. */
export function capturingLogger(): { logger: Logger; lines: string[]; text: () => string } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines, text: () => lines.join('') };
}

export function tempDir(t: { after: (fn: () => void) => void }, prefix = 'interlock-mcp-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface UpstreamHarness {
  readonly upstream: SdkUpstream;
  readonly statuses: UpstreamStatus[];
  readonly log: ReturnType<typeof capturingLogger>;
}

/** Starts an SdkUpstream, records its statuses, and closes it after the test. */
export function startUpstream(
  t: { after: (fn: () => Promise<void> | void) => void },
  config: McpServerConfig,
  options: { env?: NodeJS.ProcessEnv; projectDir?: string; now?: () => number } = {},
): UpstreamHarness {
  const log = capturingLogger();
  const resolver = new SecretResolver(REPO_DIR, options.env ?? {});
  const upstream = new SdkUpstream({
    config,
    projectDir: options.projectDir ?? REPO_DIR,
    resolveSecret: (reference) => resolver.resolve(reference),
    logger: log.logger,
    now: options.now,
  });
  const statuses: UpstreamStatus[] = [];
  upstream.on('status', (status) => statuses.push(status));
  upstream.start();
  t.after(() => upstream.close());
  return { upstream, statuses, log };
}

/** Polls until `check` holds; fails after `timeoutMs` (generous: these are not timing assertions). */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function waitForStatus(upstream: McpUpstream, status: UpstreamStatus, timeoutMs = 30_000): Promise<void> {
  return waitFor(() => upstream.status === status, `${upstream.name} to be ${status} (is ${upstream.status})`, timeoutMs);
}

/** The JSON lines the fixture appended to its FIXTURE_LOG file. */
export function fixtureLog(path: string): Array<Record<string, unknown>> {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export function neverAborted(): AbortSignal {
  return new AbortController().signal;
}

/** The text of the first content block of a tool result. */
export function firstText(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content;
  const first = content?.[0];
  if (first?.type !== 'text' || first.text === undefined) throw new Error(`no text content in ${JSON.stringify(result)}`);
  return first.text;
}

/** Runs the fixture as a Streamable HTTP server on a free port; resolves with its URL once it listens. */
export async function startHttpFixture(
  t: { after: (fn: () => Promise<void> | void) => void },
  env: Readonly<Record<string, string>>,
  port = 0,
): Promise<{ url: string; port: number; child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE_PATH], {
    cwd: REPO_DIR,
    env: { PATH: process.env['PATH'] ?? '', ...env, FIXTURE_HTTP_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  };
  t.after(stop);
  const listening = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error('the HTTP fixture did not start')), 30_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = /listening (\d+)/.exec(buffered);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the HTTP fixture exited with ${code}`));
    });
  });
  return { url: `http://127.0.0.1:${listening}/mcp`, port: listening, child, stop };
}

/** Fails the file if any promise is left rejected without a handler (nothing here may crash the process). */
export function failOnUnhandledRejections(): void {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  after(() => {
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, [], 'no promise may be left rejected without a handler');
  });
}
