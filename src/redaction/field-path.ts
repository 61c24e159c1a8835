/**
 * Configured field paths: dotted segments where `*` matches exactly one segment (an object key or
 * an array index), e.g. `arguments.card_number` or `result.*.email`. Paths are relative to the
 * value handed to the redactor (for audit events: the event's `data`).
 */
export interface FieldPath {
  readonly source: string;
  readonly segments: readonly string[];
}

export const FIELD_PATH_WILDCARD = '*';

/** Splits a configured path; empty segments (`a..b`, leading or trailing dots) are rejected. */
export function parseFieldPath(source: string): FieldPath | null {
  const segments = source.split('.');
  if (segments.some((segment) => segment.length === 0)) return null;
  return { source, segments };
}

/** Whether `path` (keys and array indices from the root) is exactly matched by the pattern. */
export function fieldPathMatches(pattern: FieldPath, path: readonly (string | number)[]): boolean {
  if (pattern.segments.length !== path.length) return false;
  for (let index = 0; index < path.length; index += 1) {
    const expected = pattern.segments[index];
    if (expected === FIELD_PATH_WILDCARD) continue;
    if (expected !== String(path[index])) return false;
  }
  return true;
}

/** Dotted form of a concrete path, as recorded in a Redaction (`arguments.items.0.card`). */
export function formatPath(path: readonly (string | number)[]): string {
  return path.length === 0 ? '$' : path.map(String).join('.');
}
