/** Latency figures of one series of samples, in microseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50Micros: number;
  readonly p99Micros: number;
  readonly meanMicros: number;
  readonly minMicros: number;
  readonly maxMicros: number;
}

/** Nearest-rank percentile of samples that are already sorted in ascending order. */
export function percentile(sorted: ArrayLike<number>, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(fraction * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? Number.NaN;
}

/** Summarises samples (microseconds); the input is copied, never reordered. */
export function summarise(samplesMicros: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samplesMicros).sort();
  let total = 0;
  for (const value of sorted) total += value;
  return {
    count: sorted.length,
    p50Micros: roundMicros(percentile(sorted, 0.5)),
    p99Micros: roundMicros(percentile(sorted, 0.99)),
    meanMicros: roundMicros(sorted.length === 0 ? Number.NaN : total / sorted.length),
    minMicros: roundMicros(sorted[0] ?? Number.NaN),
    maxMicros: roundMicros(sorted[sorted.length - 1] ?? Number.NaN),
  };
}

/** What governing a call adds to calling the function directly, statistic by statistic. */
export function overhead(governed: LatencySummary, direct: LatencySummary): { p50Micros: number; p99Micros: number; meanMicros: number } {
  return {
    p50Micros: roundMicros(governed.p50Micros - direct.p50Micros),
    p99Micros: roundMicros(governed.p99Micros - direct.p99Micros),
    meanMicros: roundMicros(governed.meanMicros - direct.meanMicros),
  };
}

export function roundMicros(value: number): number {
  return Math.round(value * 100) / 100;
}
