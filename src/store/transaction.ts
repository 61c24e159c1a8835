/**
 * Transactions written once for both engines. A body is a generator that yields each statement it
 * needs and receives that statement's result, so the same logic can be driven synchronously by the
 * SQLite store (a write transaction there must never yield to the event loop while it holds the
 * file lock) and asynchronously by the PostgreSQL store inside a pooled transaction.
 */
import type { Compilable } from 'kysely';

/** One statement a transaction body asks its engine to run. */
export type TransactionStep =
  { readonly kind: 'rows'; readonly query: Compilable<unknown> } | { readonly kind: 'change'; readonly query: Compilable };

export type TransactionBody<Result> = Generator<TransactionStep, Result, unknown>;

/** Runs a statement in the body's transaction and returns its rows: `const found = yield* rows(query)`. */
export function* rows<Row>(query: Compilable<Row>): Generator<TransactionStep, Row[], unknown> {
  return (yield { kind: 'rows', query }) as Row[];
}

/** Runs a statement in the body's transaction and returns how many rows it changed. */
export function* change(query: Compilable): Generator<TransactionStep, number, unknown> {
  return (yield { kind: 'change', query }) as number;
}

/** Drives a body to its end, running each step synchronously. */
export function driveSync<Result>(body: TransactionBody<Result>, run: (step: TransactionStep) => unknown): Result {
  let next = body.next();
  while (next.done !== true) next = body.next(run(next.value));
  return next.value;
}

/** Drives a body to its end, awaiting each step. */
export async function driveAsync<Result>(body: TransactionBody<Result>, run: (step: TransactionStep) => Promise<unknown>): Promise<Result> {
  let next = body.next();
  while (next.done !== true) next = body.next(await run(next.value));
  return next.value;
}
