import type { CedarValueJson } from './cedar-runtime.js';
import type { ArgumentShape } from './argument-shape.js';

/** Cedar's decimal range: 64-bit fixed point with 4 fractional digits. */
const DECIMAL_LIMIT = 922337203685477;

/**
 * Converts a call's arguments into the Cedar record its operation declares. A value that does not
 * fit its declared type (or that Cedar cannot represent exactly, such as 0.00001 as a decimal) is
 * withheld rather than coerced: a policy that reads it then fails to evaluate, and evaluation
 * errors deny. Only properties named by the shape are read, and only as own properties.
 */
export function argumentsToCedar(shape: Extract<ArgumentShape, { kind: 'record' }>, value: unknown): Record<string, CedarValueJson> {
  return recordValue(shape, value) ?? {};
}

function toCedar(shape: ArgumentShape, value: unknown): CedarValueJson | undefined {
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
        const converted = toCedar(shape.element, value[index]);
        if (converted === undefined) return undefined;
        elements[index] = converted;
      }
      return elements;
    }
    case 'record':
      return recordValue(shape, value);
  }
}

function recordValue(shape: Extract<ArgumentShape, { kind: 'record' }>, value: unknown): Record<string, CedarValueJson> | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record: Record<string, CedarValueJson> = {};
  for (const [name, attribute] of shape.attributes) {
    if (!Object.prototype.hasOwnProperty.call(value, name)) continue;
    const converted = toCedar(attribute.shape, (value as Record<string, unknown>)[name]);
    if (converted !== undefined) record[name] = converted;
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
