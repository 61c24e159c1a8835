import { GENESIS_HASH } from '../../src/audit/chain.js';
import type { AuditLogStore } from '../../src/audit/audit-log.js';
import type { AuditEventDraft, ChainLink, Checkpoint, StoredAuditEvent } from '../../src/store/store.js';

/**
 * An in-memory stand-in for the audit part of the Store, with switches for the failure paths:
 * `failAppends` (throw before committing), `commitThenFail` (commit, then throw as a lost
 * connection would) and `gate` (hold appends until released).
 */
export class MemoryAuditStore implements AuditLogStore {
  readonly events: StoredAuditEvent[] = [];
  readonly checkpoints: Checkpoint[] = [];
  readonly appendSizes: number[] = [];
  failAppends = false;
  commitThenFail = false;
  #gate: Promise<void> | null = null;
  #openGate: (() => void) | null = null;

  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.#openGate = resolve;
    });
  }

  release(): void {
    this.#openGate?.();
    this.#gate = null;
  }

  async appendAuditEvents(drafts: readonly AuditEventDraft[], link: ChainLink): Promise<StoredAuditEvent[]> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.#gate !== null) await this.#gate;
    if (this.failAppends) throw new Error('database is locked');
    const placed: StoredAuditEvent[] = [];
    let previous = this.events[this.events.length - 1] ?? null;
    for (const draft of drafts) {
      const prevHash = previous?.hash ?? GENESIS_HASH;
      const event: StoredAuditEvent = { ...draft, seq: (previous?.seq ?? 0) + 1, prevHash, hash: link(prevHash, draft.body) };
      placed.push(event);
      previous = event;
    }
    this.events.push(...placed);
    this.appendSizes.push(drafts.length);
    if (this.commitThenFail) throw new Error('connection reset after commit');
    return placed;
  }

  async readAuditRange(fromSeq: number, limit: number): Promise<StoredAuditEvent[]> {
    return this.events.filter((event) => event.seq >= fromSeq).slice(0, limit);
  }

  async auditHead(): Promise<{ seq: number; hash: string } | null> {
    const last = this.events[this.events.length - 1];
    return last === undefined ? null : { seq: last.seq, hash: last.hash };
  }

  async insertCheckpoint(checkpoint: Checkpoint): Promise<void> {
    this.checkpoints.push(checkpoint);
  }

  async listCheckpoints(): Promise<Checkpoint[]> {
    return [...this.checkpoints];
  }
}
