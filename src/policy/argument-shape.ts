import type { Type } from './cedar-runtime.js';

/**
 * The part of an operation's JSON Schema that policy can see, as a Cedar type. Built once per
 * operation when a bundle is compiled; used both to write the Cedar schema and to convert each
 * call's arguments into Cedar values.
 */
export type ArgumentShape =
  | { readonly kind: 'string' }
  | { readonly kind: 'long' }
  | { readonly kind: 'decimal' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'set'; readonly element: ArgumentShape }
  | { readonly kind: 'record'; readonly attributes: ReadonlyMap<string, RecordAttribute> };

export interface RecordAttribute {
  readonly shape: ArgumentShape;
  readonly required: boolean;
}

export interface ArgumentsShape {
  readonly shape: Extract<ArgumentShape, { kind: 'record' }>;
  /** Dotted paths of properties left out because Cedar cannot type them (policy naming them fails validation). */
  readonly omitted: readonly string[];
}

/**
 * Maps an operation's arguments schema to the record policy sees. Properties Cedar cannot type
 * (free-form objects, unions, `$ref`, mixed enums, tuples, `__proto__`) are left out, so a policy
 * naming them is refused at load rather than failing at run time.
 */
export function argumentsShape(schema: Readonly<Record<string, unknown>>): ArgumentsShape {
  const omitted: string[] = [];
  const shape = recordShape(schema, '', omitted) ?? { kind: 'record' as const, attributes: new Map<string, RecordAttribute>() };
  return { shape, omitted };
}

function recordShape(
  schema: Readonly<Record<string, unknown>>,
  path: string,
  omitted: string[],
): Extract<ArgumentShape, { kind: 'record' }> | null {
  const properties = schema['properties'];
  if (!isPlainObject(properties)) return null;
  const required = new Set(
    Array.isArray(schema['required']) ? schema['required'].filter((name): name is string => typeof name === 'string') : [],
  );
  const attributes = new Map<string, RecordAttribute>();
  for (const name of Object.keys(properties).sort()) {
    const childPath = path === '' ? name : `${path}.${name}`;
    const child = properties[name];
    const typed = name === '__proto__' || !isPlainObject(child) ? null : propertyShape(child, childPath, omitted);
    if (typed === null) {
      omitted.push(childPath);
      continue;
    }
    attributes.set(name, { shape: typed.shape, required: required.has(name) && !typed.nullable });
  }
  return { kind: 'record', attributes };
}

function propertyShape(
  schema: Readonly<Record<string, unknown>>,
  path: string,
  omitted: string[],
): { shape: ArgumentShape; nullable: boolean } | null {
  const declared = schema['type'];
  let typeName: string | undefined;
  let nullable = false;
  if (typeof declared === 'string') {
    typeName = declared;
  } else if (Array.isArray(declared)) {
    // `["string", "null"]` is typed as an optional string: a null value is withheld from policy.
    const nonNull = declared.filter((entry) => entry !== 'null');
    if (nonNull.length !== 1 || typeof nonNull[0] !== 'string') return null;
    typeName = nonNull[0];
    nullable = nonNull.length !== declared.length;
  } else {
    const shape = literalShape(schema);
    return shape === null ? null : { shape, nullable };
  }
  const shape = namedTypeShape(typeName, schema, path, omitted);
  return shape === null ? null : { shape, nullable };
}

function namedTypeShape(
  typeName: string,
  schema: Readonly<Record<string, unknown>>,
  path: string,
  omitted: string[],
): ArgumentShape | null {
  switch (typeName) {
    case 'string':
      return { kind: 'string' };
    case 'integer':
      return { kind: 'long' };
    case 'number':
      // Cedar has no floating point: non-integer numbers are `decimal` (4 fractional digits).
      return { kind: 'decimal' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'array': {
      const items = schema['items'];
      if (!isPlainObject(items)) return null;
      const element = propertyShape(items, `${path}[*]`, omitted);
      return element === null || element.nullable ? null : { kind: 'set', element: element.shape };
    }
    case 'object':
      return recordShape(schema, path, omitted);
    default:
      return null;
  }
}

/** A schema without `type` is typed only when its `enum`/`const` values are all strings or all integers. */
function literalShape(schema: Readonly<Record<string, unknown>>): ArgumentShape | null {
  const values = Array.isArray(schema['enum']) ? schema['enum'] : 'const' in schema ? [schema['const']] : null;
  if (values === null || values.length === 0) return null;
  if (values.every((value) => typeof value === 'string')) return { kind: 'string' };
  if (values.every((value) => typeof value === 'number' && Number.isSafeInteger(value))) return { kind: 'long' };
  return null;
}

/** The Cedar schema type for a shape. */
export function cedarType(shape: ArgumentShape): Type<string> {
  switch (shape.kind) {
    case 'string':
      return { type: 'String' };
    case 'long':
      return { type: 'Long' };
    case 'decimal':
      return { type: 'Extension', name: 'decimal' };
    case 'boolean':
      return { type: 'Boolean' };
    case 'set':
      return { type: 'Set', element: cedarType(shape.element) };
    case 'record': {
      const attributes: Record<string, Type<string> & { required?: boolean }> = {};
      for (const [name, attribute] of shape.attributes) {
        attributes[name] = attribute.required ? cedarType(attribute.shape) : { ...cedarType(attribute.shape), required: false };
      }
      return { type: 'Record', attributes };
    }
  }
}

function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
