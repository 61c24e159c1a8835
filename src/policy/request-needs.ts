import type { CedarValueJson, PolicyJson } from './cedar-runtime.js';

/**
 * What of a record a set of policies can read: all of it, or only some attributes (each with its
 * own need). Cedar charges for every attribute handed to it, whether a policy reads it or not, so
 * each preparsed set is given only what its policies can observe.
 */
export type RecordNeed = { readonly whole: true } | { readonly whole: false; readonly attributes: ReadonlyMap<string, RecordNeed> };

export interface RequestNeeds {
  /** What of `context` the policies can read. */
  readonly context: RecordNeed;
  /** Attribute names read on any entity (by `.` or `has`); null when the policies may read any. */
  readonly entityAttributes: ReadonlySet<string> | null;
}

export const WHOLE: RecordNeed = { whole: true };
export const NOTHING: RecordNeed = { whole: false, attributes: new Map() };

/** Everything: what a set is given when its policies could not be read with certainty. */
export const EVERYTHING: RequestNeeds = { context: WHOLE, entityAttributes: null };

/**
 * The union of what the policies' conditions can read. A `context` path read only through `.`
 * and `has` keeps just that path; `context` used any other way (compared whole, passed through
 * `if`) keeps all of it. Entity attributes are kept by name, whatever entity they are read on.
 * An expression of a shape this reader does not know makes the answer "everything", so an
 * unfamiliar construct can cost time but never change a decision.
 */
export function requestNeeds(policies: Iterable<PolicyJson>): RequestNeeds {
  const reader = new NeedsReader();
  for (const policy of policies) {
    for (const clause of policy.conditions) reader.visit(clause.body);
    if (reader.everything) return EVERYTHING;
  }
  return { context: freeze(reader.context), entityAttributes: reader.attributeNames };
}

interface MutableNeed {
  whole: boolean;
  readonly attributes: Map<string, MutableNeed>;
}

class NeedsReader {
  readonly context: MutableNeed = { whole: false, attributes: new Map() };
  readonly attributeNames = new Set<string>();
  everything = false;

  visit(expression: unknown): void {
    if (this.everything) return;
    const node = singleKeyNode(expression);
    if (node === null) {
      this.everything = true;
      return;
    }
    const { kind, body } = node;
    switch (kind) {
      case 'Value':
      case 'Slot':
      case 'Unknown':
        return;
      case 'Var':
        if (body === 'context') this.markWhole([]);
        return;
      case '.':
      case 'has':
        this.visitAttributeAccess(body);
        return;
      case 'Record':
        if (!isRecord(body)) this.everything = true;
        else for (const key of Object.keys(body)) this.visit(body[key]);
        return;
      case 'like':
        if (!isRecord(body)) this.everything = true;
        else this.visit(body['left']);
        return;
      case 'is':
        if (!isRecord(body)) this.everything = true;
        else {
          this.visit(body['left']);
          if (Object.prototype.hasOwnProperty.call(body, 'in')) this.visit(body['in']);
        }
        return;
      case 'if-then-else':
        if (!isRecord(body)) this.everything = true;
        else for (const part of ['if', 'then', 'else']) this.visit(body[part]);
        return;
    }
    // Sets, extension functions and methods carry an array of expressions; operators carry
    // `arg` or `left`/`right`. Anything else is unknown.
    if (Array.isArray(body)) {
      for (const item of body) this.visit(item);
      return;
    }
    if (!isRecord(body)) {
      this.everything = true;
      return;
    }
    for (const key of Object.keys(body)) {
      if (key !== 'arg' && key !== 'left' && key !== 'right') {
        this.everything = true;
        return;
      }
      this.visit(body[key]);
    }
  }

  private visitAttributeAccess(body: unknown): void {
    if (!isRecord(body)) {
      this.everything = true;
      return;
    }
    const attribute = body['attr'];
    // `e has a.b` arrives as a list of attribute names.
    const names =
      typeof attribute === 'string'
        ? [attribute]
        : Array.isArray(attribute) && attribute.every((name) => typeof name === 'string')
          ? (attribute as string[])
          : null;
    const first = names?.[0];
    if (names === null || first === undefined) {
      this.everything = true;
      return;
    }
    const path = contextPath(body['left']);
    if (path !== null) {
      // The attribute's value is read (or tested for presence): keep all of it.
      this.markWhole([...path, first]);
      return;
    }
    for (const name of names) this.attributeNames.add(name);
    this.visit(body['left']);
  }

  private markWhole(path: readonly string[]): void {
    let need = this.context;
    for (const name of path) {
      if (need.whole) return;
      let child = need.attributes.get(name);
      if (child === undefined) {
        child = { whole: false, attributes: new Map() };
        need.attributes.set(name, child);
      }
      need = child;
    }
    need.whole = true;
    need.attributes.clear();
  }
}

/** `context`, `context.a`, `context.a.b`, … as a path of attribute names; null for anything else. */
function contextPath(expression: unknown): string[] | null {
  const node = singleKeyNode(expression);
  if (node === null) return null;
  if (node.kind === 'Var') return node.body === 'context' ? [] : null;
  if (node.kind !== '.' || !isRecord(node.body) || typeof node.body['attr'] !== 'string') return null;
  const parent = contextPath(node.body['left']);
  return parent === null ? null : [...parent, node.body['attr']];
}

function singleKeyNode(expression: unknown): { kind: string; body: unknown } | null {
  if (!isRecord(expression)) return null;
  const keys = Object.keys(expression);
  const kind = keys[0];
  if (keys.length !== 1 || kind === undefined) return null;
  return { kind, body: expression[kind] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function freeze(need: MutableNeed): RecordNeed {
  if (need.whole) return WHOLE;
  const attributes = new Map<string, RecordNeed>();
  for (const [name, child] of need.attributes) attributes.set(name, freeze(child));
  return { whole: false, attributes };
}

/**
 * The part of `value` that `need` keeps. Attributes absent from `value` stay absent, so `has`
 * answers as it would on the whole record. Cedar's escapes (`__extn`, `__entity`) are values,
 * not records, and are never cut.
 */
export function pruneRecord(value: Readonly<Record<string, CedarValueJson>>, need: RecordNeed): Record<string, CedarValueJson> {
  if (need.whole) return value as Record<string, CedarValueJson>;
  const pruned: Record<string, CedarValueJson> = {};
  for (const [name, child] of need.attributes) {
    if (!Object.prototype.hasOwnProperty.call(value, name)) continue;
    const attribute = value[name] as CedarValueJson;
    pruned[name] = child.whole || !isPlainRecord(attribute) ? attribute : pruneRecord(attribute, child);
  }
  return pruned;
}

function isPlainRecord(value: CedarValueJson): value is Record<string, CedarValueJson> {
  return (
    isRecord(value) && !Object.prototype.hasOwnProperty.call(value, '__extn') && !Object.prototype.hasOwnProperty.call(value, '__entity')
  );
}
