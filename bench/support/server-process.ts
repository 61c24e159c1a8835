import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = resolve(REPOSITORY_ROOT, 'bin/interlock.js');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export interface ServerProcess {
  /** e.g. http://127.0.0.1:41234 */
  readonly address: string;
  readonly pid: number;
  /** The last lines the server wrote to stderr (for failure reports). */
  recentOutput(): string;
  /** SIGTERM, then wait for the exit (a CPU profile is written on exit). */
  stop(): Promise<void>;
}

export interface ServerProcessOptions {
  readonly projectDir: string;
  /** Write a V8 CPU profile of the server into this directory when it exits. */
  readonly cpuProfileDir?: string;
}

/**
 * `interlock serve` in a child process on port 0, so the load generator does not share the server's
 * event loop. Resolves once the server reports the address it listens on.
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const nodeArguments = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir];
  const child = spawn(process.execPath, [...nodeArguments, CLI, 'serve', '--project', options.projectDir, '--port', '0'], {
    cwd: REPOSITORY_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));

  const address = await new Promise<string>((resolveAddress, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    const watch = () => {
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolveAddress(match[1]);
      }
    };
    child.stderr?.on('data', watch);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with code ${String(code)} before listening:\n${output}`));
    });
  });

  return {
    address,
    pid: child.pid ?? -1,
    recentOutput: () => output,
    stop: () => stopChild(child, exited),
  };
}

/** SIGTERM, then SIGKILL if the process has not exited within STOP_TIMEOUT_MS. */
export async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timeout = new Promise<'timeout'>((resolveTimeout) => setTimeout(() => resolveTimeout('timeout'), STOP_TIMEOUT_MS).unref());
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}
