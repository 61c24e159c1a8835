import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openInterlock } from '../../src/sdk/index.js';
import type { ResultRow } from '../result.js';
import { overhead, summarise, type LatencySummary } from '../statistics.js';
import { createBenchProject, type BenchProject } from '../support/bench-project.js';
import { sampleSequentially, type SequentialPlan } from '../support/sequential-sampler.js';
import { mintSupportUserAssertion } from '../support/user-assertion.js';

/** Example handlers read the calling tenant from their context; direct calls pass the same one. */
type Handler = (args: Record<string, unknown>, context: { tenant: string }) => unknown;
const DIRECT_CONTEXT = { tenant: 'acme' };
type Durability = 'relaxed' | 'durable';

/** Overhead targets on the median, per durability mode. */
const OVERHEAD_TARGET_P50_MICROS: Record<Durability, number> = { relaxed: 150, durable: 600 };

const LOOKUP_ARGUMENTS = { order_id: 'o-1001' };
const REFUND_ARGUMENTS = { order_id: 'o-1001', amount_cents: 100, reason: 'benchmark refund' };

export interface InProcessPlan {
  readonly direct: SequentialPlan;
  readonly relaxed: SequentialPlan;
  readonly durable: SequentialPlan;
  readonly keep: boolean;
}

export const DEFAULT_IN_PROCESS_PLAN: InProcessPlan = {
  direct: { warmUp: 2_000, samples: 5_000 },
  relaxed: { warmUp: 500, samples: 5_000 },
  durable: { warmUp: 300, samples: 3_000 },
  keep: false,
};

type Measured = LatencySummary & { callsPerSecond: number; cpuMicrosPerCall: number };

interface OperationSeries {
  readonly operation: 'orders.lookup' | 'refunds.create';
  readonly direct: Measured;
  readonly governed: Partial<Record<Durability, Measured>>;
}

/**
 * The same in-process handler of the example project, called directly and through the SDK
 * (`Interlock.wrap`), one call at a time: a read (orders.lookup) and a write on behalf of a signed-in
 * support user (refunds.create of 1.00). Each durability mode gets its own fresh project copy.
 */
export async function runInProcessOverhead(
  plan: InProcessPlan = DEFAULT_IN_PROCESS_PLAN,
): Promise<{ rows: ResultRow[]; details: Record<string, unknown> }> {
  const assertion = await mintSupportUserAssertion();
  const series: OperationSeries[] = [];

  // Direct: the handler module of a project copy, imported as the host application would.
  const directProject = createBenchProject({ durability: 'relaxed', keep: plan.keep });
  try {
    const handlers = await importHandlers(directProject);
    for (const operation of ['orders.lookup', 'refunds.create'] as const) {
      const handler = handlerOf(handlers, operation);
      const args = operation === 'orders.lookup' ? LOOKUP_ARGUMENTS : REFUND_ARGUMENTS;
      const sampled = await sampleSequentially(() => handler(args, DIRECT_CONTEXT), plan.direct);
      series.push({
        operation,
        direct: { ...summarise(sampled.samplesMicros), callsPerSecond: sampled.callsPerSecond, cpuMicrosPerCall: sampled.cpuMicrosPerCall },
        governed: {},
      });
    }
  } finally {
    directProject.remove();
  }

  for (const durability of ['relaxed', 'durable'] as const) {
    const project = createBenchProject({ durability, keep: plan.keep });
    const interlock = await openInterlock(project.dir, {
      durability,
      loadHandlers: false,
      processMetrics: false,
      logLevel: 'warn',
      logStream: process.stderr,
    });
    try {
      const handlers = await importHandlers(project);
      const lookup = interlock.wrap('orders.lookup', handlerOf(handlers, 'orders.lookup'), { agent: 'support-bot' });
      const refund = interlock.wrap('refunds.create', handlerOf(handlers, 'refunds.create'), {
        agent: 'support-bot',
        actingFor: assertion,
      });
      // Every refund is a new one, under its own idempotency key, as a real caller sends it: the
      // governed write includes claiming and settling that key.
      const keyPrefix = `bench-refund-${randomUUID()}`;
      let refunds = 0;
      const newRefund = () => refund(REFUND_ARGUMENTS, { idempotencyKey: `${keyPrefix}-${(refunds += 1)}` });
      // A governed call that does not execute throws, so a refused call cannot pass for a fast one.
      await assertGoverned(lookup(LOOKUP_ARGUMENTS), (result) => result['found'] === true, 'orders.lookup');
      await assertGoverned(newRefund(), (result) => result['status'] === 'issued', 'refunds.create');
      for (const entry of series) {
        const governed = entry.operation === 'orders.lookup' ? () => lookup(LOOKUP_ARGUMENTS) : newRefund;
        const sampled = await sampleSequentially(governed, plan[durability]);
        entry.governed[durability] = {
          ...summarise(sampled.samplesMicros),
          callsPerSecond: sampled.callsPerSecond,
          cpuMicrosPerCall: sampled.cpuMicrosPerCall,
        };
      }
    } finally {
      await interlock.close();
      project.remove();
    }
  }

  return {
    rows: series.flatMap(rowsOf),
    details: { plan: { direct: plan.direct, relaxed: plan.relaxed, durable: plan.durable }, series: series.map(detailsOf) },
  };
}

function rowsOf(entry: OperationSeries): ResultRow[] {
  const rows: ResultRow[] = [latencyRow(`in-process ${entry.operation} direct`, entry.direct)];
  for (const durability of ['relaxed', 'durable'] as const) {
    const governed = entry.governed[durability];
    if (governed === undefined) continue;
    rows.push(latencyRow(`in-process ${entry.operation} ${durability}`, governed));
    const added = overhead(governed, entry.direct);
    const target = OVERHEAD_TARGET_P50_MICROS[durability];
    rows.push({
      scenario: `in-process ${entry.operation} ${durability} overhead`,
      p50Micros: added.p50Micros,
      p99Micros: added.p99Micros,
      meanMicros: added.meanMicros,
      throughputPerSecond: null,
      target: `p50 ≤ ${target} µs`,
      met: added.p50Micros <= target,
    });
  }
  return rows;
}

function latencyRow(scenario: string, summary: Measured): ResultRow {
  return {
    scenario,
    p50Micros: summary.p50Micros,
    p99Micros: summary.p99Micros,
    meanMicros: summary.meanMicros,
    throughputPerSecond: summary.callsPerSecond,
    target: null,
    met: null,
  };
}

function detailsOf(entry: OperationSeries): Record<string, unknown> {
  const overheads: Record<string, unknown> = {};
  for (const durability of ['relaxed', 'durable'] as const) {
    const governed = entry.governed[durability];
    if (governed !== undefined) overheads[durability] = overhead(governed, entry.direct);
  }
  return { operation: entry.operation, direct: entry.direct, governed: entry.governed, overhead: overheads };
}

async function importHandlers(project: BenchProject): Promise<Record<string, unknown>> {
  const module = (await import(pathToFileURL(join(project.dir, 'handlers.js')).href)) as { handlers?: Record<string, unknown> };
  if (module.handlers === undefined) throw new Error('examples/refunds/handlers.js no longer exports `handlers`');
  return module.handlers;
}

function handlerOf(handlers: Record<string, unknown>, name: string): Handler {
  const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
  if (typeof handler !== 'function') throw new Error(`examples/refunds/handlers.js has no handler for ${name}`);
  return handler as Handler;
}

async function assertGoverned(
  call: Promise<unknown>,
  check: (result: Record<string, unknown>) => boolean,
  operation: string,
): Promise<void> {
  const result = await call;
  if (typeof result !== 'object' || result === null || !check(result as Record<string, unknown>)) {
    throw new Error(`${operation} through Interlock did not return the handler's result: ${JSON.stringify(result)}`);
  }
}
