/**
 * An Executor decorator that keeps one circuit breaker per upstream and retries, with backoff,
 * the failures that are safe and worth retrying (see retry-policy.ts for which ones). Every
 * attempt asks the breaker first: an open circuit fails fast with `CIRCUIT_OPEN` and sends
 * nothing. Retries stop as soon as the caller's signal aborts, and no wait outlasts it.
 */
import { InterlockError } from '../errors/interlock-error.js';
import type { OperationContract, UpstreamBinding } from '../registry/contract.js';
import { CircuitBreaker, type CircuitAdmission, type CircuitState } from './circuit-breaker.js';
import type { ExecutionContext, ExecutionResult, Executor } from './executor.js';
import { assessFailure, backoffDelay, operationMayBeRetried, type ExecutionFailure } from './retry-policy.js';

/** Told of what the breakers and retries do, for metrics. */
export interface ResilienceObserver {
  /** A circuit changed state; also called with `closed` when an upstream's breaker is first created. */
  circuitStateChanged(upstream: string, state: CircuitState): void;
  /** A further attempt was sent to the upstream after a failure. */
  retried(upstream: string): void;
}

/** Waits `ms`, or less if `signal` aborts first; never rejects. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface ResilienceOptions {
  /** Consecutive upstream failures that open its circuit. Default 5. */
  readonly failureThreshold?: number;
  /** How long an open circuit refuses calls before one probe may pass. Default 10 000 ms. */
  readonly cooldownMs?: number;
  /** Attempts per call in all, the first included; 1 turns retries off. Default 3. */
  readonly maxAttempts?: number;
  /** Ceiling of the first backoff; it doubles per failed attempt. Default 100 ms. */
  readonly baseDelayMs?: number;
  /** Highest backoff ceiling. Default 2 000 ms. */
  readonly maxDelayMs?: number;
  /** Clock, ms since the epoch. Default Date.now. */
  readonly now?: () => number;
  /** Uniform draw in [0, 1) for backoff jitter. Default Math.random. */
  readonly random?: () => number;
  readonly sleep?: Sleep;
  readonly observer?: ResilienceObserver;
}

/** One upstream's circuit, for an operator's view. */
export interface UpstreamCircuit {
  readonly upstream: string;
  readonly state: CircuitState;
  readonly consecutiveFailures: number;
  /** When the circuit last opened (ms since the epoch), or null while closed. */
  readonly openedAt: number | null;
  /** While open: from when the next call may probe the upstream. */
  readonly probeAfter: number | null;
}

export const RESILIENCE_DEFAULTS = {
  failureThreshold: 5,
  cooldownMs: 10_000,
  maxAttempts: 3,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
} as const;

/**
 * The name a breaker is kept under. An HTTP upstream is its origin — scheme, host and port, never
 * user information, path or query, so no credential can reach a message or a metric label.
 */
export function upstreamKey(contract: Pick<OperationContract, 'tool' | 'upstream'>): string {
  const binding: UpstreamBinding = contract.upstream;
  switch (binding.kind) {
    case 'http':
      return httpOrigin(binding.baseUrl) ?? `http:${contract.tool}`;
    case 'mcp':
      return `mcp:${binding.server}`;
    case 'in_process':
      return `in_process:${contract.tool}`;
  }
}

export class ResilientExecutor implements Executor {
  readonly #inner: Executor;
  readonly #failureThreshold: number;
  readonly #cooldownMs: number;
  readonly #maxAttempts: number;
  readonly #backoff: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #sleep: Sleep;
  readonly #observer: ResilienceObserver | undefined;
  readonly #breakers = new Map<string, CircuitBreaker>();

  constructor(inner: Executor, options: ResilienceOptions = {}) {
    this.#inner = inner;
    this.#failureThreshold = options.failureThreshold ?? RESILIENCE_DEFAULTS.failureThreshold;
    this.#cooldownMs = options.cooldownMs ?? RESILIENCE_DEFAULTS.cooldownMs;
    this.#maxAttempts = options.maxAttempts ?? RESILIENCE_DEFAULTS.maxAttempts;
    const baseDelayMs = options.baseDelayMs ?? RESILIENCE_DEFAULTS.baseDelayMs;
    const maxDelayMs = options.maxDelayMs ?? RESILIENCE_DEFAULTS.maxDelayMs;
    this.#backoff = { baseDelayMs, maxDelayMs };
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? sleepUnlessAborted;
    this.#observer = options.observer;
    const problems = [
      Number.isInteger(this.#failureThreshold) && this.#failureThreshold >= 1 ? null : 'failureThreshold must be an integer ≥ 1',
      Number.isFinite(this.#cooldownMs) && this.#cooldownMs >= 0 ? null : 'cooldownMs must be a finite number ≥ 0',
      Number.isInteger(this.#maxAttempts) && this.#maxAttempts >= 1 ? null : 'maxAttempts must be an integer ≥ 1',
      Number.isFinite(baseDelayMs) && baseDelayMs >= 0 ? null : 'baseDelayMs must be a finite number ≥ 0',
      Number.isFinite(maxDelayMs) && maxDelayMs >= baseDelayMs ? null : 'maxDelayMs must be a finite number ≥ baseDelayMs',
    ].filter((problem) => problem !== null);
    if (problems.length > 0) throw new InterlockError('CONFIG_INVALID', `resilience options: ${problems.join('; ')}`);
  }

  async execute(contract: OperationContract, args: Readonly<Record<string, unknown>>, context: ExecutionContext): Promise<ExecutionResult> {
    const upstream = upstreamKey(contract);
    const breaker = this.#breakerFor(upstream);
    const retriesAllowed = operationMayBeRetried(contract);
    let last: ExecutionFailure | null = null;
    let anyOutcomeUnknown = false;
    // Ends by returning: at the latest when `attempt` reaches maxAttempts.
    for (let attempt = 1; ; attempt += 1) {
      const admission = breaker.admit();
      if (!admission.admitted) {
        // A circuit that opened between attempts ends the retries with the upstream's own answer.
        return last === null ? circuitOpen(upstream, admission) : withAttempts(last, attempt - 1, anyOutcomeUnknown);
      }
      if (attempt > 1) this.#observer?.retried(upstream);
      let result: ExecutionResult;
      try {
        result = await this.#inner.execute(contract, args, context);
      } catch (error) {
        // Executors report failures as results; one that throws tells nothing about the upstream.
        breaker.record(admission.permit, 'no_signal');
        throw error;
      }
      if (result.ok) {
        breaker.record(admission.permit, 'healthy');
        return result;
      }
      const assessment = assessFailure(contract, result, context.signal);
      breaker.record(admission.permit, assessment.health);
      last = result;
      anyOutcomeUnknown ||= result.outcome === 'unknown';
      // An open circuit would refuse the next attempt anyway: no point waiting for the refusal.
      const stop = !retriesAllowed || !assessment.transient || attempt === this.#maxAttempts || breaker.state === 'open';
      if (stop || context.signal.aborted) {
        return withAttempts(result, attempt, anyOutcomeUnknown);
      }
      await this.#sleep(backoffDelay(attempt, this.#backoff, this.#random), context.signal);
      if (context.signal.aborted) return withAttempts(result, attempt, anyOutcomeUnknown);
    }
  }

  /** Every upstream called so far and the state of its circuit. */
  states(): UpstreamCircuit[] {
    return [...this.#breakers]
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0))
      .map(([upstream, breaker]) => ({ upstream, ...breaker.snapshot() }));
  }

  #breakerFor(upstream: string): CircuitBreaker {
    let breaker = this.#breakers.get(upstream);
    if (breaker === undefined) {
      const observer = this.#observer;
      breaker = new CircuitBreaker({
        failureThreshold: this.#failureThreshold,
        cooldownMs: this.#cooldownMs,
        now: this.#now,
        onStateChange: observer === undefined ? undefined : (state) => observer.circuitStateChanged(upstream, state),
      });
      this.#breakers.set(upstream, breaker);
      observer?.circuitStateChanged(upstream, 'closed');
    }
    return breaker;
  }
}

/** The default Sleep: a timer, cut short when the signal aborts. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function httpOrigin(baseUrl: string): string | null {
  try {
    const origin = new URL(baseUrl).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

function circuitOpen(upstream: string, admission: Extract<CircuitAdmission, { admitted: false }>): ExecutionResult {
  const message =
    admission.state === 'open'
      ? `the circuit for upstream ${upstream} is open after repeated failures; nothing was sent (next probe in ${Math.ceil((admission.retryAfterMs ?? 0) / 1000)} s)`
      : `the circuit for upstream ${upstream} is half-open and its one probe call is still running; nothing was sent`;
  const details: Record<string, unknown> = { upstream, state: admission.state };
  if (admission.retryAfterMs !== null) details['retryAfterMs'] = admission.retryAfterMs;
  return { ok: false, outcome: 'failed', error: new InterlockError('CIRCUIT_OPEN', message, details) };
}

/**
 * The last failure of a call, told how many attempts it took. If any attempt ended `unknown`, so
 * does the call: a later clean refusal does not undo what an earlier attempt may have done.
 */
function withAttempts(failure: ExecutionFailure, attempts: number, anyOutcomeUnknown: boolean): ExecutionFailure {
  if (attempts <= 1) return failure;
  const error = new InterlockError(failure.error.code, failure.error.message, { ...failure.error.details, attempts });
  return { ok: false, outcome: anyOutcomeUnknown ? 'unknown' : failure.outcome, error };
}
