import { AGENT_TYPE } from './cedar-names.js';
import type { CompiledPolicy, PolicyBundle } from './compiled-bundle.js';

/**
 * Whether any call of `agentId` to an operation could ever be permitted by the bundle: some permit
 * policy can apply to the agent (its conditions may still refuse a given call), and no forbid
 * policy applies to it unconditionally. Used to decide what a client is shown, never to decide a
 * call: every call is still decided by Cedar.
 */
export function couldEverPermit(bundle: PolicyBundle | null, agentId: string, qualifiedName: string): boolean {
  if (bundle === null || bundle.lifecycle.released) return false;
  const slice = bundle.slices.get(qualifiedName);
  const agentSlice = slice?.principals.get(AGENT_TYPE);
  if (agentSlice === undefined) return false;
  const applicable = [...agentSlice.sharedPolicies, ...(agentSlice.named.get(agentId) ?? [])];
  if (!applicable.some((policy) => policy.effect === 'permit' && !policy.annotations.escalation)) return false;
  return !applicable.some((policy) => policy.effect === 'forbid' && alwaysApplies(policy));
}

/**
 * A forbid with no conditions whose scopes are exact (no `in`, which could name a group the agent
 * is not in): the slice already matched it to this operation, tool and agent.
 */
function alwaysApplies(policy: CompiledPolicy): boolean {
  const { principal, resource, conditions } = policy.json;
  return conditions.length === 0 && principal.op !== 'in' && resource.op !== 'in';
}
