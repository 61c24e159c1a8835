/** What a retrieval, an ingest and the source listings return: the shapes doors send on the wire. */
import type { Classification } from '../config/schema.js';
import type { ContentRedaction } from './content-redaction.js';
import type { FreshnessResponse } from './source-registry.js';

/** Schema version of retrieval answers; clients reject any other. */
export const RETRIEVAL_SCHEMA_VERSION = 1;

export interface RetrieveRequest {
  readonly query: string;
  /** The task the agent retrieves for; sources that list tasks are searched only for those. */
  readonly task?: string | undefined;
  readonly sessionId?: string | undefined;
  /** Citations are bound to the trace: a later call of the same trace can cite them. */
  readonly traceId?: string | undefined;
  /** Chunks wanted, 1-50; default `retrieval.defaultLimit`. */
  readonly limit?: number | undefined;
  /** Signed user assertion when the agent acts for a user. */
  readonly actingFor?: string | undefined;
}

export interface RetrievedChunk {
  /** Cite this id; it is bound to this chunk and this trace. */
  readonly citationId: string;
  readonly chunkId: string;
  /** Redacted according to classification and entitlement. */
  readonly text: string;
  /** Full-text relevance: higher is better, comparable only within one answer. */
  readonly score: number;
  /** Similarity to the query when an embeddings provider re-ranked the answer. */
  readonly similarity?: number;
  readonly source: {
    readonly id: string;
    readonly owner: string;
    readonly classification: Classification;
    readonly trust: 'trusted' | 'untrusted';
  };
  readonly document: { readonly id: string; readonly version: string; readonly title: string; readonly updatedAt: string };
  /** Hash of the chunk as stored (before the redactions of this answer). */
  readonly contentHash: string;
  /** Older than its source's freshness budget. */
  readonly stale: boolean;
  /** Set on stale chunks: what to make of them. */
  readonly warning: string | null;
  /** What was removed from this chunk, at ingest and for this reader: kinds and counts. */
  readonly redactions: readonly ContentRedaction[];
}

/** Sources on the allowlist whose content this answer left out, and why. */
export interface WithheldSource {
  readonly sourceId: string;
  /** `needs_entitlement`: confidential or secret, and the reader is not entitled. `stale_without_session`: stale chunks of a downgrading source, and no session to downgrade. */
  readonly reason: 'needs_entitlement' | 'stale_without_session';
}

export interface RetrievalAnswer {
  readonly schemaVersion: typeof RETRIEVAL_SCHEMA_VERSION;
  readonly retrievalId: string;
  readonly traceId: string;
  readonly sessionId: string | null;
  readonly task: string | null;
  readonly chunks: readonly RetrievedChunk[];
  readonly withheld: readonly WithheldSource[];
  /** Set when a stale chunk of a `downgrade` source moved (or found) the session in `elevated` mode or stricter. */
  readonly downgrade: { readonly mode: string; readonly changed: boolean; readonly ruleId: string | null } | null;
  /** Id of the `retrieval.performed` audit event. */
  readonly auditEventId: string;
}

export interface IngestReport {
  readonly schemaVersion: typeof RETRIEVAL_SCHEMA_VERSION;
  readonly sourceId: string;
  readonly documentId: string;
  readonly version: string;
  readonly title: string;
  readonly updatedAt: string;
  readonly documentHash: string;
  readonly chunks: number;
  /** Chunks of earlier ingests of the document that were replaced. */
  readonly replaced: number;
  /** Secrets removed before storing, by kind. */
  readonly redactions: readonly ContentRedaction[];
  readonly auditEventId: string;
}

export interface SourceView {
  readonly id: string;
  readonly tenant: string;
  readonly owner: string;
  readonly description: string | null;
  readonly classification: Classification;
  readonly trust: 'trusted' | 'untrusted';
  readonly freshness: { readonly budget: string; readonly response: FreshnessResponse } | null;
  readonly allow: { readonly agents: readonly string[]; readonly tasks: readonly string[] | null };
  readonly readers: { readonly roles: readonly string[]; readonly agents: readonly string[] };
  readonly documents: number;
  readonly chunks: number;
  readonly lastIngestedAt: string | null;
  readonly quarantine: { readonly id: string; readonly reason: string; readonly setBy: string; readonly setAt: string } | null;
}

/** A call made in a trace that retrieved from the source, after that retrieval. */
export interface InfluencedCall {
  readonly callId: string | null;
  readonly traceId: string | null;
  readonly agent: string | null;
  readonly at: string;
  readonly status: string | null;
  readonly tool: string | null;
  readonly operation: string | null;
  readonly errorCode: string | null;
  readonly auditEventId: string;
}

/** Someone acting on sources: an operator (scoped to tenants) or a command run on the host. */
export interface SourceActor {
  readonly by: string;
  readonly tenants: '*' | readonly string[];
}

/** What a retrieval put into a session, for components that track provenance (taint, injection signals). */
export interface RetrievedContent {
  readonly tenant: string;
  readonly agentId: string;
  readonly sessionId: string | null;
  readonly traceId: string;
  readonly retrievalId: string;
  readonly chunks: ReadonlyArray<{
    readonly citationId: string;
    readonly sourceId: string;
    readonly trust: 'trusted' | 'untrusted';
    readonly text: string;
  }>;
}
