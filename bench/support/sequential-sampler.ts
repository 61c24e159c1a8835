export interface SequentialSamples {
  /** One latency per measured call, microseconds, in call order. */
  readonly samplesMicros: Float64Array;
  /** Measured calls per second of wall-clock time (sequential: one call in flight). */
  readonly callsPerSecond: number;
  /**
   * CPU time of this process (user + system) per measured call, microseconds. Less sensitive than
   * wall-clock latency to other processes competing for the cores.
   */
  readonly cpuMicrosPerCall: number;
}

export interface SequentialPlan {
  readonly warmUp: number;
  readonly samples: number;
}

/**
 * Calls `call` one at a time, awaiting each, and times every measured call with hrtime. Warm-up
 * calls are made first and not timed, so the JIT and caches are settled.
 */
export async function sampleSequentially(call: (index: number) => unknown, plan: SequentialPlan): Promise<SequentialSamples> {
  for (let index = 0; index < plan.warmUp; index += 1) await call(index);
  const samplesMicros = new Float64Array(plan.samples);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let index = 0; index < plan.samples; index += 1) {
    const before = process.hrtime.bigint();
    await call(plan.warmUp + index);
    samplesMicros[index] = Number(process.hrtime.bigint() - before) / 1_000;
  }
  const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    samplesMicros,
    callsPerSecond: Math.round(plan.samples / elapsedSeconds),
    cpuMicrosPerCall: Math.round(((cpu.user + cpu.system) / plan.samples) * 10) / 10,
  };
}
