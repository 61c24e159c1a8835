import pg from 'pg';
import { CompiledQuery, Kysely, PostgresDialect, sql, type Compilable } from 'kysely';
import { InterlockError } from '../errors/interlock-error.js';
import { chainDrafts, inChunks } from './chain-append.js';
import type { Database } from './database.js';
import { createMigrationsTable, pendingMigrations } from './migrations.js';
import { containmentChannel, PostgresChangeListener } from './postgres-change-listener.js';
import { insertAppliedMigration, insertAuditEvents, selectAppliedMigrations, selectHead, updateHead } from './queries.js';
import { notifyContainmentChange } from './safe-execution-queries.js';
import { SqlStore } from './sql-store.js';
import type { AuditEventDraft, ChainLink, Durability, StoredAuditEvent } from './store.js';
import { driveAsync, type TransactionBody } from './transaction.js';

export interface PostgresStoreOptions {
  /** Connection URL; it never appears in an error message. */
  readonly url: string;
  /** Schema holding every table; created by migrate() when missing. */
  readonly schema: string;
  /** `durable` waits for the WAL flush at commit (synchronous_commit=on); `relaxed` does not (off). */
  readonly durability: Durability;
  readonly poolSize: number;
  /** How long to wait for a new connection before failing. Default 5000. */
  readonly connectTimeoutMs?: number;
}

/** Same rule as configuration identifiers: the name is quoted everywhere, but stays predictable. */
const SCHEMA_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
/** Audit rows per INSERT: 11 parameters each, far below PostgreSQL's 65535 bound parameters. */
const AUDIT_ROWS_PER_INSERT = 1000;
const INT8_TYPE_ID = 20;

/**
 * The shared store for several replicas: a pg pool behind the typed query layer. Each new
 * connection is pointed at the configured schema and durability; the chain append locks the head
 * row, so appends from every replica queue on it.
 */
export class PostgresStore extends SqlStore {
  private readonly database: Kysely<Database>;
  private readonly schema: string;
  private readonly durable: boolean;
  /** Kept for the dedicated LISTEN connections, which cannot come from the pool. Never shown. */
  private readonly url: string;
  private readonly connectTimeoutMs: number;
  private readonly containmentChannel: string;
  private readonly changeListeners = new Set<PostgresChangeListener>();
  private listenersClosed = false;

  constructor(options: PostgresStoreOptions) {
    if (!SCHEMA_NAME.test(options.schema)) {
      throw new InterlockError('CONFIG_INVALID', 'The PostgreSQL schema name must be a lowercase identifier (a-z, 0-9, "_" or "-").');
    }
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      types: { getTypeParser: readNumbers },
    });
    // An idle connection that breaks reports here; without a listener the process would exit.
    // The next query on the pool fails and is reported as STORE_UNAVAILABLE instead.
    pool.on('error', () => undefined);
    const sessionSettings = [
      `set search_path to ${quoteIdentifier(options.schema)}`,
      `set synchronous_commit to ${options.durability === 'durable' ? 'on' : 'off'}`,
    ];
    const database = new Kysely<Database>({
      dialect: new PostgresDialect({
        pool,
        onCreateConnection: async (connection) => {
          for (const setting of sessionSettings) await connection.executeQuery(CompiledQuery.raw(setting));
        },
      }),
    });
    super('postgres', database);
    this.database = database;
    this.schema = options.schema;
    this.durable = options.durability === 'durable';
    this.url = options.url;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.containmentChannel = containmentChannel(options.schema);
  }

  protected override async execute<Row>(query: Compilable<Row>): Promise<Row[]> {
    return (await this.database.executeQuery(query)).rows;
  }

  protected override async executeChange(query: Compilable): Promise<number> {
    return Number((await this.database.executeQuery(query)).numAffectedRows ?? 0);
  }

  /** Counters are enforcement state: their commit need not wait for the WAL flush. */
  protected override executeUnsynced<Row>(query: Compilable<Row>): Promise<Row[]> {
    if (!this.durable) return this.execute(query);
    return this.database.transaction().execute(async (transaction) => {
      await sql`set local synchronous_commit to off`.execute(transaction);
      return (await transaction.executeQuery(query)).rows;
    });
  }

  /** READ COMMITTED, as every connection: bodies that race on a row lock it (select ... for update) first. */
  protected override transact<Result>(body: TransactionBody<Result>): Promise<Result> {
    return this.database.transaction().execute((transaction) =>
      driveAsync(body, async (step) => {
        const result = await transaction.executeQuery(step.query);
        return step.kind === 'rows' ? result.rows : Number(result.numAffectedRows ?? 0);
      }),
    );
  }

  /** Queued in the changing transaction, so listeners hear of the change only once it has committed. */
  protected override containmentNotice(version: number) {
    return notifyContainmentChange(this.queries, this.containmentChannel, version);
  }

  override listenForContainmentChanges(listener: () => void): Promise<(() => Promise<void>) | null> {
    return this.guard('listen for containment changes', async () => {
      const changeListener = await PostgresChangeListener.start({
        url: this.url,
        channel: this.containmentChannel,
        connectTimeoutMs: this.connectTimeoutMs,
        onChange: listener,
      });
      if (this.listenersClosed) {
        // The store closed while the connection was opening.
        await changeListener.stop();
        throw new InterlockError('STORE_UNAVAILABLE', 'The postgres store is closed (listen for containment changes).', {
          operation: 'listen for containment changes',
        });
      }
      this.changeListeners.add(changeListener);
      return async () => {
        this.changeListeners.delete(changeListener);
        await changeListener.stop();
      };
    });
  }

  protected override appendChain(drafts: readonly AuditEventDraft[], link: ChainLink): Promise<StoredAuditEvent[]> {
    return this.database.transaction().execute(async (transaction) => {
      // The row lock serialises appends from every connection and replica until commit.
      const head = await selectHead(transaction).forUpdate().executeTakeFirst();
      if (head === undefined) throw new InterlockError('STORE_UNAVAILABLE', 'The audit chain head is missing; run migrations first.');
      const events = chainDrafts(head, drafts, link);
      for (const chunk of inChunks(events, AUDIT_ROWS_PER_INSERT)) await insertAuditEvents(transaction, chunk).execute();
      const last = events[events.length - 1];
      if (last !== undefined) await updateHead(transaction, last).execute();
      return events;
    });
  }

  protected override applyMigrations(): Promise<void> {
    return this.database.transaction().execute(async (transaction) => {
      // Held until commit; replicas starting together migrate one after another.
      await sql`select pg_advisory_xact_lock(hashtext(${`interlock.migrate.${this.schema}`}))`.execute(transaction);
      await sql`create schema if not exists ${sql.id(this.schema)}`.execute(transaction);
      await createMigrationsTable(transaction).execute();
      const applied = (await selectAppliedMigrations(transaction).execute()).map((row) => row.version);
      for (const migration of pendingMigrations(applied)) {
        for (const statement of migration.statements(transaction, 'postgres')) await transaction.executeQuery(statement);
        await insertAppliedMigration(transaction, migration.version, new Date().toISOString()).execute();
      }
    });
  }

  protected override async closeConnections(): Promise<void> {
    this.listenersClosed = true;
    const listeners = [...this.changeListeners];
    this.changeListeners.clear();
    await Promise.all(listeners.map((changeListener) => changeListener.stop()));
    await this.database.destroy();
  }

  protected override async readDurabilitySetting(): Promise<string> {
    const result = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(this.database);
    return `synchronous_commit=${result.rows[0]?.synchronous_commit ?? 'unknown'}`;
  }

  protected override summariseDriverError(error: unknown): string {
    // Server errors carry a SQLSTATE and a message about the statement, never the connection string.
    if (error instanceof pg.DatabaseError) return `${error.code ?? 'error'}: ${error.message}`;
    // Client-side errors (network, URL parsing) may echo the address or URL: report the code only.
    return `${errorCode(error) ?? 'connection failed'}`;
  }
}

/** bigint columns (seq, counter values) come back as numbers; every value used fits in 2^53. */
function readNumbers(typeId: number, format?: string): (value: string) => unknown {
  if (typeId === INT8_TYPE_ID) return (value: string) => Number(value);
  return pg.types.getTypeParser(typeId, format as 'text');
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  // Node reports a refused dual-stack connection as an AggregateError of per-address errors.
  if (error instanceof AggregateError) return errorCode(error.errors[0]);
  return undefined;
}
