/**
 * The Store contract implemented once over the typed query layer. A subclass supplies only what
 * differs between engines: how a statement is executed, how the chain append and the migrations
 * take their write lock, and how a driver error is summarised without leaking secrets.
 */
import type { Compilable, CompiledQuery } from 'kysely';
import { InterlockError } from '../errors/interlock-error.js';
import { insertSessionContent, selectSessionContent, SESSION_CONTENT_FIELDS, toSessionContentRecord } from './session-ledger-queries.js';
import {
  deleteExpiredCounters,
  insertCheckpoint,
  insertRevocation,
  selectAuditEvents,
  selectAuditRange,
  selectCheckpoints,
  selectHead,
  selectOne,
  selectRevoked,
  toCheckpoint,
  toStoredAuditEvent,
  upsertCounters,
  type QueryBuilder,
} from './queries.js';
import type {
  AuditEventDraft,
  AuditFilter,
  ChainLink,
  Checkpoint,
  CounterIncrement,
  Revocation,
  SessionContentRecord,
  Store,
  StoredAuditEvent,
} from './store.js';
import { SqlRetrievalStore } from './sql-retrieval-store.js';
import { statementTemplate } from './statement-template.js';
import { requireCount } from './store-arguments.js';
import { change, type TransactionBody } from './transaction.js';

export abstract class SqlStore extends SqlRetrievalStore implements Store {
  private closing: Promise<void> | undefined;
  private revocationTemplate: CompiledQuery<{ revoked: unknown }> | null = null;
  /** Every result a tool returns in a session and every retrieved chunk is one row: compiled once. */
  readonly #insertSessionContent = statementTemplate(SESSION_CONTENT_FIELDS, (record) => insertSessionContent(this.queries, record));

  protected constructor(
    readonly driver: 'sqlite' | 'postgres',
    /** Builds statements in this store's dialect. */
    protected readonly queries: QueryBuilder,
  ) {
    super();
  }

  /** Runs one statement on its own (autocommit) and returns its rows. */
  protected abstract override execute<Row>(query: Compilable<Row>): Promise<Row[]>;
  /** Runs one statement that returns no rows (autocommit) and reports how many rows it changed. */
  protected abstract override executeChange(query: Compilable): Promise<number>;
  /** Appends under the engine's write lock: read head, chain the drafts, insert, move the head. */
  protected abstract appendChain(drafts: readonly AuditEventDraft[], link: ChainLink): Promise<StoredAuditEvent[]>;
  /** Applies pending migrations under a lock that other processes and replicas also take. */
  protected abstract applyMigrations(): Promise<void>;
  protected abstract closeConnections(): Promise<void>;
  /** A short description of a driver error that is safe to show: codes and server messages only. */
  protected abstract summariseDriverError(error: unknown): string;
  /** Reads back, from a live connection, the engine setting that carries the durability choice. */
  protected abstract readDurabilitySetting(): Promise<string>;

  migrate(): Promise<void> {
    return this.guard('migrate', () => this.applyMigrations());
  }

  close(): Promise<void> {
    this.closing ??= this.closeConnections().catch((error: unknown) => {
      throw this.toStoreError('close', error);
    });
    return this.closing;
  }

  ping(): Promise<void> {
    return this.guard('ping', async () => {
      await this.execute(selectOne(this.queries));
    });
  }

  /** E.g. `synchronous=full` (SQLite) or `synchronous_commit=on` (PostgreSQL); for diagnostics and tests. */
  durabilitySetting(): Promise<string> {
    return this.guard('read the durability setting', () => this.readDurabilitySetting());
  }

  appendAuditEvents(drafts: readonly AuditEventDraft[], link: ChainLink): Promise<StoredAuditEvent[]> {
    if (drafts.length === 0) return this.guard('append audit events', async () => []);
    return this.guard('append audit events', () => this.appendChain(drafts, link));
  }

  listAuditEvents(filter: AuditFilter): Promise<StoredAuditEvent[]> {
    return this.guard('list audit events', async () => {
      requireCount('limit', filter.limit);
      if (filter.afterSeq !== undefined) requireCount('afterSeq', filter.afterSeq);
      // An empty tenant list is a caller allowed to see no tenant: it matches nothing.
      if (filter.limit === 0 || filter.tenants?.length === 0) return [];
      const rows = await this.execute(selectAuditEvents(this.queries, filter));
      return rows.map(toStoredAuditEvent);
    });
  }

  readAuditRange(fromSeq: number, limit: number): Promise<StoredAuditEvent[]> {
    return this.guard('read audit events', async () => {
      requireCount('fromSeq', fromSeq);
      requireCount('limit', limit);
      if (limit === 0) return [];
      const rows = await this.execute(selectAuditRange(this.queries, fromSeq, limit));
      return rows.map(toStoredAuditEvent);
    });
  }

  auditHead(): Promise<{ seq: number; hash: string } | null> {
    return this.guard('read the audit head', async () => {
      const [head] = await this.execute(selectHead(this.queries));
      if (head === undefined || Number(head.seq) === 0) return null;
      return { seq: Number(head.seq), hash: head.hash };
    });
  }

  insertCheckpoint(checkpoint: Checkpoint): Promise<void> {
    return this.guard('insert a checkpoint', async () => {
      await this.executeChange(insertCheckpoint(this.queries, checkpoint));
    });
  }

  listCheckpoints(): Promise<Checkpoint[]> {
    return this.guard('list checkpoints', async () => (await this.execute(selectCheckpoints(this.queries))).map(toCheckpoint));
  }

  insertRevocation(revocation: Revocation): Promise<void> {
    return this.guard('insert a revocation', async () => {
      // A row with neither a token nor a cut-off would revoke nothing while looking like it did.
      if (revocation.tokenId === null && revocation.before === null) {
        throw new InterlockError('REQUEST_INVALID', 'A revocation needs a token id or a cut-off time.');
      }
      if (revocation.before !== null && !Number.isSafeInteger(revocation.before)) {
        throw new InterlockError('REQUEST_INVALID', 'A revocation cut-off is whole epoch seconds.');
      }
      await this.executeChange(insertRevocation(this.queries, revocation));
    });
  }

  isRevoked(tokenId: string, agentId: string, issuedAt: number): Promise<boolean> {
    return this.guard('check revocation', async () => {
      if (!Number.isFinite(issuedAt)) throw new InterlockError('REQUEST_INVALID', 'The token issue time is not a number.');
      // Cut-offs are whole seconds, so "issued at or before" holds for a fractional time exactly when it holds for its ceiling.
      const [row] = await this.execute(this.revocationQuery(tokenId, agentId, Math.ceil(issuedAt)));
      // SQLite answers 1/0, PostgreSQL true/false.
      return row !== undefined && (row.revoked === true || Number(row.revoked) === 1);
    });
  }

  incrementCounters(increments: readonly CounterIncrement[]): Promise<number[]> {
    return this.guard('increment counters', async () => {
      for (const increment of increments) {
        if (!Number.isSafeInteger(increment.by)) {
          throw new InterlockError('INTERNAL', 'A counter increment must be a whole number.', { key: increment.key });
        }
      }
      if (increments.length === 0) return [];
      const rows = await this.executeUnsynced(upsertCounters(this.queries, increments));
      const values = new Map(rows.map((row) => [row.key, Number(row.value)]));
      return increments.map((increment) => values.get(increment.key) ?? Number.NaN);
    });
  }

  appendSessionContents(records: readonly SessionContentRecord[]): Promise<void> {
    return this.guard('record session content', async () => {
      for (const record of records) {
        if (!Number.isSafeInteger(record.injectionScore) || record.injectionScore < 0 || record.injectionScore > 100) {
          throw new InterlockError('REQUEST_INVALID', 'An injection score is a whole number from 0 to 100.');
        }
      }
      const [only] = records;
      if (only === undefined) return;
      if (records.length === 1) await this.executeChange(this.#insertSessionContent(only));
      else await this.transact(this.sessionContentBody(records));
    });
  }

  private *sessionContentBody(records: readonly SessionContentRecord[]): TransactionBody<void> {
    for (const record of records) yield* change(this.#insertSessionContent(record));
  }

  listSessionContent(tenant: string, sessionId: string, limit: number): Promise<SessionContentRecord[]> {
    return this.guard('list session content', async () => {
      requireCount('limit', limit);
      if (limit === 0) return [];
      const rows = await this.execute(selectSessionContent(this.queries, tenant, sessionId, limit));
      return rows.map(toSessionContentRecord).reverse();
    });
  }

  purgeExpiredCounters(now: string): Promise<number> {
    return this.guard('purge expired counters', async () => {
      return this.executeChange(deleteExpiredCounters(this.queries, now));
    });
  }

  /**
   * The revocation lookup runs on every authenticated call: it is compiled once, with marker
   * values, and later calls only substitute their parameters.
   */
  private revocationQuery(tokenId: string, agentId: string, issuedAt: number): Compilable<{ revoked: unknown }> {
    this.revocationTemplate ??= selectRevoked(this.queries, TOKEN_MARKER, AGENT_MARKER, ISSUED_AT_MARKER).compile();
    const template = this.revocationTemplate;
    const parameters = template.parameters.map((parameter) =>
      parameter === TOKEN_MARKER ? tokenId : parameter === AGENT_MARKER ? agentId : parameter === ISSUED_AT_MARKER ? issuedAt : parameter,
    );
    return { compile: () => ({ ...template, parameters }) as CompiledQuery<{ revoked: unknown }> };
  }

  /**
   * Runs a write whose loss on power failure is tolerable (counters are enforcement state, not
   * evidence), without waiting for the disk. Engines override this; by default it is a normal write.
   */
  protected executeUnsynced<Row>(query: Compilable<Row>): Promise<Row[]> {
    return this.execute(query);
  }

  /** Runs an operation unless the store is closed, turning driver errors into STORE_UNAVAILABLE. */
  protected override async guard<Result>(operation: string, work: () => Promise<Result>): Promise<Result> {
    if (this.closing !== undefined) {
      throw new InterlockError('STORE_UNAVAILABLE', `The ${this.driver} store is closed (${operation}).`, { operation });
    }
    try {
      return await work();
    } catch (error) {
      throw this.toStoreError(operation, error);
    }
  }

  private toStoreError(operation: string, error: unknown): InterlockError {
    if (error instanceof InterlockError) return error;
    const summary = this.summariseDriverError(error);
    return new InterlockError('STORE_UNAVAILABLE', `The ${this.driver} store could not ${operation}: ${summary}`, { operation });
  }
}

const TOKEN_MARKER = '\u0000token-id-marker';
const AGENT_MARKER = '\u0000agent-id-marker';
const ISSUED_AT_MARKER = -987_654_321;
