import { InterlockError } from '../errors/interlock-error.js';

/**
 * RFC 8785 JSON Canonicalization Scheme (JCS). The output is the one text every implementation
 * produces for the same JSON data, so it can be hashed and signed: object members sorted by the
 * UTF-16 code units of their names, numbers in ECMAScript shortest round-trip form, strings escaped
 * as ECMAScript's JSON.stringify escapes them, and no whitespace.
 */

export type CanonicalJsonProblem =
  | 'non_finite_number'
  | 'undefined_value'
  | 'function_value'
  | 'symbol_value'
  | 'bigint_value'
  | 'cyclic_structure'
  | 'lone_surrogate'
  | 'too_deep';

/** Thrown when a value has no JSON (I-JSON) representation. The message names the path, never the value. */
export class CanonicalJsonError extends InterlockError {
  readonly problem: CanonicalJsonProblem;
  readonly path: string;

  constructor(problem: CanonicalJsonProblem, path: string) {
    super('INTERNAL', `value cannot be canonicalised as JSON: ${problem.replaceAll('_', ' ')} at ${path}`, { problem, path });
    this.name = 'CanonicalJsonError';
    this.problem = problem;
    this.path = path;
  }
}

/** Nesting deeper than this is refused rather than risking a stack overflow on hostile input. */
export const CANONICAL_JSON_MAX_DEPTH = 256;

// Unpaired UTF-16 surrogates are not valid Unicode; I-JSON (RFC 7493) forbids them.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Returns the canonical JSON text of `value`. Object members whose value is `undefined` are
 * omitted (as JSON.stringify does, and as optional properties are absent); `undefined` anywhere
 * else, functions, symbols, bigints, non-finite numbers, unpaired surrogates and cycles throw
 * CanonicalJsonError. Objects with a `toJSON` method (Date) are serialised through it.
 */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, [], 0, new Set<object>(), parts);
  return parts.join('');
}

/** Path segments are kept as a stack and joined only when an error needs them (the hot path never does). */
function formatJsonPath(segments: readonly (string | number)[]): string {
  return `$${segments.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${segment}`)).join('')}`;
}

function write(value: unknown, segments: (string | number)[], depth: number, ancestors: Set<object>, parts: string[]): void {
  switch (typeof value) {
    case 'string':
      parts.push(serialiseString(value, segments));
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError('non_finite_number', formatJsonPath(segments));
      // ECMAScript Number-to-String is the serialisation RFC 8785 prescribes; it also maps -0 to "0".
      parts.push(String(value));
      return;
    case 'boolean':
      parts.push(value ? 'true' : 'false');
      return;
    case 'undefined':
      throw new CanonicalJsonError('undefined_value', formatJsonPath(segments));
    case 'function':
      throw new CanonicalJsonError('function_value', formatJsonPath(segments));
    case 'symbol':
      throw new CanonicalJsonError('symbol_value', formatJsonPath(segments));
    case 'bigint':
      throw new CanonicalJsonError('bigint_value', formatJsonPath(segments));
    case 'object':
      break;
  }
  if (value === null) {
    parts.push('null');
    return;
  }
  const object = value as object;
  if (ancestors.has(object)) throw new CanonicalJsonError('cyclic_structure', formatJsonPath(segments));
  if (depth >= CANONICAL_JSON_MAX_DEPTH) throw new CanonicalJsonError('too_deep', formatJsonPath(segments));
  const toJson = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJson === 'function') {
    ancestors.add(object);
    write(toJson.call(object) as unknown, segments, depth + 1, ancestors, parts);
    ancestors.delete(object);
    return;
  }
  ancestors.add(object);
  if (Array.isArray(object)) {
    parts.push('[');
    for (let index = 0; index < object.length; index += 1) {
      if (index > 0) parts.push(',');
      segments.push(index);
      write(object[index] as unknown, segments, depth + 1, ancestors, parts);
      segments.pop();
    }
    parts.push(']');
  } else {
    const record = object as Record<string, unknown>;
    // Default sort compares UTF-16 code units, which is exactly the order RFC 8785 requires.
    const names = Object.keys(record).sort();
    parts.push('{');
    let first = true;
    for (const name of names) {
      const member = record[name];
      if (member === undefined) continue;
      if (!first) parts.push(',');
      first = false;
      segments.push(name);
      parts.push(serialiseString(name, segments), ':');
      write(member, segments, depth + 1, ancestors, parts);
      segments.pop();
    }
    parts.push('}');
  }
  ancestors.delete(object);
}

// Cheap first test: almost no string contains a surrogate at all.
const ANY_SURROGATE = /[\uD800-\uDFFF]/;

function serialiseString(text: string, segments: readonly (string | number)[]): string {
  if (ANY_SURROGATE.test(text) && LONE_SURROGATE.test(text)) throw new CanonicalJsonError('lone_surrogate', formatJsonPath(segments));
  // JSON.stringify's escaping (\b \t \n \f \r \" \\, other controls as \u00xx lowercase) is RFC 8785's.
  return JSON.stringify(text);
}
