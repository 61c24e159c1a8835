import { InterlockError } from '../errors/interlock-error.js';
import type { SigningKey } from '../keys/keystore.js';
import type { Redactor } from '../redaction/redactor.js';
import type { AuditEventDraft, Checkpoint, Durability, Store, StoredAuditEvent } from '../store/store.js';
import { canonicalJson } from './canonical-json.js';
import { chainLink } from './chain.js';
import { signCheckpoint } from './checkpoint.js';
import { AUDIT_EVENT_SCHEMA_VERSION, type AuditEventBody, type AuditEventInput } from './event.js';
import { uuidV7 } from './event-id.js';

/** The part of the Store the audit log uses. */
export type AuditLogStore = Pick<Store, 'appendAuditEvents' | 'readAuditRange' | 'auditHead' | 'insertCheckpoint'>;

export interface AuditLogOptions {
  readonly store: AuditLogStore;
  readonly redactor: Redactor;
  /**
   * `durable`: callers await flush() before acknowledging; commits start as soon as events are
   * recorded. `relaxed`: commits run in the background every relaxedIntervalMilliseconds or when
   * relaxedBatchThreshold events are queued; a crash loses at most that window.
   */
  readonly mode: Durability;
  /** Signs checkpoints of the chain head; without it no checkpoints are written. */
  readonly signingKey?: SigningKey;
  /** Sign the head after this many events committed by this log (and on close). Default 1000. */
  readonly checkpointEvery?: number;
  readonly clock?: () => Date;
  readonly newId?: (now: Date) => string;
  /** Default 20. */
  readonly relaxedIntervalMilliseconds?: number;
  /** Default 512. */
  readonly relaxedBatchThreshold?: number;
  /** Most events sent in one append. Default 2048. */
  readonly maxBatchSize?: number;
  /** When this many events wait uncommitted, record() refuses with AUDIT_UNAVAILABLE. Default 100000. */
  readonly maxQueued?: number;
}

/** Told after each successful append. */
export interface CommittedBatch {
  readonly count: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly headHash: string;
  readonly queued: number;
}

export type AuditLogFailureStage = 'append' | 'reconcile' | 'checkpoint';

type CommittedListener = (batch: CommittedBatch) => void;
type FailureListener = (error: unknown, stage: AuditLogFailureStage) => void;

interface Waiter {
  readonly target: number;
  readonly resolve: () => void;
  readonly reject: (error: InterlockError) => void;
}

const RETRY_BACKOFF_MAX_MILLISECONDS = 1000;
const RECONCILE_PAGE_SIZE = 1000;

/**
 * The audit log: redacts and canonicalises each event synchronously, then commits queued events
 * to the store's hash chain with group commit: one append carries every event recorded while the
 * previous append was in flight, and every flush() waiting on those events shares that commit.
 *
 * Failure rule: when an append fails, every pending flush() rejects with AUDIT_UNAVAILABLE and the
 * events stay queued, in order, at the front of the queue; they are retried (in the background
 * with backoff, and on the next flush). Because a failed append may still have committed (a lost
 * connection after COMMIT), the log first looks for the batch's first event id after its last
 * known head and never appends the same events twice.
 */
export class AuditLog {
  readonly #store: AuditLogStore;
  readonly #redactor: Redactor;
  readonly #mode: Durability;
  readonly #signingKey: SigningKey | undefined;
  readonly #checkpointEvery: number;
  readonly #clock: () => Date;
  readonly #newId: (now: Date) => string;
  readonly #relaxedInterval: number;
  readonly #relaxedThreshold: number;
  readonly #maxBatchSize: number;
  readonly #maxQueued: number;

  #queue: AuditEventDraft[] = [];
  #recorded = 0;
  #committed = 0;
  #waiters: Waiter[] = [];
  #draining: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #immediate: NodeJS.Immediate | null = null;
  #consecutiveFailures = 0;
  /** Length of a batch whose append failed and may nevertheless have committed. */
  #uncertainBatch = 0;
  #lastKnownSeq: number | null = null;
  #sinceCheckpoint = 0;
  #lastCheckpointSeq: number | null = null;
  #closed = false;
  readonly #committedListeners = new Set<CommittedListener>();
  readonly #failureListeners = new Set<FailureListener>();

  constructor(options: AuditLogOptions) {
    this.#store = options.store;
    this.#redactor = options.redactor;
    this.#mode = options.mode;
    this.#signingKey = options.signingKey;
    this.#checkpointEvery = positiveInteger(options.checkpointEvery ?? 1000, 'checkpointEvery');
    this.#clock = options.clock ?? (() => new Date());
    this.#newId = options.newId ?? ((now) => uuidV7(now.getTime()));
    this.#relaxedInterval = positiveInteger(options.relaxedIntervalMilliseconds ?? 20, 'relaxedIntervalMilliseconds');
    this.#relaxedThreshold = positiveInteger(options.relaxedBatchThreshold ?? 512, 'relaxedBatchThreshold');
    this.#maxBatchSize = positiveInteger(options.maxBatchSize ?? 2048, 'maxBatchSize');
    this.#maxQueued = positiveInteger(options.maxQueued ?? 100_000, 'maxQueued');
  }

  get mode(): Durability {
    return this.#mode;
  }

  /** Events recorded but not yet known to be committed. */
  get queued(): number {
    return this.#recorded - this.#committed;
  }

  /**
   * Redacts, canonicalises and enqueues one event; returns its id. Throws AUDIT_UNAVAILABLE when
   * the log is closed or the queue is full, and CanonicalJsonError when the data has no JSON form.
   */
  record(input: AuditEventInput): string {
    if (this.#closed) throw new InterlockError('AUDIT_UNAVAILABLE', 'the audit log is closed');
    if (this.#queue.length >= this.#maxQueued) {
      throw new InterlockError('AUDIT_UNAVAILABLE', 'too many audit events are waiting to be committed', { queued: this.#queue.length });
    }
    const now = this.#clock();
    const id = this.#newId(now);
    const at = now.toISOString();
    const { value: data, redactions } = this.#redactor.redact(input.data);
    // The indexed columns repeat fields of the body; both are built from this one object so they
    // cannot disagree (verification checks that they match).
    const columns = { id, type: input.type, at, tenant: input.tenant, agent: input.agent, traceId: input.traceId, callId: input.callId };
    const body: AuditEventBody = {
      schemaVersion: AUDIT_EVENT_SCHEMA_VERSION,
      ...columns,
      data: data as Record<string, unknown>,
      redactions,
    };
    const draft: AuditEventDraft = { ...columns, body: canonicalJson(body) };
    this.#queue.push(draft);
    this.#recorded += 1;
    this.#scheduleAfterRecord();
    return id;
  }

  /** Resolves once every event recorded before this call is committed; rejects with AUDIT_UNAVAILABLE. */
  flush(): Promise<void> {
    const target = this.#recorded;
    if (this.#committed >= target) return Promise.resolve();
    const promise = new Promise<void>((resolve, reject) => {
      this.#waiters.push({ target, resolve, reject });
    });
    // A commit already scheduled for the end of this event-loop turn will carry these events,
    // together with those of every other call handled in the same turn (group commit).
    if (this.#immediate === null) void this.#drain();
    return promise;
  }

  /** Signs the current chain head now (unless it is already the last checkpoint). */
  async checkpointNow(): Promise<Checkpoint | null> {
    if (this.#signingKey === undefined) return null;
    const head = await this.#store.auditHead();
    if (head === null || head.seq === this.#lastCheckpointSeq) return null;
    return this.#writeCheckpoint(head);
  }

  /** Refuses new events, commits the queued ones and signs the head. Does not close the store. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#clearTimers();
    await this.flush();
    try {
      await this.checkpointNow();
    } catch (error) {
      this.#emitFailure(error, 'checkpoint');
    }
  }

  /** Subscribes to successful commits (for metrics); returns the unsubscribe function. */
  onCommitted(listener: CommittedListener): () => void {
    this.#committedListeners.add(listener);
    return () => this.#committedListeners.delete(listener);
  }

  /** Subscribes to background failures (append, reconciliation, checkpoint); returns the unsubscribe function. */
  onFailure(listener: FailureListener): () => void {
    this.#failureListeners.add(listener);
    return () => this.#failureListeners.delete(listener);
  }

  #scheduleAfterRecord(): void {
    if (this.#consecutiveFailures > 0) return; // a backoff timer is already set
    if (this.#mode === 'durable' || this.#queue.length >= this.#relaxedThreshold) {
      if (this.#immediate === null) {
        this.#immediate = setImmediate(() => {
          this.#immediate = null;
          void this.#drain();
        });
      }
      return;
    }
    this.#scheduleTimer(this.#relaxedInterval, true);
  }

  #scheduleTimer(delay: number, keepAlive: boolean): void {
    if (this.#timer !== null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#drain();
    }, delay);
    // Queued events keep the process alive until committed; retries against a store that is down
    // do not, so a process can still exit (close() reports what could not be committed).
    if (!keepAlive) this.#timer.unref();
  }

  #clearTimers(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (this.#immediate !== null) clearImmediate(this.#immediate);
    this.#timer = null;
    this.#immediate = null;
  }

  /** One drain at a time; concurrent callers share it. Never rejects: failures go to waiters and listeners. */
  #drain(): Promise<void> {
    if (this.#draining === null) {
      this.#draining = this.#drainLoop().finally(() => {
        this.#draining = null;
        if (this.#queue.length === 0 && this.#timer !== null) {
          clearTimeout(this.#timer);
          this.#timer = null;
        }
        // A flush() that arrived as the loop was finishing joined a drain that will not serve it;
        // start another. Failures reject every waiter, so this cannot loop on a failing store.
        if (this.#waiters.length > 0 && this.#queue.length > 0) void this.#drain();
      });
    }
    return this.#draining;
  }

  async #drainLoop(): Promise<void> {
    while (this.#queue.length > 0) {
      const committed = await this.#commitNextBatch();
      if (!committed) return;
    }
  }

  async #commitNextBatch(): Promise<boolean> {
    let stage: AuditLogFailureStage = 'reconcile';
    try {
      if (this.#lastKnownSeq === null) this.#lastKnownSeq = (await this.#store.auditHead())?.seq ?? 0;
      if (this.#uncertainBatch > 0) {
        const landed = await this.#findCommittedBatch();
        if (landed !== null) {
          const batch = this.#queue.splice(0, this.#uncertainBatch);
          this.#uncertainBatch = 0;
          await this.#afterCommit(batch.length, landed);
          return true;
        }
        this.#uncertainBatch = 0;
      }
      stage = 'append';
      const batch = this.#queue.slice(0, this.#maxBatchSize);
      let stored: StoredAuditEvent[];
      try {
        stored = await this.#store.appendAuditEvents(batch, chainLink);
      } catch (error) {
        this.#uncertainBatch = batch.length;
        throw error;
      }
      const last = stored[stored.length - 1];
      const first = stored[0];
      if (last === undefined || first === undefined || stored.length !== batch.length) {
        this.#uncertainBatch = batch.length;
        throw new InterlockError('AUDIT_UNAVAILABLE', 'the store did not return the appended audit events');
      }
      this.#queue.splice(0, batch.length);
      await this.#afterCommit(batch.length, { firstSeq: first.seq, lastSeq: last.seq, headHash: last.hash });
      return true;
    } catch (error) {
      this.#onCommitFailed(error, stage);
      return false;
    }
  }

  /** After an append of unknown outcome: did its first event land after our last known head? */
  async #findCommittedBatch(): Promise<{ firstSeq: number; lastSeq: number; headHash: string } | null> {
    const firstId = this.#queue[0]?.id;
    const count = this.#uncertainBatch;
    let from = (this.#lastKnownSeq ?? 0) + 1;
    for (;;) {
      const page = await this.#store.readAuditRange(from, RECONCILE_PAGE_SIZE);
      const index = page.findIndex((event) => event.id === firstId);
      if (index >= 0) {
        const firstEvent = page[index] as StoredAuditEvent;
        const tail = await this.#store.readAuditRange(firstEvent.seq + count - 1, 1);
        const lastEvent = tail[0];
        if (lastEvent === undefined) return null;
        return { firstSeq: firstEvent.seq, lastSeq: lastEvent.seq, headHash: lastEvent.hash };
      }
      const last = page[page.length - 1];
      if (last === undefined || page.length < RECONCILE_PAGE_SIZE) return null;
      from = last.seq + 1;
    }
  }

  async #afterCommit(count: number, placed: { firstSeq: number; lastSeq: number; headHash: string }): Promise<void> {
    this.#committed += count;
    this.#consecutiveFailures = 0;
    this.#lastKnownSeq = placed.lastSeq;
    const satisfied = this.#waiters.filter((waiter) => waiter.target <= this.#committed);
    this.#waiters = this.#waiters.filter((waiter) => waiter.target > this.#committed);
    for (const waiter of satisfied) waiter.resolve();
    const batch: CommittedBatch = {
      count,
      firstSeq: placed.firstSeq,
      lastSeq: placed.lastSeq,
      headHash: placed.headHash,
      queued: this.#queue.length,
    };
    for (const listener of this.#committedListeners) {
      try {
        listener(batch);
      } catch {
        // A metrics listener must never break the commit path.
      }
    }
    this.#sinceCheckpoint += count;
    if (this.#signingKey !== undefined && this.#sinceCheckpoint >= this.#checkpointEvery) {
      try {
        await this.#writeCheckpoint({ seq: placed.lastSeq, hash: placed.headHash });
      } catch (error) {
        // Events are durable; a missing checkpoint only leaves the tail unattested until the next one.
        this.#emitFailure(error, 'checkpoint');
      }
    }
  }

  async #writeCheckpoint(head: { seq: number; hash: string }): Promise<Checkpoint> {
    const key = this.#signingKey;
    if (key === undefined) throw new InterlockError('INTERNAL', 'no audit signing key is configured');
    const checkpoint = signCheckpoint(head, key, this.#clock());
    await this.#store.insertCheckpoint(checkpoint);
    this.#lastCheckpointSeq = head.seq;
    this.#sinceCheckpoint = 0;
    return checkpoint;
  }

  #onCommitFailed(error: unknown, stage: AuditLogFailureStage): void {
    this.#consecutiveFailures += 1;
    const failure = new InterlockError('AUDIT_UNAVAILABLE', 'audit events could not be committed to the store', {
      stage,
      queued: this.#queue.length,
    });
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(failure);
    this.#emitFailure(error, stage);
    if (!this.#closed) {
      const delay = Math.min(RETRY_BACKOFF_MAX_MILLISECONDS, this.#relaxedInterval * 2 ** (this.#consecutiveFailures - 1));
      this.#scheduleTimer(delay, false);
    }
  }

  #emitFailure(error: unknown, stage: AuditLogFailureStage): void {
    for (const listener of this.#failureListeners) {
      try {
        listener(error, stage);
      } catch {
        // Listeners are observers only.
      }
    }
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new InterlockError('CONFIG_INVALID', `audit log option ${name} must be a positive integer`);
  return value;
}
