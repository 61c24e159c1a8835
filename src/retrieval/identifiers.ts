/**
 * Identifiers of chunks and citations. Both are derived, not random: the same chunk of the same
 * document version keeps its id across re-ingests, and a chunk handed out twice in one trace gets
 * the same citation id both times, so a citation can be checked against the store later.
 */
import { createHash } from 'node:crypto';

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** `sha256:` and the hex digest: how content hashes are written everywhere in Interlock. */
export function contentHash(text: string): string {
  return `sha256:${sha256Hex(text)}`;
}

export function chunkId(sourceId: string, documentId: string, version: string, ordinal: number, hash: string): string {
  return `chk_${sha256Hex([sourceId, documentId, version, String(ordinal), hash].join('\u0000')).slice(0, 32)}`;
}

export function citationId(chunk: string, traceId: string): string {
  return `cit_${sha256Hex(`${chunk}\u0000${traceId}`).slice(0, 32)}`;
}

/** The version of a document ingested without one: named after its content. */
export function contentVersion(text: string): string {
  return `sha256:${sha256Hex(text).slice(0, 16)}`;
}
