import { InterlockError } from '../errors/interlock-error.js';

/**
 * The arguments the kernel governs, as plain JSON, deep-frozen. Audit, validation, policy and
 * execution all see this one copy, so a caller cannot change an argument between the decision
 * and the execution (an in-process caller still holds its original object).
 */
export function snapshotArguments(args: unknown): Readonly<Record<string, unknown>> {
  let copy: unknown;
  try {
    copy = JSON.parse(JSON.stringify(args)) as unknown;
  } catch {
    throw new InterlockError('REQUEST_INVALID', 'arguments must be plain JSON data (no cycles, functions or big integers)');
  }
  if (copy === null || typeof copy !== 'object' || Array.isArray(copy)) {
    throw new InterlockError('ARGUMENTS_INVALID', 'arguments must be a JSON object');
  }
  return deepFreeze(copy as Record<string, unknown>);
}

function deepFreeze<Value>(value: Value): Value {
  if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}
