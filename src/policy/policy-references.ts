import type { PolicyJson } from './cedar-runtime.js';
import { TOOL_TYPE } from './cedar-names.js';

/** Every entity literal a policy names, from its scope and its conditions. */
export function entityReferences(value: unknown, found: Array<{ type: string; id: string }> = []): Array<{ type: string; id: string }> {
  if (Array.isArray(value)) {
    for (const item of value) entityReferences(item, found);
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record['type'] === 'string' && typeof record['id'] === 'string') {
      found.push({ type: record['type'], id: record['id'] });
      return found;
    }
    for (const key of Object.keys(record)) entityReferences(record[key], found);
  }
  return found;
}

/** Tool ids a policy names that the registry does not hold (Cedar validates entity types, not ids). */
export function unknownTools(policy: PolicyJson, tools: ReadonlySet<string>): string[] {
  const unknown = entityReferences(policy)
    .filter((reference) => reference.type === TOOL_TYPE && !tools.has(reference.id))
    .map((reference) => reference.id);
  return [...new Set(unknown)];
}
