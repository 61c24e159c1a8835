/**
 * Tables and statements of governed retrieval (store.ts `RetrievalStore`), written once for both
 * engines. Only full-text search differs: SQLite searches an FTS5 index kept by triggers, PostgreSQL
 * a generated tsvector column under a GIN index; both stem English words.
 */
import { CompiledQuery, sql, type ColumnType, type Compilable, type Selectable } from 'kysely';
import type { SqlDialectName } from './database.js';
import type { QueryBuilder } from './queries.js';
import type { ChunkHit, ChunkRecord, ChunkSearch, CitationRecord, SourceQuarantine, StoredCitation } from './store.js';

export interface RetrievalChunksTable {
  /** Row id the SQLite full-text index points at; generated, never written. */
  seq: ColumnType<number, never, never>;
  chunk_id: string;
  tenant: string;
  source_id: string;
  owner: string;
  document_id: string;
  document_version: string;
  document_title: string;
  ordinal: number;
  classification: string;
  trust: string;
  updated_at: string;
  ingested_at: string;
  content_hash: string;
  body: string;
  /** JSON text. */
  redactions: string;
}

export interface RetrievalQuarantinesTable {
  id: string;
  source_id: string;
  tenant: string;
  reason: string;
  set_by: string;
  set_at: string;
  lifted_at: string | null;
  lifted_by: string | null;
}

export interface RetrievalCitationsTable {
  retrieval_id: string;
  citation_id: string;
  trace_id: string;
  tenant: string;
  agent_id: string;
  session_id: string | null;
  chunk_id: string;
  source_id: string;
  document_id: string;
  document_version: string;
  content_hash: string;
  updated_at: string;
  /** 1 when stale at retrieval, else 0 (one spelling for both engines). */
  stale: number;
  retrieved_at: string;
}

/** SQLite only: the contentless FTS5 index over retrieval_chunks.body (rowid = seq). */
export interface RetrievalChunksFtsTable {
  rowid: number;
  body: string;
}

/** A type alias, not an interface: the query builder's `withTables` needs an index-compatible shape. */
export type RetrievalTables = {
  retrieval_chunks: RetrievalChunksTable;
  retrieval_quarantines: RetrievalQuarantinesTable;
  retrieval_citations: RetrievalCitationsTable;
  retrieval_chunks_fts: RetrievalChunksFtsTable;
};

/** Chunk rows per INSERT: 15 parameters each, well under either engine's bound-parameter limit. */
export const CHUNK_ROWS_PER_INSERT = 500;
export const FTS_TABLE = 'retrieval_chunks_fts';
/** PostgreSQL text search configuration, and the SQLite tokenizer that matches it (Porter stemming). */
export const POSTGRES_TEXT_SEARCH_CONFIG = 'english';
export const SQLITE_TOKENIZER = 'porter unicode61 remove_diacritics 2';
/**
 * A search ranks at most this many matching chunks (of the caller's tenant and sources), the most
 * recently ingested first: ranking costs time per match, and a word found in more chunks than this
 * says little about which of them is wanted. Queries of several words match all of them first.
 */
export const SEARCH_CANDIDATES = 2000;
const CHUNK_COLUMNS = [
  'c.chunk_id',
  'c.tenant',
  'c.source_id',
  'c.owner',
  'c.document_id',
  'c.document_version',
  'c.document_title',
  'c.ordinal',
  'c.classification',
  'c.trust',
  'c.updated_at',
  'c.ingested_at',
  'c.content_hash',
  'c.body',
  'c.redactions',
] as const;

function tables(db: QueryBuilder) {
  return db.withTables<RetrievalTables>();
}

/** A statement given as text, for what the query builder cannot express (virtual tables, triggers). */
export function rawStatement(text: string): Compilable {
  return { compile: () => CompiledQuery.raw(text) };
}

export function deleteDocumentChunks(db: QueryBuilder, sourceId: string, documentId: string) {
  return tables(db).deleteFrom('retrieval_chunks').where('source_id', '=', sourceId).where('document_id', '=', documentId);
}

export function insertChunks(db: QueryBuilder, chunks: readonly ChunkRecord[]) {
  return tables(db)
    .insertInto('retrieval_chunks')
    .values(
      chunks.map((chunk) => ({
        chunk_id: chunk.chunkId,
        tenant: chunk.tenant,
        source_id: chunk.sourceId,
        owner: chunk.owner,
        document_id: chunk.documentId,
        document_version: chunk.documentVersion,
        document_title: chunk.documentTitle,
        ordinal: chunk.ordinal,
        classification: chunk.classification,
        trust: chunk.trust,
        updated_at: chunk.updatedAt,
        ingested_at: chunk.ingestedAt,
        content_hash: chunk.contentHash,
        body: chunk.text,
        redactions: chunk.redactions,
      })),
    );
}

/**
 * Serialises ingests of one document across PostgreSQL connections until commit (SQLite's write
 * transactions are serialised by the file lock already).
 */
export function lockDocument(db: QueryBuilder, sourceId: string, documentId: string) {
  // Source ids hold no ":", so the key is unambiguous (PostgreSQL text cannot hold NUL).
  const key = `interlock.retrieval.${sourceId}:${documentId}`;
  return { compile: () => sql<{ locked: unknown }>`select pg_advisory_xact_lock(hashtext(${key})) as locked`.compile(db) };
}

/**
 * Best matches first among the tenant's chunks of the given sources, leaving out stale chunks of
 * sources that exclude them and every source under an active quarantine. At most SEARCH_CANDIDATES
 * matches (the most recently ingested) are ranked. The caller has excluded an empty term or source list.
 */
export function searchChunks(db: QueryBuilder, dialect: SqlDialectName, search: ChunkSearch) {
  const typed = tables(db);
  // The candidates are found, filtered to the caller's tenant and sources, and cut to the most
  // recent ones inside one scan of the index in descending row order; only they are ranked.
  const candidates =
    dialect === 'sqlite'
      ? typed
          .selectFrom(`${FTS_TABLE} as f`)
          .innerJoin('retrieval_chunks as c', 'c.seq', 'f.rowid')
          .select([
            'c.seq',
            // bm25() is lower for better matches.
            sql<number>`-bm25(${sql.table(FTS_TABLE)})`.as('score'),
          ])
          .where(sql<boolean>`${sql.table(FTS_TABLE)} match ${sqliteMatch(search)}`)
          .where('c.tenant', '=', search.tenant)
          .where(inSearchedSources(search))
          .orderBy('f.rowid', 'desc')
          .limit(SEARCH_CANDIDATES)
          .as('m')
      : typed
          .selectFrom('retrieval_chunks as c')
          .select(['c.seq'])
          .where(sql<boolean>`c.search_vector @@ ${postgresQuery(search.terms, search.match)}`)
          .where('c.tenant', '=', search.tenant)
          .where(inSearchedSources(search))
          .orderBy('c.seq', 'desc')
          .limit(SEARCH_CANDIDATES)
          .as('m');
  const score =
    dialect === 'sqlite' ? sql<number>`m.score` : sql<number>`ts_rank_cd(c.search_vector, ${postgresQuery(search.terms, search.match)})`;
  return typed
    .selectFrom(candidates)
    .innerJoin('retrieval_chunks as c', 'c.seq', 'm.seq')
    .select(CHUNK_COLUMNS)
    .select(score.as('score'))
    .where((expression) =>
      expression.not(
        expression.exists(
          expression
            .selectFrom('retrieval_quarantines as q')
            .select('q.id')
            .whereRef('q.source_id', '=', 'c.source_id')
            .where('q.lifted_at', 'is', null),
        ),
      ),
    )
    .orderBy('score', 'desc')
    .orderBy('c.chunk_id', 'asc')
    .limit(search.limit);
}

/** The chunk is of one of the searched sources and, for a source that excludes stale chunks, fresh. */
function inSearchedSources(search: ChunkSearch) {
  const each = search.sources.map((source) =>
    source.staleBefore === null
      ? sql`c.source_id = ${source.id}`
      : sql`(c.source_id = ${source.id} and c.updated_at >= ${source.staleBefore})`,
  );
  return sql<boolean>`(${sql.join(each, sql` or `)})`;
}

/** Terms are letters and digits only, and each is quoted as an FTS5 string besides, so no operator can be injected. */
function sqliteMatch(search: ChunkSearch): string {
  return search.terms.map((term) => `"${term.replaceAll('"', '""')}"`).join(search.match === 'all' ? ' AND ' : ' OR ');
}

function postgresQuery(terms: readonly string[], match: ChunkSearch['match']) {
  const text = terms.join(match === 'all' ? ' ' : ' or ');
  return sql`websearch_to_tsquery(${sql.lit(POSTGRES_TEXT_SEARCH_CONFIG)}::regconfig, ${text})`;
}

export function toChunkHit(row: Omit<Selectable<RetrievalChunksTable>, 'seq'> & { score: number | string }): ChunkHit {
  return {
    chunkId: row.chunk_id,
    tenant: row.tenant,
    sourceId: row.source_id,
    owner: row.owner,
    documentId: row.document_id,
    documentVersion: row.document_version,
    documentTitle: row.document_title,
    ordinal: Number(row.ordinal),
    classification: row.classification,
    trust: row.trust,
    updatedAt: row.updated_at,
    ingestedAt: row.ingested_at,
    contentHash: row.content_hash,
    text: row.body,
    redactions: row.redactions,
    score: Number(row.score),
  };
}

export function selectSourceStats(db: QueryBuilder, sourceIds: readonly string[]) {
  return tables(db)
    .selectFrom('retrieval_chunks')
    .select((expression) => [
      'source_id',
      expression.fn.count<number>('document_id').distinct().as('documents'),
      expression.fn.countAll<number>().as('chunks'),
      expression.fn.max('ingested_at').as('last_ingested_at'),
    ])
    .where('source_id', 'in', sourceIds)
    .groupBy('source_id');
}

export function insertSourceQuarantine(db: QueryBuilder, quarantine: SourceQuarantine) {
  return tables(db).insertInto('retrieval_quarantines').values({
    id: quarantine.id,
    source_id: quarantine.sourceId,
    tenant: quarantine.tenant,
    reason: quarantine.reason,
    set_by: quarantine.setBy,
    set_at: quarantine.setAt,
    lifted_at: quarantine.liftedAt,
    lifted_by: quarantine.liftedBy,
  });
}

export function liftSourceQuarantines(db: QueryBuilder, sourceId: string, by: string, at: string) {
  return tables(db)
    .updateTable('retrieval_quarantines')
    .set({ lifted_at: at, lifted_by: by })
    .where('source_id', '=', sourceId)
    .where('lifted_at', 'is', null);
}

export function selectActiveSourceQuarantines(db: QueryBuilder) {
  return tables(db).selectFrom('retrieval_quarantines').selectAll().where('lifted_at', 'is', null).orderBy('set_at', 'asc');
}

export function toSourceQuarantine(row: Selectable<RetrievalQuarantinesTable>): SourceQuarantine {
  return {
    id: row.id,
    sourceId: row.source_id,
    tenant: row.tenant,
    reason: row.reason,
    setBy: row.set_by,
    setAt: row.set_at,
    liftedAt: row.lifted_at,
    liftedBy: row.lifted_by,
  };
}

/** One retrieval hands out each chunk once; repeating the insert (a retry) changes nothing. */
export function insertCitations(db: QueryBuilder, citations: readonly CitationRecord[]) {
  return (
    tables(db)
      .insertInto('retrieval_citations')
      .values(
        citations.map((citation) => ({
          retrieval_id: citation.retrievalId,
          citation_id: citation.citationId,
          trace_id: citation.traceId,
          tenant: citation.tenant,
          agent_id: citation.agentId,
          session_id: citation.sessionId,
          chunk_id: citation.chunkId,
          source_id: citation.sourceId,
          document_id: citation.documentId,
          document_version: citation.documentVersion,
          content_hash: citation.contentHash,
          updated_at: citation.updatedAt,
          stale: citation.stale ? 1 : 0,
          retrieved_at: citation.retrievedAt,
        })),
      )
      .onConflict((conflict) => conflict.columns(['retrieval_id', 'chunk_id']).doNothing())
      // Rows come back so the statement can run where only row-returning statements are expected.
      .returning('citation_id')
  );
}

export function selectCitations(db: QueryBuilder, traceId: string, tenant: string) {
  return tables(db)
    .selectFrom('retrieval_citations as c')
    .selectAll('c')
    .select((expression) =>
      expression
        .exists(
          expression
            .selectFrom('retrieval_quarantines as q')
            .select('q.id')
            .whereRef('q.source_id', '=', 'c.source_id')
            .where('q.lifted_at', 'is', null),
        )
        .as('quarantined'),
    )
    .where('c.trace_id', '=', traceId)
    .where('c.tenant', '=', tenant)
    .orderBy('c.retrieved_at', 'asc')
    .orderBy('c.retrieval_id', 'asc')
    .orderBy('c.citation_id', 'asc');
}

export function toStoredCitation(row: Selectable<RetrievalCitationsTable> & { quarantined: unknown }): StoredCitation {
  return {
    retrievalId: row.retrieval_id,
    citationId: row.citation_id,
    traceId: row.trace_id,
    tenant: row.tenant,
    agentId: row.agent_id,
    sessionId: row.session_id,
    chunkId: row.chunk_id,
    sourceId: row.source_id,
    documentId: row.document_id,
    documentVersion: row.document_version,
    contentHash: row.content_hash,
    updatedAt: row.updated_at,
    stale: Number(row.stale) === 1,
    retrievedAt: row.retrieved_at,
    // SQLite answers 1/0, PostgreSQL true/false.
    quarantined: row.quarantined === true || Number(row.quarantined) === 1,
  };
}

/** `call.completed` events of each trace that retrieved from the source, from its first such retrieval on. */
export function selectInfluencedCalls(db: QueryBuilder, sourceId: string, tenant: string, limit: number) {
  const typed = tables(db);
  return typed
    .selectFrom('audit_events as e')
    .innerJoin(
      (expression) =>
        expression
          .selectFrom('retrieval_citations')
          .select((inner) => ['trace_id', inner.fn.min('retrieved_at').as('first_retrieved_at')])
          .where('source_id', '=', sourceId)
          .where('tenant', '=', tenant)
          .groupBy('trace_id')
          .as('r'),
      (join) => join.onRef('r.trace_id', '=', 'e.trace_id'),
    )
    .selectAll('e')
    .where('e.type', '=', 'call.completed')
    .where('e.tenant', '=', tenant)
    .whereRef('e.at', '>=', 'r.first_retrieved_at')
    .orderBy('e.seq', 'asc')
    .limit(limit);
}
