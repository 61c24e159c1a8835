import type { Store } from '../store/store.js';
import { ContainmentRules } from './containment-rules.js';

export interface ContainmentViewOptions {
  readonly store: Pick<Store, 'listActiveContainmentRules' | 'containmentVersion' | 'listenForContainmentChanges'>;
  /** How often the version is polled: the bound on propagation when notifications are missed. Default 250 ms. */
  readonly pollIntervalMs?: number;
  readonly onError?: (error: unknown) => void;
  readonly onRefreshed?: (rules: ContainmentRules) => void;
}

/**
 * This process's copy of the active kill switches and modes, read on every call without a round
 * trip. It is reloaded when this process changes a rule (at once), when PostgreSQL notifies a
 * change made by another replica (milliseconds), and when the polled version moves (the fallback,
 * and the only way for SQLite, where another process such as `interlock kill` may write).
 *
 * Until the first load succeeds the view is not ready and callers must refuse: a process that does
 * not know whether a kill switch is set does not run tools.
 */
export class ContainmentView {
  readonly #options: ContainmentViewOptions;
  #rules: ContainmentRules | null = null;
  #version: number | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stopListening: (() => Promise<void>) | null = null;
  #refreshing: Promise<void> | null = null;
  #again = false;
  #closed = false;

  constructor(options: ContainmentViewOptions) {
    this.#options = options;
  }

  /** Loads the rules, then keeps them current. Throws when the first load fails. */
  async start(): Promise<void> {
    await this.refresh();
    this.#stopListening = await this.#options.store.listenForContainmentChanges(() => void this.refresh().catch(this.#report));
    const interval = this.#options.pollIntervalMs ?? 250;
    this.#timer = setInterval(() => void this.#poll(), interval);
    this.#timer.unref();
  }

  /** The rules in force, or null when they could never be loaded. */
  get rules(): ContainmentRules | null {
    return this.#rules;
  }

  /** Reloads now; concurrent requests share one reload and one more after it. */
  refresh(): Promise<void> {
    if (this.#refreshing !== null) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      try {
        do {
          this.#again = false;
          const version = await this.#options.store.containmentVersion();
          const rules = new ContainmentRules(await this.#options.store.listActiveContainmentRules());
          this.#version = version;
          this.#rules = rules;
          this.#options.onRefreshed?.(rules);
        } while (this.#again && !this.#closed);
      } finally {
        this.#refreshing = null;
      }
    })();
    return this.#refreshing;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    await this.#stopListening?.();
    await this.#refreshing?.catch(() => undefined);
  }

  async #poll(): Promise<void> {
    if (this.#closed || this.#refreshing !== null) return;
    try {
      const version = await this.#options.store.containmentVersion();
      if (version !== this.#version) await this.refresh();
    } catch (error) {
      this.#report(error);
    }
  }

  readonly #report = (error: unknown): void => {
    this.#options.onError?.(error);
  };
}
