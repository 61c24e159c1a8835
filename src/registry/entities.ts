import type { OperationContract } from './contract.js';

/** The distinct entities a call touches, as `type:id`, extracted by the operation's selectors. */
export function extractEntities(contract: OperationContract, args: Readonly<Record<string, unknown>>): string[] {
  const found = new Set<string>();
  for (const selector of contract.entities) {
    collect(args, selector.segments, 0, (value) => found.add(`${selector.type}:${value}`));
  }
  return [...found];
}

function collect(value: unknown, segments: readonly string[], index: number, emit: (value: string) => void): void {
  if (index === segments.length) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') emit(String(value));
    return;
  }
  const segment = segments[index];
  if (segment === '*') {
    if (Array.isArray(value)) for (const item of value) collect(item, segments, index + 1, emit);
    return;
  }
  if (
    segment !== undefined &&
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.prototype.hasOwnProperty.call(value, segment)
  ) {
    collect((value as Record<string, unknown>)[segment], segments, index + 1, emit);
  }
}
