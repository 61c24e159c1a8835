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

export interface Store extends SafeExecutionStore, SessionLedgerStore, RetrievalStore {
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

// ---------------------------------------------------------------------------------------------
// Safe execution: idempotency records, approvals, containment (kill switches and modes), plans and
// compensations. Each change that others must see at once is a single atomic statement, so two
// replicas (or two processes on one SQLite file) can race on the same row and stay correct.
// ---------------------------------------------------------------------------------------------

/**
 * `running`: claimed by a call that is executing (or was, when its process died);
 * `completed`: the outcome is known and stored; `unknown`: the upstream may or may not have acted.
 */
export type IdempotencyState = 'running' | 'completed' | 'unknown';

export interface IdempotencyRecord {
  /** `tenant/agent/key`: keys are scoped to the agent that sent them. */
  readonly scopeKey: string;
  readonly tenant: string;
  readonly agentId: string;
  /** SHA-256 of the canonical action (tool, operation, arguments, acting-for user, agent). */
  readonly actionHash: string;
  readonly tool: string;
  readonly operation: string;
  readonly state: IdempotencyState;
  /** The call that claimed the key and executed (or tried to). */
  readonly callId: string;
  readonly traceId: string;
  /** JSON text of the first outcome (a CallOutcome); null while running. */
  readonly outcome: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly expiresAt: string;
}

/** How an operator settles an unknown outcome (see SafeExecutionStore.resolveUnknownIdempotency). */
export type IdempotencyResolution =
  { readonly as: 'executed'; readonly outcome: string; readonly at: string; readonly expiresAt: string } | { readonly as: 'not_executed' };

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'consumed';

export interface ApprovalRecord {
  readonly id: string;
  readonly tenant: string;
  readonly agentId: string;
  /** The user the agent acts for, if any: they may not approve their own agent's action. */
  readonly actingForUserId: string | null;
  readonly actionHash: string;
  readonly idempotencyKey: string | null;
  readonly tool: string;
  readonly operation: string;
  readonly role: string;
  readonly quorum: number;
  readonly status: ApprovalStatus;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** When the status last changed (decided, expired, consumed). */
  readonly decidedAt: string | null;
  /** The call that executed under this approval. */
  readonly consumedByCall: string | null;
  /** JSON text: arguments (redacted), reasons, policy ids, bundle version, evidence, dry-run summary, trace and session ids. */
  readonly details: string;
}

export interface ApprovalVote {
  readonly approvalId: string;
  readonly approver: string;
  readonly decision: 'approve' | 'deny';
  readonly comment: string;
  readonly at: string;
}

export interface ApprovalFilter {
  readonly tenants?: readonly string[];
  readonly status?: ApprovalStatus;
  readonly agentId?: string;
  readonly limit: number;
}

export type ContainmentKind = 'kill' | 'mode';
/** What a rule covers; `fleet` has the target `*`. */
export type ContainmentScope = 'fleet' | 'tenant' | 'agent' | 'session' | 'tool' | 'operation';
export type SessionMode = 'normal' | 'elevated' | 'read_only' | 'locked';

export interface ContainmentRule {
  readonly id: string;
  readonly kind: ContainmentKind;
  readonly scope: ContainmentScope;
  /**
   * `*` for fleet; `tenant` for a tenant; `tenant/agent` for an agent; `tenant/session` for a
   * session; `tenant/tool` or `*\/tool` for a tool; `tenant/tool.operation` or `*\/tool.operation`.
   */
  readonly target: string;
  /** Mode rules only; null for kill switches. */
  readonly mode: SessionMode | null;
  readonly reason: string;
  readonly setBy: string;
  readonly setAt: string;
  readonly liftedAt: string | null;
  readonly liftedBy: string | null;
}

export type PlanStatus = 'proposed' | 'blocked' | 'executing' | 'executed' | 'failed';

export interface PlanRecord {
  readonly id: string;
  readonly tenant: string;
  readonly agentId: string;
  /** SHA-256 of the canonical plan body: what was proposed is what runs. */
  readonly hash: string;
  readonly status: PlanStatus;
  /** JSON text of the plan (steps, decisions, blast radius, approvals, results). */
  readonly body: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * `pending`: can be compensated; `compensated`: its compensation executed; `irreversible`: the
 * operation declares no compensation; `quarantined`: marked for human review.
 */
export type CompensationStatus = 'pending' | 'compensated' | 'irreversible' | 'quarantined';

export interface CompensationRecord {
  /** The original call. */
  readonly callId: string;
  /** Orders the calls of one trace, session or agent (monotonic per process, then by time). */
  readonly ordinal: number;
  readonly tenant: string;
  readonly agentId: string;
  readonly traceId: string;
  readonly sessionId: string | null;
  readonly tool: string;
  readonly operation: string;
  readonly executedAt: string;
  readonly status: CompensationStatus;
  /** JSON text: `{ tool, operation, arguments }` of the compensating call, or null when irreversible. */
  readonly compensation: string | null;
  /** The call that compensated it, once done. */
  readonly compensatedByCall: string | null;
  readonly updatedAt: string;
}

/** The outcome an owning call stores under its idempotency key (see finishIdempotencyKey). */
export interface KeySettlement {
  readonly scopeKey: string;
  readonly callId: string;
  readonly state: 'completed' | 'unknown';
  /** JSON text of the outcome. */
  readonly outcome: string;
  readonly at: string;
}

/** What an executed write leaves behind; either part may be absent (a write without a key, a compensating call). */
export interface WriteSettlement {
  readonly compensation: CompensationRecord | null;
  readonly key: KeySettlement | null;
}

export interface CompensationFilter {
  readonly tenant?: string;
  readonly traceId?: string;
  readonly sessionId?: string;
  readonly agentId?: string;
  /** ISO timestamp, inclusive. */
  readonly since?: string;
  readonly limit: number;
}

/** The safe-execution half of the store (implemented by both engines; see test/store/contract.ts). */
export interface SafeExecutionStore {
  /**
   * Inserts the record (state `running`) unless one exists for its scope key. Returns null when
   * this caller now owns the key, or the existing record otherwise. Durable before it resolves.
   * A `completed` record whose expiry is at or before the claim's `createdAt` counts as absent and
   * is replaced; a `running` or `unknown` one is never taken over, however old.
   */
  claimIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord | null>;
  getIdempotencyRecord(scopeKey: string): Promise<IdempotencyRecord | null>;
  /**
   * Stores the outcome of the owning call (`completed` or `unknown`). Only the owner (callId) can
   * finish it; a `completed` outcome is final, an `unknown` one can still be settled. Otherwise a no-op.
   */
  finishIdempotencyKey(scopeKey: string, callId: string, state: 'completed' | 'unknown', outcome: string, at: string): Promise<void>;
  /**
   * Records what an executed write leaves behind in one transaction: its compensation (how to undo
   * it, or that it cannot be undone) and its idempotency key's outcome, finished as by
   * finishIdempotencyKey. Both are written or, when the transaction fails, neither. Durable before
   * it resolves.
   */
  settleWrite(settlement: WriteSettlement): Promise<void>;
  /** Drops a claim whose call never reached the upstream (refused before execution). Only the owner can, while it is `running`. */
  releaseIdempotencyKey(scopeKey: string, callId: string): Promise<void>;
  /** Records left `unknown` or `running` before `olderThan`, for operators to resolve. */
  listUnresolvedIdempotency(tenants: readonly string[] | undefined, olderThan: string, limit: number): Promise<IdempotencyRecord[]>;
  /** The record claimed by this call while it is `unknown` or `running`; null once settled, released or never claimed. */
  getUnresolvedIdempotencyByCall(callId: string): Promise<IdempotencyRecord | null>;
  /**
   * An operator's answer for a call whose outcome is unknown: the record of `callId` under
   * `scopeKey`, if it is `unknown` (or `running` and last updated before `runningBefore`: its
   * process died), becomes `completed` with `outcome` (`executed`) or is deleted so the key is free
   * again (`not_executed`). One atomic statement: true for exactly one caller, false when the
   * record is not (or no longer) unresolved.
   */
  resolveUnknownIdempotency(scopeKey: string, callId: string, runningBefore: string, resolution: IdempotencyResolution): Promise<boolean>;
  /** Deletes `completed` records whose expiry is at or before `now`; `running` and `unknown` ones wait for an operator. */
  purgeExpiredIdempotency(now: string): Promise<number>;

  insertApproval(record: ApprovalRecord): Promise<void>;
  getApproval(id: string): Promise<ApprovalRecord | null>;
  /** The newest approval of this agent for this exact action, or with this idempotency key, not yet consumed. */
  findOpenApproval(tenant: string, agentId: string, actionHash: string, idempotencyKey: string | null): Promise<ApprovalRecord | null>;
  listApprovals(filter: ApprovalFilter): Promise<ApprovalRecord[]>;
  /**
   * Records one approver's vote (a second vote by the same approver is ignored) and moves the
   * request: any deny → `denied`; approvals reaching the quorum → `approved`. Only while `pending`
   * and not expired at `at`. Returns the record after the vote. A vote at or after `expiresAt`
   * records nothing and moves a pending request to `expired`; a vote on a request that is not
   * pending records nothing and returns it unchanged; null when there is no such request.
   */
  voteOnApproval(vote: ApprovalVote): Promise<ApprovalRecord | null>;
  listApprovalVotes(approvalId: string): Promise<ApprovalVote[]>;
  /** Pending requests whose expiry is at or before `now`, soonest expiry first, at most `limit`. */
  listDueApprovals(now: string, limit: number): Promise<ApprovalRecord[]>;
  /**
   * `pending` past its expiry at `now` → `expired`, one atomic statement. Returns the record after
   * the change to the one caller whose statement made it, null to every other (already decided,
   * expired by someone else, not due, or missing): each request expires once, however many sweep.
   */
  expireApproval(id: string, now: string): Promise<ApprovalRecord | null>;
  /** `approved` → `consumed` by this call, atomically: true for exactly one caller. */
  consumeApproval(id: string, callId: string, at: string): Promise<boolean>;

  /** Adds a rule and bumps the containment version (PostgreSQL also notifies listening replicas). */
  insertContainmentRule(rule: ContainmentRule): Promise<void>;
  /** Lifts every active rule of this kind, scope and target; returns how many. Bumps the version. */
  liftContainmentRules(kind: ContainmentKind, scope: ContainmentScope, target: string, by: string, at: string): Promise<number>;
  listActiveContainmentRules(): Promise<ContainmentRule[]>;
  /** Changes whenever a rule is added or lifted; cheap to poll. */
  containmentVersion(): Promise<number>;
  /**
   * Calls `listener` when another connection changes containment (PostgreSQL LISTEN/NOTIFY), and
   * once after each reconnection of the listening connection (changes may have been missed).
   * Returns a function that stops listening, or null when the engine has no notifications. Rejects
   * when the first connection cannot be opened; closing the store stops its listeners.
   */
  listenForContainmentChanges(listener: () => void): Promise<(() => Promise<void>) | null>;

  insertPlan(plan: PlanRecord): Promise<void>;
  getPlan(id: string): Promise<PlanRecord | null>;
  /** Moves a plan from one status to another; false when it was not in `from` (someone else moved it). */
  updatePlan(id: string, from: PlanStatus, to: PlanStatus, body: string, at: string): Promise<boolean>;

  insertCompensation(record: CompensationRecord): Promise<void>;
  /** Matching records, newest first (the order compensations run in). */
  listCompensations(filter: CompensationFilter): Promise<CompensationRecord[]>;
  /** Moves a record from `pending` (or `irreversible` for quarantine) to the new status; false when it was not there. */
  updateCompensation(
    callId: string,
    from: CompensationStatus,
    to: CompensationStatus,
    compensatedByCall: string | null,
    at: string,
  ): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------
// Session ledger: what entered each session, where it came from and how far it is trusted. Values
// are kept as keyed hashes of normalised identifiers, never as the content itself.
// ---------------------------------------------------------------------------------------------

export interface SessionContentRecord {
  readonly id: string;
  readonly tenant: string;
  readonly sessionId: string;
  /** `user`, `operator`, `tool`, `retrieval`, `web`, `email`, ... */
  readonly origin: string;
  readonly trust: 'trusted' | 'untrusted';
  /** What it came from: `tool.operation`, a source id, a message id. */
  readonly sourceId: string;
  readonly label: string;
  readonly at: string;
  /** JSON array of value hashes (see risk/taint). */
  readonly values: string;
  /** 0..100. */
  readonly injectionScore: number;
  /** JSON array of signal names. */
  readonly signals: string;
}

export interface SessionLedgerStore {
  /** Appends the entries in one transaction (one commit, however many): all of them or, on failure, none. */
  appendSessionContents(records: readonly SessionContentRecord[]): Promise<void>;
  /** The session's entries, oldest first, at most `limit` (the newest ones when there are more). */
  listSessionContent(tenant: string, sessionId: string, limit: number): Promise<SessionContentRecord[]>;
}

// ---------------------------------------------------------------------------------------------
// Governed retrieval: chunks of ingested documents with their provenance, full-text search over
// them, source quarantines, and the citations each retrieval handed out (so a later call can prove
// what it cites was retrieved in its own trace).
// ---------------------------------------------------------------------------------------------

/** One chunk of an ingested document, with the provenance it was ingested under. */
export interface ChunkRecord {
  /** Derived from source, document, version, position and content: the same chunk keeps its id. */
  readonly chunkId: string;
  readonly tenant: string;
  readonly sourceId: string;
  readonly owner: string;
  readonly documentId: string;
  readonly documentVersion: string;
  readonly documentTitle: string;
  /** Position in the document, from 0. */
  readonly ordinal: number;
  /** The source's classification and trust when the chunk was ingested. */
  readonly classification: string;
  readonly trust: string;
  /** When the content was last known current: freshness is measured from here. */
  readonly updatedAt: string;
  readonly ingestedAt: string;
  /** `sha256:` and the hex SHA-256 of `text` as stored. */
  readonly contentHash: string;
  readonly text: string;
  /** JSON text: what was removed before storing, as `[{ kind, count }]` (never the values). */
  readonly redactions: string;
}

export interface ChunkSearch {
  readonly tenant: string;
  /**
   * The sources to search. Chunks of a source updated before its `staleBefore` are left out (its
   * freshness response is to exclude stale chunks); null keeps them.
   */
  readonly sources: ReadonlyArray<{ readonly id: string; readonly staleBefore: string | null }>;
  /** Words to match, already normalised (letters and digits only). */
  readonly terms: readonly string[];
  /** `all`: every term must occur; `any`: at least one. */
  readonly match: 'all' | 'any';
  readonly limit: number;
}

/** A matching chunk; `score` is higher for better matches and comparable only within one engine. */
export interface ChunkHit extends ChunkRecord {
  readonly score: number;
}

export interface SourceQuarantine {
  readonly id: string;
  readonly sourceId: string;
  readonly tenant: string;
  readonly reason: string;
  readonly setBy: string;
  readonly setAt: string;
  readonly liftedAt: string | null;
  readonly liftedBy: string | null;
}

/** One chunk handed out by one retrieval, under the citation id it was given. */
export interface CitationRecord {
  readonly retrievalId: string;
  readonly citationId: string;
  readonly traceId: string;
  readonly tenant: string;
  readonly agentId: string;
  readonly sessionId: string | null;
  readonly chunkId: string;
  readonly sourceId: string;
  readonly documentId: string;
  readonly documentVersion: string;
  readonly contentHash: string;
  readonly updatedAt: string;
  /** Older than its source's freshness budget when it was retrieved. */
  readonly stale: boolean;
  readonly retrievedAt: string;
}

/** A citation as read back, with whether its source is quarantined now. */
export interface StoredCitation extends CitationRecord {
  readonly quarantined: boolean;
}

export interface SourceStats {
  readonly sourceId: string;
  readonly documents: number;
  readonly chunks: number;
  readonly lastIngestedAt: string | null;
}

/** The retrieval half of the store (implemented by both engines; see test/retrieval/store-contract.ts). */
export interface RetrievalStore {
  /**
   * Replaces every chunk of the document (whatever its version) by these, atomically: a search sees
   * the old chunks or the new ones, never a mix. Returns how many chunks were removed.
   */
  replaceDocumentChunks(sourceId: string, documentId: string, chunks: readonly ChunkRecord[]): Promise<number>;
  /** Full-text search (SQLite FTS5, PostgreSQL tsvector): best matches first, never a quarantined source. */
  searchChunks(search: ChunkSearch): Promise<ChunkHit[]>;
  sourceStats(sourceIds: readonly string[]): Promise<SourceStats[]>;
  insertSourceQuarantine(quarantine: SourceQuarantine): Promise<void>;
  /** Lifts every active quarantine of the source; returns how many. */
  liftSourceQuarantines(sourceId: string, by: string, at: string): Promise<number>;
  listActiveSourceQuarantines(): Promise<SourceQuarantine[]>;
  insertCitations(citations: readonly CitationRecord[]): Promise<void>;
  /** Citations handed out in the trace (of this tenant), oldest first. */
  listCitations(traceId: string, tenant: string): Promise<StoredCitation[]>;
  /**
   * `call.completed` audit events of the traces in which chunks of the source were retrieved, recorded
   * at or after the first such retrieval in that trace, oldest first.
   */
  listInfluencedCalls(sourceId: string, tenant: string, limit: number): Promise<StoredAuditEvent[]>;
}
