import { isDeepStrictEqual } from 'node:util';
import { elementPath, memberPath } from './json-path.js';
import type { ToolDefinition } from './tool-definition.js';
import { HIDDEN_CHARACTER, showHiddenCharactersShortened } from './visible-text.js';

/**
 * What changed between two definitions of a tool, as lines an operator reviews before approving
 * the new one. Pinned fields come first (name, description, input schema), then the fields that
 * are recorded but not pinned (title, output schema, annotations). Hidden characters are shown as
 * `\u{...}`, so a change that only adds invisible text is still visible.
 */

export const MAX_CHANGE_LINES = 200;
/** A line longer than this is shortened; long texts are split into units well below it first. */
export const MAX_CHANGE_LINE_LENGTH = 400;
/** Strings this long (or with line breaks) are shown as a text diff rather than `old → new`. */
const LONG_STRING = 60;
/** Values whose JSON is at most this long are shown on one line; larger objects are listed member by member. */
const INLINE_VALUE = 100;
/** Text units (lines, then sentences) longer than this are split at a space near it. */
const MAX_UNIT_LENGTH = 160;
/** Above this many cells the text diff falls back to "all removed, all added" after trimming what is shared. */
const MAX_DIFF_CELLS = 1_000_000;

export function describeChanges(before: ToolDefinition, after: ToolDefinition): string[] {
  const lines: string[] = [];
  if (before.name !== after.name) lines.push(`name: ${render(before.name)} → ${render(after.name)}`);
  const beforeDescription = before.description ?? '';
  const afterDescription = after.description ?? '';
  if (beforeDescription !== afterDescription) {
    lines.push('description changed:', ...textDiff(beforeDescription, afterDescription));
  }
  diffValue(before.inputSchema, after.inputSchema, 'inputSchema', lines);
  diffValue(before.title, after.title, 'title', lines);
  diffValue(before.outputSchema, after.outputSchema, 'outputSchema', lines);
  diffValue(before.annotations, after.annotations, 'annotations', lines);
  return capLines(lines.map((line) => showHiddenCharactersShortened(line, MAX_CHANGE_LINE_LENGTH)));
}

function capLines(lines: string[]): string[] {
  if (lines.length <= MAX_CHANGE_LINES) return lines;
  const kept = lines.slice(0, MAX_CHANGE_LINES - 1);
  return [...kept, `… ${lines.length - kept.length} more lines not shown`];
}

function render(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '(a value that is not JSON)';
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isLongText(value: unknown): value is string {
  return typeof value === 'string' && (value.length > LONG_STRING || value.includes('\n'));
}

/** Appends the differences between two JSON values at `path`; `undefined` means absent. */
function diffValue(before: unknown, after: unknown, path: string, lines: string[]): void {
  if (isDeepStrictEqual(before, after)) return;
  if (before === undefined) return describePresence(after, path, 'added', lines);
  if (after === undefined) return describePresence(before, path, 'removed', lines);
  if (isPlainObject(before) && isPlainObject(after)) {
    const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const name of names) {
      diffValue(ownMember(before, name), ownMember(after, name), memberPath(path, name), lines);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) return diffArrays(before, after, path, lines);
  if (typeof before === 'string' && typeof after === 'string' && (isLongText(before) || isLongText(after))) {
    lines.push(`${path} changed:`, ...textDiff(before, after));
    return;
  }
  lines.push(`${path}: ${render(before)} → ${render(after)}`);
}

function ownMember(record: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

function describePresence(value: unknown, path: string, change: 'added' | 'removed', lines: string[]): void {
  if (isLongText(value)) {
    lines.push(`${path} ${change}:`, ...(change === 'added' ? textDiff('', value) : textDiff(value, '')));
    return;
  }
  const rendered = render(value);
  if (isPlainObject(value) && rendered.length > INLINE_VALUE && Object.keys(value).length > 0) {
    for (const name of Object.keys(value).sort()) describePresence(value[name], memberPath(path, name), change, lines);
    return;
  }
  lines.push(`${path}: ${change} ${rendered}`);
}

function isPrimitive(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function');
}

function diffArrays(before: readonly unknown[], after: readonly unknown[], path: string, lines: string[]): void {
  if (before.every(isPrimitive) && after.every(isPrimitive)) {
    // `required`, `enum` and `type` lists read as sets: say which members came and went.
    const removed = multisetMinus(before, after);
    const added = multisetMinus(after, before);
    for (const value of removed) lines.push(`${path}: removed ${render(value)}`);
    for (const value of added) lines.push(`${path}: added ${render(value)}`);
    if (removed.length === 0 && added.length === 0) lines.push(`${path}: order changed: ${render(before)} → ${render(after)}`);
    return;
  }
  const shared = Math.min(before.length, after.length);
  for (let index = 0; index < shared; index += 1) diffValue(before[index], after[index], elementPath(path, index), lines);
  for (let index = shared; index < before.length; index += 1) describePresence(before[index], elementPath(path, index), 'removed', lines);
  for (let index = shared; index < after.length; index += 1) describePresence(after[index], elementPath(path, index), 'added', lines);
}

/** Members of `from` (in order) left after taking away one of each member of `take`. */
function multisetMinus(from: readonly unknown[], take: readonly unknown[]): unknown[] {
  const counts = new Map<string, number>();
  for (const value of take) counts.set(render(value), (counts.get(render(value)) ?? 0) + 1);
  const left: unknown[] = [];
  for (const value of from) {
    const key = render(value);
    const count = counts.get(key) ?? 0;
    if (count > 0) counts.set(key, count - 1);
    else left.push(value);
  }
  return left;
}

// Hidden characters right after the full stop stay with their sentence, so slipping them in changes one unit only.
const SENTENCE_BREAK = new RegExp(`(?<=[.!?:](?:${HIDDEN_CHARACTER.source})*)\\s+`, 'u');

/** Splits text into units an operator can compare: lines, then sentences, then pieces of at most MAX_UNIT_LENGTH. */
export function textUnits(text: string): string[] {
  if (text === '') return [];
  const units: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trimEnd();
    if (trimmed === '') {
      units.push('');
      continue;
    }
    for (const sentence of trimmed.split(SENTENCE_BREAK)) units.push(...splitLongUnit(sentence));
  }
  return units;
}

function splitLongUnit(unit: string): string[] {
  const pieces: string[] = [];
  let rest = unit;
  while (rest.length > MAX_UNIT_LENGTH) {
    const space = rest.lastIndexOf(' ', MAX_UNIT_LENGTH);
    const cut = space > MAX_UNIT_LENGTH / 2 ? space : MAX_UNIT_LENGTH;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut).trimStart();
  }
  if (rest !== '') pieces.push(rest);
  return pieces;
}

/** A compact diff of two texts: `  - unit` for removed units and `  + unit` for added ones, no context. */
export function textDiff(before: string, after: string): string[] {
  const a = textUnits(before);
  const b = textUnits(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start += 1;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA -= 1;
    endB -= 1;
  }
  const removedSide = a.slice(start, endA);
  const addedSide = b.slice(start, endB);
  const operations =
    removedSide.length * addedSide.length > MAX_DIFF_CELLS
      ? [...removedSide.map((unit) => `  - ${unit}`), ...addedSide.map((unit) => `  + ${unit}`)]
      : longestCommonSubsequenceDiff(removedSide, addedSide);
  const lines = operations.map((line) => line.trimEnd());
  // Units drop trailing spaces and line-break styles, so a change in those alone would otherwise show nothing.
  return lines.length === 0 && before !== after ? ['  (only spaces or line breaks changed)'] : lines;
}

function longestCommonSubsequenceDiff(a: readonly string[], b: readonly string[]): string[] {
  const width = b.length + 1;
  // lengths[i * width + j] is the length of the longest common subsequence of a[i..] and b[j..].
  const lengths = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      lengths[i * width + j] =
        a[i] === b[j]
          ? (lengths[(i + 1) * width + j + 1] ?? 0) + 1
          : Math.max(lengths[(i + 1) * width + j] ?? 0, lengths[i * width + j + 1] ?? 0);
    }
  }
  const lines: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i += 1;
      j += 1;
    } else if (j >= b.length || (i < a.length && (lengths[(i + 1) * width + j] ?? 0) >= (lengths[i * width + j + 1] ?? 0))) {
      lines.push(`  - ${a[i] ?? ''}`);
      i += 1;
    } else {
      lines.push(`  + ${b[j] ?? ''}`);
      j += 1;
    }
  }
  return lines;
}
