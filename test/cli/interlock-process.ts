/**
 * Runs the real `interlock` command in child processes: one-shot commands, and `serve` as a long
 * running server whose address is read from its banner. Shared by the CLI, durability and SDK
 * suites; each project lives in a temporary copy so the repository stays clean.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPOSITORY_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_ENTRY = join(REPOSITORY_ROOT, 'bin', 'interlock.js');
export const REFUNDS_EXAMPLE = join(REPOSITORY_ROOT, 'examples', 'refunds');
export const DEMO_ISSUER = 'https://sso.demo.example';

/** What a finished command left behind. */
export interface CommandResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The CLI runs from dist/. `npm test` builds first; a direct `node --test` run rebuilds here when
 * any source file is newer than the compiled entry, so a test never exercises stale code.
 */
export function ensureBuilt(): void {
  const entry = join(REPOSITORY_ROOT, 'dist', 'cli', 'main.js');
  if (existsSync(entry) && newestSourceTime(join(REPOSITORY_ROOT, 'src')) <= statSync(entry).mtimeMs) return;
  try {
    execFileSync(process.execPath, [join(REPOSITORY_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
      cwd: REPOSITORY_ROOT,
      stdio: 'pipe',
    });
  } catch (error) {
    // A type error elsewhere in the tree still emits JavaScript; only a missing entry is fatal.
    if (!existsSync(entry)) throw error;
  }
}

function newestSourceTime(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceTime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** A fresh temporary directory; removed by the caller (usually in after()). */
export function temporaryDirectory(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `interlock-${prefix}-`));
}

/**
 * Copies examples/refunds into a new temporary directory, without any data directory a local run
 * may have left in the example. `edit` rewrites interlock.yaml (plain text replacement).
 */
export function copyRefundsExample(prefix: string, edit: (yaml: string) => string = (yaml) => yaml): string {
  const directory = temporaryDirectory(prefix);
  cpSync(REFUNDS_EXAMPLE, directory, {
    recursive: true,
    filter: (source) => !relative(REFUNDS_EXAMPLE, source).split(/[\\/]/).includes('.interlock'),
  });
  const projectFile = join(directory, 'interlock.yaml');
  writeFileSync(projectFile, edit(readFileSync(projectFile, 'utf8')));
  return directory;
}

/** Replaces one exact piece of text, failing loudly when the example no longer contains it. */
export function replaceExactly(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`expected the text to contain ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

/** Raises the example's rate limits so that load tests exercise execution, not the limiter. */
export function withoutRateLimits(yaml: string): string {
  return replaceExactly(
    replaceExactly(yaml, 'perAgent: { limit: 200, per: 1s }', 'perAgent: { limit: 1000000, per: 1s }'),
    'perTenant: { limit: 1000, per: 1s }',
    'perTenant: { limit: 1000000, per: 1s }',
  );
}

export function removeDirectory(directory: string): void {
  rmSync(directory, { recursive: true, force: true });
}

/** Runs `interlock <args>` to completion. Never rejects: the exit code is part of the result. */
export function runCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_ENTRY, ...args],
      {
        cwd: options.cwd ?? REPOSITORY_ROOT,
        env: { ...process.env, ...options.env },
        timeout: options.timeoutMs ?? 30_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, signal: error?.signal ?? null, stdout, stderr });
      },
    );
  });
}

/** Runs a command that must succeed and returns its trimmed stdout. */
export async function cliOutput(args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const result = await runCli(args, options);
  if (result.code !== 0) throw new Error(`interlock ${args.join(' ')} exited ${String(result.code)}: ${result.stderr}`);
  return result.stdout.trim();
}

export function mintAgentToken(project: string, agent: string, env?: NodeJS.ProcessEnv): Promise<string> {
  return cliOutput(['agents', 'token', '--project', project, '--agent', agent], env === undefined ? {} : { env });
}

export function mintOperatorToken(project: string, operator: string, env?: NodeJS.ProcessEnv): Promise<string> {
  return cliOutput(['operators', 'token', '--project', project, '--operator', operator], env === undefined ? {} : { env });
}

/** A user assertion signed with the example's demo issuer key. */
export function assertExampleUser(project: string, user: string, roles: readonly string[]): Promise<string> {
  return cliOutput([
    'users',
    'assert',
    '--key',
    join(project, 'demo-issuer', 'private.pem'),
    '--issuer',
    DEMO_ISSUER,
    '--user',
    user,
    '--tenant',
    'acme',
    '--roles',
    roles.join(','),
  ]);
}

/** A running `interlock serve`. */
export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Everything written to stdout so far (pino log lines). */
  stdout(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const LISTENING = /Interlock is listening on (http:\/\/[^\s]+)/;

/** Starts `interlock serve --port 0` and resolves once the banner names the address. */
export function startServer(project: string, options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [CLI_ENTRY, 'serve', '--project', project, '--port', '0'], {
    cwd: REPOSITORY_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`interlock serve did not start in time; stderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = LISTENING.exec(stderr);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        const url = match[1];
        resolve({
          url,
          child,
          stderr: () => stderr,
          stdout: () => stdout,
          exited,
          async stop(signal = 'SIGTERM') {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`interlock serve exited (${String(code ?? signal)}) before listening; stderr: ${stderr}`));
    });
  });
}

/** The JSON answer of POST /v1/calls. */
export interface CallAnswer {
  readonly httpStatus: number;
  readonly body: Record<string, unknown> & {
    status?: string;
    callId?: string;
    auditEventId?: string;
    error?: { code: string; message: string };
  };
}

export async function postCall(url: string, token: string, request: Record<string, unknown>, signal?: AbortSignal): Promise<CallAnswer> {
  const response = await fetch(`${url}/v1/calls`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(request),
    ...(signal === undefined ? {} : { signal }),
  });
  return { httpStatus: response.status, body: (await response.json()) as CallAnswer['body'] };
}

export const LOOKUP = { tool: 'orders', operation: 'lookup', arguments: { order_id: 'o-1001' } } as const;

export function smallRefund(actingFor: string): Record<string, unknown> {
  return { tool: 'refunds', operation: 'create', arguments: { order_id: 'o-1002', amount_cents: 1500, reason: 'damaged item' }, actingFor };
}
