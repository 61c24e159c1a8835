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

/** In version order. Append only. */
export const MIGRATIONS: readonly Migration[] = [initialLayout];

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
