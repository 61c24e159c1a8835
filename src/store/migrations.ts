/**
 * Versioned table layouts. Each migration is a list of statements built in the typed query layer
 * for one dialect; a store applies the pending ones in one locked transaction and records each
 * version in schema_migrations. Shipped migrations are never edited: a change is a new version.
 */
import { sql, type Compilable, type Expression } from 'kysely';
import { InterlockError } from '../errors/interlock-error.js';
import { GENESIS_HASH } from './chain-append.js';
import type { SqlDialectName } from './database.js';
import type { QueryBuilder } from './queries.js';
import { FTS_TABLE, POSTGRES_TEXT_SEARCH_CONFIG, rawStatement, SQLITE_TOKENIZER } from './retrieval-queries.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  statements(db: QueryBuilder, dialect: SqlDialectName): Compilable[];
}

/** Column types that the two engines spell differently. */
function columnTypes(dialect: SqlDialectName) {
  return {
    // On SQLite only the exact spelling INTEGER PRIMARY KEY makes the key the row id.
    sequence: dialect === 'sqlite' ? ('integer' as const) : ('bigint' as const),
    // ISO-8601 timestamps compare as text; byte order keeps that correct whatever the database locale.
    timestamp: (dialect === 'postgres' ? sql`text collate "C"` : sql`text`) as Expression<unknown>,
  };
}

const initialLayout: Migration = {
  version: 1,
  name: 'audit chain, checkpoints, revocations, counters',
  statements(db, dialect) {
    const types = columnTypes(dialect);
    return [
      db.schema
        .createTable('audit_events')
        .addColumn('seq', types.sequence, (column) => column.primaryKey())
        .addColumn('id', 'text', (column) => column.notNull().unique())
        .addColumn('type', 'text', (column) => column.notNull())
        .addColumn('at', types.timestamp, (column) => column.notNull())
        .addColumn('tenant', 'text')
        .addColumn('agent', 'text')
        .addColumn('trace_id', 'text')
        .addColumn('call_id', 'text')
        .addColumn('body', 'text', (column) => column.notNull())
        .addColumn('prev_hash', 'text', (column) => column.notNull())
        .addColumn('hash', 'text', (column) => column.notNull()),
      db.schema.createIndex('audit_events_trace_idx').on('audit_events').columns(['trace_id', 'seq']),
      db.schema.createIndex('audit_events_call_idx').on('audit_events').columns(['call_id', 'seq']),
      db.schema.createIndex('audit_events_tenant_idx').on('audit_events').columns(['tenant', 'seq']),
      db.schema.createIndex('audit_events_agent_idx').on('audit_events').columns(['agent', 'seq']),
      db.schema.createIndex('audit_events_type_idx').on('audit_events').columns(['type', 'seq']),

      db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (column) => column.primaryKey())
        .addColumn('seq', types.sequence, (column) => column.notNull())
        .addColumn('hash', 'text', (column) => column.notNull())
        .addCheckConstraint('audit_head_single_row', sql`id = 1`),
      db.insertInto('audit_head').values({ id: 1, seq: 0, hash: GENESIS_HASH }),

      db.schema
        .createTable('audit_checkpoints')
        .addColumn('seq', types.sequence, (column) => column.notNull())
        .addColumn('key_id', 'text', (column) => column.notNull())
        .addColumn('hash', 'text', (column) => column.notNull())
        .addColumn('at', types.timestamp, (column) => column.notNull())
        .addColumn('signature', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('audit_checkpoints_pk', ['seq', 'key_id']),

      db.schema
        .createTable('revocations')
        .$call((table) =>
          dialect === 'sqlite'
            ? table.addColumn('id', 'integer', (column) => column.primaryKey())
            : table.addColumn('id', 'bigint', (column) => column.primaryKey().generatedAlwaysAsIdentity()),
        )
        .addColumn('token_id', 'text')
        .addColumn('agent_id', 'text', (column) => column.notNull())
        .addColumn('revoked_before', 'bigint')
        .addColumn('revoked_at', types.timestamp, (column) => column.notNull())
        .addColumn('revoked_by', 'text', (column) => column.notNull())
        .addColumn('reason', 'text', (column) => column.notNull()),
      db.schema.createIndex('revocations_token_idx').on('revocations').column('token_id'),
      db.schema.createIndex('revocations_agent_idx').on('revocations').columns(['agent_id', 'revoked_before']),

      db.schema
        .createTable('counters')
        .addColumn('key', 'text', (column) => column.primaryKey())
        .addColumn('value', 'bigint', (column) => column.notNull())
        .addColumn('expires_at', types.timestamp, (column) => column.notNull()),
      db.schema.createIndex('counters_expires_idx').on('counters').column('expires_at'),
    ];
  },
};

const safeExecutionLayout: Migration = {
  version: 2,
  name: 'idempotency records, approvals and votes, containment rules, plans, compensations',
  statements(db, dialect) {
    const types = columnTypes(dialect);
    return [
      db.schema
        .createTable('idempotency_records')
        .addColumn('scope_key', 'text', (column) => column.primaryKey())
        .addColumn('tenant', 'text', (column) => column.notNull())
        .addColumn('agent_id', 'text', (column) => column.notNull())
        .addColumn('action_hash', 'text', (column) => column.notNull())
        .addColumn('tool', 'text', (column) => column.notNull())
        .addColumn('operation', 'text', (column) => column.notNull())
        .addColumn('state', 'text', (column) => column.notNull())
        .addColumn('call_id', 'text', (column) => column.notNull())
        .addColumn('trace_id', 'text', (column) => column.notNull())
        .addColumn('outcome', 'text')
        .addColumn('created_at', types.timestamp, (column) => column.notNull())
        .addColumn('updated_at', types.timestamp, (column) => column.notNull())
        .addColumn('expires_at', types.timestamp, (column) => column.notNull()),
      db.schema.createIndex('idempotency_records_state_idx').on('idempotency_records').columns(['state', 'updated_at']),
      db.schema.createIndex('idempotency_records_expires_idx').on('idempotency_records').column('expires_at'),

      db.schema
        .createTable('approvals')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('tenant', 'text', (column) => column.notNull())
        .addColumn('agent_id', 'text', (column) => column.notNull())
        .addColumn('acting_for_user_id', 'text')
        .addColumn('action_hash', 'text', (column) => column.notNull())
        .addColumn('idempotency_key', 'text')
        .addColumn('tool', 'text', (column) => column.notNull())
        .addColumn('operation', 'text', (column) => column.notNull())
        .addColumn('role', 'text', (column) => column.notNull())
        .addColumn('quorum', 'integer', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('created_at', types.timestamp, (column) => column.notNull())
        .addColumn('expires_at', types.timestamp, (column) => column.notNull())
        .addColumn('decided_at', types.timestamp)
        .addColumn('consumed_by_call', 'text')
        .addColumn('details', 'text', (column) => column.notNull()),
      db.schema.createIndex('approvals_action_idx').on('approvals').columns(['tenant', 'agent_id', 'action_hash']),
      db.schema.createIndex('approvals_idempotency_idx').on('approvals').columns(['tenant', 'agent_id', 'idempotency_key']),
      db.schema.createIndex('approvals_status_idx').on('approvals').columns(['status', 'expires_at']),

      db.schema
        .createTable('approval_votes')
        .addColumn('approval_id', 'text', (column) => column.notNull())
        .addColumn('approver', 'text', (column) => column.notNull())
        .addColumn('decision', 'text', (column) => column.notNull())
        .addColumn('comment', 'text', (column) => column.notNull())
        .addColumn('at', types.timestamp, (column) => column.notNull())
        .addPrimaryKeyConstraint('approval_votes_pk', ['approval_id', 'approver']),

      db.schema
        .createTable('containment_rules')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('scope', 'text', (column) => column.notNull())
        .addColumn('target', 'text', (column) => column.notNull())
        .addColumn('mode', 'text')
        .addColumn('reason', 'text', (column) => column.notNull())
        .addColumn('set_by', 'text', (column) => column.notNull())
        .addColumn('set_at', types.timestamp, (column) => column.notNull())
        .addColumn('lifted_at', types.timestamp)
        .addColumn('lifted_by', 'text'),
      db.schema.createIndex('containment_rules_lifted_idx').on('containment_rules').column('lifted_at'),

      db.schema
        .createTable('containment_version')
        .addColumn('id', 'integer', (column) => column.primaryKey())
        .addColumn('version', 'bigint', (column) => column.notNull())
        .addCheckConstraint('containment_version_single_row', sql`id = 1`),
      db.insertInto('containment_version').values({ id: 1, version: 0 }),

      db.schema
        .createTable('plans')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('tenant', 'text', (column) => column.notNull())
        .addColumn('agent_id', 'text', (column) => column.notNull())
        .addColumn('hash', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('body', 'text', (column) => column.notNull())
        .addColumn('created_at', types.timestamp, (column) => column.notNull())
        .addColumn('updated_at', types.timestamp, (column) => column.notNull()),

      db.schema
        .createTable('compensations')
        .addColumn('call_id', 'text', (column) => column.primaryKey())
        .addColumn('ordinal', 'bigint', (column) => column.notNull())
        .addColumn('tenant', 'text', (column) => column.notNull())
        .addColumn('agent_id', 'text', (column) => column.notNull())
        .addColumn('trace_id', 'text', (column) => column.notNull())
        .addColumn('session_id', 'text')
        .addColumn('tool', 'text', (column) => column.notNull())
        .addColumn('operation', 'text', (column) => column.notNull())
        .addColumn('executed_at', types.timestamp, (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('compensation', 'text')
        .addColumn('compensated_by_call', 'text')
        .addColumn('updated_at', types.timestamp, (column) => column.notNull()),
      db.schema.createIndex('compensations_trace_idx').on('compensations').columns(['trace_id', 'ordinal']),
      db.schema.createIndex('compensations_session_idx').on('compensations').columns(['session_id', 'ordinal']),
      db.schema.createIndex('compensations_agent_idx').on('compensations').columns(['agent_id', 'executed_at']),
      db.schema.createIndex('compensations_tenant_idx').on('compensations').columns(['tenant', 'ordinal']),
    ];
  },
};

const retrievalLayout: Migration = {
  version: 3,
  name: 'retrieval: chunks with provenance and a full-text index, source quarantines, citations',
  statements(db, dialect) {
    const types = columnTypes(dialect);
    const chunks = db.schema
      .createTable('retrieval_chunks')
      .$call((table) =>
        dialect === 'sqlite'
          ? table.addColumn('seq', 'integer', (column) => column.primaryKey())
          : table.addColumn('seq', 'bigint', (column) => column.primaryKey().generatedAlwaysAsIdentity()),
      )
      .addColumn('chunk_id', 'text', (column) => column.notNull().unique())
      .addColumn('tenant', 'text', (column) => column.notNull())
      .addColumn('source_id', 'text', (column) => column.notNull())
      .addColumn('owner', 'text', (column) => column.notNull())
      .addColumn('document_id', 'text', (column) => column.notNull())
      .addColumn('document_version', 'text', (column) => column.notNull())
      .addColumn('document_title', 'text', (column) => column.notNull())
      .addColumn('ordinal', 'integer', (column) => column.notNull())
      .addColumn('classification', 'text', (column) => column.notNull())
      .addColumn('trust', 'text', (column) => column.notNull())
      .addColumn('updated_at', types.timestamp, (column) => column.notNull())
      .addColumn('ingested_at', types.timestamp, (column) => column.notNull())
      .addColumn('content_hash', 'text', (column) => column.notNull())
      .addColumn('body', 'text', (column) => column.notNull())
      .addColumn('redactions', 'text', (column) => column.notNull())
      .$call((table) =>
        dialect === 'postgres'
          ? table.addColumn('search_vector', sql`tsvector`, (column) =>
              column.generatedAlwaysAs(sql`to_tsvector(${sql.lit(POSTGRES_TEXT_SEARCH_CONFIG)}::regconfig, body)`).stored(),
            )
          : table,
      );
    const search =
      dialect === 'sqlite'
        ? [
            // A contentless index over body (the text itself lives in retrieval_chunks only), kept in
            // step with the table by triggers; its rowid is the chunk's seq.
            rawStatement(
              `create virtual table ${FTS_TABLE} using fts5(body, content='', contentless_delete=1, tokenize='${SQLITE_TOKENIZER}')`,
            ),
            rawStatement(
              `create trigger retrieval_chunks_fts_insert after insert on retrieval_chunks begin insert into ${FTS_TABLE}(rowid, body) values (new.seq, new.body); end`,
            ),
            rawStatement(
              `create trigger retrieval_chunks_fts_delete after delete on retrieval_chunks begin delete from ${FTS_TABLE} where rowid = old.seq; end`,
            ),
            rawStatement(
              `create trigger retrieval_chunks_fts_update after update on retrieval_chunks begin delete from ${FTS_TABLE} where rowid = old.seq; insert into ${FTS_TABLE}(rowid, body) values (new.seq, new.body); end`,
            ),
          ]
        : [db.schema.createIndex('retrieval_chunks_search_idx').on('retrieval_chunks').using('gin').column('search_vector')];
    return [
      chunks,
      db.schema.createIndex('retrieval_chunks_document_idx').on('retrieval_chunks').columns(['source_id', 'document_id']),
      db.schema.createIndex('retrieval_chunks_source_idx').on('retrieval_chunks').columns(['tenant', 'source_id', 'updated_at']),
      ...search,

      db.schema
        .createTable('retrieval_quarantines')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('source_id', 'text', (column) => column.notNull())
        .addColumn('tenant', 'text', (column) => column.notNull())
        .addColumn('reason', 'text', (column) => column.notNull())
        .addColumn('set_by', 'text', (column) => column.notNull())
        .addColumn('set_at', types.timestamp, (column) => column.notNull())
        .addColumn('lifted_at', types.timestamp)
        .addColumn('lifted_by', 'text'),
      db.schema.createIndex('retrieval_quarantines_source_idx').on('retrieval_quarantines').columns(['source_id', 'lifted_at']),

      db.schema
        .createTable('retrieval_citations')
        .addColumn('retrieval_id', 'text', (column) => column.notNull())
        .addColumn('citation_id', 'text', (column) => column.notNull())
        .addColumn('trace_id', 'text', (column) => column.notNull())
        .addColumn('tenant', 'text', (column) => column.notNull())
        .addColumn('agent_id', 'text', (column) => column.notNull())
        .addColumn('session_id', 'text')
        .addColumn('chunk_id', 'text', (column) => column.notNull())
        .addColumn('source_id', 'text', (column) => column.notNull())
        .addColumn('document_id', 'text', (column) => column.notNull())
        .addColumn('document_version', 'text', (column) => column.notNull())
        .addColumn('content_hash', 'text', (column) => column.notNull())
        .addColumn('updated_at', types.timestamp, (column) => column.notNull())
        .addColumn('stale', 'integer', (column) => column.notNull())
        .addColumn('retrieved_at', types.timestamp, (column) => column.notNull())
        .addPrimaryKeyConstraint('retrieval_citations_pk', ['retrieval_id', 'chunk_id']),
      db.schema.createIndex('retrieval_citations_trace_idx').on('retrieval_citations').columns(['trace_id', 'retrieved_at']),
      db.schema.createIndex('retrieval_citations_source_idx').on('retrieval_citations').columns(['source_id', 'trace_id']),
    ];
  },
};

const sessionLedgerLayout: Migration = {
  version: 4,
  name: 'session ledger: provenance and trust of content entering sessions',
  statements(db, dialect) {
    const types = columnTypes(dialect);
    return [
      db.schema
        .createTable('session_content')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('tenant', 'text', (column) => column.notNull())
        .addColumn('session_id', 'text', (column) => column.notNull())
        .addColumn('origin', 'text', (column) => column.notNull())
        .addColumn('trust', 'text', (column) => column.notNull())
        .addColumn('source_id', 'text', (column) => column.notNull())
        .addColumn('label', 'text', (column) => column.notNull())
        .addColumn('at', types.timestamp, (column) => column.notNull())
        .addColumn('value_hashes', 'text', (column) => column.notNull())
        .addColumn('injection_score', 'integer', (column) => column.notNull())
        .addColumn('signals', 'text', (column) => column.notNull()),
      db.schema.createIndex('session_content_session_idx').on('session_content').columns(['tenant', 'session_id', 'at']),
    ];
  },
};

/** In version order. Append only. */
export const MIGRATIONS: readonly Migration[] = [initialLayout, safeExecutionLayout, retrievalLayout, sessionLedgerLayout];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((latest, migration) => Math.max(latest, migration.version), 0);

/** Bookkeeping table; created outside the versioned list because it records that list. */
export function createMigrationsTable(db: QueryBuilder) {
  return db.schema
    .createTable('schema_migrations')
    .ifNotExists()
    .addColumn('version', 'integer', (column) => column.primaryKey())
    .addColumn('applied_at', 'text', (column) => column.notNull());
}

/**
 * The migrations still to apply, given the versions already recorded. A database that records a
 * version this build does not know was upgraded by a newer build; writing to it could corrupt it.
 */
export function pendingMigrations(appliedVersions: readonly number[]): Migration[] {
  const unknown = appliedVersions.filter((version) => !MIGRATIONS.some((migration) => migration.version === version));
  if (unknown.length > 0) {
    throw new InterlockError(
      'STORE_UNAVAILABLE',
      `The database schema is at version ${Math.max(...unknown)}, newer than this build supports (${LATEST_SCHEMA_VERSION}).`,
      { schemaVersion: Math.max(...unknown), supportedVersion: LATEST_SCHEMA_VERSION },
    );
  }
  const applied = new Set(appliedVersions);
  return MIGRATIONS.filter((migration) => !applied.has(migration.version));
}
