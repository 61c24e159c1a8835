/**
 * A circuit breaker for one upstream, as a state machine over an injected clock: no timers, no
 * I/O. Which results count as the upstream's failures is decided by the caller (see
 * `assessFailure` in retry-policy.ts); the breaker only hears `healthy`, `unhealthy` or
 * `no_signal` for each call it admitted.
 *
 * closed → open after `failureThreshold` consecutive unhealthy results. open → half_open once
 * `cooldownMs` has passed, found lazily by the next call asking to be admitted: that call is the
 * one probe, and every other call fails fast until the probe ends. A healthy probe closes the
 * circuit; an unhealthy one opens it again with the cooldown restarted; a probe that tells
 * nothing (the caller cancelled it) frees the probe slot for the next call.
 */

export type CircuitState = 'closed' | 'half_open' | 'open';

/** What one admitted call said about the upstream. */
export type UpstreamHealth = 'healthy' | 'unhealthy' | 'no_signal';

export interface CircuitBreakerOptions {
  /** Consecutive unhealthy results that open the circuit. */
  readonly failureThreshold: number;
  /** How long the circuit stays open before one probe may pass. */
  readonly cooldownMs: number;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** Told of every transition, after it has happened. */
  readonly onStateChange?: ((state: CircuitState) => void) | undefined;
}

/** Handed to an admitted call and given back with its result. */
export interface CircuitPermit {
  readonly probe: boolean;
  /** The transition count when the call was admitted: results of calls admitted before a transition are ignored. */
  readonly generation: number;
}

export type CircuitAdmission =
  | { readonly admitted: true; readonly permit: CircuitPermit }
  | {
      readonly admitted: false;
      readonly state: 'open' | 'half_open';
      /** While open: time left in the cooldown. While half-open: null, the probe's end is not known. */
      readonly retryAfterMs: number | null;
    };

export interface CircuitSnapshot {
  readonly state: CircuitState;
  readonly consecutiveFailures: number;
  /** When the circuit last opened (ms since the epoch), or null while closed. */
  readonly openedAt: number | null;
  /** While open: when the next call may probe (ms since the epoch). */
  readonly probeAfter: number | null;
}

export class CircuitBreaker {
  readonly #failureThreshold: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  readonly #onStateChange: ((state: CircuitState) => void) | undefined;
  #state: CircuitState = 'closed';
  #consecutiveFailures = 0;
  #openedAt: number | null = null;
  #probeInFlight = false;
  #generation = 0;

  constructor(options: CircuitBreakerOptions) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) {
      throw new RangeError('failureThreshold must be a positive integer');
    }
    if (!Number.isFinite(options.cooldownMs) || options.cooldownMs < 0) throw new RangeError('cooldownMs must be a finite number ≥ 0');
    this.#failureThreshold = options.failureThreshold;
    this.#cooldownMs = options.cooldownMs;
    this.#now = options.now;
    this.#onStateChange = options.onStateChange;
  }

  get state(): CircuitState {
    return this.#state;
  }

  /** Asks to send one call. An admitted call must be reported with `record`, whatever happens to it. */
  admit(): CircuitAdmission {
    if (this.#state === 'closed') return { admitted: true, permit: { probe: false, generation: this.#generation } };
    if (this.#state === 'open') {
      const probeAfter = (this.#openedAt ?? 0) + this.#cooldownMs;
      const now = this.#now();
      if (now < probeAfter) return { admitted: false, state: 'open', retryAfterMs: probeAfter - now };
      this.#transition('half_open');
    }
    if (this.#probeInFlight) return { admitted: false, state: 'half_open', retryAfterMs: null };
    this.#probeInFlight = true;
    return { admitted: true, permit: { probe: true, generation: this.#generation } };
  }

  /** Reports what an admitted call said about the upstream. */
  record(permit: CircuitPermit, health: UpstreamHealth): void {
    // A call admitted before the last transition reports on a state that is gone: a slow success
    // from before the circuit opened must not close it, nor a late failure reopen it.
    if (permit.generation !== this.#generation) return;
    if (permit.probe) {
      this.#probeInFlight = false;
      if (health === 'healthy') {
        this.#consecutiveFailures = 0;
        this.#openedAt = null;
        this.#transition('closed');
      } else if (health === 'unhealthy') {
        this.#consecutiveFailures += 1;
        this.#open();
      }
      return;
    }
    if (health === 'healthy') this.#consecutiveFailures = 0;
    else if (health === 'unhealthy') {
      this.#consecutiveFailures += 1;
      if (this.#consecutiveFailures >= this.#failureThreshold) this.#open();
    }
  }

  snapshot(): CircuitSnapshot {
    return {
      state: this.#state,
      consecutiveFailures: this.#consecutiveFailures,
      openedAt: this.#openedAt,
      probeAfter: this.#state === 'open' && this.#openedAt !== null ? this.#openedAt + this.#cooldownMs : null,
    };
  }

  #open(): void {
    this.#openedAt = this.#now();
    this.#transition('open');
  }

  #transition(state: CircuitState): void {
    this.#state = state;
    this.#generation += 1;
    this.#onStateChange?.(state);
  }
}
