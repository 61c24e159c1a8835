import type { ArgumentSource } from '../config/schema.js';

/** Another operation of the same tool with arguments taken from an original call (compensation, status check). */
export interface DerivedCall {
  readonly operation: string;
  readonly arguments: Readonly<Record<string, ArgumentSource>>;
}

/** What derived arguments may be taken from. */
export interface CallFacts {
  readonly arguments: Readonly<Record<string, unknown>>;
  readonly result: unknown;
  readonly idempotencyKey: string | null;
}

export type DerivedArguments =
  { readonly ok: true; readonly value: Record<string, unknown> } | { readonly ok: false; readonly missing: string };

/**
 * Builds the arguments of a derived call. A path that leads nowhere (the result has no refund id)
 * makes the whole derivation fail, naming the path: a compensation is never run with a hole in it.
 */
export function deriveArguments(call: DerivedCall, facts: CallFacts): DerivedArguments {
  const value: Record<string, unknown> = {};
  for (const [name, source] of Object.entries(call.arguments)) {
    const resolved = resolveSource(source, facts);
    if (resolved === undefined) return { ok: false, missing: typeof source === 'string' ? source : name };
    value[name] = resolved;
  }
  return { ok: true, value };
}

function resolveSource(source: ArgumentSource, facts: CallFacts): unknown {
  if (typeof source !== 'string') return source.value;
  if (source === 'idempotencyKey') return facts.idempotencyKey ?? undefined;
  const [root, ...path] = source.split('.');
  let current: unknown = root === 'arguments' ? facts.arguments : facts.result;
  for (const segment of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current) || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current === null ? undefined : current;
}
