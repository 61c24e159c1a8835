import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Compilable } from 'kysely';
import { InterlockError } from '../errors/interlock-error.js';
import { chainDrafts } from './chain-append.js';
import { createMigrationsTable, pendingMigrations } from './migrations.js';
import { insertAppliedMigration, insertAuditEvents, selectAppliedMigrations, selectHead, updateHead } from './queries.js';
import { createSqliteQueryBuilder } from './sqlite-query-builder.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { SqlStore } from './sql-store.js';
import type { AuditEventDraft, ChainLink, Durability, StoredAuditEvent } from './store.js';
import { driveSync, type TransactionBody } from './transaction.js';

export interface SqliteStoreOptions {
  /** Database file; its directory is created when missing. */
  readonly path: string;
  /** `durable` fsyncs every commit (synchronous=FULL); `relaxed` may lose the last commits on power loss (NORMAL). */
  readonly durability: Durability;
  /** How long a writer waits for another process's write lock before failing. Default 5000. */
  readonly busyTimeoutMs?: number;
}

type AppendTransaction = BetterSqlite3.Transaction<(drafts: readonly AuditEventDraft[], link: ChainLink) => StoredAuditEvent[]>;
type WriteTransaction = BetterSqlite3.Transaction<(work: () => unknown) => unknown>;

/** Prepared statements kept; distinct texts come mostly from batch sizes, so the set stays small. */
const STATEMENT_CACHE_SIZE = 128;

/**
 * The embedded store: one better-sqlite3 connection in WAL mode. Every statement is built by the
 * shared query layer, prepared once and run synchronously; write transactions start with BEGIN
 * IMMEDIATE so that concurrent writers, in this process or another, queue on the file lock.
 */
export class SqliteStore extends SqlStore {
  private readonly connection: BetterSqlite3.Database;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private readonly durable: boolean;
  /** Prepared on first use: the tables exist only after migrations. */
  private appendTransaction: AppendTransaction | null = null;
  /** Runs any synchronous work between BEGIN IMMEDIATE and COMMIT (ROLLBACK when it throws). */
  private readonly writeTransaction: WriteTransaction;
  private checkpointer: SqliteCheckpointer | null = null;
  private readonly path: string;

  constructor(options: SqliteStoreOptions) {
    super('sqlite', createSqliteQueryBuilder());
    this.connection = openConnection(options);
    this.durable = options.durability === 'durable';
    this.path = options.path;
    this.writeTransaction = this.connection.transaction((work: () => unknown) => work());
  }

  protected override async execute<Row>(query: Compilable<Row>): Promise<Row[]> {
    return this.all(query);
  }

  protected override async executeChange(query: Compilable): Promise<number> {
    return this.run(query);
  }

  /**
   * In WAL mode with synchronous=NORMAL a commit survives a crash of the process but is not
   * fsynced; the next durable commit syncs the WAL, and with it this write.
   */
  protected override async executeUnsynced<Row>(query: Compilable<Row>): Promise<Row[]> {
    if (!this.durable) return this.all(query);
    this.connection.pragma('synchronous = NORMAL');
    try {
      return this.all(query);
    } finally {
      this.connection.pragma('synchronous = FULL');
    }
  }

  protected override async appendChain(drafts: readonly AuditEventDraft[], link: ChainLink): Promise<StoredAuditEvent[]> {
    this.appendTransaction ??= this.buildAppendTransaction();
    return this.appendTransaction.immediate(drafts, link);
  }

  /**
   * The body runs synchronously from BEGIN IMMEDIATE to COMMIT: it never yields to the event loop,
   * so no other call of this process slips a statement into it, and other processes queue on the
   * file's write lock. The commit is synced in durable mode like any other.
   */
  protected override async transact<Result>(body: TransactionBody<Result>): Promise<Result> {
    return this.writeTransaction.immediate(() =>
      driveSync(body, (step) => (step.kind === 'rows' ? this.all(step.query) : this.run(step.query))),
    ) as Result;
  }

  /**
   * The hot path of every governed call. The statements come from the shared query layer, compiled
   * once for one row and then run per event: far cheaper than compiling a multi-row insert whose
   * text changes with every batch size.
   */
  private buildAppendTransaction(): AppendTransaction {
    const sample: StoredAuditEvent = {
      seq: 1,
      id: 'i',
      type: 't',
      at: 'a',
      tenant: null,
      agent: null,
      traceId: null,
      callId: null,
      body: '{}',
      prevHash: 'p',
      hash: 'h',
    };
    const insert = insertAuditEvents(this.queries, [sample]).compile();
    if (JSON.stringify(insert.parameters) !== JSON.stringify(auditEventParameters(sample))) {
      throw new InterlockError('INTERNAL', 'audit insert parameters are not in the expected order');
    }
    const insertStatement = this.connection.prepare(insert.sql);
    const head = selectHead(this.queries).compile();
    const headStatement = this.connection.prepare(head.sql);
    const seqPlaceholder = 987_654_321;
    const hashPlaceholder = 'head-hash-placeholder';
    const update = updateHead(this.queries, { seq: seqPlaceholder, hash: hashPlaceholder }).compile();
    const updateStatement = this.connection.prepare(update.sql);
    return this.connection.transaction((drafts: readonly AuditEventDraft[], link: ChainLink) => {
      const current = headStatement.get(...head.parameters) as { seq: number; hash: string } | undefined;
      if (current === undefined) throw new InterlockError('STORE_UNAVAILABLE', 'The audit chain head is missing; run migrations first.');
      const events = chainDrafts(current, drafts, link);
      for (const event of events) insertStatement.run(...auditEventParameters(event));
      const last = events[events.length - 1];
      if (last !== undefined) {
        updateStatement.run(
          ...update.parameters.map((parameter) =>
            parameter === seqPlaceholder ? last.seq : parameter === hashPlaceholder ? last.hash : parameter,
          ),
        );
      }
      return events;
    });
  }

  protected override async applyMigrations(): Promise<void> {
    const migrate = this.connection.transaction(() => {
      this.run(createMigrationsTable(this.queries));
      const applied = this.all(selectAppliedMigrations(this.queries)).map((row) => row.version);
      for (const migration of pendingMigrations(applied)) {
        for (const statement of migration.statements(this.queries, 'sqlite')) this.run(statement);
        this.run(insertAppliedMigration(this.queries, migration.version, new Date().toISOString()));
      }
    });
    migrate.immediate();
    // The log is copied into the database by a worker once the tables exist.
    this.checkpointer ??= new SqliteCheckpointer({ path: this.path, durable: this.durable });
  }

  protected override async closeConnections(): Promise<void> {
    await this.checkpointer?.stop();
    this.statements.clear();
    this.connection.close();
  }

  protected override async readDurabilitySetting(): Promise<string> {
    const level = this.connection.pragma('synchronous', { simple: true });
    const names: Record<number, string> = { 0: 'off', 1: 'normal', 2: 'full', 3: 'extra' };
    return `synchronous=${names[Number(level)] ?? String(level)}`;
  }

  protected override summariseDriverError(error: unknown): string {
    if (error instanceof BetterSqlite3.SqliteError) return `${error.code}: ${error.message}`;
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === 'string' ? code : 'unexpected driver error';
  }

  private all<Row>(query: Compilable<Row>): Row[] {
    const compiled = query.compile();
    return this.prepare(compiled.sql).all(...compiled.parameters) as Row[];
  }

  private run(query: Compilable): number {
    const compiled = query.compile();
    return this.prepare(compiled.sql).run(...compiled.parameters).changes;
  }

  private prepare(text: string): BetterSqlite3.Statement {
    let statement = this.statements.get(text);
    if (statement === undefined) {
      if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.clear();
      statement = this.connection.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }
}

/** The values of one audit row, in the column order of the insert built by the query layer. */
function auditEventParameters(event: StoredAuditEvent): unknown[] {
  return [
    event.seq,
    event.id,
    event.type,
    event.at,
    event.tenant,
    event.agent,
    event.traceId,
    event.callId,
    event.body,
    event.prevHash,
    event.hash,
  ];
}

function openConnection(options: SqliteStoreOptions): BetterSqlite3.Database {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  let connection: BetterSqlite3.Database | undefined;
  try {
    mkdirSync(dirname(options.path), { recursive: true });
    connection = new BetterSqlite3(options.path, { timeout: busyTimeoutMs });
    connection.pragma('journal_mode = WAL');
    connection.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    connection.pragma('foreign_keys = ON');
    // The checkpointer worker keeps the log short; this only bounds it if the worker cannot.
    connection.pragma('wal_autocheckpoint = 20000');
    connection.pragma(`synchronous = ${options.durability === 'durable' ? 'FULL' : 'NORMAL'}`);
    return connection;
  } catch (error) {
    connection?.close();
    const code = (error as { code?: unknown } | null)?.code;
    throw new InterlockError('STORE_UNAVAILABLE', `The sqlite store could not open its database file (${String(code ?? 'error')}).`, {
      path: options.path,
    });
  }
}
