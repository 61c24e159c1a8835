import type { Redaction } from '../audit/event.js';
import { InterlockError } from '../errors/interlock-error.js';
import { fieldPathMatches, formatPath, parseFieldPath, type FieldPath } from './field-path.js';
import { CREDENTIAL_FIELD_NAME, SECRET_PATTERNS, type SecretPattern } from './secret-patterns.js';

/** What replaces a secret or a redacted field. */
export const REDACTED = '[REDACTED]';
/** What replaces a subtree nested deeper than the redactor walks. */
export const TRUNCATED = '[TRUNCATED]';
/** Known secret values shorter than this are ignored: scrubbing them would strip ordinary words. */
export const KNOWN_SECRET_MIN_LENGTH = 8;
export const REDACTION_DEFAULT_MAX_DEPTH = 64;

export interface RedactorOptions {
  /**
   * Resolved credential values. Pass the resolver's live set: when its size changes the redactor
   * picks up the new values on the next call.
   */
  readonly knownSecrets?: ReadonlySet<string>;
  /** Dotted field paths, `*` for one segment (`arguments.card_number`, `result.*.email`). */
  readonly fieldPaths?: readonly string[];
  /** Defaults to SECRET_PATTERNS. */
  readonly patterns?: readonly SecretPattern[];
  /** Redact string values under keys named like credentials (`password`, `apiKey`). Default true. */
  readonly redactCredentialFields?: boolean;
  /** Subtrees deeper than this are replaced by TRUNCATED. Default 64. */
  readonly maxDepth?: number;
}

export interface RedactionResult {
  readonly value: unknown;
  readonly redactions: Redaction[];
}

interface CompiledPattern {
  readonly id: string;
  readonly global: RegExp;
  readonly replace: SecretPattern['replace'];
}

interface StringHit {
  readonly reason: Redaction['reason'];
  readonly detail: string;
}

type PathSegment = string | number;

/**
 * Removes secrets from values before they are stored, logged or shown: known secret values
 * anywhere inside any string, well-known credential shapes, and configured fields. Pure: the input
 * is never mutated and the result is a deep copy. Every redaction is recorded by path and reason,
 * never with the value.
 */
export class Redactor {
  readonly #knownSecrets: ReadonlySet<string>;
  #knownSecretsSize = -1;
  #knownSecretsPattern: RegExp | null = null;
  readonly #patterns: readonly CompiledPattern[];
  readonly #prefilter: RegExp | null;
  readonly #fieldPaths: readonly FieldPath[];
  readonly #redactCredentialFields: boolean;
  readonly #maxDepth: number;

  constructor(options: RedactorOptions = {}) {
    this.#knownSecrets = options.knownSecrets ?? new Set<string>();
    const patterns = options.patterns ?? SECRET_PATTERNS;
    // Compiled once: global copies for replacement, and one case-insensitive union that rejects
    // most strings in a single pass before the individual patterns run.
    this.#patterns = patterns.map((secretPattern) => ({
      id: secretPattern.id,
      global: new RegExp(secretPattern.pattern.source, withGlobal(secretPattern.pattern.flags)),
      replace: secretPattern.replace,
    }));
    this.#prefilter =
      patterns.length === 0 ? null : new RegExp(patterns.map((secretPattern) => `(?:${secretPattern.pattern.source})`).join('|'), 'i');
    this.#fieldPaths = (options.fieldPaths ?? []).map((source) => {
      const parsed = parseFieldPath(source);
      if (parsed === null) throw new InterlockError('CONFIG_INVALID', `redaction field path "${source}" has an empty segment`);
      return parsed;
    });
    this.#redactCredentialFields = options.redactCredentialFields ?? true;
    const maxDepth = options.maxDepth ?? REDACTION_DEFAULT_MAX_DEPTH;
    if (!Number.isInteger(maxDepth) || maxDepth < 1)
      throw new InterlockError('CONFIG_INVALID', 'redaction max depth must be a positive integer');
    this.#maxDepth = maxDepth;
  }

  /** A redacted deep copy of `value`, and the list of what was redacted where. */
  redact(value: unknown): RedactionResult {
    const redactions = new RedactionList();
    const copy = this.#walk(value, [], 0, redactions);
    return { value: copy, redactions: redactions.items };
  }

  /** The text with secret values and credential shapes replaced, for log lines and error messages. */
  redactText(text: string): string {
    return this.#redactString(text, []).text;
  }

  #walk(value: unknown, path: PathSegment[], depth: number, redactions: RedactionList): unknown {
    if (typeof value === 'string') {
      const hits: StringHit[] = [];
      const { text } = this.#redactString(value, hits);
      for (const hit of hits) redactions.add(path, hit.reason, hit.detail);
      return text;
    }
    if (value === null || typeof value !== 'object') return value;
    if (depth >= this.#maxDepth) {
      redactions.add(path, 'configured_field', 'max_depth');
      return TRUNCATED;
    }
    const toJson = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJson === 'function') return this.#walk(toJson.call(value) as unknown, path, depth + 1, redactions);
    // `path` is one stack pushed and popped along the walk (redactions format it on the spot),
    // so no path array is copied per node.
    if (Array.isArray(value)) {
      return value.map((item: unknown, index) => {
        path.push(index);
        const output = this.#child(item, path, depth, redactions);
        path.pop();
        return output;
      });
    }
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      const outputKey = this.#redactKey(key, copy, path, redactions);
      path.push(outputKey);
      let output: unknown;
      if (
        this.#redactCredentialFields &&
        typeof item === 'string' &&
        item !== REDACTED &&
        item.length > 0 &&
        CREDENTIAL_FIELD_NAME.test(key) &&
        !this.#matchesFieldPath(path)
      ) {
        redactions.add(path, 'secret_pattern', 'credential_field_name');
        output = REDACTED;
      } else {
        output = this.#child(item, path, depth, redactions);
      }
      path.pop();
      // defineProperty, not assignment: a hostile key such as "__proto__" must stay plain data.
      Object.defineProperty(copy, outputKey, { value: output, enumerable: true, writable: true, configurable: true });
    }
    return copy;
  }

  #child(item: unknown, childPath: PathSegment[], depth: number, redactions: RedactionList): unknown {
    const configured = this.#matchingFieldPath(childPath);
    if (configured !== null) {
      redactions.add(childPath, 'configured_field', configured.source);
      return REDACTED;
    }
    return this.#walk(item, childPath, depth + 1, redactions);
  }

  #matchingFieldPath(path: readonly PathSegment[]): FieldPath | null {
    for (const fieldPath of this.#fieldPaths) {
      if (fieldPathMatches(fieldPath, path)) return fieldPath;
    }
    return null;
  }

  #matchesFieldPath(path: readonly PathSegment[]): boolean {
    return this.#matchingFieldPath(path) !== null;
  }

  /** Object keys can carry secrets too (a token used as a map key); they are scrubbed like values. */
  #redactKey(key: string, copy: Record<string, unknown>, path: readonly PathSegment[], redactions: RedactionList): string {
    const hits: StringHit[] = [];
    const { text } = this.#redactString(key, hits);
    if (hits.length === 0) return key;
    let outputKey = text;
    for (let suffix = 2; Object.prototype.hasOwnProperty.call(copy, outputKey); suffix += 1) outputKey = `${text}#${suffix}`;
    for (const hit of hits) redactions.add([...path, outputKey], hit.reason, `${hit.detail} (in key)`);
    return outputKey;
  }

  #redactString(text: string, hits: StringHit[]): { text: string } {
    // Nothing shorter than the shortest known secret or credential shape can hold one.
    if (text.length < KNOWN_SECRET_MIN_LENGTH) return { text };
    let output = text;
    const known = this.#knownSecretsMatcher();
    if (known !== null) {
      let found = false;
      output = output.replace(known, () => {
        found = true;
        return REDACTED;
      });
      if (found) hits.push({ reason: 'secret_value', detail: 'known_secret_value' });
    }
    if (this.#prefilter === null || !this.#prefilter.test(output)) return { text: output };
    for (const compiled of this.#patterns) {
      let found = false;
      output = output.replace(compiled.global, (...args: unknown[]) => {
        const replaced = replaceMatch(compiled, args);
        if (replaced !== args[0]) found = true;
        return replaced;
      });
      if (found) hits.push({ reason: 'secret_pattern', detail: compiled.id });
    }
    return { text: output };
  }

  /** One alternation of every known value (and its URL- and JSON-escaped forms), longest first. */
  #knownSecretsMatcher(): RegExp | null {
    if (this.#knownSecrets.size !== this.#knownSecretsSize) {
      this.#knownSecretsSize = this.#knownSecrets.size;
      const variants = new Set<string>();
      for (const secret of this.#knownSecrets) {
        if (secret.length < KNOWN_SECRET_MIN_LENGTH) continue;
        variants.add(secret);
        variants.add(encodeURIComponent(secret));
        variants.add(JSON.stringify(secret).slice(1, -1));
      }
      const ordered = [...variants].sort((left, right) => right.length - left.length).map(escapeRegExp);
      this.#knownSecretsPattern = ordered.length === 0 ? null : new RegExp(ordered.join('|'), 'g');
    }
    return this.#knownSecretsPattern;
  }
}

/** Replacement for one match: the whole match, or only its last capture group (keeping a key name or a user). */
function replaceMatch(compiled: CompiledPattern, args: readonly unknown[]): string {
  const match = args[0] as string;
  if (compiled.replace === 'whole') return REDACTED;
  // args: match, group 1..n, offset, input (no named groups in these patterns).
  const groups = args.slice(1, -2) as Array<string | undefined>;
  const secret = groups[groups.length - 1];
  if (secret === undefined || !match.endsWith(secret)) return REDACTED;
  const kept = match.slice(0, match.length - secret.length);
  const quote = secret[0] === '"' || secret[0] === "'" ? secret[0] : '';
  if (secret === REDACTED || (quote !== '' && secret === `${quote}${REDACTED}${quote}`)) return match;
  return `${kept}${quote}${REDACTED}${quote}`;
}

function withGlobal(flags: string): string {
  return flags.includes('g') ? flags : `${flags}g`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Redactions in first-seen order, each (path, reason, detail) once. */
class RedactionList {
  readonly items: Redaction[] = [];
  readonly #seen = new Set<string>();

  add(path: readonly PathSegment[], reason: Redaction['reason'], detail: string): void {
    const formatted = formatPath(path);
    const key = `${formatted}\u0000${reason}\u0000${detail}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.items.push({ path: formatted, reason, detail });
  }
}
