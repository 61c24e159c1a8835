import type { EntityUidJson, PolicyJson } from './cedar-runtime.js';
import type { Effect } from '../config/schema.js';
import { ACTION_TYPE, TOOL_TYPE } from './cedar-names.js';

/**
 * Whether a policy's action scope can match an operation: unconstrained, `== Action::"op"`,
 * or `in` a list or group that holds the operation or its effect group. Conditions are left to
 * Cedar; the scope readers here only decide which policies are worth handing it.
 */
export function actionScopeMatches(policy: PolicyJson, qualifiedName: string, effect: Effect): boolean {
  const scope = policy.action;
  switch (scope.op) {
    case 'All':
      return true;
    case '==':
      return 'entity' in scope && isEntity(scope.entity, ACTION_TYPE, qualifiedName);
    case 'in': {
      const entities = 'entities' in scope ? scope.entities : [scope.entity];
      return entities.some((entity) => isEntity(entity, ACTION_TYPE, qualifiedName) || isEntity(entity, ACTION_TYPE, effect));
    }
  }
}

/**
 * Whether a policy's resource scope can match a call to `tool` (the resource of every call is
 * `Tool::"<tool>"`). `in` is kept whatever it names: the scope reader does not follow hierarchies.
 */
export function resourceScopeMatches(policy: PolicyJson, tool: string): boolean {
  const scope = policy.resource;
  switch (scope.op) {
    case 'All':
    case 'in':
      return true;
    case '==':
      return !('entity' in scope) || isEntity(scope.entity, TOOL_TYPE, tool);
    case 'is':
      return scope.entity_type === TOOL_TYPE;
  }
}

/**
 * Which principals a policy's principal scope can match: every principal, every principal of one
 * entity type (`is`), or one principal (`==`). `in` counts as every principal, so a hierarchy of
 * principals, should one appear, can never hide a policy.
 */
export type PrincipalScope =
  | { readonly kind: 'any' }
  | { readonly kind: 'type'; readonly type: string }
  | { readonly kind: 'one'; readonly type: string; readonly id: string };

export function principalScope(policy: PolicyJson): PrincipalScope {
  const scope = policy.principal;
  switch (scope.op) {
    case 'All':
    case 'in':
      return { kind: 'any' };
    case 'is':
      return { kind: 'type', type: scope.entity_type };
    case '==': {
      if (!('entity' in scope)) return { kind: 'any' };
      const uid = entityUid(scope.entity);
      return { kind: 'one', type: uid.type, id: uid.id };
    }
  }
}

function entityUid(entity: EntityUidJson): { type: string; id: string } {
  return '__entity' in entity ? entity.__entity : entity;
}

function isEntity(entity: EntityUidJson, type: string, id: string): boolean {
  const uid = entityUid(entity);
  return uid.type === type && uid.id === id;
}
