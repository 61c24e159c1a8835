import { scanText } from './extract.js';
import { isDistinctive } from './distinctive.js';
import type { ExtractedValue } from './kinds.js';
import { normalizeAmount, relatedValues } from './normalize.js';

/**
 * Walks a write's arguments and extracts the values of every string and number in them, each with
 * the dotted path of the argument that holds it (`payee.account`, `to.0`). Strings are scanned like
 * content; a string or number that is nothing but a number also counts as an amount, and a long
 * integer as an identifier, since arguments carry them bare (`amount: 4870`, `account: 12345678`).
 *
 * Arguments come from the agent, so the walk is bounded: past any limit the rest is skipped and
 * the result says so, and the caller can treat an unread argument as suspect.
 */

export const MAX_ARGUMENT_DEPTH = 32;
/** Values visited (strings, numbers, objects, arrays and the rest) in one write's arguments. */
export const MAX_ARGUMENT_NODES = 10_000;
/** Characters scanned across all string arguments of one write. */
export const MAX_ARGUMENT_CHARACTERS = 1_000_000;

export interface ArgumentValue {
  /** Dotted path from the arguments' root; array elements are numbered. */
  readonly argument: string;
  readonly value: ExtractedValue;
}

export interface ArgumentValues {
  readonly values: ArgumentValue[];
  readonly truncated: boolean;
}

const BARE_NUMBER = /^[-+]?[\d.,' ]*\d[\d.,' ]*$/;
const PLAIN_NUMBER = /^-?\d+(?:\.\d+)?$/;

function bareAmount(text: string): ExtractedValue | null {
  const trimmed = text.trim();
  if (!BARE_NUMBER.test(trimmed)) return null;
  const normalized = normalizeAmount(trimmed.replace(/^\+/, ''));
  return normalized !== null && isDistinctive('amount', normalized) ? { kind: 'amount', raw: trimmed, normalized, related: [] } : null;
}

function numberValues(value: number): ExtractedValue[] {
  if (!Number.isFinite(value)) return [];
  const text = String(value);
  if (!PLAIN_NUMBER.test(text)) return [];
  const values: ExtractedValue[] = [];
  const amount = bareAmount(text);
  if (amount !== null) values.push(amount);
  const digits = text.replace(/^-/, '');
  if (Number.isInteger(value) && isDistinctive('digits', digits)) {
    const related = relatedValues('digits', digits).filter((entry) => isDistinctive(entry.matchClass, entry.normalized));
    values.push({ kind: 'account_number', raw: text, normalized: digits, related });
  }
  return values;
}

export function argumentValues(args: unknown, ignored: ReadonlySet<string> = new Set()): ArgumentValues {
  const values: ArgumentValue[] = [];
  let nodes = 0;
  let characters = 0;
  let truncated = false;

  const isIgnored = (path: string): boolean => {
    if (ignored.size === 0) return false;
    if (ignored.has(path)) return true;
    for (let dot = path.indexOf('.'); dot >= 0; dot = path.indexOf('.', dot + 1)) if (ignored.has(path.slice(0, dot))) return true;
    return false;
  };

  const visit = (value: unknown, path: string, depth: number): void => {
    if (truncated || (path !== '' && isIgnored(path))) return;
    nodes += 1;
    if (nodes > MAX_ARGUMENT_NODES) {
      truncated = true;
      return;
    }
    if (typeof value === 'string') {
      const room = MAX_ARGUMENT_CHARACTERS - characters;
      const text = value.length > room ? value.slice(0, room) : value;
      if (text.length < value.length) truncated = true;
      characters += text.length;
      const scan = scanText(text);
      truncated ||= scan.truncated;
      for (const extracted of scan.values) values.push({ argument: path, value: extracted });
      const amount = bareAmount(text);
      if (amount !== null) values.push({ argument: path, value: amount });
      return;
    }
    if (typeof value === 'number') {
      for (const extracted of numberValues(value)) values.push({ argument: path, value: extracted });
      return;
    }
    if (value === null || typeof value !== 'object') return;
    if (depth >= MAX_ARGUMENT_DEPTH) {
      truncated = true;
      return;
    }
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length && !truncated; index += 1) {
        visit(value[index], path === '' ? String(index) : `${path}.${index}`, depth + 1);
      }
      return;
    }
    for (const key of Object.keys(value)) {
      if (truncated) return;
      visit((value as Record<string, unknown>)[key], path === '' ? key : `${path}.${key}`, depth + 1);
    }
  };

  visit(args, '', 0);
  return { values, truncated };
}
