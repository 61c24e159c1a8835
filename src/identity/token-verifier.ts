import type { KeyObject } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import type { AgentConfig, Environment } from '../config/schema.js';
import { parseDuration } from '../config/duration.js';
import { InterlockError, isInterlockError } from '../errors/interlock-error.js';
import type { Store } from '../store/store.js';
import { IdentityDirectory, systemClock, type Clock, type IdentityConfig } from './identity-config.js';
import {
  CLOCK_TOLERANCE_SECONDS,
  COMPACT_JWS_PATTERN,
  parseTokenClaims,
  revocationSubjectFor,
  TOKEN_ALGORITHM,
  TOKEN_MAX_LENGTH,
  tokenAudienceFor,
  tokenIssuerFor,
  type AgentTokenClaims,
  type OperatorTokenClaims,
  type TokenClaims,
} from './token-claims.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

/** A public key that may have signed Interlock tokens, named by its key id (the token's `kid`). */
export interface VerificationKey {
  readonly keyId: string;
  readonly publicKey: KeyObject;
}

export type RevocationReader = Pick<Store, 'isRevoked'>;

export interface TokenVerifierOptions {
  readonly config: IdentityConfig;
  /** The current identity public key. */
  readonly publicKey: VerificationKey;
  /** Keys rotated out whose tokens may still be alive; matched by `kid`. */
  readonly previousPublicKeys?: readonly VerificationKey[];
  /** Consulted on every verification, so a revocation by any process takes effect on the next call. */
  readonly revocations: RevocationReader;
  readonly now?: Clock;
  /** How many verified signatures to remember; 0 disables the cache. Default 4096. */
  readonly cacheSize?: number;
}

export interface VerifiedAgentToken {
  readonly kind: 'agent';
  readonly tokenId: string;
  readonly agent: AgentConfig;
  readonly environment: Environment;
  /** Epoch seconds. */
  readonly issuedAt: number;
  readonly expiresAt: number;
}

export interface VerifiedOperatorToken {
  readonly kind: 'operator';
  readonly tokenId: string;
  readonly operatorId: string;
  /** The token's roles that the operator still holds in the configuration. */
  readonly roles: readonly string[];
  /** The token's tenants that the operator may still read in the configuration; `*` for all. */
  readonly tenants: '*' | readonly string[];
  readonly issuedAt: number;
  readonly expiresAt: number;
}

const DEFAULT_CACHE_SIZE = 4096;

/**
 * Verifies Interlock tokens for the environment this deployment serves. The signature is checked
 * first and nothing in the claims is trusted before it verifies; then issuer, kind, environment,
 * validity window, configuration and revocation, in that order. Every failure is an
 * InterlockError; malformed input of any kind is AUTH_INVALID.
 */
export class TokenVerifier {
  readonly #config: IdentityConfig;
  readonly #directory: IdentityDirectory;
  readonly #keys: ReadonlyMap<string, KeyObject>;
  readonly #revocations: RevocationReader;
  readonly #now: Clock;
  readonly #cache: VerifiedTokenCache;
  readonly #maxLifetimeSeconds: number;

  constructor(options: TokenVerifierOptions) {
    this.#config = options.config;
    this.#directory = new IdentityDirectory(options.config);
    const keys = new Map<string, KeyObject>();
    for (const key of [options.publicKey, ...(options.previousPublicKeys ?? [])]) {
      if (key.publicKey.type !== 'public' || key.publicKey.asymmetricKeyType !== 'ed25519') {
        throw new InterlockError('CONFIG_INVALID', `identity key "${key.keyId}" is not an Ed25519 public key`);
      }
      if (!keys.has(key.keyId)) keys.set(key.keyId, key.publicKey);
    }
    this.#keys = keys;
    this.#revocations = options.revocations;
    this.#now = options.now ?? systemClock;
    this.#cache = new VerifiedTokenCache(options.cacheSize ?? DEFAULT_CACHE_SIZE);
    this.#maxLifetimeSeconds = Math.floor(parseDuration(options.config.identity.maxTokenTtl) / 1000);
  }

  /** Verifies an agent token presented with a tool call. Operator tokens are refused. */
  async verifyAgentToken(token: string): Promise<VerifiedAgentToken> {
    const claims = await this.#verifiedClaims(token);
    if (claims.kind !== 'agent') throw new InterlockError('AUTH_INVALID', 'operator tokens are not accepted for tool calls');
    const agent = this.#checkAgent(claims);
    await this.#checkNotRevoked(claims);
    return { kind: 'agent', tokenId: claims.jti, agent, environment: claims.env, issuedAt: claims.iat, expiresAt: claims.exp };
  }

  /** Verifies an operator token presented to the read/admin API. Agent tokens are refused. */
  async verifyOperatorToken(token: string): Promise<VerifiedOperatorToken> {
    const claims = await this.#verifiedClaims(token);
    if (claims.kind !== 'operator') throw new InterlockError('AUTH_INVALID', 'agent tokens are not accepted on operator endpoints');
    const granted = this.#checkOperator(claims);
    await this.#checkNotRevoked(claims);
    return { kind: 'operator', tokenId: claims.jti, operatorId: claims.sub, ...granted, issuedAt: claims.iat, expiresAt: claims.exp };
  }

  /**
   * The claims of a token signed by an identity key of this project, whatever its environment and
   * even when expired. For revocation only: it says who the token belongs to, not that it is usable.
   */
  async readSignedClaims(token: string): Promise<TokenClaims> {
    const claims = await this.#signedClaims(token);
    this.#checkIssuer(claims);
    return claims;
  }

  /** Signature, shape, issuer, environment, and validity window: everything that needs no I/O. */
  async #verifiedClaims(token: string): Promise<TokenClaims> {
    const claims = await this.#signedClaims(token);
    this.#checkIssuer(claims);
    this.#checkEnvironment(claims);
    this.#checkValidityWindow(claims);
    return claims;
  }

  async #signedClaims(token: string): Promise<TokenClaims> {
    if (typeof token !== 'string' || token.length === 0) throw new InterlockError('AUTH_INVALID', 'the token is empty or not a string');
    if (token.length > TOKEN_MAX_LENGTH)
      throw new InterlockError('AUTH_INVALID', `the token is longer than ${TOKEN_MAX_LENGTH} characters`);
    const cached = this.#cache.get(token, this.#now() / 1000);
    if (cached !== undefined) return cached;
    if (!COMPACT_JWS_PATTERN.test(token)) throw new InterlockError('AUTH_INVALID', 'the token is not a compact JWT');

    let algorithm: unknown;
    let keyId: unknown;
    try {
      const header = decodeProtectedHeader(token);
      algorithm = header.alg;
      keyId = header.kid;
    } catch {
      throw new InterlockError('AUTH_INVALID', 'the token header is unreadable');
    }
    // Pinned before any key is touched: `none`, HS256 with the public key as secret and friends stop here.
    if (algorithm !== TOKEN_ALGORITHM) throw new InterlockError('AUTH_INVALID', 'the token algorithm is not accepted');
    const key = typeof keyId === 'string' ? this.#keys.get(keyId) : undefined;
    if (key === undefined) throw new InterlockError('AUTH_INVALID', 'the token was not signed by a known identity key');

    let payloadBytes: Uint8Array;
    try {
      payloadBytes = (await compactVerify(token, key, { algorithms: [TOKEN_ALGORITHM] })).payload;
    } catch {
      throw new InterlockError('AUTH_INVALID', 'the token signature does not verify');
    }
    let payload: unknown;
    try {
      payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payloadBytes));
    } catch {
      throw new InterlockError('AUTH_INVALID', 'the token claims are not JSON');
    }
    const claims = parseTokenClaims(payload);
    if (claims === undefined) throw new InterlockError('AUTH_INVALID', 'the token claims are malformed');
    this.#cache.set(token, claims);
    return claims;
  }

  #checkIssuer(claims: TokenClaims): void {
    if (claims.iss !== tokenIssuerFor(this.#config.project))
      throw new InterlockError('AUTH_INVALID', 'the token was issued for another project');
  }

  #checkEnvironment(claims: TokenClaims): void {
    if (claims.aud !== tokenAudienceFor(claims.env))
      throw new InterlockError('AUTH_INVALID', 'the token audience and environment disagree');
    if (claims.env !== this.#config.environment) {
      throw new InterlockError(
        'AUTH_WRONG_ENVIRONMENT',
        `the token was minted for "${claims.env}" but this deployment serves "${this.#config.environment}"`,
      );
    }
  }

  #checkValidityWindow(claims: TokenClaims): void {
    const nowSeconds = this.#now() / 1000;
    if (claims.exp <= claims.iat || claims.exp - claims.iat > this.#maxLifetimeSeconds) {
      throw new InterlockError('AUTH_INVALID', 'the token lifetime is outside the allowed range');
    }
    if (nowSeconds >= claims.exp + CLOCK_TOLERANCE_SECONDS) {
      throw new InterlockError('AUTH_EXPIRED', 'the token has expired', { reason: 'expired' });
    }
    if (nowSeconds < Math.max(claims.nbf, claims.iat) - CLOCK_TOLERANCE_SECONDS) {
      throw new InterlockError('AUTH_EXPIRED', 'the token is not valid yet', { reason: 'not_yet_valid' });
    }
  }

  #checkAgent(claims: AgentTokenClaims): AgentConfig {
    const agent = this.#directory.agent(claims.sub);
    if (agent === undefined) throw new InterlockError('AGENT_UNKNOWN', 'the token names an agent that is not configured');
    if (agent.tenant !== claims.tenant || agent.environment !== claims.env) {
      throw new InterlockError('AUTH_INVALID', "the token's tenant or environment no longer matches the agent's configuration");
    }
    return agent;
  }

  #checkOperator(claims: OperatorTokenClaims): { roles: readonly string[]; tenants: '*' | readonly string[] } {
    const operator = this.#directory.operator(claims.sub);
    if (operator === undefined) throw new InterlockError('AUTH_INVALID', 'the token names an operator that is not configured');
    // A token never grants more than the configuration grants now: removing a role or tenant takes effect at once.
    const roles = claims.roles.filter((role) => operator.roles.includes(role));
    const tenants = intersectTenants(claims.tenants, operator.tenants);
    return { roles, tenants };
  }

  async #checkNotRevoked(claims: TokenClaims): Promise<void> {
    let revoked: boolean;
    try {
      revoked = await this.#revocations.isRevoked(claims.jti, revocationSubjectFor(claims.kind, claims.sub), claims.iat);
    } catch (error) {
      if (isInterlockError(error)) throw error;
      throw new InterlockError('STORE_UNAVAILABLE', 'the revocation list could not be read');
    }
    if (revoked) throw new InterlockError('AUTH_REVOKED', 'the token has been revoked');
  }
}

function intersectTenants(fromToken: '*' | readonly string[], fromConfig: '*' | readonly string[]): '*' | readonly string[] {
  if (fromToken === '*') return fromConfig === '*' ? '*' : [...fromConfig];
  if (fromConfig === '*') return [...fromToken];
  return fromToken.filter((tenant) => fromConfig.includes(tenant));
}
