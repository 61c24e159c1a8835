import autocannon, { type AutocannonResult } from 'autocannon';
import { summarise, type LatencySummary } from '../statistics.js';
import { processCpuMicros } from './process-cpu.js';

export interface HttpLoadOptions {
  readonly url: string;
  /** The server's process id, to read the CPU time it spent on the load (Linux). */
  readonly serverPid?: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly connections: number;
  readonly durationSeconds: number;
}

export interface HttpLoadResult {
  /** Latency of every response, from the samples themselves (not autocannon's 1 ms histogram). */
  readonly latency: LatencySummary;
  readonly elapsedSeconds: number;
  /** Start and end of the run on the monotonic clock, microseconds (to crop a server CPU profile). */
  readonly window: { readonly fromMicros: number; readonly toMicros: number };
  readonly responses: number;
  readonly successes: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Server CPU time (user + system) per response, microseconds; null where /proc is unavailable. */
  readonly serverCpuMicrosPerCall: number | null;
  /** 2xx responses per second of wall-clock time. */
  readonly successesPerSecond: number;
  readonly statusCodes: Record<string, number>;
  /** autocannon's own figures, kept for cross-checking. */
  readonly autocannon: { requestsPerSecondAverage: number; latencyP50Millis: number; latencyP99Millis: number };
}

/** Drives `connections` keep-alive connections at the URL for a fixed time and records every response. */
export async function runHttpLoad(options: HttpLoadOptions): Promise<HttpLoadResult> {
  const latenciesMillis: number[] = [];
  const statusCodes: Record<string, number> = {};
  const serverCpuBefore = options.serverPid === undefined ? null : processCpuMicros(options.serverPid);
  const started = process.hrtime.bigint();
  const instance = autocannon({
    url: options.url,
    method: 'POST',
    headers: options.headers,
    body: options.body,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 10,
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMillis: number) => {
    latenciesMillis.push(responseTimeMillis);
    const key = String(statusCode);
    statusCodes[key] = (statusCodes[key] ?? 0) + 1;
  });
  const result: AutocannonResult = await instance;
  const finished = process.hrtime.bigint();
  const serverCpuAfter = options.serverPid === undefined ? null : processCpuMicros(options.serverPid);
  const serverCpuMicrosPerCall =
    serverCpuBefore === null || serverCpuAfter === null || latenciesMillis.length === 0
      ? null
      : Math.round((serverCpuAfter - serverCpuBefore) / latenciesMillis.length);
  const elapsedSeconds = Number(finished - started) / 1e9;
  const successes = result['2xx'];
  return {
    latency: summarise(Float64Array.from(latenciesMillis, (millis) => millis * 1_000)),
    elapsedSeconds: Math.round(elapsedSeconds * 100) / 100,
    window: { fromMicros: Number(started / 1000n), toMicros: Number(finished / 1000n) },
    responses: latenciesMillis.length,
    successes,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    successesPerSecond: Math.round(successes / elapsedSeconds),
    serverCpuMicrosPerCall,
    statusCodes,
    autocannon: {
      requestsPerSecondAverage: result.requests.average,
      latencyP50Millis: result.latency.p50,
      latencyP99Millis: result.latency.p99,
    },
  };
}
