import type { AuthorizationAnswer, Context, EntityJson, StatefulAuthorizationCall } from '@cedar-policy/cedar-wasm/nodejs';
import type { ApprovalObligation, DecisionKind, Obligations } from './decision.js';
import { NO_OBLIGATIONS } from './decision.js';
import type { PolicyBundle, OperationSlice } from './compiled-bundle.js';
import { PolicyEvaluationFailure } from './evaluation-failure.js';

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
 * Evaluates one principal against the operation's slice and reads Cedar's answer into a side
 * decision. Anything unexpected throws `PolicyEvaluationFailure`; it never returns a guess.
 */
export function evaluateSide(
  bundle: PolicyBundle,
  slice: OperationSlice,
  principal: EntityJson,
  principalLabel: string,
  context: Context,
  authorize: CedarAuthorizer,
): SideDecision {
  const noPermit = `no policy permits ${principalLabel} to ${slice.qualifiedName}`;
  if (slice.policySetId === null) return deny([noPermit], []);

  const entities = slice.actionEntity === null ? [principal, slice.toolEntity] : [principal, slice.toolEntity, slice.actionEntity];
  const answer = authorize({
    principal: principal.uid,
    action: slice.action,
    resource: slice.toolUid,
    context,
    entities,
    preparsedPolicySetId: slice.policySetId,
    // The context and entities are built here from typed values, so Cedar's request check adds cost, not safety.
    validateRequest: false,
  });
  if (answer === null || typeof answer !== 'object') throw new PolicyEvaluationFailure(['Cedar returned no answer']);
  if (answer.type === 'failure') {
    throw new PolicyEvaluationFailure(answer.errors.map((error) => bounded(`Cedar: ${error.message}`)));
  }
  if (answer.type !== 'success' || answer.response === undefined) throw new PolicyEvaluationFailure(['Cedar answered in an unexpected shape']);
  const { decision, diagnostics } = answer.response;
  if (!Array.isArray(diagnostics?.errors) || !Array.isArray(diagnostics.reason)) throw new PolicyEvaluationFailure(['Cedar answered without diagnostics']);
  if (diagnostics.errors.length > 0) {
    throw new PolicyEvaluationFailure(
      diagnostics.errors.map((error) => bounded(`policy ${error.policyId}: ${error.error.message}`)),
      diagnostics.errors.map((error) => error.policyId),
    );
  }

  const determining = diagnostics.reason.map((policyId) => {
    const policy = bundle.policies.get(policyId);
    if (policy === undefined) throw new PolicyEvaluationFailure([`Cedar named an unknown policy ${JSON.stringify(policyId)}`]);
    return policy;
  });

  if (decision === 'deny') {
    if (determining.length === 0) return deny([noPermit], []);
    if (determining.some((policy) => policy.effect !== 'forbid')) throw new PolicyEvaluationFailure(['Cedar denied citing a permit policy']);
    return deny(
      determining.map((policy) => policy.annotations.reason ?? `forbidden by policy ${policy.id}`),
      determining.map((policy) => policy.id),
    );
  }
  if (decision !== 'allow') throw new PolicyEvaluationFailure([`Cedar returned an unknown decision ${JSON.stringify(decision)}`]);
  if (determining.length === 0 || determining.some((policy) => policy.effect !== 'permit')) {
    throw new PolicyEvaluationFailure(['Cedar allowed without citing only permit policies']);
  }

  const reasons = determining.map((policy) => policy.annotations.reason ?? `permitted by policy ${policy.id}`);
  const approvals = determining.filter((policy) => policy.annotations.approval !== null);
  const approval = strongestApproval(approvals.map((policy) => ({ policyId: policy.id, approval: policy.annotations.approval })));
  for (const policy of approvals) reasons.push(`approval by ${policy.annotations.approval?.role ?? ''} required by policy ${policy.id}`);
  const obligations: Obligations = {
    approval,
    redactFields: [...new Set(determining.flatMap((policy) => policy.annotations.redactFields))].sort(),
    readOnly: determining.some((policy) => policy.annotations.readOnly),
  };
  return { kind: approval === null ? 'allow' : 'require_approval', reasons, policyIds: determining.map((policy) => policy.id), obligations };
}

/**
 * The shared decision type carries one approval. When several determining policies ask for one,
 * the highest quorum wins; ties go to the first policy id, so the choice is deterministic.
 */
export function strongestApproval(candidates: ReadonlyArray<{ policyId: string; approval: ApprovalObligation | null }>): ApprovalObligation | null {
  let best: { policyId: string; approval: ApprovalObligation } | null = null;
  for (const candidate of candidates) {
    if (candidate.approval === null) continue;
    if (
      best === null ||
      candidate.approval.quorum > best.approval.quorum ||
      (candidate.approval.quorum === best.approval.quorum && candidate.policyId < best.policyId)
    ) {
      best = { policyId: candidate.policyId, approval: candidate.approval };
    }
  }
  return best === null ? null : best.approval;
}

function deny(reasons: readonly string[], policyIds: readonly string[]): SideDecision {
  return { kind: 'deny', reasons, policyIds, obligations: NO_OBLIGATIONS };
}

function bounded(message: string): string {
  return message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH)}…` : message;
}
