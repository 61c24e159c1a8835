import type { Effect } from '../config/schema.js';
import type { AgentPrincipal, UserPrincipal } from '../identity/principal.js';

export type DecisionKind = 'allow' | 'deny' | 'require_approval';

export interface ApprovalObligation {
  /** Role an approver must hold. */
  readonly role: string;
  /** Distinct approvers required. */
  readonly quorum: number;
}

/** Obligations ride on policy annotations of the determining policies (see docs/reference/policy.md). */
export interface Obligations {
  readonly approval: ApprovalObligation | null;
  /** Dotted paths into the result (and arguments in evidence) to redact. */
  readonly redactFields: readonly string[];
  /** The session must continue read-only after this call. */
  readonly readOnly: boolean;
}

/** A decision is data: never a boolean, never an exception. */
export interface Decision {
  readonly kind: DecisionKind;
  readonly reasons: readonly string[];
  /** Ids of the determining policies (for the user half of a delegation, prefixed `user:`). */
  readonly policyIds: readonly string[];
  /** Content hash of the policy bundle that decided. */
  readonly bundleVersion: string;
  readonly obligations: Obligations;
  /** Engine errors that forced a deny (fail closed); empty on a normal decision. */
  readonly errors: readonly string[];
}

export const NO_OBLIGATIONS: Obligations = { approval: null, redactFields: [], readOnly: false };

/** Risk signals available to policy as `context.risk`. Later issues add more. */
export interface RiskContext {
  readonly score: number;
  readonly taintedArgs: readonly string[];
}

/** Everything policy sees about one proposed action. Plain values only. */
export interface PolicyRequest {
  readonly agent: AgentPrincipal;
  readonly actingFor: UserPrincipal | null;
  readonly tool: string;
  readonly operation: string;
  readonly effect: Effect;
  readonly arguments: Readonly<Record<string, unknown>>;
  /** Deployment environment serving the call. */
  readonly environment: string;
  readonly risk: RiskContext;
  /** Entities the call touches (`type:id`) and how many. */
  readonly entities: readonly string[];
}
