import { processCpuMicros } from './process-cpu.js';

export interface InterleavedSeries {
  readonly name: string;
  readonly call: () => Promise<unknown>;
  /** A process whose CPU time is charged to this series (the gateway or server answering it). */
  readonly pid: number | null;
}

export interface InterleavedPlan {
  /** Untimed calls per series before measuring. */
  readonly warmUp: number;
  /** Timed calls per series. */
  readonly samples: number;
  /** Consecutive calls to one series before moving on to the next. */
  readonly block: number;
}

export interface InterleavedSamples {
  /** One latency per measured call, microseconds. */
  readonly samplesMicros: Float64Array;
  /** Measured calls per second of the time spent on this series (one call in flight). */
  readonly callsPerSecond: number;
  /** CPU time of this (the client's) process per call, microseconds. */
  readonly clientCpuMicrosPerCall: number;
  /** CPU time of the series' process per call (from /proc, 10 ms ticks summed over every block); null without /proc. */
  readonly serverCpuMicrosPerCall: number | null;
}

/**
 * Times sequential calls to several series in blocks, round after round (the first series of each
 * round rotates), so that every series samples the same stretch of time. On a machine that other
 * work shares, a slow minute then slows every series alike instead of whichever ran during it.
 */
export async function sampleInterleaved(
  series: readonly InterleavedSeries[],
  plan: InterleavedPlan,
): Promise<Map<string, InterleavedSamples>> {
  for (const entry of series) for (let index = 0; index < plan.warmUp; index += 1) await entry.call();
  const state = series.map((entry) => ({
    entry,
    samples: new Float64Array(plan.samples),
    taken: 0,
    elapsedNanos: 0n,
    clientCpuMicros: 0,
    serverCpuMicros: 0 as number | null,
  }));
  for (let round = 0; state.some((entry) => entry.taken < plan.samples); round += 1) {
    for (let offset = 0; offset < state.length; offset += 1) {
      const current = state[(round + offset) % state.length];
      if (current === undefined || current.taken >= plan.samples) continue;
      const count = Math.min(plan.block, plan.samples - current.taken);
      const serverBefore = current.entry.pid === null ? null : processCpuMicros(current.entry.pid);
      const clientBefore = process.cpuUsage();
      const started = process.hrtime.bigint();
      for (let index = 0; index < count; index += 1) {
        const before = process.hrtime.bigint();
        await current.entry.call();
        current.samples[current.taken] = Number(process.hrtime.bigint() - before) / 1_000;
        current.taken += 1;
      }
      current.elapsedNanos += process.hrtime.bigint() - started;
      const client = process.cpuUsage(clientBefore);
      current.clientCpuMicros += client.user + client.system;
      const serverAfter = current.entry.pid === null ? null : processCpuMicros(current.entry.pid);
      current.serverCpuMicros =
        current.serverCpuMicros === null || serverBefore === null || serverAfter === null
          ? null
          : current.serverCpuMicros + (serverAfter - serverBefore);
    }
  }
  return new Map(
    state.map((entry) => [
      entry.entry.name,
      {
        samplesMicros: entry.samples,
        callsPerSecond: Math.round(plan.samples / (Number(entry.elapsedNanos) / 1e9)),
        clientCpuMicrosPerCall: Math.round(entry.clientCpuMicros / plan.samples),
        serverCpuMicrosPerCall: entry.serverCpuMicros === null ? null : Math.round(entry.serverCpuMicros / plan.samples),
      },
    ]),
  );
}
