import type { AuthorizationAnswer, Context, EntityJson, StatefulAuthorizationCall } from './cedar-runtime.js';
import type { ApprovalObligation, DecisionKind, Obligations } from './decision.js';
import { NO_OBLIGATIONS } from './decision.js';
import type { PolicyBundle } from './compiled-bundle.js';
import type { EvaluationSet } from './evaluation-set.js';
import { PolicyEvaluationFailure } from './evaluation-failure.js';
import { principalEntity, type CedarPrincipal } from './request-context.js';
import { pruneRecord } from './request-needs.js';
import type { OperationSlice } from './slices.js';

/** The Cedar call Interlock makes; replaceable so tests can force an engine failure. */
export type CedarAuthorizer = (call: StatefulAuthorizationCall) => AuthorizationAnswer;

/** The answer for one principal (the agent, or the user it acts for). */
export interface SideDecision {
  readonly kind: DecisionKind;
  readonly reasons: readonly string[];
  readonly policyIds: readonly string[];
  readonly obligations: Obligations;
}

/** Longest Cedar message carried into a decision; values quoted by Cedar stay bounded. */
const MAX_ERROR_LENGTH = 300;

/**
 * Evaluates one principal against its evaluation set and reads Cedar's answer into a side
 * decision. Cedar is handed only the context and entity attributes the set's policies can read.
 * Anything unexpected throws `PolicyEvaluationFailure`; it never returns a guess.
 */
export function evaluateSide(
  bundle: PolicyBundle,
  slice: OperationSlice,
  set: EvaluationSet,
  principal: CedarPrincipal,
  principalLabel: string,
  context: Context,
  authorize: CedarAuthorizer,
): SideDecision {
  const noPermit = `no policy permits ${principalLabel} to ${slice.qualifiedName}`;
  if (set.policySetId === null) return deny([noPermit], []);

  // Filled by index rather than push; see the note on arrays below.
  const principalJson = principalEntity(principal, set.entityAttributes);
  const entities = new Array<EntityJson>(
    (principalJson === null ? 0 : 1) + (set.toolEntity === null ? 0 : 1) + (set.actionEntity === null ? 0 : 1),
  );
  let next = 0;
  if (principalJson !== null) entities[next++] = principalJson;
  if (set.toolEntity !== null) entities[next++] = set.toolEntity;
  if (set.actionEntity !== null) entities[next] = set.actionEntity;
  const answer = authorize({
    principal: principal.uid,
    action: slice.action,
    resource: slice.toolUid,
    context: pruneRecord(context, set.context),
    entities,
    preparsedPolicySetId: set.policySetId,
    // The context and entities are built here from typed values, so Cedar's request check adds cost, not safety.
    validateRequest: false,
  });
  if (answer === null || typeof answer !== 'object') throw new PolicyEvaluationFailure(['Cedar returned no answer']);
  if (answer.type === 'failure') {
    throw new PolicyEvaluationFailure(answer.errors.map((error) => bounded(`Cedar: ${error.message}`)));
  }
  if (answer.type !== 'success' || answer.response === undefined)
    throw new PolicyEvaluationFailure(['Cedar answered in an unexpected shape']);
  const { decision, diagnostics } = answer.response;
  if (!Array.isArray(diagnostics?.errors) || !Array.isArray(diagnostics.reason))
    throw new PolicyEvaluationFailure(['Cedar answered without diagnostics']);
  if (diagnostics.errors.length > 0) {
    throw new PolicyEvaluationFailure(
      diagnostics.errors.map((error) => bounded(`policy ${error.policyId}: ${error.error.message}`)),
      diagnostics.errors.map((error) => error.policyId),
    );
  }

  // Arrays are filled by index, not push: on Node 20, V8 can crash (a fatal "unreachable code"
  // in the deoptimiser) when an inlined push changes an array's element kind under optimised code.
  const reason = diagnostics.reason;
  const count = reason.length;
  if (decision !== 'deny' && decision !== 'allow')
    throw new PolicyEvaluationFailure([`Cedar returned an unknown decision ${JSON.stringify(decision)}`]);
  if (count === 0) {
    if (decision === 'deny') return deny([noPermit], []);
    throw new PolicyEvaluationFailure(['Cedar allowed without citing a permit policy']);
  }
  const expectedEffect = decision === 'deny' ? 'forbid' : 'permit';
  const policyIds = new Array<string>(count);
  const reasons = new Array<string>(count);
  let approval: ApprovalObligation | null = null;
  let approvalPolicyId = '';
  let readOnly = false;
  let redactFields: string[] = [];
  let approvalReasons = '';
  let grants = 0;
  for (let index = 0; index < count; index += 1) {
    const policyId = String(reason[index]);
    const policy = bundle.policies.get(policyId);
    if (policy === undefined) throw new PolicyEvaluationFailure([`Cedar named an unknown policy ${JSON.stringify(policyId)}`]);
    if (policy.effect !== expectedEffect)
      throw new PolicyEvaluationFailure([`Cedar decided ${decision} citing ${policy.effect} policy ${policy.id}`]);
    const annotations = policy.annotations;
    if (!annotations.escalation) grants += 1;
    policyIds[index] = policy.id;
    reasons[index] = annotations.reason ?? (decision === 'deny' ? `forbidden by policy ${policy.id}` : `permitted by policy ${policy.id}`);
    if (annotations.approval !== null) {
      approvalReasons += `\napproval by ${annotations.approval.role} required by policy ${policy.id}`;
      if (isStronger(annotations.approval, policy.id, approval, approvalPolicyId)) {
        approval = annotations.approval;
        approvalPolicyId = policy.id;
      }
    }
    if (annotations.redactFields.length > 0) redactFields = redactFields.concat(annotations.redactFields);
    if (annotations.readOnly) readOnly = true;
  }
  if (decision === 'deny') return deny(reasons, policyIds);
  // Escalation policies only add obligations: with no permit that grants, nothing is permitted.
  if (grants === 0) return deny([noPermit], []);
  const allReasons = approvalReasons === '' ? reasons : reasons.concat(approvalReasons.slice(1).split('\n'));
  const obligations: Obligations = {
    approval,
    redactFields: redactFields.length === 0 ? redactFields : [...new Set(redactFields)].sort(),
    readOnly,
  };
  return { kind: approval === null ? 'allow' : 'require_approval', reasons: allReasons, policyIds, obligations };
}

/**
 * The shared decision type carries one approval. When several determining policies ask for one,
 * the highest quorum wins; ties go to the first policy id, so the choice is deterministic.
 */
export function isStronger(
  candidate: ApprovalObligation,
  candidateId: string,
  current: ApprovalObligation | null,
  currentId: string,
): boolean {
  if (current === null) return true;
  if (candidate.quorum !== current.quorum) return candidate.quorum > current.quorum;
  return candidateId < currentId;
}

function deny(reasons: readonly string[], policyIds: readonly string[]): SideDecision {
  return { kind: 'deny', reasons, policyIds, obligations: NO_OBLIGATIONS };
}

function bounded(message: string): string {
  return message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH)}…` : message;
}
