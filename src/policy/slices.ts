import type { EntityUidJson } from './cedar-runtime.js';
import type { Effect } from '../config/schema.js';
import type { ArgumentShape } from './argument-shape.js';
import type { GeneratedSchema } from './cedar-schema.js';
import { ACTION_TYPE, AGENT_TYPE, TOOL_TYPE, USER_TYPE } from './cedar-names.js';
import type { CompiledPolicy } from './compiled-bundle.js';
import { actionScopeMatches, principalScope, resourceScopeMatches } from './scopes.js';

/** The entity types a request's principal can have. */
export const PRINCIPAL_TYPES: readonly string[] = [AGENT_TYPE, USER_TYPE];

/** The policies of one operation that can apply to principals of one entity type. */
export interface PrincipalTypeSlice {
  /** Policies for every principal of the type: unconstrained, `is` the type, or `in` something. */
  readonly sharedPolicies: readonly CompiledPolicy[];
  /** Policies naming one principal of the type (`principal == Type::"id"`), by that id. */
  readonly named: ReadonlyMap<string, readonly CompiledPolicy[]>;
}

/**
 * The policies that can apply to one operation (by action and resource scope), split by principal
 * type, and the request pieces that never change between calls. The Cedar sets built from them
 * live in the bundle's EvaluationSetCache.
 */
export interface OperationSlice {
  readonly tool: string;
  readonly operation: string;
  readonly qualifiedName: string;
  readonly effect: Effect;
  /** Every policy whose action and resource scope can match the operation, for any principal. */
  readonly policyIds: readonly string[];
  readonly arguments: Extract<ArgumentShape, { kind: 'record' }>;
  readonly action: EntityUidJson;
  readonly toolUid: EntityUidJson;
  /** By principal entity type (`Interlock::Agent`, `Interlock::User`). */
  readonly principals: ReadonlyMap<string, PrincipalTypeSlice>;
}

/** Sorts the policies into one slice per operation, and within it by the principals they can apply to. */
export function buildSlices(schema: GeneratedSchema, policies: readonly CompiledPolicy[]): Map<string, OperationSlice> {
  const slices = new Map<string, OperationSlice>();
  const scopes = new Map(policies.map((policy) => [policy, principalScope(policy.json)]));
  for (const [qualifiedName, { contract, arguments: shape }] of schema.operations) {
    const matching = policies.filter(
      (policy) => actionScopeMatches(policy.json, qualifiedName, contract.effect) && resourceScopeMatches(policy.json, contract.tool),
    );
    const principals = new Map<string, PrincipalTypeSlice>();
    for (const principalType of PRINCIPAL_TYPES) {
      const sharedPolicies: CompiledPolicy[] = [];
      const named = new Map<string, CompiledPolicy[]>();
      for (const policy of matching) {
        const scope = scopes.get(policy) ?? { kind: 'any' };
        if (scope.kind === 'any' || (scope.kind === 'type' && scope.type === principalType)) sharedPolicies.push(policy);
        else if (scope.kind === 'one' && scope.type === principalType) named.set(scope.id, [...(named.get(scope.id) ?? []), policy]);
      }
      principals.set(principalType, { sharedPolicies, named });
    }
    slices.set(qualifiedName, {
      tool: contract.tool,
      operation: contract.operation,
      qualifiedName,
      effect: contract.effect,
      policyIds: matching.map((policy) => policy.id),
      arguments: shape.shape,
      action: { type: ACTION_TYPE, id: qualifiedName },
      toolUid: { type: TOOL_TYPE, id: contract.tool },
      principals,
    });
  }
  return slices;
}
