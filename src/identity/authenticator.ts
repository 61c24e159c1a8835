import type { AgentConfig } from '../config/schema.js';
import { InterlockError } from '../errors/interlock-error.js';
import { IdentityDirectory, type IdentityConfig } from './identity-config.js';
import type { AgentPrincipal, Credential, Principal, UserPrincipal } from './principal.js';
import type { TokenVerifier } from './token-verifier.js';
import type { UserAssertionVerifier } from './user-assertion.js';

export interface AuthenticatorOptions {
  readonly config: IdentityConfig;
  readonly tokenVerifier: TokenVerifier;
  readonly userAssertionVerifier: UserAssertionVerifier;
}

/** Who may read and administer: the result of a verified operator token. */
export interface OperatorIdentity {
  readonly operatorId: string;
  readonly roles: readonly string[];
  /** Tenants the operator may read; `*` for all. */
  readonly tenants: '*' | readonly string[];
  readonly tokenId: string;
}

/**
 * The first step of the pipeline: turns what a door presents into a principal, or refuses with a
 * typed error. Agent credentials and operator credentials never substitute for each other.
 */
export class Authenticator {
  readonly #config: IdentityConfig;
  readonly #directory: IdentityDirectory;
  readonly #tokens: TokenVerifier;
  readonly #userAssertions: UserAssertionVerifier;

  constructor(options: AuthenticatorOptions) {
    this.#config = options.config;
    this.#directory = new IdentityDirectory(options.config);
    this.#tokens = options.tokenVerifier;
    this.#userAssertions = options.userAssertionVerifier;
  }

  async authenticate(credential: Credential, userAssertion: string | undefined): Promise<Principal> {
    const agent = await this.#authenticateAgent(credential);
    const actingFor = await this.#authenticateUser(agent, userAssertion);
    return { agent, actingFor };
  }

  async authenticateOperator(token: string): Promise<OperatorIdentity> {
    if (typeof token !== 'string' || token.length === 0) throw new InterlockError('AUTH_MISSING', 'an operator bearer token is required');
    const verified = await this.#tokens.verifyOperatorToken(token);
    return { operatorId: verified.operatorId, roles: verified.roles, tenants: verified.tenants, tokenId: verified.tokenId };
  }

  async #authenticateAgent(credential: Credential): Promise<AgentPrincipal> {
    if (typeof credential !== 'object' || credential === null) throw new InterlockError('AUTH_MISSING', 'no credential was presented');
    if (credential.kind === 'token') {
      if (typeof credential.token !== 'string' || credential.token.length === 0)
        throw new InterlockError('AUTH_MISSING', 'no bearer token was presented');
      const verified = await this.#tokens.verifyAgentToken(credential.token);
      return toAgentPrincipal(verified.agent, verified.tokenId);
    }
    if (credential.kind === 'in_process') {
      // The host process vouches for in-process callers; all that is left to check is that the agent exists here.
      const agent = typeof credential.agentId === 'string' ? this.#directory.agent(credential.agentId) : undefined;
      if (agent === undefined) throw new InterlockError('AGENT_UNKNOWN', 'no agent with this id is configured');
      if (agent.environment !== this.#config.environment) {
        throw new InterlockError(
          'AUTH_WRONG_ENVIRONMENT',
          `agent "${agent.id}" is configured for "${agent.environment}" but this deployment serves "${this.#config.environment}"`,
        );
      }
      return toAgentPrincipal(agent, null);
    }
    throw new InterlockError('AUTH_INVALID', 'unknown credential kind');
  }

  async #authenticateUser(agent: AgentPrincipal, userAssertion: string | undefined): Promise<UserPrincipal | null> {
    if (userAssertion === undefined) return null;
    return this.#userAssertions.verify(userAssertion, { agentId: agent.agentId, tenant: agent.tenant });
  }
}

function toAgentPrincipal(agent: AgentConfig, tokenId: string | null): AgentPrincipal {
  return { agentId: agent.id, tenant: agent.tenant, environment: agent.environment, stage: agent.stage, owner: agent.owner, tokenId };
}
