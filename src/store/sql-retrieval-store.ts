/**
 * The retrieval half of the Store contract (store.ts `RetrievalStore`), implemented once over the
 * typed query layer. It sits between the safe-execution half and SqlStore, which supplies how
 * statements and transactions run on each engine.
 */
import type { Compilable } from 'kysely';
import { InterlockError } from '../errors/interlock-error.js';
import { toStoredAuditEvent } from './queries.js';
import {
  CHUNK_ROWS_PER_INSERT,
  deleteDocumentChunks,
  insertChunks,
  insertCitations,
  insertSourceQuarantine,
  liftSourceQuarantines,
  lockDocument,
  searchChunks,
  selectActiveSourceQuarantines,
  selectCitations,
  selectInfluencedCalls,
  selectSourceStats,
  toChunkHit,
  toSourceQuarantine,
  toStoredCitation,
} from './retrieval-queries.js';
import { SqlSafeExecutionStore } from './sql-safe-execution-store.js';
import { inChunks } from './chain-append.js';
import { requireCount } from './store-arguments.js';
import type {
  ChunkHit,
  ChunkRecord,
  ChunkSearch,
  CitationRecord,
  RetrievalStore,
  SourceQuarantine,
  SourceStats,
  StoredAuditEvent,
  StoredCitation,
} from './store.js';
import { change, rows, type TransactionBody } from './transaction.js';

export abstract class SqlRetrievalStore extends SqlSafeExecutionStore implements RetrievalStore {
  /** Runs a write without waiting for the disk; a later durable commit on the same log covers it (sql-store.ts). */
  protected abstract executeUnsynced<Row>(query: Compilable<Row>): Promise<Row[]>;

  replaceDocumentChunks(sourceId: string, documentId: string, chunks: readonly ChunkRecord[]): Promise<number> {
    return this.guard('replace document chunks', () => {
      for (const chunk of chunks) {
        if (chunk.sourceId !== sourceId || chunk.documentId !== documentId) {
          throw new InterlockError('INTERNAL', 'Every chunk must belong to the document it replaces.');
        }
      }
      return this.transact(this.replaceBody(sourceId, documentId, chunks));
    });
  }

  searchChunks(search: ChunkSearch): Promise<ChunkHit[]> {
    return this.guard('search chunks', async () => {
      requireCount('limit', search.limit);
      if (search.limit === 0 || search.terms.length === 0 || search.sources.length === 0) return [];
      // Quarantined sources are left out of the index lookup too, so they take no candidate places.
      const quarantined = new Set((await this.execute(selectActiveSourceQuarantines(this.queries))).map((row) => row.source_id));
      const sources = search.sources.filter((source) => !quarantined.has(source.id));
      if (sources.length === 0) return [];
      const found = await this.execute(searchChunks(this.queries, this.driver, { ...search, sources }));
      return found.map(toChunkHit);
    });
  }

  sourceStats(sourceIds: readonly string[]): Promise<SourceStats[]> {
    return this.guard('read source statistics', async () => {
      if (sourceIds.length === 0) return [];
      const found = await this.execute(selectSourceStats(this.queries, sourceIds));
      return found.map((row) => ({
        sourceId: row.source_id,
        documents: Number(row.documents),
        chunks: Number(row.chunks),
        lastIngestedAt: row.last_ingested_at ?? null,
      }));
    });
  }

  insertSourceQuarantine(quarantine: SourceQuarantine): Promise<void> {
    return this.guard('quarantine a source', async () => {
      await this.executeChange(insertSourceQuarantine(this.queries, quarantine));
    });
  }

  liftSourceQuarantines(sourceId: string, by: string, at: string): Promise<number> {
    return this.guard('lift source quarantines', () => this.executeChange(liftSourceQuarantines(this.queries, sourceId, by, at)));
  }

  listActiveSourceQuarantines(): Promise<SourceQuarantine[]> {
    return this.guard('list source quarantines', async () =>
      (await this.execute(selectActiveSourceQuarantines(this.queries))).map(toSourceQuarantine),
    );
  }

  /**
   * Not synced on its own: the retrieval's audit event is committed durably right after, and
   * syncing that commit syncs the log up to it, these rows included. A citation is relied on only
   * once its retrieval has answered, which is after that commit.
   */
  insertCitations(citations: readonly CitationRecord[]): Promise<void> {
    return this.guard('record citations', async () => {
      for (const batch of inChunks(citations, CHUNK_ROWS_PER_INSERT)) await this.executeUnsynced(insertCitations(this.queries, batch));
    });
  }

  listCitations(traceId: string, tenant: string): Promise<StoredCitation[]> {
    return this.guard('list citations', async () =>
      (await this.execute(selectCitations(this.queries, traceId, tenant))).map(toStoredCitation),
    );
  }

  listInfluencedCalls(sourceId: string, tenant: string, limit: number): Promise<StoredAuditEvent[]> {
    return this.guard('list influenced calls', async () => {
      requireCount('limit', limit);
      if (limit === 0) return [];
      return (await this.execute(selectInfluencedCalls(this.queries, sourceId, tenant, limit))).map(toStoredAuditEvent);
    });
  }

  private *replaceBody(sourceId: string, documentId: string, chunks: readonly ChunkRecord[]): TransactionBody<number> {
    if (this.driver === 'postgres') yield* rows(lockDocument(this.queries, sourceId, documentId));
    const removed = yield* change(deleteDocumentChunks(this.queries, sourceId, documentId));
    for (const batch of inChunks(chunks, CHUNK_ROWS_PER_INSERT)) yield* change(insertChunks(this.queries, batch));
    return removed;
  }
}
