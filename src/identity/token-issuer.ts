import { randomBytes, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Environment } from '../config/schema.js';
import { parseDuration } from '../config/duration.js';
import { InterlockError } from '../errors/interlock-error.js';
import { epochSeconds, IdentityDirectory, systemClock, type Clock, type IdentityConfig } from './identity-config.js';
import { TOKEN_ALGORITHM, tokenAudienceFor, tokenIssuerFor, type AgentTokenClaims, type OperatorTokenClaims } from './token-claims.js';

export interface TokenIssuerOptions {
  readonly config: IdentityConfig;
  /** The identity signing key (`loadOrCreateSigningKey(dataDir, 'identity')`). */
  readonly signingKey: { readonly keyId: string; readonly privateKey: KeyObject };
  readonly now?: Clock;
}

export interface AgentTokenRequest {
  readonly agentId: string;
  /** Must equal the agent's configured environment; defaults to it. */
  readonly environment?: Environment;
  /** Defaults to `identity.tokenTtl`; refused above `identity.maxTokenTtl`. */
  readonly ttlSeconds?: number;
}

export interface OperatorTokenRequest {
  readonly operatorId: string;
  readonly ttlSeconds?: number;
}

export interface MintedToken {
  readonly token: string;
  readonly kind: 'agent' | 'operator';
  /** The `jti` claim: what `revokeToken` takes. */
  readonly tokenId: string;
  /** The agent or operator id (`sub`). */
  readonly subject: string;
  readonly environment: Environment;
  /** Epoch seconds. */
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** Mints short-lived Ed25519-signed tokens for configured agents and operators. */
export class TokenIssuer {
  readonly #config: IdentityConfig;
  readonly #directory: IdentityDirectory;
  readonly #signingKey: TokenIssuerOptions['signingKey'];
  readonly #now: Clock;
  readonly #defaultTtlSeconds: number;
  readonly #maxTtlSeconds: number;

  constructor(options: TokenIssuerOptions) {
    this.#config = options.config;
    this.#directory = new IdentityDirectory(options.config);
    this.#signingKey = options.signingKey;
    this.#now = options.now ?? systemClock;
    this.#defaultTtlSeconds = Math.floor(parseDuration(options.config.identity.tokenTtl) / 1000);
    this.#maxTtlSeconds = Math.floor(parseDuration(options.config.identity.maxTokenTtl) / 1000);
    if (this.#defaultTtlSeconds < 1 || this.#defaultTtlSeconds > this.#maxTtlSeconds) {
      throw new InterlockError('CONFIG_INVALID', 'identity.tokenTtl must be at least 1s and at most identity.maxTokenTtl');
    }
  }

  async mintAgentToken(request: AgentTokenRequest): Promise<MintedToken> {
    const agent = this.#directory.agent(request.agentId);
    if (agent === undefined) throw new InterlockError('AGENT_UNKNOWN', 'no agent with this id is configured');
    if (request.environment !== undefined && request.environment !== agent.environment) {
      throw new InterlockError('AUTH_WRONG_ENVIRONMENT', `agent "${agent.id}" is configured for environment "${agent.environment}"`);
    }
    const window = this.#validityWindow(request.ttlSeconds);
    const claims: AgentTokenClaims = {
      iss: tokenIssuerFor(this.#config.project),
      sub: agent.id,
      aud: tokenAudienceFor(agent.environment),
      env: agent.environment,
      kind: 'agent',
      tenant: agent.tenant,
      jti: newTokenId(),
      ...window,
    };
    return {
      token: await this.#sign(claims),
      kind: 'agent',
      tokenId: claims.jti,
      subject: agent.id,
      environment: agent.environment,
      issuedAt: window.iat,
      expiresAt: window.exp,
    };
  }

  /** Operator tokens open the read and admin API only; they carry the operator's configured roles and tenants. */
  async mintOperatorToken(request: OperatorTokenRequest): Promise<MintedToken> {
    const operator = this.#directory.operator(request.operatorId);
    if (operator === undefined) throw new InterlockError('REQUEST_INVALID', 'no operator with this id is configured');
    const window = this.#validityWindow(request.ttlSeconds);
    const environment = this.#config.environment;
    const claims: OperatorTokenClaims = {
      iss: tokenIssuerFor(this.#config.project),
      sub: operator.id,
      aud: tokenAudienceFor(environment),
      env: environment,
      kind: 'operator',
      roles: [...operator.roles],
      tenants: operator.tenants === '*' ? '*' : [...operator.tenants],
      jti: newTokenId(),
      ...window,
    };
    return {
      token: await this.#sign(claims),
      kind: 'operator',
      tokenId: claims.jti,
      subject: operator.id,
      environment,
      issuedAt: window.iat,
      expiresAt: window.exp,
    };
  }

  #validityWindow(ttlSeconds: number | undefined): { iat: number; nbf: number; exp: number } {
    const ttl = ttlSeconds ?? this.#defaultTtlSeconds;
    if (!Number.isSafeInteger(ttl) || ttl < 1)
      throw new InterlockError('REQUEST_INVALID', 'token lifetime must be a whole number of seconds, at least 1');
    if (ttl > this.#maxTtlSeconds) {
      throw new InterlockError('REQUEST_INVALID', `token lifetime ${ttl}s exceeds identity.maxTokenTtl (${this.#maxTtlSeconds}s)`);
    }
    const issuedAt = epochSeconds(this.#now());
    return { iat: issuedAt, nbf: issuedAt, exp: issuedAt + ttl };
  }

  #sign(claims: AgentTokenClaims | OperatorTokenClaims): Promise<string> {
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, typ: 'JWT', kid: this.#signingKey.keyId })
      .sign(this.#signingKey.privateKey);
  }
}

/** 128 random bits, base64url: unguessable and unique enough to be a revocation key. */
function newTokenId(): string {
  return randomBytes(16).toString('base64url');
}
