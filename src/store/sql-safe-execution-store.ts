/**
 * The safe-execution half of the Store contract (store.ts), implemented once over the typed query
 * layer. SqlStore extends this class and supplies how statements and transactions run on its
 * engine; the PostgreSQL store adds change notifications.
 *
 * Every write here is a normal, synced commit: these rows decide whether a side effect may happen
 * (again), so losing one on power failure could run an action twice or run it unapproved.
 */
import type { Compilable } from 'kysely';
import { InterlockError } from '../errors/interlock-error.js';
import type { QueryBuilder } from './queries.js';
import {
  approveApprovalAtQuorum,
  bumpContainmentVersion,
  claimIdempotencyKey,
  COMPENSATION_FIELDS,
  consumeApproval,
  deleteExpiredIdempotency,
  denyApprovalOnDenyVote,
  expirePendingApprovals,
  finishIdempotencyKey,
  IDEMPOTENCY_CLAIM_FIELDS,
  insertApproval,
  insertApprovalVote,
  insertCompensation,
  insertContainmentRule,
  insertPlan,
  KEY_SETTLEMENT_FIELDS,
  liftContainmentRules,
  releaseIdempotencyKey,
  releaseUnknownIdempotency,
  selectActiveContainmentRules,
  selectApproval,
  selectApprovals,
  selectApprovalVotes,
  selectCompensations,
  selectContainmentVersion,
  selectDueApprovals,
  selectIdempotencyRecord,
  selectOpenApproval,
  selectPlan,
  selectUnresolvedIdempotency,
  selectUnresolvedIdempotencyByCall,
  settleUnknownIdempotency,
  toApprovalRecord,
  toApprovalVote,
  toCompensationRecord,
  toContainmentRule,
  toIdempotencyRecord,
  toPlanRecord,
  updateCompensation,
  updatePlan,
} from './safe-execution-queries.js';
import { statementTemplate } from './statement-template.js';
import { requireCount } from './store-arguments.js';
import type {
  ApprovalFilter,
  ApprovalRecord,
  ApprovalVote,
  CompensationFilter,
  CompensationRecord,
  CompensationStatus,
  ContainmentKind,
  ContainmentRule,
  ContainmentScope,
  IdempotencyRecord,
  IdempotencyResolution,
  KeySettlement,
  PlanRecord,
  PlanStatus,
  SafeExecutionStore,
  WriteSettlement,
} from './store.js';
import { change, rows, type TransactionBody } from './transaction.js';

/** A claim that loses to a record which is then released before it can be read is tried again, this often. */
const CLAIM_ATTEMPTS = 3;
const SESSION_MODES: ReadonlySet<string> = new Set(['normal', 'elevated', 'read_only', 'locked']);

export abstract class SqlSafeExecutionStore implements SafeExecutionStore {
  abstract readonly driver: 'sqlite' | 'postgres';
  protected abstract readonly queries: QueryBuilder;

  // The statements of every governed write, compiled on first use (see statement-template.ts).
  readonly #claimKey = statementTemplate(IDEMPOTENCY_CLAIM_FIELDS, (claim) => claimIdempotencyKey(this.queries, claim));
  readonly #selectKey = statementTemplate({ scopeKey: true }, ({ scopeKey }: { scopeKey: string }) =>
    selectIdempotencyRecord(this.queries, scopeKey),
  );
  readonly #finishKey = statementTemplate(KEY_SETTLEMENT_FIELDS, (settlement: KeySettlement) =>
    finishIdempotencyKey(this.queries, settlement.scopeKey, settlement.callId, settlement.state, settlement.outcome, settlement.at),
  );
  readonly #insertCompensation = statementTemplate(COMPENSATION_FIELDS, (record) => insertCompensation(this.queries, record));

  protected abstract execute<Row>(query: Compilable<Row>): Promise<Row[]>;
  protected abstract executeChange(query: Compilable): Promise<number>;
  /**
   * Runs a body as one transaction that takes the engine's write lock on its first write (SQLite:
   * BEGIN IMMEDIATE on the whole file) and commits durably; any error rolls it back.
   */
  protected abstract transact<Result>(body: TransactionBody<Result>): Promise<Result>;
  protected abstract guard<Result>(operation: string, work: () => Promise<Result>): Promise<Result>;

  /**
   * A statement run in the transaction of every containment change, after the version bump, to
   * tell other connections (PostgreSQL NOTIFY). Null when the engine has no notifications.
   */
  protected containmentNotice(_version: number): Compilable | null {
    return null;
  }

  // --- idempotency -------------------------------------------------------------------------------

  claimIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord | null> {
    return this.guard('claim an idempotency key', async () => {
      for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
        const claimed = await this.execute(this.#claimKey(record));
        if (claimed.length > 0) return null;
        const [existing] = await this.execute(this.#selectKey(record));
        if (existing !== undefined) return toIdempotencyRecord(existing);
        // The holder released the key between the two statements: claim it again.
      }
      throw new InterlockError('STORE_UNAVAILABLE', 'The idempotency key changed hands repeatedly while it was being claimed.', {
        operation: 'claim an idempotency key',
      });
    });
  }

  getIdempotencyRecord(scopeKey: string): Promise<IdempotencyRecord | null> {
    return this.guard('read an idempotency record', async () => {
      const [row] = await this.execute(this.#selectKey({ scopeKey }));
      return row === undefined ? null : toIdempotencyRecord(row);
    });
  }

  finishIdempotencyKey(scopeKey: string, callId: string, state: 'completed' | 'unknown', outcome: string, at: string): Promise<void> {
    return this.guard('finish an idempotency key', async () => {
      const settlement = { scopeKey, callId, state, outcome, at };
      requireKeySettlement(settlement);
      await this.executeChange(this.#finishKey(settlement));
    });
  }

  /** One statement commits on its own; two share a transaction (a claim held by another call is left alone). */
  settleWrite(settlement: WriteSettlement): Promise<void> {
    return this.guard('settle a write', async () => {
      const { compensation, key } = settlement;
      if (compensation !== null) requireCount('ordinal', compensation.ordinal);
      if (key !== null) requireKeySettlement(key);
      if (compensation === null) {
        if (key !== null) await this.executeChange(this.#finishKey(key));
      } else if (key === null) {
        await this.executeChange(this.#insertCompensation(compensation));
      } else {
        await this.transact(this.settleBody(compensation, key));
      }
    });
  }

  private *settleBody(compensation: CompensationRecord, key: KeySettlement): TransactionBody<void> {
    yield* change(this.#finishKey(key));
    yield* change(this.#insertCompensation(compensation));
  }

  releaseIdempotencyKey(scopeKey: string, callId: string): Promise<void> {
    return this.guard('release an idempotency key', async () => {
      await this.executeChange(releaseIdempotencyKey(this.queries, scopeKey, callId));
    });
  }

  listUnresolvedIdempotency(tenants: readonly string[] | undefined, olderThan: string, limit: number): Promise<IdempotencyRecord[]> {
    return this.guard('list unresolved idempotency records', async () => {
      requireCount('limit', limit);
      if (limit === 0 || tenants?.length === 0) return [];
      const found = await this.execute(selectUnresolvedIdempotency(this.queries, tenants, olderThan, limit));
      return found.map(toIdempotencyRecord);
    });
  }

  getUnresolvedIdempotencyByCall(callId: string): Promise<IdempotencyRecord | null> {
    return this.guard('read an unresolved idempotency record', async () => {
      const [row] = await this.execute(selectUnresolvedIdempotencyByCall(this.queries, callId));
      return row === undefined ? null : toIdempotencyRecord(row);
    });
  }

  resolveUnknownIdempotency(scopeKey: string, callId: string, runningBefore: string, resolution: IdempotencyResolution): Promise<boolean> {
    return this.guard('resolve an unknown outcome', async () => {
      const changed =
        resolution.as === 'executed'
          ? await this.executeChange(settleUnknownIdempotency(this.queries, scopeKey, callId, runningBefore, resolution))
          : resolution.as === 'not_executed'
            ? await this.executeChange(releaseUnknownIdempotency(this.queries, scopeKey, callId, runningBefore))
            : null;
      if (changed === null) {
        throw new InterlockError('REQUEST_INVALID', 'An unknown outcome resolves as executed or not_executed.', {
          as: String((resolution as { as: unknown }).as),
        });
      }
      return changed === 1;
    });
  }

  purgeExpiredIdempotency(now: string): Promise<number> {
    return this.guard('purge expired idempotency records', () => this.executeChange(deleteExpiredIdempotency(this.queries, now)));
  }

  // --- approvals ---------------------------------------------------------------------------------

  insertApproval(record: ApprovalRecord): Promise<void> {
    return this.guard('insert an approval', async () => {
      if (!Number.isSafeInteger(record.quorum) || record.quorum < 1) {
        throw new InterlockError('REQUEST_INVALID', 'An approval quorum is a whole number, one or more.', { quorum: record.quorum });
      }
      await this.executeChange(insertApproval(this.queries, record));
    });
  }

  getApproval(id: string): Promise<ApprovalRecord | null> {
    return this.guard('read an approval', async () => {
      const [row] = await this.execute(selectApproval(this.queries, id));
      return row === undefined ? null : toApprovalRecord(row);
    });
  }

  findOpenApproval(tenant: string, agentId: string, actionHash: string, idempotencyKey: string | null): Promise<ApprovalRecord | null> {
    return this.guard('find an open approval', async () => {
      const [row] = await this.execute(selectOpenApproval(this.queries, tenant, agentId, actionHash, idempotencyKey));
      return row === undefined ? null : toApprovalRecord(row);
    });
  }

  listApprovals(filter: ApprovalFilter): Promise<ApprovalRecord[]> {
    return this.guard('list approvals', async () => {
      requireCount('limit', filter.limit);
      if (filter.limit === 0 || filter.tenants?.length === 0) return [];
      return (await this.execute(selectApprovals(this.queries, filter))).map(toApprovalRecord);
    });
  }

  /**
   * One transaction: read the request (locking its row on PostgreSQL, so votes on it queue), then
   * either expire it (a vote arriving at or after the expiry records nothing and closes the
   * request as `expired`) or record the vote and move the status from the recorded votes. A vote
   * on a request that is no longer pending records nothing and returns it unchanged.
   */
  voteOnApproval(vote: ApprovalVote): Promise<ApprovalRecord | null> {
    return this.guard('vote on an approval', async () => {
      if (vote.decision !== 'approve' && vote.decision !== 'deny') {
        throw new InterlockError('REQUEST_INVALID', 'A vote approves or denies.', { decision: String(vote.decision) });
      }
      return this.transact(this.voteBody(vote));
    });
  }

  private *voteBody(vote: ApprovalVote): TransactionBody<ApprovalRecord | null> {
    const [current] = yield* rows(selectApproval(this.queries, vote.approvalId, this.driver === 'postgres'));
    if (current === undefined) return null;
    if (current.status !== 'pending') return toApprovalRecord(current);
    if (current.expires_at <= vote.at) {
      yield* change(expirePendingApprovals(this.queries, vote.at, vote.approvalId));
    } else {
      yield* change(insertApprovalVote(this.queries, vote));
      // Deny first: a request with any deny vote is denied, whatever the count of approvals.
      yield* change(denyApprovalOnDenyVote(this.queries, vote.approvalId, vote.at));
      yield* change(approveApprovalAtQuorum(this.queries, vote.approvalId, vote.at));
    }
    const [after] = yield* rows(selectApproval(this.queries, vote.approvalId));
    return after === undefined ? null : toApprovalRecord(after);
  }

  listApprovalVotes(approvalId: string): Promise<ApprovalVote[]> {
    return this.guard('list approval votes', async () =>
      (await this.execute(selectApprovalVotes(this.queries, approvalId))).map(toApprovalVote),
    );
  }

  listDueApprovals(now: string, limit: number): Promise<ApprovalRecord[]> {
    return this.guard('list due approvals', async () => {
      requireCount('limit', limit);
      if (limit === 0) return [];
      return (await this.execute(selectDueApprovals(this.queries, now, limit))).map(toApprovalRecord);
    });
  }

  expireApproval(id: string, now: string): Promise<ApprovalRecord | null> {
    return this.guard('expire an approval', async () => {
      // Compare and set with RETURNING: only the statement that changed the row gets it back.
      const [row] = await this.execute(expirePendingApprovals(this.queries, now, id).returningAll());
      return row === undefined ? null : toApprovalRecord(row);
    });
  }

  consumeApproval(id: string, callId: string, at: string): Promise<boolean> {
    return this.guard('consume an approval', async () => (await this.executeChange(consumeApproval(this.queries, id, callId, at))) === 1);
  }

  // --- containment -------------------------------------------------------------------------------

  insertContainmentRule(rule: ContainmentRule): Promise<void> {
    return this.guard('insert a containment rule', async () => {
      requireWellFormedRule(rule);
      await this.transact(this.insertRuleBody(rule));
    });
  }

  private *insertRuleBody(rule: ContainmentRule): TransactionBody<void> {
    yield* change(insertContainmentRule(this.queries, rule));
    yield* this.containmentChangedBody();
  }

  liftContainmentRules(kind: ContainmentKind, scope: ContainmentScope, target: string, by: string, at: string): Promise<number> {
    return this.guard('lift containment rules', () => this.transact(this.liftRulesBody(kind, scope, target, by, at)));
  }

  private *liftRulesBody(kind: ContainmentKind, scope: ContainmentScope, target: string, by: string, at: string): TransactionBody<number> {
    const lifted = yield* change(liftContainmentRules(this.queries, kind, scope, target, by, at));
    // Nothing lifted, nothing changed: pollers and listeners are not woken for it.
    if (lifted > 0) yield* this.containmentChangedBody();
    return lifted;
  }

  private *containmentChangedBody(): TransactionBody<void> {
    const [bumped] = yield* rows(bumpContainmentVersion(this.queries));
    if (bumped === undefined)
      throw new InterlockError('STORE_UNAVAILABLE', 'The containment version row is missing; run migrations first.');
    const notice = this.containmentNotice(Number(bumped.version));
    if (notice !== null) yield* rows(notice);
  }

  listActiveContainmentRules(): Promise<ContainmentRule[]> {
    return this.guard('list containment rules', async () =>
      (await this.execute(selectActiveContainmentRules(this.queries))).map(toContainmentRule),
    );
  }

  containmentVersion(): Promise<number> {
    return this.guard('read the containment version', async () => {
      const [row] = await this.execute(selectContainmentVersion(this.queries));
      if (row === undefined) throw new InterlockError('STORE_UNAVAILABLE', 'The containment version row is missing; run migrations first.');
      return Number(row.version);
    });
  }

  /** Engines without notifications answer null: callers poll containmentVersion(). */
  listenForContainmentChanges(_listener: () => void): Promise<(() => Promise<void>) | null> {
    return this.guard('listen for containment changes', async () => null);
  }

  // --- plans -------------------------------------------------------------------------------------

  insertPlan(plan: PlanRecord): Promise<void> {
    return this.guard('insert a plan', async () => {
      await this.executeChange(insertPlan(this.queries, plan));
    });
  }

  getPlan(id: string): Promise<PlanRecord | null> {
    return this.guard('read a plan', async () => {
      const [row] = await this.execute(selectPlan(this.queries, id));
      return row === undefined ? null : toPlanRecord(row);
    });
  }

  updatePlan(id: string, from: PlanStatus, to: PlanStatus, body: string, at: string): Promise<boolean> {
    return this.guard('update a plan', async () => (await this.executeChange(updatePlan(this.queries, id, from, to, body, at))) === 1);
  }

  // --- compensations -----------------------------------------------------------------------------

  insertCompensation(record: CompensationRecord): Promise<void> {
    return this.guard('insert a compensation', async () => {
      requireCount('ordinal', record.ordinal);
      await this.executeChange(this.#insertCompensation(record));
    });
  }

  listCompensations(filter: CompensationFilter): Promise<CompensationRecord[]> {
    return this.guard('list compensations', async () => {
      requireCount('limit', filter.limit);
      if (filter.limit === 0) return [];
      return (await this.execute(selectCompensations(this.queries, filter))).map(toCompensationRecord);
    });
  }

  updateCompensation(
    callId: string,
    from: CompensationStatus,
    to: CompensationStatus,
    compensatedByCall: string | null,
    at: string,
  ): Promise<boolean> {
    return this.guard(
      'update a compensation',
      async () => (await this.executeChange(updateCompensation(this.queries, callId, from, to, compensatedByCall, at))) === 1,
    );
  }
}

function requireKeySettlement(settlement: KeySettlement): void {
  if (settlement.state !== 'completed' && settlement.state !== 'unknown') {
    throw new InterlockError('REQUEST_INVALID', 'An idempotency record finishes as completed or unknown.', {
      state: String(settlement.state),
    });
  }
}

/** A kill switch carries no mode; a mode rule carries one of the four modes. */
function requireWellFormedRule(rule: ContainmentRule): void {
  const wellFormed = rule.kind === 'kill' ? rule.mode === null : rule.kind === 'mode' && rule.mode !== null && SESSION_MODES.has(rule.mode);
  if (!wellFormed) {
    throw new InterlockError(
      'REQUEST_INVALID',
      'A kill switch has no mode; a mode rule names one of normal, elevated, read_only, locked.',
      {
        kind: String(rule.kind),
        mode: rule.mode === null ? null : String(rule.mode),
      },
    );
  }
}
