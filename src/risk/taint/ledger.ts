import { scanText } from './extract.js';
import type { Fingerprinter } from './fingerprint.js';
import { matchClassOf } from './kinds.js';

/**
 * The session's content ledger: one entry per piece of content that entered the session (the
 * user's request, an operator's instructions, a tool's output, a retrieved chunk, a web page, an
 * e-mail), with where it came from, whether that source is trusted, and the fingerprints of the
 * values it contained. Entries hold no text and no raw values.
 *
 * Trust is declared by whoever records the content (the user's own request and operator-trusted
 * sources such as the company's payee list are `trusted`; inbound e-mail and web pages are not);
 * the origin is descriptive and never implies trust here.
 */
export type ContentOrigin = 'user' | 'operator' | 'tool' | 'retrieval' | 'web' | 'email' | (string & {});
export type ContentTrust = 'trusted' | 'untrusted';

export interface ContentSource {
  readonly origin: ContentOrigin;
  readonly trust: ContentTrust;
  /** Identifies the content within the session (a message id, a tool call id, a chunk id). */
  readonly sourceId: string;
  /** A short human-readable description for reasons and approvals; must not contain secrets. */
  readonly label: string;
}

export interface ContentRecord extends ContentSource {
  readonly text: string;
}

export interface LedgerEntry extends ContentSource {
  readonly fingerprints: readonly string[];
  /** Part of the content was not scanned (see MAX_SCANNED_CHARACTERS and MAX_VALUES_PER_TEXT). */
  readonly truncated: boolean;
}

/** Fingerprints every value of the content, and the broader forms each one answers to. */
export function recordContent(content: ContentRecord, fingerprint: Fingerprinter): LedgerEntry {
  const scan = scanText(content.text);
  const fingerprints = new Set<string>();
  for (const value of scan.values) {
    fingerprints.add(fingerprint(matchClassOf(value.kind), value.normalized));
    for (const related of value.related) fingerprints.add(fingerprint(related.matchClass, related.normalized));
  }
  return {
    origin: content.origin,
    trust: content.trust,
    sourceId: content.sourceId,
    label: content.label,
    fingerprints: [...fingerprints],
    truncated: scan.truncated,
  };
}

/** Where each fingerprint was seen: in any trusted content, and in which untrusted content. */
export interface LedgerIndex {
  readonly trusted: ReadonlySet<string>;
  readonly untrusted: ReadonlyMap<string, readonly ContentSource[]>;
  readonly truncated: boolean;
}

export function indexLedger(ledger: readonly LedgerEntry[]): LedgerIndex {
  const trusted = new Set<string>();
  const untrusted = new Map<string, ContentSource[]>();
  let truncated = false;
  for (const entry of ledger) {
    truncated ||= entry.truncated;
    const source: ContentSource = { origin: entry.origin, trust: entry.trust, sourceId: entry.sourceId, label: entry.label };
    for (const fingerprint of entry.fingerprints) {
      if (entry.trust === 'trusted') {
        trusted.add(fingerprint);
        continue;
      }
      const sources = untrusted.get(fingerprint);
      if (sources === undefined) untrusted.set(fingerprint, [source]);
      else sources.push(source);
    }
  }
  return { trusted, untrusted, truncated };
}
