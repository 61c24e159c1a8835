import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRuntime } from '../../src/runtime/open-runtime.js';
import type { ResultRow } from '../result.js';
import { createBenchProject, type BenchProject } from '../support/bench-project.js';
import { summariseCpuProfile, type ProfileSummary } from '../support/cpu-profile.js';
import { runHttpLoad, type HttpLoadResult } from '../support/http-load.js';
import { startServerProcess } from '../support/server-process.js';

type Durability = 'durable' | 'relaxed';

const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CONNECTIONS = 50;
const DURABLE_TARGET = { callsPerSecond: 3_000, p99Micros: 20_000 };
const LOOKUP_BODY = JSON.stringify({ tool: 'orders', operation: 'lookup', arguments: { order_id: 'o-1001' } });

export interface HttpPlan {
  readonly warmUpSeconds: number;
  readonly durableSeconds: number;
  readonly relaxedSeconds: number;
  /** Run the durable measurement once more with the server under --cpu-prof and rank its functions. */
  readonly profile: boolean;
  readonly keep: boolean;
}

export const DEFAULT_HTTP_PLAN: HttpPlan = { warmUpSeconds: 2, durableSeconds: 10, relaxedSeconds: 5, profile: false, keep: false };

interface ModeMeasurement {
  readonly durability: Durability;
  readonly load: HttpLoadResult;
  readonly profile?: ProfileSummary;
}

/**
 * POST /v1/calls orders.lookup against `interlock serve` in a child process, 50 connections, with a
 * valid agent token: durable (the target) and relaxed (for comparison).
 */
export async function runHttpThroughput(
  plan: HttpPlan = DEFAULT_HTTP_PLAN,
): Promise<{ rows: ResultRow[]; details: Record<string, unknown> }> {
  const durable = await measureMode('durable', plan.durableSeconds, plan);
  const relaxed = await measureMode('relaxed', plan.relaxedSeconds, plan);
  const profiled = plan.profile ? await measureMode('durable', plan.durableSeconds, plan, true) : undefined;
  const rows = [rowOf(durable, true), rowOf(relaxed, false)];
  return {
    rows,
    details: {
      connections: CONNECTIONS,
      plan: { warmUpSeconds: plan.warmUpSeconds, durableSeconds: plan.durableSeconds, relaxedSeconds: plan.relaxedSeconds },
      request: { method: 'POST', path: '/v1/calls', body: JSON.parse(LOOKUP_BODY) as unknown },
      durable: durable.load,
      relaxed: relaxed.load,
      ...(profiled === undefined
        ? {}
        : {
            profiledDurable: {
              load: profiled.load,
              profile: profiled.profile,
              note: 'server under --cpu-prof; figures are slower than unprofiled',
            },
          }),
    },
  };
}

async function measureMode(durability: Durability, durationSeconds: number, plan: HttpPlan, profile = false): Promise<ModeMeasurement> {
  const project = createBenchProject({ durability, keep: plan.keep });
  const profileDir = profile ? mkdtempSync(join(tmpdir(), 'interlock-bench-profile-')) : undefined;
  try {
    const token = await mintAgentToken(project);
    const server = await startServerProcess({
      projectDir: project.dir,
      ...(profileDir === undefined ? {} : { cpuProfileDir: profileDir }),
    });
    let load: HttpLoadResult;
    try {
      const url = `${server.address}/v1/calls`;
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      await assertExecuted(url, headers);
      await runHttpLoad({ url, headers, body: LOOKUP_BODY, connections: CONNECTIONS, durationSeconds: plan.warmUpSeconds });
      load = await runHttpLoad({ url, serverPid: server.pid, headers, body: LOOKUP_BODY, connections: CONNECTIONS, durationSeconds });
    } catch (error) {
      process.stderr.write(`server output:\n${server.recentOutput()}\n`);
      throw error;
    } finally {
      await server.stop();
    }
    if (profileDir === undefined) return { durability, load };
    const written = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'));
    if (written[0] === undefined) throw new Error('the profiled server wrote no CPU profile');
    return {
      durability,
      load,
      profile: summariseCpuProfile(join(profileDir, written[0]), REPOSITORY_ROOT, { top: 10, window: load.window }),
    };
  } finally {
    project.remove();
    if (profileDir !== undefined && !plan.keep) rmSync(profileDir, { recursive: true, force: true });
  }
}

/** Mints the agent token before the server starts, so the two processes never share the store. */
async function mintAgentToken(project: BenchProject): Promise<string> {
  const runtime = await openRuntime(project.dir, { logLevel: 'silent', processMetrics: false });
  try {
    return (await runtime.identity.issuer.mintAgentToken({ agentId: 'support-bot' })).token;
  } finally {
    await runtime.close();
  }
}

async function assertExecuted(url: string, headers: Record<string, string>): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers, body: LOOKUP_BODY });
  const body = (await response.json()) as { status?: string };
  if (response.status !== 200 || body.status !== 'executed') {
    throw new Error(`the benchmark call is not executed by the server (HTTP ${response.status}): ${JSON.stringify(body)}`);
  }
}

function rowOf(measurement: ModeMeasurement, withTarget: boolean): ResultRow {
  const { load } = measurement;
  const failed = load.errors + load.timeouts;
  const clean = load.non2xx === 0 && failed === 0;
  const met = withTarget
    ? clean && load.successesPerSecond >= DURABLE_TARGET.callsPerSecond && load.latency.p99Micros <= DURABLE_TARGET.p99Micros
    : clean;
  return {
    scenario: `http orders.lookup ${measurement.durability}, ${CONNECTIONS} conn (non-2xx ${load.non2xx}${failed === 0 ? '' : `, errors ${failed}`})`,
    p50Micros: load.latency.p50Micros,
    p99Micros: load.latency.p99Micros,
    meanMicros: load.latency.meanMicros,
    throughputPerSecond: load.successesPerSecond,
    target: withTarget ? `≥ ${DURABLE_TARGET.callsPerSecond}/s, p99 ≤ ${DURABLE_TARGET.p99Micros / 1000} ms, non-2xx 0` : 'non-2xx 0',
    met,
  };
}
