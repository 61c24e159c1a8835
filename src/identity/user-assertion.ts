import { decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { ID_PATTERN, type TrustedIssuerConfig } from '../config/schema.js';
import { InterlockError } from '../errors/interlock-error.js';
import { systemClock, type Clock } from './identity-config.js';
import type { UserPrincipal } from './principal.js';
import { CLOCK_TOLERANCE_SECONDS, COMPACT_JWS_PATTERN, TOKEN_MAX_LENGTH } from './token-claims.js';
import { loadTrustedIssuerKeys, type TrustedIssuerKey } from './trusted-issuer-keys.js';

export interface UserAssertionVerifierOptions {
  readonly issuers: readonly TrustedIssuerKey[];
  readonly now?: Clock;
  /** Longest accepted lifetime (exp - iat, or exp - now without iat). Default 1 hour. */
  readonly maxLifetimeSeconds?: number;
}

export interface LoadUserAssertionVerifierOptions extends Omit<UserAssertionVerifierOptions, 'issuers'> {
  readonly issuers: readonly TrustedIssuerConfig[];
  /** Directory that `file:` paths in the issuer configuration are relative to. */
  readonly projectDir: string;
}

/** The agent an assertion is presented by: the user must be in its tenant, and a named agent must be it. */
export interface AssertionAudience {
  readonly agentId: string;
  readonly tenant: string;
}

const DEFAULT_MAX_LIFETIME_SECONDS = 3600;
/** Verified assertions remembered (by exact string) so an agent acting for a user pays one signature check. */
const VERIFIED_CACHE_CAPACITY = 4096;
const MAX_ROLES = 64;
const MAX_ROLE_LENGTH = 128;
const MAX_USER_ID_LENGTH = 256;

/**
 * Verifies acting-for-user assertions: JWTs signed by an identity provider the project trusts.
 * The user an agent acts for is established only here, never from a bare string.
 */
export class UserAssertionVerifier {
  readonly #issuers: readonly TrustedIssuerKey[];
  readonly #now: Clock;
  readonly #maxLifetimeSeconds: number;
  readonly #verified = new Map<string, { readonly issuer: TrustedIssuerKey; readonly payload: JWTPayload }>();

  static async load(options: LoadUserAssertionVerifierOptions): Promise<UserAssertionVerifier> {
    const issuers = await loadTrustedIssuerKeys(options.issuers, options.projectDir);
    const rest: { now?: Clock; maxLifetimeSeconds?: number } = {};
    if (options.now !== undefined) rest.now = options.now;
    if (options.maxLifetimeSeconds !== undefined) rest.maxLifetimeSeconds = options.maxLifetimeSeconds;
    return new UserAssertionVerifier({ issuers, ...rest });
  }

  constructor(options: UserAssertionVerifierOptions) {
    this.#issuers = options.issuers;
    this.#now = options.now ?? systemClock;
    this.#maxLifetimeSeconds = options.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS;
  }

  async verify(assertion: string, presentedBy: AssertionAudience): Promise<UserPrincipal> {
    if (typeof assertion !== 'string' || assertion.length === 0) throw invalid('it is empty');
    if (assertion.length > TOKEN_MAX_LENGTH) throw invalid(`it is longer than ${TOKEN_MAX_LENGTH} characters`);
    if (!COMPACT_JWS_PATTERN.test(assertion)) throw invalid('it is not a compact JWT');

    // Only the signature and claim checks are cached; expiry and the binding to the presenting
    // agent and its tenant are checked again on every call.
    const cached = this.#verified.get(assertion);
    if (cached !== undefined) {
      if (typeof cached.payload.exp === 'number' && cached.payload.exp + CLOCK_TOLERANCE_SECONDS > this.#now() / 1000) {
        return this.#toUser(cached.issuer, cached.payload, presentedBy);
      }
      this.#verified.delete(assertion);
      throw invalid('it has expired');
    }

    // The unverified issuer only selects which keys to try; jwtVerify checks it again after the signature.
    let claimedIssuer: unknown;
    try {
      claimedIssuer = decodeJwt(assertion).iss;
    } catch {
      throw invalid('it is not a readable JWT');
    }
    const candidates = this.#issuers.filter((issuer) => issuer.config.issuer === claimedIssuer);
    if (candidates.length === 0) throw invalid('its issuer is not trusted');

    let firstFailure: InterlockError | undefined;
    for (const issuer of candidates) {
      try {
        const payload = await this.#verifyWith(issuer, assertion);
        const user = this.#toUser(issuer, payload, presentedBy);
        this.#remember(assertion, issuer, payload);
        return user;
      } catch (error) {
        if (error instanceof InterlockError && error.code !== 'USER_ASSERTION_INVALID') throw error;
        firstFailure ??= error instanceof InterlockError ? error : invalid('it could not be verified');
      }
    }
    throw firstFailure ?? invalid('it could not be verified');
  }

  #remember(assertion: string, issuer: TrustedIssuerKey, payload: JWTPayload): void {
    if (this.#verified.size >= VERIFIED_CACHE_CAPACITY) {
      const oldest = this.#verified.keys().next();
      if (oldest.done !== true) this.#verified.delete(oldest.value);
    }
    this.#verified.set(assertion, { issuer, payload });
  }

  async #verifyWith(issuer: TrustedIssuerKey, assertion: string): Promise<JWTPayload> {
    const options = {
      algorithms: [...issuer.algorithms],
      issuer: issuer.config.issuer,
      audience: issuer.config.audience,
      requiredClaims: ['exp', 'sub', 'tenant'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(this.#now()),
    };
    try {
      const result =
        typeof issuer.key === 'function'
          ? await jwtVerify(assertion, issuer.key, options)
          : await jwtVerify(assertion, issuer.key, options);
      return result.payload;
    } catch (error) {
      throw invalid(describeFailure(error));
    }
  }

  #toUser(issuer: TrustedIssuerKey, payload: JWTPayload, presentedBy: AssertionAudience): UserPrincipal {
    const nowSeconds = this.#now() / 1000;
    const { sub, exp, iat } = payload;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_USER_ID_LENGTH)
      throw invalid('its subject (user id) is missing or too long');
    if (typeof exp !== 'number') throw invalid('it has no expiry');
    const lifetime = exp - (typeof iat === 'number' ? iat : nowSeconds);
    if (lifetime > this.#maxLifetimeSeconds + CLOCK_TOLERANCE_SECONDS)
      throw invalid(`its lifetime exceeds ${this.#maxLifetimeSeconds} seconds`);

    const tenant = payload['tenant'];
    if (typeof tenant !== 'string' || !ID_PATTERN.test(tenant)) throw invalid('its tenant claim is not a tenant id');
    const roles = readRoles(payload['roles']);

    checkBoundAgent(payload['azp'], 'azp', presentedBy.agentId);
    const actor = payload['act'];
    if (actor !== undefined) {
      const actorId =
        typeof actor === 'object' && actor !== null && !Array.isArray(actor) && Object.hasOwn(actor, 'sub')
          ? (actor as { sub: unknown }).sub
          : actor;
      checkBoundAgent(actorId, 'act', presentedBy.agentId);
    }

    if (issuer.config.requireAgentBinding && payload['azp'] === undefined && payload['act'] === undefined) {
      throw invalid('its issuer requires it to name the agent it is for (azp or act)');
    }
    // Checked last and only after the signature verified: a user of another tenant is a boundary crossing, not a bad token.
    if (issuer.config.tenants !== undefined && !issuer.config.tenants.includes(tenant)) {
      throw new InterlockError('TENANT_MISMATCH', 'the issuer may not assert users of this tenant');
    }
    if (tenant !== presentedBy.tenant) throw new InterlockError('TENANT_MISMATCH', "the user's tenant is not the agent's tenant");
    return { userId: sub, tenant, roles, issuer: issuer.config.id };
  }
}

function invalid(reason: string): InterlockError {
  return new InterlockError('USER_ASSERTION_INVALID', `user assertion refused: ${reason}`);
}

function readRoles(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_ROLES) throw invalid(`its roles claim is not a list of at most ${MAX_ROLES} strings`);
  const roles: string[] = [];
  for (const role of value) {
    if (typeof role !== 'string' || role.length === 0 || role.length > MAX_ROLE_LENGTH)
      throw invalid('its roles claim holds something other than a role name');
    roles.push(role);
  }
  return roles;
}

function checkBoundAgent(value: unknown, claim: 'azp' | 'act', agentId: string): void {
  if (value === undefined) return;
  if (typeof value !== 'string') throw invalid(`its ${claim} claim is malformed`);
  if (value !== agentId) throw invalid(`it was issued for another agent (${claim})`);
}

/** Names what failed without echoing token content or key material. */
function describeFailure(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'it has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return `required claim "${error.claim}" is missing`;
    if (error.claim === 'aud') return 'its audience is not this deployment';
    if (error.claim === 'iss') return 'its issuer is not trusted';
    if (error.claim === 'nbf') return 'it is not valid yet';
    if (error.claim === 'iat') return 'its issue time is invalid';
    return `claim "${error.claim}" is invalid`;
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return "its signing algorithm is not accepted for this issuer's key";
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no key of the issuer matches it';
  if (error instanceof joseErrors.JWKSMultipleMatchingKeys) return 'several keys of the issuer match it and none verifies';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  return 'it is malformed';
}
