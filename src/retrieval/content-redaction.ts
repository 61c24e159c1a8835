/**
 * Redaction of document text, counted by kind. Secrets (the project's own credential values and
 * the credential shapes of redaction/secret-patterns.ts) are found by the shared Redactor, one
 * pattern at a time so each replacement can be attributed to its kind; personal data by
 * personal-data.ts. What was removed is reported as kinds and counts, never as values.
 */
import { REDACTED, Redactor } from '../redaction/redactor.js';
import { SECRET_PATTERNS } from '../redaction/secret-patterns.js';
import { redactPersonalData } from './personal-data.js';

export type RedactionCategory = 'secret' | 'personal_data';

export interface ContentRedaction {
  readonly kind: string;
  readonly category: RedactionCategory;
  readonly count: number;
}

/** Marks, during ingest, which secret kind each `[REDACTED]` came from; never stored or shown. */
const TAG = '\u0001';
// eslint-disable-next-line no-control-regex -- the tag is a control character on purpose: text never holds one
const UNTAGGED_MARKER = /\[REDACTED\](?!\u0001)/g;
// eslint-disable-next-line no-control-regex -- see UNTAGGED_MARKER
const TAGGED_MARKER = /\[REDACTED\]\u0001([a-z0-9_-]+)\u0001/g;
const PREEXISTING = '-';

interface KindRedactor {
  readonly kind: string;
  readonly redactor: Redactor;
}

export class ContentRedactor {
  readonly #all: Redactor;
  readonly #byKind: readonly KindRedactor[];

  /** `knownSecrets`: the live set of resolved credential values (picked up as it grows). */
  constructor(knownSecrets: ReadonlySet<string> = new Set<string>()) {
    const common = { knownSecrets, redactCredentialFields: false } as const;
    this.#all = new Redactor(common);
    this.#byKind = [
      { kind: 'known_secret_value', redactor: new Redactor({ ...common, patterns: [] }) },
      ...SECRET_PATTERNS.map((pattern) => ({
        kind: pattern.id,
        redactor: new Redactor({ knownSecrets: new Set<string>(), redactCredentialFields: false, patterns: [pattern] }),
      })),
    ];
  }

  /** The text without secrets, and how many of each kind were replaced by `[REDACTED]`. */
  redactSecrets(text: string): { text: string; redactions: ContentRedaction[] } {
    // One pass with every pattern answers the common case (nothing to remove) cheaply.
    if (this.#all.redactText(text) === text) return { text, redactions: [] };
    let output = text;
    const redactions: ContentRedaction[] = [];
    for (const { kind, redactor } of this.#byKind) {
      const before = countMarkers(output);
      output = redactor.redactText(output);
      const added = countMarkers(output) - before;
      if (added > 0) redactions.push({ kind, category: 'secret', count: added });
    }
    return { text: output, redactions };
  }

  /**
   * Like redactSecrets, but each `[REDACTED]` it adds carries an invisible tag naming its kind, so
   * that after the text is cut into chunks each chunk can say what was removed from it
   * (splitTaggedSecrets). The input must hold no U+0001 (ingest strips control characters).
   */
  tagSecrets(text: string): { text: string; redactions: ContentRedaction[] } {
    if (this.#all.redactText(text) === text) return { text, redactions: [] };
    let output = text.replace(UNTAGGED_MARKER, `${REDACTED}${TAG}${PREEXISTING}${TAG}`);
    const redactions: ContentRedaction[] = [];
    for (const { kind, redactor } of this.#byKind) {
      let added = 0;
      output = redactor.redactText(output).replace(UNTAGGED_MARKER, () => {
        added += 1;
        return `${REDACTED}${TAG}${kind}${TAG}`;
      });
      if (added > 0) redactions.push({ kind, category: 'secret', count: added });
    }
    return { text: output, redactions };
  }

  /** Personal data replaced by `[REDACTED:<kind>]`, counted by kind. */
  redactPersonalData(text: string): { text: string; redactions: ContentRedaction[] } {
    const { text: output, found } = redactPersonalData(text);
    return { text: output, redactions: found.map((finding) => ({ kind: finding.kind, category: 'personal_data', count: finding.count })) };
  }
}

/** Removes the tags tagSecrets added, counting per kind what this piece of text had removed. */
export function splitTaggedSecrets(text: string): { text: string; redactions: ContentRedaction[] } {
  const counts = new Map<string, number>();
  const output = text.replace(TAGGED_MARKER, (_match, kind: string) => {
    if (kind !== PREEXISTING) counts.set(kind, (counts.get(kind) ?? 0) + 1);
    return REDACTED;
  });
  return { text: output, redactions: [...counts].map(([kind, count]) => ({ kind, category: 'secret', count })) };
}

/** Sums redactions of the same kind and category, keeping first-seen order. */
export function mergeRedactions(...lists: ReadonlyArray<readonly ContentRedaction[]>): ContentRedaction[] {
  const merged = new Map<string, ContentRedaction>();
  for (const list of lists) {
    for (const redaction of list) {
      const key = `${redaction.category}\u0000${redaction.kind}`;
      const earlier = merged.get(key);
      merged.set(key, earlier === undefined ? redaction : { ...earlier, count: earlier.count + redaction.count });
    }
  }
  return [...merged.values()];
}

function countMarkers(text: string): number {
  let count = 0;
  for (let index = text.indexOf(REDACTED); index !== -1; index = text.indexOf(REDACTED, index + REDACTED.length)) count += 1;
  return count;
}
