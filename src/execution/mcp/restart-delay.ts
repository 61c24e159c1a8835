/** How long to wait before reconnecting to an upstream that failed or was lost. */
export interface RestartPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * Exponential backoff with jitter: the ceiling doubles with each consecutive failure (1-based),
 * and the delay is drawn from its upper half so that many upstreams lost together do not all
 * come back in the same instant. Always between the initial and the maximum delay.
 */
export function restartDelay(policy: RestartPolicy, failures: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** exponent);
  const jittered = ceiling / 2 + (random() * ceiling) / 2;
  return Math.round(Math.min(policy.maxDelayMs, Math.max(policy.initialDelayMs, jittered)));
}
