import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { ResultRow } from '../result.js';
import { overhead, summarise, type LatencySummary } from '../statistics.js';
import { summariseCpuProfile, type ProfileSummary } from '../support/cpu-profile.js';
import { sampleInterleaved, type InterleavedPlan, type InterleavedSamples } from '../support/interleaved-sampler.js';
import {
  connectHttp,
  connectHttpProcess,
  connectStdio,
  EVERYTHING_ENTRY,
  freePort,
  MCP_PROXY_BIN,
  REPOSITORY_ROOT,
  type McpEndpoint,
} from '../support/mcp-endpoints.js';
import { createMcpBenchProject, MCP_BENCH_AGENT, MCP_BENCH_SERVER, type McpBenchProject } from '../support/mcp-project.js';
import { startServerProcess } from '../support/server-process.js';

const CLI = resolve(REPOSITORY_ROOT, 'bin/interlock.js');
const ECHO_TOOL = 'echo';
const MESSAGE = 'benchmark';
/** Interlock's added latency at p50 over the direct call. */
const ADDED_TARGET_MICROS = 1_000;

export interface McpPlan extends InterleavedPlan {
  /** Run the Interlock HTTP gateway under --cpu-prof and rank its functions over the measured window. */
  readonly profile: boolean;
  readonly keep: boolean;
}

export const DEFAULT_MCP_PLAN: McpPlan = { warmUp: 200, samples: 2_000, block: 50, profile: false, keep: false };

type SeriesKey = 'directStdio' | 'directHttp' | 'proxyHttp' | 'interlockHttp' | 'interlockStdio';

const SERIES_LABELS: Record<SeriesKey, string> = {
  directStdio: 'direct, stdio',
  directHttp: 'direct, Streamable HTTP',
  proxyHttp: 'mcp-proxy, HTTP → stdio',
  interlockHttp: 'Interlock durable, HTTP → stdio',
  interlockStdio: 'Interlock durable, stdio → stdio',
};

/** Each comparison: `minuend − subtrahend` at every statistic, with the p50 target where one applies. */
const COMPARISONS: ReadonlyArray<{ minuend: SeriesKey; subtrahend: SeriesKey; label: string; targetMicros: number | null }> = [
  { minuend: 'interlockHttp', subtrahend: 'directStdio', label: 'Interlock HTTP − direct stdio', targetMicros: ADDED_TARGET_MICROS },
  { minuend: 'interlockHttp', subtrahend: 'directHttp', label: 'Interlock HTTP − direct HTTP', targetMicros: ADDED_TARGET_MICROS },
  { minuend: 'interlockStdio', subtrahend: 'directStdio', label: 'Interlock stdio − direct stdio', targetMicros: ADDED_TARGET_MICROS },
  { minuend: 'interlockHttp', subtrahend: 'proxyHttp', label: 'Interlock HTTP − mcp-proxy', targetMicros: 0 },
  { minuend: 'proxyHttp', subtrahend: 'directStdio', label: 'mcp-proxy − direct stdio', targetMicros: null },
];

type Measured = LatencySummary & Omit<InterleavedSamples, 'samplesMicros'>;

/**
 * `tools/call` of the reference server's `echo`, one call at a time, from an SDK client: (a) to
 * the server directly over stdio, (a') to the server's own Streamable HTTP mode, (b) through
 * mcp-proxy (Streamable HTTP in front of the server over stdio, nothing governed), (c) through
 * `interlock serve` in durable mode (the same shape as (b), every call governed and recorded), and
 * (c') through `interlock mcp --agent` over stdio. The series are sampled in interleaved blocks.
 */
export async function runMcpRoundTrip(plan: McpPlan = DEFAULT_MCP_PLAN): Promise<{ rows: ResultRow[]; details: Record<string, unknown> }> {
  const projects: McpBenchProject[] = [];
  const endpoints = new Map<SeriesKey, McpEndpoint>();
  const profileDir = plan.profile ? mkdtempSync(join(tmpdir(), 'interlock-bench-mcp-profile-')) : undefined;
  let measured: Map<string, InterleavedSamples>;
  let window: { fromMicros: number; toMicros: number };
  try {
    endpoints.set('directStdio', await connectStdio([EVERYTHING_ENTRY, 'stdio']));
    const directPort = await freePort();
    endpoints.set(
      'directHttp',
      await connectHttpProcess({
        args: [EVERYTHING_ENTRY, 'streamableHttp'],
        env: { PORT: String(directPort) },
        port: directPort,
        path: '/mcp',
      }),
    );
    const proxyPort = await freePort();
    endpoints.set(
      'proxyHttp',
      await connectHttpProcess({
        args: [
          MCP_PROXY_BIN,
          '--port',
          String(proxyPort),
          '--host',
          '127.0.0.1',
          '--server',
          'stream',
          '--',
          process.execPath,
          EVERYTHING_ENTRY,
          'stdio',
        ],
        port: proxyPort,
        path: '/mcp',
      }),
    );

    const httpProject = createMcpBenchProject({ durability: 'durable', keep: plan.keep });
    projects.push(httpProject);
    // Minted before the server starts, so the two processes never share the store.
    const token = await mintAgentToken(httpProject.dir);
    const server = await startServerProcess({
      projectDir: httpProject.dir,
      ...(profileDir === undefined ? {} : { cpuProfileDir: profileDir }),
    });
    try {
      const gateway = await connectHttp(`${server.address}/mcp`, { authorization: `Bearer ${token}` });
      endpoints.set('interlockHttp', {
        client: gateway.client,
        pid: server.pid,
        recentOutput: server.recentOutput,
        close: async () => {
          await gateway.close();
          await server.stop();
        },
      });
    } catch (error) {
      await server.stop();
      throw error;
    }

    const stdioProject = createMcpBenchProject({ durability: 'durable', keep: plan.keep });
    projects.push(stdioProject);
    endpoints.set('interlockStdio', await connectStdio([CLI, 'mcp', '--project', stdioProject.dir, '--agent', MCP_BENCH_AGENT]));

    const series = [...endpoints].map(([key, endpoint]) => {
      const name = key === 'interlockHttp' || key === 'interlockStdio' ? `${MCP_BENCH_SERVER}__${ECHO_TOOL}` : ECHO_TOOL;
      return { key, endpoint, call: () => echo(endpoint, name, key) };
    });
    // A call that is refused or fails throws, so a fast refusal can never pass for a fast call.
    for (const entry of series) await entry.call();
    const started = process.hrtime.bigint();
    measured = await sampleInterleaved(
      series.map((entry) => ({ name: entry.key, call: entry.call, pid: entry.endpoint.pid })),
      plan,
    );
    window = { fromMicros: Number(started / 1000n), toMicros: Number(process.hrtime.bigint() / 1000n) };
  } catch (error) {
    if (profileDir !== undefined && !plan.keep) rmSync(profileDir, { recursive: true, force: true });
    throw error;
  } finally {
    for (const endpoint of [...endpoints.values()].reverse()) await endpoint.close().catch(() => undefined);
    for (const project of projects) project.remove();
  }

  const summaries = new Map<SeriesKey, Measured>();
  for (const key of Object.keys(SERIES_LABELS) as SeriesKey[]) {
    const samples = measured.get(key);
    if (samples === undefined) throw new Error(`series ${key} was not measured`);
    const { samplesMicros, ...rest } = samples;
    summaries.set(key, { ...summarise(samplesMicros), ...rest });
  }
  const profile = profileDir === undefined ? undefined : readProfile(profileDir, window, plan.keep);
  return {
    rows: rowsOf(summaries),
    details: {
      plan: { warmUp: plan.warmUp, samples: plan.samples, block: plan.block },
      tool: { name: ECHO_TOOL, arguments: { message: MESSAGE } },
      versions: versions(),
      series: Object.fromEntries(summaries),
      comparisons: COMPARISONS.map((comparison) => ({
        label: comparison.label,
        ...overhead(need(summaries, comparison.minuend), need(summaries, comparison.subtrahend)),
      })),
      ...(profile === undefined
        ? {}
        : { profiledInterlockHttp: { profile, note: 'gateway under --cpu-prof; its figures are slower than unprofiled' } }),
    },
  };
}

async function echo(endpoint: McpEndpoint, name: string, key: SeriesKey): Promise<void> {
  const result = await endpoint.client.callTool({ name, arguments: { message: MESSAGE } });
  const content = result['content'];
  const text = Array.isArray(content) ? (content[0] as { text?: unknown } | undefined)?.text : undefined;
  if (result['isError'] === true || text !== `Echo: ${MESSAGE}`) {
    throw new Error(`${SERIES_LABELS[key]}: ${name} did not echo: ${JSON.stringify(result).slice(0, 500)}\n${endpoint.recentOutput()}`);
  }
}

async function mintAgentToken(projectDir: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [CLI, 'agents', 'token', '--project', projectDir, '--agent', MCP_BENCH_AGENT, '--ttl', '2h', '--json'],
    { cwd: REPOSITORY_ROOT },
  );
  const minted = JSON.parse(stdout) as { token?: unknown };
  if (typeof minted.token !== 'string') throw new Error('interlock agents token printed no token');
  return minted.token;
}

function rowsOf(summaries: Map<SeriesKey, Measured>): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const [key, summary] of summaries) {
    rows.push({
      scenario: `mcp echo ${SERIES_LABELS[key]}`,
      p50Micros: summary.p50Micros,
      p99Micros: summary.p99Micros,
      meanMicros: summary.meanMicros,
      throughputPerSecond: summary.callsPerSecond,
      target: null,
      met: null,
    });
  }
  for (const comparison of COMPARISONS) {
    const added = overhead(need(summaries, comparison.minuend), need(summaries, comparison.subtrahend));
    rows.push({
      scenario: `mcp ${comparison.label}`,
      ...added,
      throughputPerSecond: null,
      target: comparison.targetMicros === null ? null : `p50 ≤ ${comparison.targetMicros / 1000} ms`,
      met: comparison.targetMicros === null ? null : added.p50Micros <= comparison.targetMicros,
    });
  }
  return rows;
}

function need(summaries: Map<SeriesKey, Measured>, key: SeriesKey): Measured {
  const summary = summaries.get(key);
  if (summary === undefined) throw new Error(`series ${key} was not measured`);
  return summary;
}

/** The gateway's main-thread profile (thread 0 in the file name; worker threads write their own). */
function readProfile(profileDir: string, window: { fromMicros: number; toMicros: number }, keep: boolean): ProfileSummary {
  try {
    const written = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'));
    const main = written.find((name) => /\.\d+\.0\.\d+\.cpuprofile$/.test(name)) ?? written[0];
    if (main === undefined) throw new Error('the profiled gateway wrote no CPU profile');
    return summariseCpuProfile(join(profileDir, main), REPOSITORY_ROOT, { top: 12, window });
  } finally {
    if (!keep) rmSync(profileDir, { recursive: true, force: true });
  }
}

function versions(): Record<string, string> {
  const versionOf = (packagePath: string): string => {
    try {
      const manifest = JSON.parse(readFileSync(resolve(REPOSITORY_ROOT, 'node_modules', packagePath, 'package.json'), 'utf8')) as {
        version?: string;
      };
      return manifest.version ?? 'unknown';
    } catch {
      return 'unknown';
    }
  };
  return {
    sdk: versionOf('@modelcontextprotocol/sdk'),
    serverEverything: versionOf('@modelcontextprotocol/server-everything'),
    mcpProxy: versionOf('mcp-proxy'),
  };
}
