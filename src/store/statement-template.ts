/**
 * Statements that every governed write runs (claim and settle its idempotency key, register its
 * compensation, record what entered a session) are built and compiled by the query layer once,
 * with marker values in place of the real ones; each run only puts its own values in their slots.
 * Building and compiling a statement costs more than running it on SQLite, and the SQLite store
 * then finds its prepared statement under the same text.
 */
import type { Compilable, CompiledQuery } from 'kysely';
import { InterlockError } from '../errors/interlock-error.js';

/**
 * Names every value a statement takes. A `Record` of the values' type, so the compiler refuses a
 * list that forgets one (a forgotten value would be left out of the statement, not bound).
 */
export type TemplateFields<Values> = { readonly [Name in keyof Values]-?: true };

/** Returns the statement bound to `values`, built and compiled only on the first call. */
export type BoundStatement<Values, Row> = (values: Values) => Compilable<Row>;

export function statementTemplate<Values extends object, Row>(
  fields: TemplateFields<Values>,
  build: (values: Values) => Compilable<Row>,
): BoundStatement<Values, Row> {
  let compiled: { query: CompiledQuery<Row>; slots: ReadonlyArray<keyof Values | null> } | null = null;
  return (values) => {
    compiled ??= compileWithMarkers(fields, build);
    const { query, slots } = compiled;
    const parameters = slots.map((slot, index) => (slot === null ? query.parameters[index] : values[slot]));
    const bound: CompiledQuery<Row> = { ...query, parameters };
    return { compile: () => bound };
  };
}

function compileWithMarkers<Values extends object, Row>(
  fields: TemplateFields<Values>,
  build: (values: Values) => Compilable<Row>,
): { query: CompiledQuery<Row>; slots: ReadonlyArray<keyof Values | null> } {
  const names = Object.keys(fields) as Array<keyof Values & string>;
  // A NUL byte never occurs in a constant of the query layer, so a marker cannot be mistaken for one.
  const markers = new Map<unknown, keyof Values>(names.map((name) => [`\u0000${name}`, name]));
  const query = build(Object.fromEntries([...markers].map(([marker, name]) => [name, marker])) as Values).compile();
  const slots = query.parameters.map((parameter) => markers.get(parameter) ?? null);
  const missing = names.filter((name) => !slots.includes(name));
  if (missing.length > 0) {
    throw new InterlockError('INTERNAL', 'A statement template does not bind every value it is given.', { missing: missing.join(', ') });
  }
  return { query, slots };
}
