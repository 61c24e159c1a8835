import type { CedarValueJson, Context, EntityJson, EntityUidJson } from './cedar-runtime.js';
import type { AgentPrincipal, UserPrincipal } from '../identity/principal.js';
import type { PolicyRequest } from './decision.js';
import { argumentsToCedar } from './argument-values.js';
import { AGENT_TYPE, USER_TYPE } from './cedar-names.js';
import type { OperationSlice } from './slices.js';
import { PolicyEvaluationFailure } from './evaluation-failure.js';

/** A principal as Cedar sees it: its uid and every attribute it has. */
export interface CedarPrincipal {
  readonly uid: EntityUidJson & { readonly type: string; readonly id: string };
  readonly attributes: Readonly<Record<string, CedarValueJson>>;
}

/** The agent as a Cedar principal. */
export function agentPrincipal(agent: AgentPrincipal): CedarPrincipal {
  return {
    uid: { type: AGENT_TYPE, id: agent.agentId },
    attributes: { tenant: agent.tenant, environment: agent.environment, stage: agent.stage, owner: agent.owner },
  };
}

/** The user an agent acts for as a Cedar principal. */
export function userPrincipal(user: UserPrincipal): CedarPrincipal {
  return { uid: { type: USER_TYPE, id: user.userId }, attributes: { tenant: user.tenant, roles: [...user.roles] } };
}

/**
 * The principal's entity with only the attributes policies can read (all when `readable` is
 * null), or null when they can read none: an entity with no attributes and no parents behaves
 * in Cedar exactly like one that is absent, and costs a conversion for nothing.
 */
export function principalEntity(principal: CedarPrincipal, readable: ReadonlySet<string> | null): EntityJson | null {
  if (readable === null) return { uid: principal.uid, attrs: { ...principal.attributes }, parents: [] };
  const attrs: Record<string, CedarValueJson> = {};
  let kept = 0;
  for (const name of Object.keys(principal.attributes)) {
    if (!readable.has(name)) continue;
    attrs[name] = principal.attributes[name] as CedarValueJson;
    kept += 1;
  }
  return kept === 0 ? null : { uid: principal.uid, attrs, parents: [] };
}

/**
 * The `context` record of the generated schema. The risk score is a whole number for Cedar
 * (fractions are rounded); a score that is not a finite number cannot be judged and fails closed.
 */
export function requestContext(request: PolicyRequest, slice: OperationSlice): Context {
  const { risk } = request;
  for (const [name, value] of [
    ['score', risk.score],
    ['injectionScore', risk.injectionScore ?? 0],
    ['repeats', risk.repeats ?? 0],
    ['confidence', risk.confidence ?? 100],
  ] as const) {
    if (!Number.isFinite(value)) throw new PolicyEvaluationFailure([`risk ${name} is not a finite number`]);
  }
  return {
    arguments: argumentsToCedar(slice.arguments, request.arguments),
    environment: request.environment,
    tenant: request.agent.tenant,
    actingForUser: request.actingFor !== null,
    entityCount: request.entities.length,
    risk: {
      score: Math.round(risk.score),
      taintedArgs: [...risk.taintedArgs],
      tainted: risk.taintedArgs.length > 0,
      taintSources: [...(risk.taintSources ?? [])],
      injectionScore: Math.round(risk.injectionScore ?? 0),
      signals: [...(risk.signals ?? [])],
      repeats: Math.round(risk.repeats ?? 0),
      confidence: Math.round(risk.confidence ?? 100),
      citations: { ...(risk.citations ?? { cited: 0, valid: 0, stale: 0, quarantined: 0, unknown: 0 }) },
    },
  };
}
