import type { Effect } from '../config/schema.js';
import type { ErrorData } from '../errors/interlock-error.js';
import type { ApprovalSummary, DecisionSummary } from '../gate/call.js';
import type { CallStatus } from '../gate/ports.js';
import type { PlanStatus } from '../store/store.js';

export const PLAN_SCHEMA_VERSION = 1;
/** A plan is reviewed as a whole: long chains are split into several plans. */
export const MAX_PLAN_STEPS = 50;

/** One proposed action, as the agent sends it. */
export interface PlanAction {
  readonly tool: string;
  readonly operation: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  /** Default for writes: `plan:<planId>:<index>`. */
  readonly idempotencyKey?: string | undefined;
  /** Supporting material for approvers of this step. */
  readonly evidence?: unknown;
}

export interface PlanProposal {
  readonly actions: readonly PlanAction[];
  /** The trace every step is decided and run under; default `plan-<planId>`. */
  readonly traceId?: string | undefined;
  readonly sessionId?: string | undefined;
  /** A signed user assertion when the agent acts for a user. */
  readonly actingFor?: string | undefined;
}

/** What one step touches: the figures caps are checked against. */
export interface StepBlastRadius {
  readonly write: boolean;
  readonly entityCount: number;
  /** `type:id`, as the operation's entity selectors extract them. */
  readonly entities: readonly string[];
  readonly costUsd: number;
}

/** The kernel's verdict on a step when the plan was proposed; null when it was not evaluated. */
export interface StepEvaluation {
  /** `evaluated` (would run) or `approval_required`; anything else blocks the plan. */
  readonly status: CallStatus;
  readonly callId: string;
  readonly auditEventId: string;
  readonly decision: DecisionSummary | null;
  readonly approval: ApprovalSummary | null;
  readonly error: ErrorData | null;
}

export interface PlanStep {
  readonly index: number;
  readonly tool: string;
  readonly operation: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  /** The key the step runs under; null for a read without one. */
  readonly idempotencyKey: string | null;
  /** null when the operation does not exist for this agent. */
  readonly effect: Effect | null;
  readonly blastRadius: StepBlastRadius;
  readonly evaluation: StepEvaluation | null;
}

export interface PlanTotals {
  readonly toolCalls: number;
  readonly writes: number;
  /** Summed per step, as the caps count them. */
  readonly entities: number;
  readonly distinctEntities: number;
  readonly costUsd: number;
}

/** One cap the plan as a whole would exceed. */
export interface CapExcess {
  /** e.g. `perRequest.writes`. */
  readonly limit: string;
  readonly max: number;
  readonly planned: number;
}

/** Why a plan cannot run. */
export type PlanBlock =
  | { readonly reason: 'cap'; readonly message: string; readonly caps: readonly CapExcess[] }
  | { readonly reason: 'step'; readonly message: string; readonly step: number; readonly code: string }
  | { readonly reason: 'approval'; readonly message: string; readonly step: number; readonly approvalId: string; readonly status: string };

export interface StepOutcome {
  readonly index: number;
  readonly status: CallStatus;
  readonly callId: string;
  readonly auditEventId: string;
  readonly replayed: boolean;
  readonly result?: unknown;
  readonly error?: ErrorData;
}

export interface PlanExecution {
  readonly startedAt: string;
  readonly finishedAt: string | null;
  /** Outcomes of the steps that ran, in order; the last one is the failure when the plan failed. */
  readonly steps: readonly StepOutcome[];
}

/** The stored plan (canonical JSON in PlanRecord.body). */
export interface PlanBody {
  readonly schemaVersion: typeof PLAN_SCHEMA_VERSION;
  readonly id: string;
  readonly tenant: string;
  readonly agentId: string;
  readonly actingFor: { readonly userId: string; readonly issuer: string } | null;
  readonly traceId: string;
  readonly sessionId: string | null;
  readonly createdAt: string;
  readonly steps: readonly PlanStep[];
  readonly totals: PlanTotals;
  readonly blocked: PlanBlock | null;
  readonly execution: PlanExecution | null;
}

/** A plan as shown to its agent and to operators. */
export interface PlanView extends Omit<PlanBody, 'steps'> {
  readonly status: PlanStatus;
  readonly hash: string;
  readonly updatedAt: string;
  /** True when the plan is `proposed` and every approval it needs is granted. */
  readonly ready: boolean;
  /** Approvals still waited for (ids). */
  readonly pendingApprovals: readonly string[];
  readonly steps: ReadonlyArray<PlanStep & { readonly approvalStatus: string | null }>;
}
