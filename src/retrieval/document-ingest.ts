/**
 * Turns a document into the chunk records the store keeps: text normalised, secrets removed from
 * the whole document before it is cut (so a key block spanning a cut is still found), cut into
 * chunks, each labelled with its provenance, content hash and what was removed from it. Pure
 * apart from hashing: the clock's reading is passed in.
 */
import { InterlockError } from '../errors/interlock-error.js';
import type { ChunkRecord } from '../store/store.js';
import { DEFAULT_CHUNKING, splitIntoChunks, type ChunkingOptions } from './chunking.js';
import { splitTaggedSecrets, type ContentRedaction, type ContentRedactor } from './content-redaction.js';
import { chunkId, contentHash, contentVersion } from './identifiers.js';
import type { RetrievalSource } from './source-registry.js';

export const DOCUMENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$/;
export const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:+-]{0,63}$/;
export const MAX_TITLE_LENGTH = 200;
/** Characters of text in one document (the HTTP body limit usually bounds it first). */
export const MAX_DOCUMENT_LENGTH = 16 * 1024 * 1024;
export const MAX_CHUNKS_PER_DOCUMENT = 50_000;
/** How far in the future an `updatedAt` may lie (clock skew); further would keep a chunk fresh forever. */
const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

export interface DocumentInput {
  readonly documentId: string;
  readonly text: string;
  readonly version?: string | undefined;
  readonly title?: string | undefined;
  /** When the content was last known current (ISO 8601); default: now. */
  readonly updatedAt?: string | undefined;
}

export interface PreparedDocument {
  readonly documentId: string;
  readonly version: string;
  readonly title: string;
  readonly updatedAt: string;
  /** Hash of the normalised text as given, before anything was removed. */
  readonly documentHash: string;
  readonly chunks: ChunkRecord[];
  /** Secrets removed from the document, by kind. */
  readonly redactions: ContentRedaction[];
}

export function prepareDocument(
  source: RetrievalSource,
  input: DocumentInput,
  redactor: ContentRedactor,
  nowMs: number,
  chunking: ChunkingOptions = DEFAULT_CHUNKING,
): PreparedDocument {
  if (typeof input.documentId !== 'string' || !DOCUMENT_ID_PATTERN.test(input.documentId)) {
    throw invalid('documentId must be 1-200 characters: letters, digits and . _ : / @ + - (starting with a letter or digit)');
  }
  if (input.version !== undefined && (typeof input.version !== 'string' || !VERSION_PATTERN.test(input.version))) {
    throw invalid('version must be 1-64 characters: letters, digits and . _ : + -');
  }
  if (typeof input.text !== 'string') throw invalid('text must be a string');
  if (input.text.length > MAX_DOCUMENT_LENGTH) throw invalid(`a document holds at most ${MAX_DOCUMENT_LENGTH} characters`);
  const text = normalise(input.text);
  if (text.trim().length === 0) throw invalid('the document has no text');
  const title = normaliseTitle(input.title ?? input.documentId);
  const updatedAt = readUpdatedAt(input.updatedAt, nowMs);
  const ingestedAt = new Date(nowMs).toISOString();
  const version = input.version ?? contentVersion(text);

  const secretsRemoved = redactor.tagSecrets(text);
  const titleRedacted = redactor.redactSecrets(title).text;
  const pieces = splitIntoChunks(secretsRemoved.text, chunking);
  if (pieces.length > MAX_CHUNKS_PER_DOCUMENT) throw invalid(`a document is cut into at most ${MAX_CHUNKS_PER_DOCUMENT} chunks`);
  const chunks = pieces.map((piece, ordinal): ChunkRecord => {
    const clean = splitTaggedSecrets(piece);
    // A hard cut through a tag (a run of 500 characters without whitespace) leaves a stray mark.
    const stored = clean.text.replaceAll('\u0001', '');
    const hash = contentHash(stored);
    return {
      chunkId: chunkId(source.id, input.documentId, version, ordinal, hash),
      tenant: source.tenant,
      sourceId: source.id,
      owner: source.owner,
      documentId: input.documentId,
      documentVersion: version,
      documentTitle: titleRedacted,
      ordinal,
      classification: source.classification,
      trust: source.trust,
      updatedAt,
      ingestedAt,
      contentHash: hash,
      text: stored,
      redactions: JSON.stringify(clean.redactions.map(({ kind, count }) => ({ kind, count }))),
    };
  });
  return {
    documentId: input.documentId,
    version,
    title: titleRedacted,
    updatedAt,
    documentHash: contentHash(text),
    chunks,
    redactions: secretsRemoved.redactions,
  };
}

/** Line ends unified; control characters other than tab and newline removed (they carry no text). */
function normalise(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '');
}

function normaliseTitle(title: unknown): string {
  if (typeof title !== 'string') throw invalid('title must be a string');
  // eslint-disable-next-line no-control-regex
  const single = title.replace(/[\u0000-\u001F\u007F]+/g, ' ').trim();
  if (single.length === 0 || single.length > MAX_TITLE_LENGTH) throw invalid(`title must be 1-${MAX_TITLE_LENGTH} characters`);
  return single;
}

function readUpdatedAt(value: string | undefined, nowMs: number): string {
  if (value === undefined) return new Date(nowMs).toISOString();
  const parsed =
    typeof value === 'string' && /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value)
      ? Date.parse(value)
      : NaN;
  if (Number.isNaN(parsed)) throw invalid('updatedAt must be an ISO 8601 date or date-time, e.g. 2026-03-01 or 2026-03-01T09:30:00Z');
  if (parsed > nowMs + MAX_FUTURE_SKEW_MS) throw invalid('updatedAt lies in the future');
  return new Date(parsed).toISOString();
}

function invalid(message: string): InterlockError {
  return new InterlockError('REQUEST_INVALID', message);
}
