import type { EntityUidJson, PolicyJson } from './cedar-runtime.js';
import { preparsePolicySet } from './cedar-runtime.js';
import type { Effect } from '../config/schema.js';
import type { GeneratedSchema } from './cedar-schema.js';
import { ACTION_TYPE, EFFECT_GROUPS, TOOL_TYPE } from './cedar-names.js';
import type { CompiledPolicy, OperationSlice } from './compiled-bundle.js';

/** Preparsed set ids are process-wide in Cedar; a sequence keeps every bundle's ids distinct. */
let bundleSequence = 0;

/**
 * Whether a policy's action scope can match an operation: unconstrained, `== Action::"op"`,
 * or `in` a list or group that holds the operation or its effect group. Conditions are left to
 * Cedar; this only decides which policies are worth handing it.
 */
export function scopeMatches(policy: PolicyJson, qualifiedName: string, effect: Effect): boolean {
  const scope = policy.action;
  switch (scope.op) {
    case 'All':
      return true;
    case '==':
      return 'entity' in scope && isAction(scope.entity, qualifiedName);
    case 'in': {
      const entities = 'entities' in scope ? scope.entities : [scope.entity];
      return entities.some((entity) => isAction(entity, qualifiedName) || isAction(entity, effect));
    }
  }
}

export type SliceBuildResult = { ok: true; slices: Map<string, OperationSlice> } | { ok: false; operation: string; message: string };

/** Preparses one Cedar policy set per operation, holding only the policies whose scope can match it. */
export function buildSlices(schema: GeneratedSchema, policies: readonly CompiledPolicy[]): SliceBuildResult {
  bundleSequence += 1;
  const prefix = `interlock-bundle-${bundleSequence}`;
  const slices = new Map<string, OperationSlice>();
  for (const [qualifiedName, { contract, arguments: shape }] of schema.operations) {
    const matching = policies.filter((policy) => scopeMatches(policy.json, qualifiedName, contract.effect));
    let policySetId: string | null = null;
    if (matching.length > 0) {
      policySetId = `${prefix}/${qualifiedName}`;
      const staticPolicies: Record<string, string> = {};
      for (const policy of matching) staticPolicies[policy.id] = policy.text;
      const answer = preparsePolicySet(policySetId, { staticPolicies });
      if (answer.type !== 'success') {
        releaseSlices(slices);
        return { ok: false, operation: qualifiedName, message: answer.errors.map((error) => error.message).join('; ') };
      }
    }
    const action: EntityUidJson = { type: ACTION_TYPE, id: qualifiedName };
    const toolUid: EntityUidJson = { type: TOOL_TYPE, id: contract.tool };
    const namesGroup = matching.some((policy) => mentionsEffectGroup(policy.json));
    slices.set(qualifiedName, {
      tool: contract.tool,
      operation: contract.operation,
      qualifiedName,
      effect: contract.effect,
      policySetId,
      policyIds: matching.map((policy) => policy.id),
      arguments: shape.shape,
      action,
      toolUid,
      toolEntity: { uid: toolUid, attrs: { name: contract.tool }, parents: [] },
      actionEntity: namesGroup ? { uid: action, attrs: {}, parents: [{ type: ACTION_TYPE, id: contract.effect }] } : null,
    });
  }
  return { ok: true, slices };
}

/** Frees the Cedar memory of preparsed sets by overwriting each with an empty set (Cedar offers no delete). */
export function releaseSlices(slices: ReadonlyMap<string, OperationSlice>): void {
  for (const slice of slices.values()) {
    if (slice.policySetId !== null) preparsePolicySet(slice.policySetId, { staticPolicies: {} });
  }
}

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

function mentionsEffectGroup(policy: PolicyJson): boolean {
  return entityReferences(policy).some((reference) => reference.type === ACTION_TYPE && (EFFECT_GROUPS as readonly string[]).includes(reference.id));
}

function isAction(entity: EntityUidJson, id: string): boolean {
  const uid = '__entity' in entity ? entity.__entity : entity;
  return uid.type === ACTION_TYPE && uid.id === id;
}
