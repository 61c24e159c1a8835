import type { EntityJson, EntityUidJson } from './cedar-runtime.js';
import { preparsePolicySet } from './cedar-runtime.js';
import { ACTION_TYPE, EFFECT_GROUPS } from './cedar-names.js';
import type { CompiledPolicy } from './compiled-bundle.js';
import { requestNeeds, type RecordNeed } from './request-needs.js';
import { entityReferences } from './policy-references.js';

/**
 * One preparsed Cedar policy set and the constant request pieces its policies can observe. Cedar
 * charges for every policy in the set and every attribute in the request, so both are trimmed to
 * what can matter for the calls this set answers.
 */
export interface EvaluationSet {
  /** Null when no policy can apply: every call is denied without asking Cedar. */
  readonly policySetId: string | null;
  readonly policyIds: readonly string[];
  /** What of the request context the policies can read. */
  readonly context: RecordNeed;
  /** Entity attribute names the policies can read; null for all of them. */
  readonly entityAttributes: ReadonlySet<string> | null;
  /** The tool entity with the attributes the policies can read; null when they read none. */
  readonly toolEntity: EntityJson | null;
  /** Present when a policy names an effect group, which Cedar resolves through this entity's parent. */
  readonly actionEntity: EntityJson | null;
}

/** The operation-wide pieces an evaluation set is built from. */
export interface SetTarget {
  readonly tool: string;
  readonly effect: string;
  readonly action: EntityUidJson;
  readonly toolUid: EntityUidJson;
}

export type EvaluationSetResult = { ok: true; set: EvaluationSet } | { ok: false; message: string };

/** Preparses `policies` under `policySetId` (an empty list needs no Cedar set at all). */
export function buildEvaluationSet(policySetId: string, policies: readonly CompiledPolicy[], target: SetTarget): EvaluationSetResult {
  const needs = requestNeeds(policies.map((policy) => policy.json));
  const readsToolName = needs.entityAttributes === null || needs.entityAttributes.has('name');
  const namesGroup = policies.some((policy) => mentionsEffectGroup(policy));
  const set: EvaluationSet = {
    policySetId: policies.length === 0 ? null : policySetId,
    policyIds: policies.map((policy) => policy.id),
    context: needs.context,
    entityAttributes: needs.entityAttributes,
    toolEntity: readsToolName ? { uid: target.toolUid, attrs: { name: target.tool }, parents: [] } : null,
    actionEntity: namesGroup ? { uid: target.action, attrs: {}, parents: [{ type: ACTION_TYPE, id: target.effect }] } : null,
  };
  if (set.policySetId === null) return { ok: true, set };
  const staticPolicies: Record<string, string> = {};
  for (const policy of policies) staticPolicies[policy.id] = policy.text;
  const answer = preparsePolicySet(policySetId, { staticPolicies });
  if (answer.type !== 'success') return { ok: false, message: answer.errors.map((error) => error.message).join('; ') };
  return { ok: true, set };
}

/** Frees the Cedar memory of a preparsed set by overwriting it with an empty set (Cedar offers no delete). */
export function releaseEvaluationSet(set: EvaluationSet): void {
  if (set.policySetId !== null) preparsePolicySet(set.policySetId, { staticPolicies: {} });
}

function mentionsEffectGroup(policy: CompiledPolicy): boolean {
  return entityReferences(policy.json).some(
    (reference) => reference.type === ACTION_TYPE && (EFFECT_GROUPS as readonly string[]).includes(reference.id),
  );
}
