/**
 * Statements of the safe-execution half of the store (idempotency, approvals, containment, plans,
 * compensations), written once in the typed query layer like queries.ts. Every status change is a
 * conditional statement (compare and set), so racing callers on other connections or replicas
 * each see whether theirs was the change that happened.
 */
import { sql, type ExpressionBuilder, type Selectable } from 'kysely';
import type {
  ApprovalsTable,
  ApprovalVotesTable,
  CompensationsTable,
  ContainmentRulesTable,
  Database,
  IdempotencyRecordsTable,
  PlansTable,
} from './database.js';
import type { QueryBuilder } from './queries.js';
import type { TemplateFields } from './statement-template.js';
import type {
  ApprovalFilter,
  ApprovalRecord,
  ApprovalStatus,
  ApprovalVote,
  CompensationFilter,
  CompensationRecord,
  CompensationStatus,
  ContainmentKind,
  ContainmentRule,
  ContainmentScope,
  IdempotencyRecord,
  IdempotencyState,
  KeySettlement,
  PlanRecord,
  PlanStatus,
  SessionMode,
} from './store.js';

const CONTAINMENT_VERSION_ROW_ID = 1;

// --- idempotency records -----------------------------------------------------------------------

/**
 * Inserts the claim, or takes over a `completed` record whose expiry has passed at the claim's
 * creation time (it is no longer remembered, whether or not a purge has removed it yet). Returns
 * the scope key when this statement claimed the key, no row when someone else holds it.
 */
export function claimIdempotencyKey(db: QueryBuilder, record: IdempotencyClaim) {
  return db
    .insertInto('idempotency_records')
    .values({
      scope_key: record.scopeKey,
      tenant: record.tenant,
      agent_id: record.agentId,
      action_hash: record.actionHash,
      tool: record.tool,
      operation: record.operation,
      state: 'running',
      call_id: record.callId,
      trace_id: record.traceId,
      outcome: null,
      created_at: record.createdAt,
      updated_at: record.updatedAt,
      expires_at: record.expiresAt,
    })
    .onConflict((conflict) =>
      conflict
        .column('scope_key')
        .doUpdateSet((expression) => ({
          tenant: expression.ref('excluded.tenant'),
          agent_id: expression.ref('excluded.agent_id'),
          action_hash: expression.ref('excluded.action_hash'),
          tool: expression.ref('excluded.tool'),
          operation: expression.ref('excluded.operation'),
          state: expression.ref('excluded.state'),
          call_id: expression.ref('excluded.call_id'),
          trace_id: expression.ref('excluded.trace_id'),
          outcome: expression.ref('excluded.outcome'),
          created_at: expression.ref('excluded.created_at'),
          updated_at: expression.ref('excluded.updated_at'),
          expires_at: expression.ref('excluded.expires_at'),
        }))
        .where('idempotency_records.state', '=', 'completed')
        .whereRef('idempotency_records.expires_at', '<=', 'excluded.created_at'),
    )
    .returning('scope_key');
}

/** The values a claim binds: a claim is always `running`, with no outcome yet. */
export type IdempotencyClaim = Omit<IdempotencyRecord, 'state' | 'outcome'>;

export const IDEMPOTENCY_CLAIM_FIELDS: TemplateFields<IdempotencyClaim> = {
  scopeKey: true,
  tenant: true,
  agentId: true,
  actionHash: true,
  tool: true,
  operation: true,
  callId: true,
  traceId: true,
  createdAt: true,
  updatedAt: true,
  expiresAt: true,
};

export const KEY_SETTLEMENT_FIELDS: TemplateFields<KeySettlement> = { scopeKey: true, callId: true, state: true, outcome: true, at: true };

export function selectIdempotencyRecord(db: QueryBuilder, scopeKey: string) {
  return db.selectFrom('idempotency_records').selectAll().where('scope_key', '=', scopeKey);
}

/** Only the owning call, and never over a completed outcome: the first outcome is final. */
export function finishIdempotencyKey(
  db: QueryBuilder,
  scopeKey: string,
  callId: string,
  state: 'completed' | 'unknown',
  outcome: string,
  at: string,
) {
  return db
    .updateTable('idempotency_records')
    .set({ state, outcome, updated_at: at })
    .where('scope_key', '=', scopeKey)
    .where('call_id', '=', callId)
    .where('state', 'in', ['running', 'unknown']);
}

/** Only a claim still running: once an outcome is recorded, even `unknown`, the key stays taken. */
export function releaseIdempotencyKey(db: QueryBuilder, scopeKey: string, callId: string) {
  return db
    .deleteFrom('idempotency_records')
    .where('scope_key', '=', scopeKey)
    .where('call_id', '=', callId)
    .where('state', '=', 'running');
}

/** Oldest first. The caller has already excluded an empty tenant list. */
export function selectUnresolvedIdempotency(db: QueryBuilder, tenants: readonly string[] | undefined, olderThan: string, limit: number) {
  let query = db
    .selectFrom('idempotency_records')
    .selectAll()
    .where('state', 'in', ['running', 'unknown'])
    .where('updated_at', '<', olderThan);
  if (tenants !== undefined) query = query.where('tenant', 'in', tenants);
  return query.orderBy('updated_at', 'asc').orderBy('scope_key', 'asc').limit(limit);
}

/** The unresolved record a call claimed (few rows are unresolved: idempotency_records_state_idx narrows to them). */
export function selectUnresolvedIdempotencyByCall(db: QueryBuilder, callId: string) {
  return db.selectFrom('idempotency_records').selectAll().where('state', 'in', ['running', 'unknown']).where('call_id', '=', callId);
}

/** `unknown`, or `running` since before `runningBefore` (its process died): the records an operator may resolve. */
function unresolvedRecord(scopeKey: string, callId: string, runningBefore: string) {
  return (expression: ExpressionBuilder<Database, 'idempotency_records'>) =>
    expression.and([
      expression('scope_key', '=', scopeKey),
      expression('call_id', '=', callId),
      expression.or([
        expression('state', '=', 'unknown'),
        expression.and([expression('state', '=', 'running'), expression('updated_at', '<', runningBefore)]),
      ]),
    ]);
}

/** An operator found that the call took effect: its key keeps `outcome` as the first outcome. */
export function settleUnknownIdempotency(
  db: QueryBuilder,
  scopeKey: string,
  callId: string,
  runningBefore: string,
  settled: { outcome: string; at: string; expiresAt: string },
) {
  return db
    .updateTable('idempotency_records')
    .set({ state: 'completed', outcome: settled.outcome, updated_at: settled.at, expires_at: settled.expiresAt })
    .where(unresolvedRecord(scopeKey, callId, runningBefore));
}

/** An operator found that the call did not take effect: the key is free for a retry. */
export function releaseUnknownIdempotency(db: QueryBuilder, scopeKey: string, callId: string, runningBefore: string) {
  return db.deleteFrom('idempotency_records').where(unresolvedRecord(scopeKey, callId, runningBefore));
}

/**
 * Only completed records: a claim left `running` or `unknown` may have acted upstream, so it stays
 * (and keeps its key taken) until an operator resolves it.
 */
export function deleteExpiredIdempotency(db: QueryBuilder, now: string) {
  return db.deleteFrom('idempotency_records').where('state', '=', 'completed').where('expires_at', '<=', now);
}

export function toIdempotencyRecord(row: Selectable<IdempotencyRecordsTable>): IdempotencyRecord {
  return {
    scopeKey: row.scope_key,
    tenant: row.tenant,
    agentId: row.agent_id,
    actionHash: row.action_hash,
    tool: row.tool,
    operation: row.operation,
    state: row.state as IdempotencyState,
    callId: row.call_id,
    traceId: row.trace_id,
    outcome: row.outcome,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
  };
}

// --- approvals ---------------------------------------------------------------------------------

export function insertApproval(db: QueryBuilder, record: ApprovalRecord) {
  return db.insertInto('approvals').values({
    id: record.id,
    tenant: record.tenant,
    agent_id: record.agentId,
    acting_for_user_id: record.actingForUserId,
    action_hash: record.actionHash,
    idempotency_key: record.idempotencyKey,
    tool: record.tool,
    operation: record.operation,
    role: record.role,
    quorum: record.quorum,
    status: record.status,
    created_at: record.createdAt,
    expires_at: record.expiresAt,
    decided_at: record.decidedAt,
    consumed_by_call: record.consumedByCall,
    details: record.details,
  });
}

/** `lockRow` (PostgreSQL only) holds the row until commit, so votes on one request queue. */
export function selectApproval(db: QueryBuilder, id: string, lockRow = false) {
  const query = db.selectFrom('approvals').selectAll().where('id', '=', id);
  return lockRow ? query.forUpdate() : query;
}

/**
 * The two matches are gathered by a union of two lookups, so each is answered from its own index
 * (approvals_action_idx, approvals_idempotency_idx) rather than by reading every approval of the agent.
 */
export function selectOpenApproval(db: QueryBuilder, tenant: string, agentId: string, actionHash: string, idempotencyKey: string | null) {
  const byAction = db
    .selectFrom('approvals')
    .select('id')
    .where('tenant', '=', tenant)
    .where('agent_id', '=', agentId)
    .where('action_hash', '=', actionHash);
  const candidates =
    idempotencyKey === null
      ? byAction
      : byAction.unionAll(
          db
            .selectFrom('approvals')
            .select('id')
            .where('tenant', '=', tenant)
            .where('agent_id', '=', agentId)
            .where('idempotency_key', '=', idempotencyKey),
        );
  return db
    .selectFrom('approvals')
    .selectAll()
    .where('id', 'in', candidates)
    .where('status', '!=', 'consumed')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1);
}

/** Newest first. The caller has already excluded an empty tenant list. */
export function selectApprovals(db: QueryBuilder, filter: ApprovalFilter) {
  let query = db.selectFrom('approvals').selectAll();
  if (filter.tenants !== undefined) query = query.where('tenant', 'in', filter.tenants);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.agentId !== undefined) query = query.where('agent_id', '=', filter.agentId);
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit);
}

/** A second vote by the same approver is ignored: the first one stands. */
export function insertApprovalVote(db: QueryBuilder, vote: ApprovalVote) {
  return db
    .insertInto('approval_votes')
    .values({ approval_id: vote.approvalId, approver: vote.approver, decision: vote.decision, comment: vote.comment, at: vote.at })
    .onConflict((conflict) => conflict.columns(['approval_id', 'approver']).doNothing());
}

/** pending → denied when any recorded vote denies, unless expired at `at`. */
export function denyApprovalOnDenyVote(db: QueryBuilder, id: string, at: string) {
  return db
    .updateTable('approvals')
    .set({ status: 'denied', decided_at: at })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('expires_at', '>', at)
    .where((expression) =>
      expression.exists(
        expression
          .selectFrom('approval_votes')
          .select('approval_votes.approver')
          .whereRef('approval_votes.approval_id', '=', 'approvals.id')
          .where('approval_votes.decision', '=', 'deny'),
      ),
    );
}

/** pending → approved when the recorded approving votes reach the quorum, unless expired at `at`. */
export function approveApprovalAtQuorum(db: QueryBuilder, id: string, at: string) {
  return db
    .updateTable('approvals')
    .set({ status: 'approved', decided_at: at })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('expires_at', '>', at)
    .where((expression) =>
      expression(
        expression
          .selectFrom('approval_votes')
          .select((votes) => votes.fn.countAll<number>().as('approving'))
          .whereRef('approval_votes.approval_id', '=', 'approvals.id')
          .where('approval_votes.decision', '=', 'approve'),
        '>=',
        expression.ref('approvals.quorum'),
      ),
    );
}

/** pending past its expiry at `now` → expired; one request, or every one when `id` is null. */
export function expirePendingApprovals(db: QueryBuilder, now: string, id: string | null = null) {
  let query = db
    .updateTable('approvals')
    .set({ status: 'expired', decided_at: now })
    .where('status', '=', 'pending')
    .where('expires_at', '<=', now);
  if (id !== null) query = query.where('id', '=', id);
  return query;
}

/** Pending and past their expiry at `now`, soonest expiry first (approvals_status_idx). */
export function selectDueApprovals(db: QueryBuilder, now: string, limit: number) {
  return db
    .selectFrom('approvals')
    .selectAll()
    .where('status', '=', 'pending')
    .where('expires_at', '<=', now)
    .orderBy('expires_at', 'asc')
    .orderBy('id', 'asc')
    .limit(limit);
}

export function consumeApproval(db: QueryBuilder, id: string, callId: string, at: string) {
  return db
    .updateTable('approvals')
    .set({ status: 'consumed', consumed_by_call: callId, decided_at: at })
    .where('id', '=', id)
    .where('status', '=', 'approved');
}

export function selectApprovalVotes(db: QueryBuilder, approvalId: string) {
  return db.selectFrom('approval_votes').selectAll().where('approval_id', '=', approvalId).orderBy('at', 'asc').orderBy('approver', 'asc');
}

export function toApprovalRecord(row: Selectable<ApprovalsTable>): ApprovalRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    agentId: row.agent_id,
    actingForUserId: row.acting_for_user_id,
    actionHash: row.action_hash,
    idempotencyKey: row.idempotency_key,
    tool: row.tool,
    operation: row.operation,
    role: row.role,
    quorum: Number(row.quorum),
    status: row.status as ApprovalStatus,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    decidedAt: row.decided_at,
    consumedByCall: row.consumed_by_call,
    details: row.details,
  };
}

export function toApprovalVote(row: Selectable<ApprovalVotesTable>): ApprovalVote {
  return {
    approvalId: row.approval_id,
    approver: row.approver,
    decision: row.decision as ApprovalVote['decision'],
    comment: row.comment,
    at: row.at,
  };
}

// --- containment -------------------------------------------------------------------------------

export function insertContainmentRule(db: QueryBuilder, rule: ContainmentRule) {
  return db.insertInto('containment_rules').values({
    id: rule.id,
    kind: rule.kind,
    scope: rule.scope,
    target: rule.target,
    mode: rule.mode,
    reason: rule.reason,
    set_by: rule.setBy,
    set_at: rule.setAt,
    lifted_at: rule.liftedAt,
    lifted_by: rule.liftedBy,
  });
}

export function liftContainmentRules(
  db: QueryBuilder,
  kind: ContainmentKind,
  scope: ContainmentScope,
  target: string,
  by: string,
  at: string,
) {
  return db
    .updateTable('containment_rules')
    .set({ lifted_at: at, lifted_by: by })
    .where('kind', '=', kind)
    .where('scope', '=', scope)
    .where('target', '=', target)
    .where('lifted_at', 'is', null);
}

export function selectActiveContainmentRules(db: QueryBuilder) {
  return db.selectFrom('containment_rules').selectAll().where('lifted_at', 'is', null).orderBy('set_at', 'asc').orderBy('id', 'asc');
}

export function selectContainmentVersion(db: QueryBuilder) {
  return db.selectFrom('containment_version').select('version').where('id', '=', CONTAINMENT_VERSION_ROW_ID);
}

/** Run in the transaction of the rule change; on PostgreSQL the row lock also orders concurrent changes. */
export function bumpContainmentVersion(db: QueryBuilder) {
  return db
    .updateTable('containment_version')
    .set((expression) => ({ version: expression('version', '+', 1) }))
    .where('id', '=', CONTAINMENT_VERSION_ROW_ID)
    .returning('version');
}

/** PostgreSQL only: queued in the transaction, delivered to listeners when it commits. */
export function notifyContainmentChange(db: QueryBuilder, channel: string, version: number) {
  return db.selectNoFrom(sql<unknown>`pg_notify(${channel}, ${String(version)})`.as('notified'));
}

export function toContainmentRule(row: Selectable<ContainmentRulesTable>): ContainmentRule {
  return {
    id: row.id,
    kind: row.kind as ContainmentKind,
    scope: row.scope as ContainmentScope,
    target: row.target,
    mode: row.mode as SessionMode | null,
    reason: row.reason,
    setBy: row.set_by,
    setAt: row.set_at,
    liftedAt: row.lifted_at,
    liftedBy: row.lifted_by,
  };
}

// --- plans -------------------------------------------------------------------------------------

export function insertPlan(db: QueryBuilder, plan: PlanRecord) {
  return db.insertInto('plans').values({
    id: plan.id,
    tenant: plan.tenant,
    agent_id: plan.agentId,
    hash: plan.hash,
    status: plan.status,
    body: plan.body,
    created_at: plan.createdAt,
    updated_at: plan.updatedAt,
  });
}

export function selectPlan(db: QueryBuilder, id: string) {
  return db.selectFrom('plans').selectAll().where('id', '=', id);
}

export function updatePlan(db: QueryBuilder, id: string, from: PlanStatus, to: PlanStatus, body: string, at: string) {
  return db.updateTable('plans').set({ status: to, body, updated_at: at }).where('id', '=', id).where('status', '=', from);
}

export function toPlanRecord(row: Selectable<PlansTable>): PlanRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    agentId: row.agent_id,
    hash: row.hash,
    status: row.status as PlanStatus,
    body: row.body,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

// --- compensations -----------------------------------------------------------------------------

export const COMPENSATION_FIELDS: TemplateFields<CompensationRecord> = {
  callId: true,
  ordinal: true,
  tenant: true,
  agentId: true,
  traceId: true,
  sessionId: true,
  tool: true,
  operation: true,
  executedAt: true,
  status: true,
  compensation: true,
  compensatedByCall: true,
  updatedAt: true,
};

export function insertCompensation(db: QueryBuilder, record: CompensationRecord) {
  return db.insertInto('compensations').values({
    call_id: record.callId,
    ordinal: record.ordinal,
    tenant: record.tenant,
    agent_id: record.agentId,
    trace_id: record.traceId,
    session_id: record.sessionId,
    tool: record.tool,
    operation: record.operation,
    executed_at: record.executedAt,
    status: record.status,
    compensation: record.compensation,
    compensated_by_call: record.compensatedByCall,
    updated_at: record.updatedAt,
  });
}

/** Newest first: the order compensations run in. Filters combine with AND. */
export function selectCompensations(db: QueryBuilder, filter: CompensationFilter) {
  let query = db.selectFrom('compensations').selectAll();
  if (filter.tenant !== undefined) query = query.where('tenant', '=', filter.tenant);
  if (filter.traceId !== undefined) query = query.where('trace_id', '=', filter.traceId);
  if (filter.sessionId !== undefined) query = query.where('session_id', '=', filter.sessionId);
  if (filter.agentId !== undefined) query = query.where('agent_id', '=', filter.agentId);
  if (filter.since !== undefined) query = query.where('executed_at', '>=', filter.since);
  return query.orderBy('ordinal', 'desc').orderBy('call_id', 'desc').limit(filter.limit);
}

export function updateCompensation(
  db: QueryBuilder,
  callId: string,
  from: CompensationStatus,
  to: CompensationStatus,
  compensatedByCall: string | null,
  at: string,
) {
  return db
    .updateTable('compensations')
    .set({ status: to, compensated_by_call: compensatedByCall, updated_at: at })
    .where('call_id', '=', callId)
    .where('status', '=', from);
}

export function toCompensationRecord(row: Selectable<CompensationsTable>): CompensationRecord {
  return {
    callId: row.call_id,
    ordinal: Number(row.ordinal),
    tenant: row.tenant,
    agentId: row.agent_id,
    traceId: row.trace_id,
    sessionId: row.session_id,
    tool: row.tool,
    operation: row.operation,
    executedAt: row.executed_at,
    status: row.status as CompensationStatus,
    compensation: row.compensation,
    compensatedByCall: row.compensated_by_call,
    updatedAt: row.updated_at,
  };
}
