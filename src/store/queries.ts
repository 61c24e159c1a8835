/**
 * Every statement both stores run, written once in the typed query layer. Each function takes a
 * query builder bound to one dialect and returns an unexecuted query: the PostgreSQL store runs it
 * through its pool, the SQLite store compiles it and runs it synchronously on its connection.
 */
import type { Kysely, Selectable } from 'kysely';
import type { AuditEventsTable, AuditCheckpointsTable, Database } from './database.js';
import type { ChainHead } from './chain-append.js';
import type { AuditFilter, Checkpoint, CounterIncrement, Revocation, StoredAuditEvent } from './store.js';

export type QueryBuilder = Kysely<Database>;

const HEAD_ROW_ID = 1;

export function selectHead(db: QueryBuilder) {
  return db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', HEAD_ROW_ID);
}

export function updateHead(db: QueryBuilder, head: ChainHead) {
  return db.updateTable('audit_head').set({ seq: head.seq, hash: head.hash }).where('id', '=', HEAD_ROW_ID);
}

export function insertAuditEvents(db: QueryBuilder, events: readonly StoredAuditEvent[]) {
  return db.insertInto('audit_events').values(
    events.map((event) => ({
      seq: event.seq,
      id: event.id,
      type: event.type,
      at: event.at,
      tenant: event.tenant,
      agent: event.agent,
      trace_id: event.traceId,
      call_id: event.callId,
      body: event.body,
      prev_hash: event.prevHash,
      hash: event.hash,
    })),
  );
}

/** The caller has already excluded an empty tenant list (which matches nothing). */
export function selectAuditEvents(db: QueryBuilder, filter: AuditFilter) {
  let query = db.selectFrom('audit_events').selectAll();
  if (filter.tenants !== undefined) query = query.where('tenant', 'in', filter.tenants);
  if (filter.agent !== undefined) query = query.where('agent', '=', filter.agent);
  if (filter.traceId !== undefined) query = query.where('trace_id', '=', filter.traceId);
  if (filter.callId !== undefined) query = query.where('call_id', '=', filter.callId);
  if (filter.type !== undefined) query = query.where('type', '=', filter.type);
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('at', '<', filter.until);
  if (filter.afterSeq !== undefined) query = query.where('seq', '>', filter.afterSeq);
  return query.orderBy('seq', 'asc').limit(filter.limit);
}

export function selectAuditRange(db: QueryBuilder, fromSeq: number, limit: number) {
  return db.selectFrom('audit_events').selectAll().where('seq', '>=', fromSeq).orderBy('seq', 'asc').limit(limit);
}

export function toStoredAuditEvent(row: Selectable<AuditEventsTable>): StoredAuditEvent {
  return {
    seq: Number(row.seq),
    id: row.id,
    type: row.type,
    at: row.at,
    tenant: row.tenant,
    agent: row.agent,
    traceId: row.trace_id,
    callId: row.call_id,
    body: row.body,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** A checkpoint already stored for the same seq and key is kept: replicas may sign the same head. */
export function insertCheckpoint(db: QueryBuilder, checkpoint: Checkpoint) {
  return db
    .insertInto('audit_checkpoints')
    .values({ seq: checkpoint.seq, key_id: checkpoint.keyId, hash: checkpoint.hash, at: checkpoint.at, signature: checkpoint.signature })
    .onConflict((conflict) => conflict.columns(['seq', 'key_id']).doNothing());
}

export function selectCheckpoints(db: QueryBuilder) {
  return db.selectFrom('audit_checkpoints').selectAll().orderBy('seq', 'asc').orderBy('key_id', 'asc');
}

export function toCheckpoint(row: Selectable<AuditCheckpointsTable>): Checkpoint {
  return { seq: Number(row.seq), hash: row.hash, at: row.at, keyId: row.key_id, signature: row.signature };
}

export function insertRevocation(db: QueryBuilder, revocation: Revocation) {
  return db.insertInto('revocations').values({
    token_id: revocation.tokenId,
    agent_id: revocation.agentId,
    revoked_before: revocation.before,
    revoked_at: revocation.at,
    revoked_by: revocation.by,
    reason: revocation.reason,
  });
}

/**
 * Two EXISTS probes rather than one OR, so each is answered from its own index
 * (revocations_token_idx, revocations_agent_idx) on both engines.
 */
export function selectRevoked(db: QueryBuilder, tokenId: string, agentId: string, issuedAt: number) {
  return db.selectNoFrom((expression) => [
    expression
      .or([
        expression.exists(expression.selectFrom('revocations').select('id').where('token_id', '=', tokenId)),
        expression.exists(
          expression.selectFrom('revocations').select('id').where('agent_id', '=', agentId).where('revoked_before', '>=', issuedAt),
        ),
      ])
      .as('revoked'),
  ]);
}

/**
 * One upsert statement adds every increment atomically. Keys are summed and sorted first: a
 * statement may touch a row only once, and a fixed lock order keeps concurrent callers from
 * deadlocking on PostgreSQL.
 */
export function upsertCounters(db: QueryBuilder, increments: readonly CounterIncrement[]) {
  return db
    .insertInto('counters')
    .values(mergeIncrements(increments).map((increment) => ({ key: increment.key, value: increment.by, expires_at: increment.expiresAt })))
    .onConflict((conflict) =>
      conflict.column('key').doUpdateSet((expression) => ({
        value: expression('counters.value', '+', expression.ref('excluded.value')),
        expires_at: expression
          .case()
          .when('excluded.expires_at', '>', expression.ref('counters.expires_at'))
          .then(expression.ref('excluded.expires_at'))
          .else(expression.ref('counters.expires_at'))
          .end(),
      })),
    )
    .returning(['key', 'value']);
}

function mergeIncrements(increments: readonly CounterIncrement[]): CounterIncrement[] {
  const merged = new Map<string, CounterIncrement>();
  for (const increment of increments) {
    const earlier = merged.get(increment.key);
    merged.set(
      increment.key,
      earlier === undefined
        ? increment
        : {
            key: increment.key,
            by: earlier.by + increment.by,
            expiresAt: increment.expiresAt > earlier.expiresAt ? increment.expiresAt : earlier.expiresAt,
          },
    );
  }
  return [...merged.values()].sort((left, right) => (left.key < right.key ? -1 : left.key > right.key ? 1 : 0));
}

export function deleteExpiredCounters(db: QueryBuilder, now: string) {
  return db.deleteFrom('counters').where('expires_at', '<', now);
}

export function selectOne(db: QueryBuilder) {
  return db.selectNoFrom((expression) => [expression.lit(1).as('one')]);
}

export function selectAppliedMigrations(db: QueryBuilder) {
  return db.selectFrom('schema_migrations').select('version').orderBy('version', 'asc');
}

export function insertAppliedMigration(db: QueryBuilder, version: number, appliedAt: string) {
  return db.insertInto('schema_migrations').values({ version, applied_at: appliedAt });
}
