/** Statements of the session ledger (store.ts `SessionLedgerStore`), for both engines. */
import type { Selectable } from 'kysely';
import type { SessionContentTable } from './database.js';
import type { QueryBuilder } from './queries.js';
import type { TemplateFields } from './statement-template.js';
import type { SessionContentRecord } from './store.js';

export const SESSION_CONTENT_FIELDS: TemplateFields<SessionContentRecord> = {
  id: true,
  tenant: true,
  sessionId: true,
  origin: true,
  trust: true,
  sourceId: true,
  label: true,
  at: true,
  values: true,
  injectionScore: true,
  signals: true,
};

export function insertSessionContent(db: QueryBuilder, record: SessionContentRecord) {
  return db.insertInto('session_content').values({
    id: record.id,
    tenant: record.tenant,
    session_id: record.sessionId,
    origin: record.origin,
    trust: record.trust,
    source_id: record.sourceId,
    label: record.label,
    at: record.at,
    value_hashes: record.values,
    injection_score: record.injectionScore,
    signals: record.signals,
  });
}

/** Newest first (the caller reverses): a long session keeps its most recent entries in view. */
export function selectSessionContent(db: QueryBuilder, tenant: string, sessionId: string, limit: number) {
  return db
    .selectFrom('session_content')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('session_id', '=', sessionId)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);
}

export function toSessionContentRecord(row: Selectable<SessionContentTable>): SessionContentRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    sessionId: row.session_id,
    origin: row.origin,
    trust: row.trust === 'trusted' ? 'trusted' : 'untrusted',
    sourceId: row.source_id,
    label: row.label,
    at: row.at,
    values: row.value_hashes,
    injectionScore: Number(row.injection_score),
    signals: row.signals,
  };
}
