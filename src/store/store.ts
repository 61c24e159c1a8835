/**
 * The one storage interface. SQLite (embedded default) and PostgreSQL implement it through one
 * typed query layer; the same contract suite (test/store/contract.ts) runs against both.
 */

export type Durability = 'durable' | 'relaxed';

/** An audit event before it is placed in the chain. `body` is the canonical JSON text. */
export interface AuditEventDraft {
  readonly id: string;
  readonly type: string;
  readonly at: string;
  readonly tenant: string | null;
  readonly agent: string | null;
  readonly traceId: string | null;
  readonly callId: string | null;
  readonly body: string;
}

/** An audit event as stored: its place in the chain and the chain hashes. */
export interface StoredAuditEvent extends AuditEventDraft {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

/** Computes an event's chain hash from the previous hash and its canonical body (audit/chain.ts). */
export type ChainLink = (prevHash: string, body: string) => string;

export interface AuditFilter {
  readonly tenants?: readonly string[];
  readonly agent?: string;
  readonly traceId?: string;
  readonly callId?: string;
  readonly type?: string;
  /** ISO timestamps, inclusive lower bound / exclusive upper bound. */
  readonly since?: string;
  readonly until?: string;
  /** Return events with seq strictly greater than this (pagination cursor). */
  readonly afterSeq?: number;
  readonly limit: number;
}

export interface Checkpoint {
  readonly seq: number;
  readonly hash: string;
  readonly at: string;
  readonly keyId: string;
  /** Base64url Ed25519 signature over the canonical checkpoint statement. */
  readonly signature: string;
}

export interface Revocation {
  /** Token id (jti) revoked, or null when every token of the agent issued before `before` is revoked. */
  readonly tokenId: string | null;
  readonly agentId: string;
  /** Epoch seconds: tokens of this agent issued at or before this instant are revoked. */
  readonly before: number | null;
  readonly at: string;
  readonly by: string;
  readonly reason: string;
}

export interface CounterIncrement {
  readonly key: string;
  readonly by: number;
  /** ISO timestamp after which the counter may be discarded. */
  readonly expiresAt: string;
}

export interface Store {
  readonly driver: 'sqlite' | 'postgres';
  /** Creates or upgrades tables; safe to call on every start and from several replicas. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Cheap round trip used by /readyz. */
  ping(): Promise<void>;

  /**
   * Appends drafts to the chain atomically, in order, after the current head, serialised against
   * every other writer (other processes and replicas included). Durable once the promise resolves
   * (in `durable` mode the commit is fsynced).
   */
  appendAuditEvents(drafts: readonly AuditEventDraft[], link: ChainLink): Promise<StoredAuditEvent[]>;
  listAuditEvents(filter: AuditFilter): Promise<StoredAuditEvent[]>;
  /** Events with fromSeq <= seq, ordered by seq, at most `limit`. Used by verification. */
  readAuditRange(fromSeq: number, limit: number): Promise<StoredAuditEvent[]>;
  auditHead(): Promise<{ seq: number; hash: string } | null>;
  insertCheckpoint(checkpoint: Checkpoint): Promise<void>;
  listCheckpoints(): Promise<Checkpoint[]>;

  insertRevocation(revocation: Revocation): Promise<void>;
  /** True when the token id is revoked or its agent's tokens issued at or before `issuedAt` are. */
  isRevoked(tokenId: string, agentId: string, issuedAt: number): Promise<boolean>;

  /** Atomically adds to each counter and returns the new values, in the same order. */
  incrementCounters(increments: readonly CounterIncrement[]): Promise<number[]>;
  /** Deletes counters past their expiry; returns how many. */
  purgeExpiredCounters(now: string): Promise<number>;
}
