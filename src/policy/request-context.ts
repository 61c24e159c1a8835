import type { Context, EntityJson } from './cedar-runtime.js';
import type { AgentPrincipal, UserPrincipal } from '../identity/principal.js';
import type { PolicyRequest } from './decision.js';
import { argumentsToCedar } from './argument-values.js';
import { AGENT_TYPE, USER_TYPE } from './cedar-names.js';
import type { OperationSlice } from './compiled-bundle.js';
import { PolicyEvaluationFailure } from './evaluation-failure.js';

/** The Cedar entity for the agent principal. */
export function agentEntity(agent: AgentPrincipal): EntityJson {
  return {
    uid: { type: AGENT_TYPE, id: agent.agentId },
    attrs: { tenant: agent.tenant, environment: agent.environment, stage: agent.stage, owner: agent.owner },
    parents: [],
  };
}

/** The Cedar entity for the user an agent acts for. */
export function userEntity(user: UserPrincipal): EntityJson {
  return { uid: { type: USER_TYPE, id: user.userId }, attrs: { tenant: user.tenant, roles: [...user.roles] }, parents: [] };
}

/**
 * The `context` record of the generated schema. The risk score is a whole number for Cedar
 * (fractions are rounded); a score that is not a finite number cannot be judged and fails closed.
 */
export function requestContext(request: PolicyRequest, slice: OperationSlice): Context {
  if (!Number.isFinite(request.risk.score)) throw new PolicyEvaluationFailure(['risk score is not a finite number']);
  return {
    arguments: argumentsToCedar(slice.arguments, request.arguments),
    environment: request.environment,
    tenant: request.agent.tenant,
    actingForUser: request.actingFor !== null,
    entityCount: request.entities.length,
    risk: { score: Math.round(request.risk.score), taintedArgs: [...request.risk.taintedArgs] },
  };
}
