/**
 * One run of the suite against one target: starts the upstream alone, or `interlock serve` with a
 * bearer forwarder in front, runs the suite's CLI, and reads the checks it recorded.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  ensureBuilt,
  mintAgentToken,
  removeDirectory,
  startServer,
  temporaryDirectory,
  type ServerProcess,
} from '../../test/cli/interlock-process.js';
import { startBearerForwarder, type BearerForwarder } from '../../test/support/mcp/bearer-forwarder.js';
import { answerChecks, type Check, type ScenarioResult, type Target } from './checks.js';
import { AGENT, conformanceProject, REPOSITORY_ROOT, UPSTREAM_SCRIPT } from './project.js';

const SUITE_PACKAGE = join(REPOSITORY_ROOT, 'node_modules', '@modelcontextprotocol', 'conformance');
const SUITE_ENTRY = join(SUITE_PACKAGE, 'dist', 'index.js');
const READY_TIMEOUT_MS = 20_000;
const SUITE_TIMEOUT_MS = 10 * 60_000;

type Cleanup = () => Promise<void> | void;

export function suiteVersion(): string {
  return (JSON.parse(readFileSync(join(SUITE_PACKAGE, 'package.json'), 'utf8')) as { version: string }).version;
}

export interface RunOptions {
  readonly target: Target;
  /** Scenario names; omitted: the suite's active server scenarios. */
  readonly scenarios?: readonly string[];
  /** Where the suite writes its checks; a temporary directory when omitted. */
  readonly outputDir?: string;
  readonly log?: (line: string) => void;
}

/** Runs the scenarios against one target and returns their checks. Cleans up every process and directory it made. */
export async function runConformance(options: RunOptions): Promise<ScenarioResult[]> {
  const log = options.log ?? (() => undefined);
  const cleanups: Cleanup[] = [];
  try {
    const url = options.target === 'upstream' ? await startUpstreamAlone(cleanups) : await startGateway(options.target, cleanups, log);
    const outputDir = options.outputDir ?? temporaryDirectory('conformance-results');
    if (options.outputDir === undefined) cleanups.push(() => removeDirectory(outputDir));
    mkdirSync(outputDir, { recursive: true });
    log(`${options.target}: running the suite against ${url}`);
    const ran = await runSuite(url, options.scenarios, outputDir, log);
    const recorded = readRecordedChecks(outputDir);
    return ran.map((scenario) => {
      const checks = recorded.get(scenario) ?? [
        { id: scenario, name: scenario, description: 'The suite recorded no checks for this scenario', status: 'FAILURE' },
      ];
      return { scenario, checks: [...checks, ...answerChecks(scenario, checks, options.target)] };
    });
  } finally {
    for (const cleanup of cleanups.reverse()) {
      // One cleanup that fails must not leave the other processes running.
      await Promise.resolve()
        .then(cleanup)
        .catch(() => undefined);
    }
  }
}

async function startUpstreamAlone(cleanups: Cleanup[]): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', UPSTREAM_SCRIPT], {
    cwd: REPOSITORY_ROOT,
    env: { ...process.env, CONFORMANCE_UPSTREAM_HTTP_PORT: '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  const port = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`the upstream did not start; stderr: ${stderr}`)), READY_TIMEOUT_MS);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening (\d+)/.exec(stderr);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the upstream exited before listening; stderr: ${stderr}`));
    });
  });
  return `http://127.0.0.1:${port}/mcp`;
}

async function startGateway(target: Target, cleanups: Cleanup[], log: (line: string) => void): Promise<string> {
  ensureBuilt();
  const project = conformanceProject(target === 'gateway-namespaced');
  cleanups.push(() => removeDirectory(project));
  const token = (await mintAgentToken(project, AGENT)).split('\n').at(-1) ?? '';
  const gateway: ServerProcess = await startServer(project);
  cleanups.push(async () => {
    await gateway.stop();
  });
  log(`${target}: interlock serve at ${gateway.url}`);
  const forwarder: BearerForwarder = await startBearerForwarder(new URL(gateway.url), token);
  cleanups.push(() => forwarder.close());
  const url = `${forwarder.origin}/mcp`;
  await waitForUpstream(url);
  return url;
}

/**
 * The gateway listens before its upstream is up. The suite starts once the upstream's resources
 * are passed through, which needs the upstream connected but not any tool name, so a run whose
 * tools are missing still runs and records that.
 */
async function waitForUpstream(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    const client = new Client({ name: 'conformance-readiness', version: '1.0.0' });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      const { resources } = await client.listResources();
      if (resources.some((resource) => resource.uri === 'test://static-text')) return;
      lastError = `resources/list has ${resources.length} resources, not yet test://static-text`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    } finally {
      await client.close().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the gateway's upstream did not come up in time: ${lastError}`);
}

/** Runs the suite's CLI (all active scenarios in one process, or one process per named scenario); returns the scenarios it ran. */
async function runSuite(
  url: string,
  scenarios: readonly string[] | undefined,
  outputDir: string,
  log: (line: string) => void,
): Promise<string[]> {
  if (scenarios === undefined) {
    const output = await runSuiteProcess(['server', '--url', url, '-o', outputDir]);
    log(output.trimEnd().split('\n').slice(-3).join('\n'));
    return [...output.matchAll(/^=== Running scenario: (\S+) ===$/gm)].map((match) => match[1]!);
  }
  // Named scenarios run side by side: each opens its own session, and most of a run is process start-up.
  await Promise.all(scenarios.map((scenario) => runSuiteProcess(['server', '--url', url, '--scenario', scenario, '-o', outputDir])));
  return [...scenarios];
}

/** The suite exits 1 when a check fails; that is read from checks.json, so only a crash is an error here. */
function runSuiteProcess(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SUITE_ENTRY, ...args], { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), SUITE_TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 || code === 1) resolve(output);
      else reject(new Error(`conformance ${args.join(' ')} ended with ${String(code ?? signal)}:\n${output}`));
    });
  });
}

/** `-o DIR` holds one `server-<scenario>-<timestamp>/checks.json` per scenario. */
function readRecordedChecks(outputDir: string): Map<string, Check[]> {
  const recorded = new Map<string, Check[]>();
  for (const entry of readdirSync(outputDir, { withFileTypes: true })) {
    const match = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(entry.name);
    if (!entry.isDirectory() || match?.[1] === undefined) continue;
    recorded.set(match[1], JSON.parse(readFileSync(join(outputDir, entry.name, 'checks.json'), 'utf8')) as Check[]);
  }
  return recorded;
}
