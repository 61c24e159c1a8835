import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/canonical-json.js';

/** The parts of a proposed action that make it "the same action". */
export interface ActionIdentity {
  readonly tenant: string;
  readonly agentId: string;
  readonly actingFor: { readonly userId: string; readonly issuer: string } | null;
  readonly tool: string;
  readonly operation: string;
  readonly arguments: Readonly<Record<string, unknown>>;
}

/**
 * SHA-256 over the canonical JSON (RFC 8785) of the action: the same tool, operation, arguments
 * (whatever their key order), agent and acting-for user always hash alike; any change does not.
 * Idempotency keys are bound to this hash.
 */
export function actionHash(action: ActionIdentity): string {
  return sha256(
    canonicalJson({
      tenant: action.tenant,
      agent: action.agentId,
      actingFor: action.actingFor,
      tool: action.tool,
      operation: action.operation,
      arguments: action.arguments,
    }),
  );
}

/**
 * What an approval is bound to: the action and the policy bundle that asked for the approval. A
 * changed argument, user, agent or bundle no longer matches, so the approval does not carry over.
 */
export function approvalBinding(actionHashValue: string, bundleVersion: string): string {
  return sha256(`${actionHashValue}\n${bundleVersion}`);
}

/** A key derived for callers that opt in: the same action in the same trace (or session) gets the same key. */
export function derivedIdempotencyKey(scope: string, actionHashValue: string): string {
  return `derived:${sha256(`${scope}\n${actionHashValue}`).slice(0, 40)}`;
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}
