/**
 * Token-bucket rate limiting per key, in process memory. Each replica limits on its own, so a
 * fleet of N replicas admits up to N times the configured rate (documented in the configuration
 * reference).
 */
export interface RateRule {
  readonly limit: number;
  readonly perMs: number;
}

export type RateVerdict = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const MAX_BUCKETS = 100_000;

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Takes one token from each key's bucket, or none of them when any is empty. */
  take(entries: ReadonlyArray<{ readonly key: string; readonly rule: RateRule }>): RateVerdict & { readonly key?: string } {
    const now = this.#now();
    const buckets = entries.map(({ key, rule }) => ({ key, rule, bucket: this.#refill(key, rule, now) }));
    for (const { key, rule, bucket } of buckets) {
      if (bucket.tokens < 1) {
        const retryAfterMs = Math.ceil(((1 - bucket.tokens) * rule.perMs) / rule.limit);
        return { ok: false, retryAfterMs, key };
      }
    }
    for (const { bucket } of buckets) bucket.tokens -= 1;
    return { ok: true };
  }

  #refill(key: string, rule: RateRule, now: number): Bucket {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#evictFull(now);
      bucket = { tokens: rule.limit, updatedAt: now };
      this.#buckets.set(key, bucket);
      return bucket;
    }
    const elapsed = Math.max(0, now - bucket.updatedAt);
    bucket.tokens = Math.min(rule.limit, bucket.tokens + (elapsed * rule.limit) / rule.perMs);
    bucket.updatedAt = now;
    return bucket;
  }

  /** Drops buckets idle long enough to be full again; they carry no state worth keeping. */
  #evictFull(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (now - bucket.updatedAt > 60_000) this.#buckets.delete(key);
    }
  }
}
