/**
 * Expires overdue approval requests on a timer, so `approval.expired` is audited and announced
 * when the request runs out rather than when someone next reads it. Reading a request still
 * expires it too (the lazy path stays the guarantee); the sweeper only makes the announcement
 * prompt. Replicas may all sweep one store: each request expires, and is announced, once.
 */

export interface ApprovalSweeperOptions {
  /** Expires what is due and announces it; returns how many this process expired. */
  readonly expireDue: () => Promise<number>;
  readonly intervalMs: number;
  /** A failed sweep is reported here and tried again on the next tick. */
  readonly onError: (error: unknown) => void;
}

export class ApprovalSweeper {
  readonly #options: ApprovalSweeperOptions;
  #timer: NodeJS.Timeout | null = null;
  #sweeping: Promise<void> | null = null;
  #closed = false;

  constructor(options: ApprovalSweeperOptions) {
    if (!Number.isSafeInteger(options.intervalMs) || options.intervalMs < 1) {
      throw new RangeError('the approval sweep interval is a whole number of milliseconds, one or more');
    }
    this.#options = options;
  }

  start(): void {
    if (this.#timer !== null || this.#closed) return;
    this.#timer = setInterval(() => void this.sweep(), this.#options.intervalMs);
    // The sweeper alone must not keep a process alive.
    this.#timer.unref();
  }

  /** One sweep now; a sweep already running is joined rather than doubled. Never rejects. */
  sweep(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#sweeping ??= this.#options
      .expireDue()
      .then(
        () => undefined,
        (error: unknown) => {
          try {
            this.#options.onError(error);
          } catch {
            // Reporting must not turn a failed sweep into an unhandled rejection.
          }
        },
      )
      .finally(() => {
        this.#sweeping = null;
      });
    return this.#sweeping;
  }

  /** Stops the timer and waits for a sweep in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#sweeping;
  }
}
