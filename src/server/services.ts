import type { Logger } from 'pino';
import type { ApprovalView } from '../approvals/approval-service.js';
import type { CallResolution, ResolutionOrder, UnresolvedCall } from '../execution/outcome-resolution.js';
import type { CallOutcome, CallRequest } from '../gate/call.js';
import type { Credential } from '../identity/principal.js';
import type { McpHttpServices } from '../mcp/http-door.js';
import type { PlanView } from '../plans/plan.js';
import type { RetrievalHttpServices } from './routes/retrieval.js';
import type { ApprovalStatus, ContainmentRule, ContainmentScope, SessionMode } from '../store/store.js';

/** Who is reading evidence: an operator (scoped to tenants) or an agent (its own calls only). */
export type Reader =
  | { readonly kind: 'operator'; readonly operatorId: string; readonly tenants: readonly string[] | '*' }
  | { readonly kind: 'agent'; readonly agentId: string; readonly tenant: string };

/** An operator proven by an operator token: decides approvals and contains agents in its tenants. */
export interface Operator {
  readonly operatorId: string;
  readonly roles: readonly string[];
  readonly tenants: readonly string[] | '*';
}

export interface ApprovalQuery {
  readonly status?: ApprovalStatus | undefined;
  readonly agent?: string | undefined;
  readonly limit: number;
}

export interface KillOrder {
  readonly scope: Exclude<ContainmentScope, 'session'>;
  readonly target: string;
  readonly reason: string;
  readonly revokeCredentials?: boolean | undefined;
}

export interface LiftOrder {
  readonly scope: Exclude<ContainmentScope, 'session'>;
  readonly target: string;
  readonly reason: string;
}

export interface ModeOrder {
  readonly scope: 'tenant' | 'agent' | 'session';
  readonly target: string;
  readonly mode: SessionMode;
  readonly reason: string;
}

/** Kill switches and modes in force that concern an operator's tenants (fleet-wide ones included). */
export interface ContainmentListing {
  readonly killSwitches: readonly ContainmentRule[];
  readonly modes: readonly ContainmentRule[];
}

export interface AuditQuery {
  readonly agent?: string | undefined;
  readonly traceId?: string | undefined;
  readonly callId?: string | undefined;
  readonly type?: string | undefined;
  readonly tenant?: string | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly afterSeq?: number | undefined;
  readonly limit: number;
}

export interface AuditPage {
  readonly events: ReadonlyArray<{ readonly seq: number; readonly hash: string; readonly prevHash: string; readonly event: unknown }>;
  /** Pass as `after` to get the next page; null when this page is the last. */
  readonly nextCursor: number | null;
}

/** Everything the HTTP door needs, as plain async functions: it holds no domain logic. */
export interface ServerServices {
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  call(request: CallRequest, credential: Credential): Promise<CallOutcome>;
  /** Accepts an operator token, or an agent token (restricted to that agent's own evidence). */
  authenticateReader(token: string): Promise<Reader>;
  readAudit(reader: Reader, query: AuditQuery): Promise<AuditPage>;
  traceStory(reader: Reader, traceId: string): Promise<unknown>;
  verifyAudit(reader: Reader): Promise<{ ok: boolean; report: unknown }>;
  /** Accepts an operator token only; a valid agent token is FORBIDDEN (agents never decide or contain). */
  authenticateOperator(token: string): Promise<Operator>;
  /** Operators see their tenants' approval requests; agents see their own. */
  listApprovals(reader: Reader, query: ApprovalQuery): Promise<ApprovalView[]>;
  /** One approval request, or NOT_FOUND when it is outside the reader's scope. */
  getApproval(reader: Reader, id: string): Promise<ApprovalView>;
  decideApproval(operator: Operator, id: string, decision: 'approve' | 'deny', comment: string): Promise<ApprovalView>;
  listContainment(operator: Operator): Promise<ContainmentListing>;
  kill(operator: Operator, order: KillOrder): Promise<ContainmentRule>;
  /** Lifts the kill switches on one scope and target; returns those that were lifted. */
  unkill(operator: Operator, order: LiftOrder): Promise<{ lifted: number; rules: readonly ContainmentRule[] }>;
  /** Sets a mode; `normal` lifts it and answers null. */
  setMode(operator: Operator, order: ModeOrder): Promise<ContainmentRule | null>;
  /** Settles a write whose outcome is unknown as executed or not_executed, within the operator's tenants. */
  resolveCall(operator: Operator, order: ResolutionOrder): Promise<CallResolution>;
  /** Writes whose outcome is unknown, in the operator's tenants. */
  unresolvedCalls(operator: Operator, query: { tenant?: string; limit?: number }): Promise<UnresolvedCall[]>;
  /** Decides every step of a plan without running any; stores it as `proposed` or `blocked`. */
  proposePlan(request: unknown, credential: Credential): Promise<PlanView>;
  /** The plan, for the agent that proposed it or an operator of its tenant. */
  getPlan(reader: Reader, id: string): Promise<PlanView>;
  /** Runs a proposed plan once every approval is in; PLAN_BLOCKED, PLAN_NOT_READY or PLAN_CLOSED otherwise. */
  executePlan(id: string, credential: Credential, actingFor?: string): Promise<PlanView>;
  /** Records content that entered a session (agent token; origin `user` needs the user's assertion). */
  recordSessionContent(
    credential: Credential,
    sessionId: string,
    content: { origin: string; text: string; sourceId?: string; label?: string; traceId?: string; actingFor?: string },
  ): Promise<{ entryId: string; trust: 'trusted' | 'untrusted'; injectionScore: number; signals: string[]; values: number }>;
  ready(): Promise<void>;
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Governed retrieval: `/v1/retrieve` for agents, `/v1/sources` for operators. */
  readonly retrieval: RetrievalHttpServices;
  /** The MCP gateway's Streamable HTTP door at `/mcp`, when the runtime offers it. */
  readonly mcp?: McpHttpServices | undefined;
}
