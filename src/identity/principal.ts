import type { Environment, Stage } from '../config/schema.js';

/** The authenticated agent behind a call. */
export interface AgentPrincipal {
  readonly agentId: string;
  readonly tenant: string;
  readonly environment: Environment;
  readonly stage: Stage;
  readonly owner: string;
  /** The token id (jti) presented, or null for in-process callers trusted by the host. */
  readonly tokenId: string | null;
}

/** A user the agent acts for, established only from a verified assertion of a trusted issuer. */
export interface UserPrincipal {
  readonly userId: string;
  readonly tenant: string;
  readonly roles: readonly string[];
  /** The trusted issuer id from configuration that signed the assertion. */
  readonly issuer: string;
}

export interface Principal {
  readonly agent: AgentPrincipal;
  readonly actingFor: UserPrincipal | null;
}

/** What a door presents to authenticate a call. In-process is only offered by the SDK. */
export type Credential = { readonly kind: 'token'; readonly token: string } | { readonly kind: 'in_process'; readonly agentId: string };
