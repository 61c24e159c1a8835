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

/**
 * Risk signals available to policy as `context.risk` (see docs/reference/policy.md). Fields other
 * than `score` and `taintedArgs` default to "nothing observed" when absent.
 */
export interface RiskContext {
  /** 0..100: the strongest of the signals below. */
  readonly score: number;
  /** Dotted paths of arguments carrying values that came from untrusted content in this session. */
  readonly taintedArgs: readonly string[];
  /** Where the tainted values came from: `origin:sourceId`. */
  readonly taintSources?: readonly string[];
  /** 0..100: the highest injection score of content that entered this session. */
  readonly injectionScore?: number;
  /** Names of the signals raised, e.g. `taint`, `injection:override`, `loop`, `low_confidence`. */
  readonly signals?: readonly string[];
  /** How many times this exact call was proposed in this session recently (this one included). */
  readonly repeats?: number;
  /** 0..100 as reported by the caller; 100 when not reported. */
  readonly confidence?: number;
  /** The chunks the call cites, checked against what was retrieved in its trace. */
  readonly citations?: CitationCheck;
}

export interface CitationCheck {
  readonly cited: number;
  /** Retrieved in this trace, fresh, from a source not quarantined. */
  readonly valid: number;
  readonly stale: number;
  readonly quarantined: number;
  /** Not handed out in this trace (or not to this tenant). */
  readonly unknown: number;
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
