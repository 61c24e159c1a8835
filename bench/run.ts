// `npm run bench [-- --only decision,inprocess,http,peer,mcp,kill,approval,retrieval,signals] [--profile] [--keep]`: measures the kernel
// on this machine, prints a table and writes bench/results/<timestamp>.json and latest.json.
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchUsageError, parseBenchOptions, type BenchOptions } from './cli-options.js';
import { machineInfo } from './machine.js';
import { formatTable, RESULTS_SCHEMA_VERSION, writeResults } from './report.js';
import type { ResultRow, ScenarioFailure, ScenarioName, ScenarioReport } from './result.js';
import { DEFAULT_APPROVAL_PLAN, DEFAULT_KILL_PLAN, runApprovalRoundTrip, runKillPropagation } from './safe-execution.js';
import { DEFAULT_RETRIEVAL_PLAN, runRetrievalBench } from './retrieval.js';
import { runSignalCost } from './signals.js';
import { runDecisionLatency } from './scenarios/decision-latency.js';
import { runHttpThroughput, DEFAULT_HTTP_PLAN } from './scenarios/http-throughput.js';
import { runInProcessOverhead, DEFAULT_IN_PROCESS_PLAN } from './scenarios/in-process-overhead.js';
import { runMcpRoundTrip, DEFAULT_MCP_PLAN } from './scenarios/mcp-round-trip.js';
import { runPeerOverhead } from './scenarios/peer-overhead.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const RESULTS_DIR = join(BENCH_DIR, 'results');

type ScenarioRunner = (options: BenchOptions) => Promise<{ rows: ResultRow[]; details: Record<string, unknown> }>;

const RUNNERS: Record<ScenarioName, ScenarioRunner> = {
  decision: () => runDecisionLatency(),
  inprocess: (options) => runInProcessOverhead({ ...DEFAULT_IN_PROCESS_PLAN, keep: options.keep }),
  http: (options) => runHttpThroughput({ ...DEFAULT_HTTP_PLAN, profile: options.profile, keep: options.keep }),
  peer: () => runPeerOverhead(),
  mcp: (options) => runMcpRoundTrip({ ...DEFAULT_MCP_PLAN, profile: options.profile, keep: options.keep }),
  kill: (options) => runKillPropagation({ ...DEFAULT_KILL_PLAN, keep: options.keep }),
  approval: (options) => runApprovalRoundTrip({ ...DEFAULT_APPROVAL_PLAN, keep: options.keep }),
  retrieval: (options) => runRetrievalBench({ ...DEFAULT_RETRIEVAL_PLAN, keep: options.keep }),
  signals: () => runSignalCost(),
};

async function main(argv: readonly string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(argv);
  } catch (error) {
    if (error instanceof BenchUsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const machine = machineInfo();
  const startedAt = new Date().toISOString();
  const started = process.hrtime.bigint();
  process.stderr.write(
    `interlock bench: ${options.only.join(', ')} on ${machine.cpuModel} (${machine.cores} cores), Node ${machine.nodeVersion}, load ${machine.loadAverage.join(' ')}\n`,
  );

  const scenarios: ScenarioReport[] = [];
  const failures: ScenarioFailure[] = [];
  for (const name of options.only) {
    const scenarioStarted = process.hrtime.bigint();
    process.stderr.write(`  ${name} ...`);
    try {
      const { rows, details } = await RUNNERS[name](options);
      const elapsedSeconds = secondsSince(scenarioStarted);
      scenarios.push({ name, rows, details, elapsedSeconds });
      process.stderr.write(` ${elapsedSeconds} s\n`);
    } catch (error) {
      const elapsedSeconds = secondsSince(scenarioStarted);
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      failures.push({ name, error: message, elapsedSeconds });
      process.stderr.write(` failed after ${elapsedSeconds} s\n${message}\n`);
    }
  }

  const elapsedSeconds = secondsSince(started);
  process.stdout.write(
    `\n${formatTable(
      scenarios.flatMap((scenario) => scenario.rows),
      failures,
    )}`,
  );
  const path = writeResults(RESULTS_DIR, {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    startedAt,
    elapsedSeconds,
    machine,
    arguments: argv,
    scenarios,
    failures,
  });
  process.stdout.write(
    `\n${elapsedSeconds} s; results in ${relative(process.cwd(), path)} and ${relative(process.cwd(), join(RESULTS_DIR, 'latest.json'))}\n`,
  );
  printProfiles(scenarios);
  return failures.length === 0 ? 0 : 1;
}

/** When --profile was given, the top self-time functions of the profiled servers. */
function printProfiles(scenarios: readonly ScenarioReport[]): void {
  const profiled: Array<[string, unknown]> = [
    ['server CPU profile during the durable HTTP load', scenarios.find((scenario) => scenario.name === 'http')?.details['profiledDurable']],
    [
      'MCP gateway CPU profile during the MCP round trips',
      scenarios.find((scenario) => scenario.name === 'mcp')?.details['profiledInterlockHttp'],
    ],
  ];
  for (const [title, details] of profiled) {
    const profile = (details as { profile?: PrintedProfile } | undefined)?.profile;
    if (profile === undefined) continue;
    process.stdout.write(`\n${title} (self time, share of busy time):\n`);
    for (const entry of profile.topFunctions) {
      process.stdout.write(`  ${entry.percentOfBusy.toFixed(1).padStart(5)}%  ${entry.functionName}  ${entry.location}\n`);
    }
    process.stdout.write(`  by area: ${profile.topAreas.map((area) => `${area.area} ${area.percentOfBusy}%`).join(', ')}\n`);
  }
}

interface PrintedProfile {
  readonly topFunctions: ReadonlyArray<{ functionName: string; location: string; selfMillis: number; percentOfBusy: number }>;
  readonly topAreas: ReadonlyArray<{ area: string; percentOfBusy: number }>;
}

function secondsSince(started: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - started) / 1e7) / 100;
}

process.exitCode = await main(process.argv.slice(2));
