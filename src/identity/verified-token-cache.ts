import type { TokenClaims } from './token-claims.js';

/**
 * Remembers tokens whose signature and claim shape already verified, keyed by the exact token
 * string, so a busy agent does not pay for an Ed25519 verification on every call. Bounded (least
 * recently used entries leave first) and each entry leaves at its token's expiry. Only the
 * signature result is cached: time, configuration and revocation are checked on every call.
 */
export class VerifiedTokenCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, TokenClaims>();

  constructor(capacity: number) {
    this.#capacity = Math.max(0, Math.floor(capacity));
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached claims, or undefined when absent or when the token expired before `nowSeconds`. */
  get(token: string, nowSeconds: number): TokenClaims | undefined {
    const claims = this.#entries.get(token);
    if (claims === undefined) return undefined;
    this.#entries.delete(token);
    if (claims.exp <= nowSeconds) return undefined;
    // Re-inserting moves the entry to the most recently used end of the map's order.
    this.#entries.set(token, claims);
    return claims;
  }

  set(token: string, claims: TokenClaims): void {
    if (this.#capacity === 0) return;
    this.#entries.delete(token);
    this.#entries.set(token, claims);
    while (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}
