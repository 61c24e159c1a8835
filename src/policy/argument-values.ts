import type { CedarValueJson } from './cedar-runtime.js';
import type { ArgumentShape } from './argument-shape.js';

/** Cedar's decimal range: 64-bit fixed point with 4 fractional digits. */
const DECIMAL_LIMIT = 922337203685477;

/** A present argument that Cedar cannot represent exactly; the decision fails closed (deny). */
export class UnrepresentableArgumentError extends Error {
  constructor(readonly argument: string) {
    super(`argument "${argument}" cannot be represented exactly for policy evaluation (out of range or too precise)`);
    this.name = 'UnrepresentableArgumentError';
  }
}

/**
 * Converts a call's arguments into the Cedar record its operation declares. Only properties named
 * by the shape are read, and only as own properties. A present value that does not fit its
 * declared type, or that Cedar cannot represent exactly (an integer beyond 2^53, 0.00001 as a
 * decimal), throws: silently leaving it out would make `has` guards read it as absent and skip
 * the forbids they protect.
 */
export function argumentsToCedar(shape: Extract<ArgumentShape, { kind: 'record' }>, value: unknown): Record<string, CedarValueJson> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UnrepresentableArgumentError('(arguments)');
  return recordValue(shape, value, '') ?? {};
}

function toCedar(shape: ArgumentShape, value: unknown, path: string): CedarValueJson | undefined {
  switch (shape.kind) {
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'long':
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
    case 'decimal':
      return decimalValue(value);
    case 'set': {
      if (!Array.isArray(value)) return undefined;
      // Filled by index rather than push; see the note in evaluate-side.ts.
      const elements = new Array<CedarValueJson>(value.length);
      for (let index = 0; index < value.length; index += 1) {
        const converted = toCedar(shape.element, value[index], `${path}[${index}]`);
        if (converted === undefined) return undefined;
        elements[index] = converted;
      }
      return elements;
    }
    case 'record':
      return recordValue(shape, value, path);
  }
}

function recordValue(
  shape: Extract<ArgumentShape, { kind: 'record' }>,
  value: unknown,
  path: string,
): Record<string, CedarValueJson> | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record: Record<string, CedarValueJson> = {};
  for (const [name, attribute] of shape.attributes) {
    if (!Object.prototype.hasOwnProperty.call(value, name)) continue;
    const attributePath = path === '' ? name : `${path}.${name}`;
    const raw = (value as Record<string, unknown>)[name];
    // null in an optional (nullable) attribute means "no value": policy sees it as absent.
    if (raw === null && !attribute.required) continue;
    const converted = toCedar(attribute.shape, raw, attributePath);
    if (converted === undefined) throw new UnrepresentableArgumentError(attributePath);
    record[name] = converted;
  }
  return record;
}

/** A JSON number as a Cedar decimal, only when the conversion is exact. */
export function decimalValue(value: unknown): CedarValueJson | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > DECIMAL_LIMIT) return undefined;
  const text = value.toFixed(4);
  if (Number(text) !== value) return undefined;
  return { __extn: { fn: 'decimal', arg: text } };
}
