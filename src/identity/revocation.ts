import { ID_PATTERN } from '../config/schema.js';
import { InterlockError } from '../errors/interlock-error.js';
import type { Revocation, Store } from '../store/store.js';
import { epochSeconds, systemClock, type Clock } from './identity-config.js';
import { revocationSubjectFor, TOKEN_ID_PATTERN } from './token-claims.js';
import type { TokenVerifier } from './token-verifier.js';

export type RevocationWriter = Pick<Store, 'insertRevocation'>;

/**
 * Which token to revoke: by id (with the agent it belongs to), or by the token itself, whose
 * signature is checked by the verifier before its `jti` and `sub` are believed. Expired tokens and
 * tokens of another environment can be revoked too.
 */
export type TokenRevocationTarget =
  | { readonly tokenId: string; readonly agentId: string }
  | { readonly tokenId: string; readonly operatorId: string }
  | { readonly token: string; readonly verifier: TokenVerifier };

export interface RevocationOptions {
  readonly now?: Clock;
}

const MAX_BY_LENGTH = 200;
const MAX_REASON_LENGTH = 1000;

/** Revokes one token. Every verifier on the same store refuses it from its next call. */
export async function revokeToken(
  store: RevocationWriter,
  target: TokenRevocationTarget,
  by: string,
  reason: string,
  options: RevocationOptions = {},
): Promise<Revocation> {
  checkActor(by, reason);
  let tokenId: string;
  let subject: string;
  if ('token' in target) {
    const claims = await target.verifier.readSignedClaims(target.token);
    tokenId = claims.jti;
    subject = revocationSubjectFor(claims.kind, claims.sub);
  } else {
    if (typeof target.tokenId !== 'string' || !TOKEN_ID_PATTERN.test(target.tokenId))
      throw new InterlockError('REQUEST_INVALID', 'expected a token id (22 to 64 base64url characters)');
    tokenId = target.tokenId;
    if ('agentId' in target) {
      checkAgentId(target.agentId);
      subject = target.agentId;
    } else {
      checkAgentId(target.operatorId);
      subject = revocationSubjectFor('operator', target.operatorId);
    }
  }
  const revocation: Revocation = {
    tokenId,
    agentId: subject,
    before: null,
    at: new Date((options.now ?? systemClock)()).toISOString(),
    by,
    reason,
  };
  await store.insertRevocation(revocation);
  return revocation;
}

/**
 * Revokes every token of the agent issued up to now (`iat` at or before the current second).
 * Tokens minted afterwards are valid again, so a compromised agent should also be removed from
 * configuration or have its credentials reissued only once the cause is fixed. Tokens minted in
 * the same second as the revocation are revoked as well.
 */
export async function revokeAgent(
  store: RevocationWriter,
  agentId: string,
  by: string,
  reason: string,
  options: RevocationOptions = {},
): Promise<Revocation> {
  checkActor(by, reason);
  checkAgentId(agentId);
  return revokeSubject(store, agentId, by, reason, options);
}

/** Revokes every operator token of the operator issued up to now. */
export async function revokeOperator(
  store: RevocationWriter,
  operatorId: string,
  by: string,
  reason: string,
  options: RevocationOptions = {},
): Promise<Revocation> {
  checkActor(by, reason);
  checkAgentId(operatorId);
  return revokeSubject(store, revocationSubjectFor('operator', operatorId), by, reason, options);
}

async function revokeSubject(
  store: RevocationWriter,
  subject: string,
  by: string,
  reason: string,
  options: RevocationOptions,
): Promise<Revocation> {
  const now = (options.now ?? systemClock)();
  const revocation: Revocation = {
    tokenId: null,
    agentId: subject,
    before: epochSeconds(now),
    at: new Date(now).toISOString(),
    by,
    reason,
  };
  await store.insertRevocation(revocation);
  return revocation;
}

function checkActor(by: string, reason: string): void {
  if (typeof by !== 'string' || by.trim().length === 0 || by.length > MAX_BY_LENGTH) {
    throw new InterlockError('REQUEST_INVALID', `expected who revokes (1 to ${MAX_BY_LENGTH} characters)`);
  }
  if (typeof reason !== 'string' || reason.trim().length === 0 || reason.length > MAX_REASON_LENGTH) {
    throw new InterlockError('REQUEST_INVALID', `expected a reason (1 to ${MAX_REASON_LENGTH} characters)`);
  }
}

function checkAgentId(id: string): void {
  if (typeof id !== 'string' || !ID_PATTERN.test(id))
    throw new InterlockError('REQUEST_INVALID', 'expected a configured identifier (lowercase, a-z first)');
}
