import { statefulIsAuthorized } from './cedar-runtime.js';
import type { Decision, PolicyRequest } from './decision.js';
import { NO_OBLIGATIONS } from './decision.js';
import type { PolicyBundle } from './compiled-bundle.js';
import { evaluateSide, isStronger, type CedarAuthorizer, type SideDecision } from './evaluate-side.js';
import { PolicyEvaluationFailure } from './evaluation-failure.js';
import { AGENT_TYPE, USER_TYPE } from './cedar-names.js';
import { agentPrincipal, requestContext, userPrincipal } from './request-context.js';

/** Version reported when no bundle is loaded. */
export const NO_BUNDLE_VERSION = 'none';

/**
 * Decides one request against a bundle. This is the one place where evaluation fails closed:
 * whatever goes wrong — no bundle, unknown operation, a Cedar failure, an errored policy, an
 * unexpected answer, any exception — the result is a deny with `errors` filled. It never throws.
 */
export function decideWithBundle(
  bundle: PolicyBundle | null,
  request: PolicyRequest,
  authorize: CedarAuthorizer = statefulIsAuthorized,
): Decision {
  const bundleVersion = bundle?.version ?? NO_BUNDLE_VERSION;
  try {
    return decideOrThrow(bundle, request, authorize);
  } catch (error) {
    const failure = error instanceof PolicyEvaluationFailure ? error : null;
    const errors = failure?.errors ?? [`policy evaluation failed: ${error instanceof Error ? error.message : 'unknown error'}`];
    return {
      kind: 'deny',
      reasons: ['policy evaluation failed; denied (fail closed)'],
      policyIds: failure?.policyIds ?? [],
      bundleVersion,
      obligations: NO_OBLIGATIONS,
      errors,
    };
  }
}

function decideOrThrow(bundle: PolicyBundle | null, request: PolicyRequest, authorize: CedarAuthorizer): Decision {
  if (bundle === null) throw new PolicyEvaluationFailure(['no policy bundle is loaded']);
  if (bundle.lifecycle.released) throw new PolicyEvaluationFailure([`policy bundle ${bundle.version} was retired`]);
  const slice = bundle.slices.get(`${request.tool}.${request.operation}`);
  if (slice === undefined || slice.tool !== request.tool || slice.operation !== request.operation) {
    throw new PolicyEvaluationFailure([
      `operation ${request.tool}.${request.operation} is not in the registry this bundle was compiled against`,
    ]);
  }
  if (slice.effect !== request.effect) {
    throw new PolicyEvaluationFailure([
      `operation ${slice.qualifiedName} is declared ${slice.effect} but the request says ${request.effect}`,
    ]);
  }
  const context = requestContext(request, slice);
  const agentSet = bundle.evaluationSets.setFor(slice, AGENT_TYPE, request.agent.agentId);
  const agentSide = evaluateSide(
    bundle,
    slice,
    agentSet,
    agentPrincipal(request.agent),
    `agent ${request.agent.agentId}`,
    context,
    authorize,
  );
  if (request.actingFor === null) return { ...agentSide, bundleVersion: bundle.version, errors: [] };

  const user = request.actingFor;
  let userSide: SideDecision;
  try {
    const userSet = bundle.evaluationSets.setFor(slice, USER_TYPE, user.userId);
    userSide = evaluateSide(bundle, slice, userSet, userPrincipal(user), `user ${user.userId}`, context, authorize);
  } catch (error) {
    if (error instanceof PolicyEvaluationFailure)
      throw new PolicyEvaluationFailure(
        error.errors.map((message) => `user side: ${message}`),
        error.policyIds.map((id) => `user:${id}`),
      );
    throw error;
  }
  return { ...intersect(agentSide, userSide), bundleVersion: bundle.version, errors: [] };
}

/**
 * Delegation is an intersection: the agent and the user must both be permitted. A deny on either
 * side denies (reasons say which side); otherwise an approval on either side is required.
 */
function intersect(agentSide: SideDecision, userSide: SideDecision): SideDecision {
  const userIds = userSide.policyIds.map((id) => `user:${id}`);
  const agentReasons = agentSide.reasons.map((reason) => `agent side: ${reason}`);
  const userReasons = userSide.reasons.map((reason) => `user side: ${reason}`);
  if (agentSide.kind === 'deny' || userSide.kind === 'deny') {
    const reasons = [...(agentSide.kind === 'deny' ? agentReasons : []), ...(userSide.kind === 'deny' ? userReasons : [])];
    const policyIds = [...(agentSide.kind === 'deny' ? agentSide.policyIds : []), ...(userSide.kind === 'deny' ? userIds : [])];
    return { kind: 'deny', reasons, policyIds, obligations: NO_OBLIGATIONS };
  }
  const agentApproval = agentSide.obligations.approval;
  const userApproval = userSide.obligations.approval;
  const approval =
    userApproval !== null && isStronger(userApproval, userIds[0] ?? '', agentApproval, agentSide.policyIds[0] ?? '')
      ? userApproval
      : agentApproval;
  return {
    kind: approval === null ? 'allow' : 'require_approval',
    reasons: [...agentReasons, ...userReasons],
    policyIds: [...agentSide.policyIds, ...userIds],
    obligations: {
      approval,
      redactFields: [...new Set([...agentSide.obligations.redactFields, ...userSide.obligations.redactFields])].sort(),
      readOnly: agentSide.obligations.readOnly || userSide.obligations.readOnly,
    },
  };
}
