import { strict as assert } from 'node:assert';
import { isAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import { UnrepresentableArgumentError } from '../../src/policy/argument-values.js';
import type { PolicyBundle } from '../../src/policy/compiled-bundle.js';
import type { Decision, PolicyRequest } from '../../src/policy/decision.js';
import { agentPrincipal, requestContext, userPrincipal, type CedarPrincipal } from '../../src/policy/request-context.js';

/** One side of the reference: Cedar's decision and the determining (or errored) policy ids. */
interface ReferenceSide {
  readonly decision: 'allow' | 'deny';
  readonly reasons: readonly string[];
  readonly errored: readonly string[];
}

/** What a decision must agree with: allow or deny, the determining policy ids, and whether it errored. */
export interface ReferenceDecision {
  readonly kind: 'allow' | 'deny';
  readonly policyIds: readonly string[];
  readonly errored: boolean;
}

/**
 * The reference for slicing and request trimming: the request built in full (every context
 * attribute, every entity attribute), evaluated against every policy of the bundle through plain
 * `isAuthorized` — no preparsed sets, no slices, nothing trimmed.
 */
export function referenceDecision(bundle: PolicyBundle, request: PolicyRequest): ReferenceDecision {
  const slice = bundle.slices.get(`${request.tool}.${request.operation}`);
  assert.ok(slice, `no slice for ${request.tool}.${request.operation}`);
  let context: ReturnType<typeof requestContext>;
  try {
    context = requestContext(request, slice);
  } catch (error) {
    // An argument Cedar cannot represent is refused before any policy runs: a deny with errors.
    if (error instanceof UnrepresentableArgumentError) return { kind: 'deny', policyIds: [], errored: true };
    throw error;
  }
  const agent = referenceSide(bundle, agentPrincipal(request.agent), context, slice.action, slice.toolUid, slice.effect);
  if (agent.errored.length > 0) return { kind: 'deny', policyIds: agent.errored, errored: true };
  if (request.actingFor === null) return { kind: agent.decision, policyIds: agent.reasons, errored: false };
  const user = referenceSide(bundle, userPrincipal(request.actingFor), context, slice.action, slice.toolUid, slice.effect);
  const userIds = (ids: readonly string[]): string[] => ids.map((id) => `user:${id}`);
  if (user.errored.length > 0) return { kind: 'deny', policyIds: userIds(user.errored), errored: true };
  if (agent.decision === 'deny' || user.decision === 'deny') {
    const policyIds = [...(agent.decision === 'deny' ? agent.reasons : []), ...(user.decision === 'deny' ? userIds(user.reasons) : [])];
    return { kind: 'deny', policyIds, errored: false };
  }
  return { kind: 'allow', policyIds: [...agent.reasons, ...userIds(user.reasons)], errored: false };
}

/** Asserts a decision agrees with the reference (require_approval counts as allow; ids compared as sets). */
export function assertAgreesWithReference(decision: Decision, reference: ReferenceDecision, label: string): void {
  const detail = `${label}: got ${decision.kind} [${decision.policyIds.join(', ')}] errors [${decision.errors.join('; ')}], reference ${reference.kind} [${reference.policyIds.join(', ')}]${reference.errored ? ' (errored)' : ''}`;
  assert.equal(decision.kind === 'deny' ? 'deny' : 'allow', reference.kind, detail);
  assert.equal(decision.errors.length > 0, reference.errored, detail);
  assert.deepEqual([...decision.policyIds].sort(), [...reference.policyIds].sort(), detail);
}

function referenceSide(
  bundle: PolicyBundle,
  principal: CedarPrincipal,
  context: ReturnType<typeof requestContext>,
  action: { type: string; id: string } | { __entity: { type: string; id: string } },
  resource: { type: string; id: string } | { __entity: { type: string; id: string } },
  effect: string,
): ReferenceSide {
  const staticPolicies: Record<string, string> = {};
  for (const policy of bundle.policies.values()) staticPolicies[policy.id] = policy.text;
  const toolId = '__entity' in resource ? resource.__entity.id : resource.id;
  const answer = isAuthorized({
    principal: principal.uid,
    action,
    resource,
    context,
    // No schema: a withheld argument makes the context not match it, and that case must be compared too.
    entities: [
      { uid: principal.uid, attrs: { ...principal.attributes }, parents: [] },
      { uid: resource, attrs: { name: toolId }, parents: [] },
      { uid: action, attrs: {}, parents: [{ type: 'Interlock::Action', id: effect }] },
    ],
    policies: { staticPolicies },
  });
  assert.equal(answer.type, 'success', JSON.stringify(answer));
  if (answer.type !== 'success') throw new Error('unreachable');
  const { decision, diagnostics } = answer.response;
  return { decision, reasons: diagnostics.reason, errored: diagnostics.errors.map((error) => error.policyId) };
}
