import { randomUUID } from 'node:crypto';
import type { AuditEventInput } from '../audit/event.js';
import { InterlockError } from '../errors/interlock-error.js';
import type { ApprovalRecord, ApprovalStatus, ApprovalVote, Store } from '../store/store.js';

/** Someone deciding an approval: an operator authenticated by token (HTTP) or named on the CLI. */
export interface Approver {
  readonly operatorId: string;
  readonly roles: readonly string[];
  /** Tenants the operator may act on; `*` for every tenant. */
  readonly tenants: readonly string[] | '*';
}

/** What the kernel knows when policy asks for approval. */
export interface ApprovalDraft {
  readonly tenant: string;
  readonly agentId: string;
  readonly actingForUserId: string | null;
  readonly binding: string;
  readonly idempotencyKey: string | null;
  readonly tool: string;
  readonly operation: string;
  readonly role: string;
  readonly quorum: number;
  readonly details: ApprovalDetails;
}

export interface ApprovalDetails {
  readonly traceId: string;
  readonly sessionId: string | null;
  readonly callId: string;
  readonly effect: string;
  /** Arguments as approvers see them: secrets and obligation fields redacted. */
  readonly arguments: unknown;
  readonly reasons: readonly string[];
  readonly policyIds: readonly string[];
  readonly bundleVersion: string;
  readonly entities: readonly string[];
  readonly costUsd: number;
  /** Supplied by the caller (e.g. cited sources); redacted like arguments. */
  readonly evidence: unknown;
  /** What the tool says would change, when it offers a dry run; null otherwise. */
  readonly dryRun: unknown;
}

/** An approval as shown to people and agents: the record with its details and votes parsed. */
export interface ApprovalView {
  readonly schemaVersion: 1;
  readonly id: string;
  readonly status: ApprovalStatus;
  readonly tenant: string;
  readonly agentId: string;
  readonly actingForUserId: string | null;
  readonly tool: string;
  readonly operation: string;
  readonly approverRole: string;
  readonly quorum: number;
  readonly approvals: number;
  readonly votes: ReadonlyArray<{ approver: string; decision: 'approve' | 'deny'; comment: string; at: string }>;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly decidedAt: string | null;
  readonly consumedByCall: string | null;
  readonly details: ApprovalDetails;
}

export interface ApprovalNotifier {
  notify(event: { type: string; payload: Record<string, unknown> }): void;
}

export interface ApprovalServiceOptions {
  readonly store: Store;
  readonly audit: { record(input: AuditEventInput): string; flush(): Promise<void> };
  /** How long a request stays open before it ends as denied. */
  readonly expiryMs: number;
  readonly notifier?: ApprovalNotifier | undefined;
  readonly now?: () => number;
}

const MAX_COMMENT = 2000;
/** One sweep expires at most this many batches; the rest wait for the next sweep. */
const SWEEP_BATCH_SIZE = 100;
const SWEEP_BATCHES = 10;

/**
 * Durable approval requests bound to one exact action. Approvers need the role the policy named,
 * may not be the requesting agent or the user it acts for, and count once each towards the quorum.
 * A request not decided before it expires ends as denied; an approved one is used at most once.
 */
export class ApprovalService {
  readonly #options: ApprovalServiceOptions;
  readonly #now: () => number;

  constructor(options: ApprovalServiceOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  async request(draft: ApprovalDraft): Promise<ApprovalRecord> {
    const now = this.#now();
    const record: ApprovalRecord = {
      id: randomUUID(),
      tenant: draft.tenant,
      agentId: draft.agentId,
      actingForUserId: draft.actingForUserId,
      actionHash: draft.binding,
      idempotencyKey: draft.idempotencyKey,
      tool: draft.tool,
      operation: draft.operation,
      role: draft.role,
      quorum: Math.max(1, Math.floor(draft.quorum)),
      status: 'pending',
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.#options.expiryMs).toISOString(),
      decidedAt: null,
      consumedByCall: null,
      details: JSON.stringify(draft.details),
    };
    await this.#options.store.insertApproval(record);
    this.#options.audit.record({
      type: 'approval.requested',
      tenant: record.tenant,
      agent: record.agentId,
      traceId: draft.details.traceId,
      callId: draft.details.callId,
      data: {
        approvalId: record.id,
        tool: record.tool,
        operation: record.operation,
        approverRole: record.role,
        quorum: record.quorum,
        expiresAt: record.expiresAt,
        reasons: draft.details.reasons,
        policyIds: draft.details.policyIds,
        bundleVersion: draft.details.bundleVersion,
      },
    });
    this.#notify('approval.requested', await this.view(record));
    return record;
  }

  /** The open approval for this action (or idempotency key), after applying any expiry that is due. */
  async find(tenant: string, agentId: string, binding: string, idempotencyKey: string | null): Promise<ApprovalRecord | null> {
    const found = await this.#options.store.findOpenApproval(tenant, agentId, binding, idempotencyKey);
    return found === null ? null : this.#expireIfDue(found);
  }

  async get(id: string): Promise<ApprovalRecord | null> {
    const found = await this.#options.store.getApproval(id);
    return found === null ? null : this.#expireIfDue(found);
  }

  /** `approved` → `consumed` by this call: true for exactly one caller. */
  consume(id: string, callId: string): Promise<boolean> {
    return this.#options.store.consumeApproval(id, callId, new Date(this.#now()).toISOString());
  }

  /** Records an approver's decision, after separation-of-duty and role checks. */
  async decide(id: string, approver: Approver, decision: 'approve' | 'deny', comment: string): Promise<ApprovalView> {
    if (typeof comment !== 'string' || comment.length > MAX_COMMENT) {
      throw new InterlockError('REQUEST_INVALID', `a comment is at most ${MAX_COMMENT} characters`);
    }
    const record = await this.get(id);
    if (record === null || !mayActOn(approver, record.tenant)) throw new InterlockError('NOT_FOUND', 'no such approval request');
    if (approver.operatorId === record.agentId) {
      throw new InterlockError('APPROVER_NOT_ALLOWED', 'the requesting agent cannot decide its own approval');
    }
    if (record.actingForUserId !== null && approver.operatorId === record.actingForUserId) {
      throw new InterlockError('APPROVER_NOT_ALLOWED', 'the user the agent acts for cannot approve the action taken for them');
    }
    if (!approver.roles.includes(record.role)) {
      throw new InterlockError('APPROVER_NOT_ALLOWED', `deciding this request needs the role "${record.role}"`, {
        approverRole: record.role,
      });
    }
    if (record.status !== 'pending') {
      throw new InterlockError('APPROVAL_CLOSED', `the approval request is already ${record.status}`, { status: record.status });
    }
    const at = new Date(this.#now()).toISOString();
    if (record.expiresAt <= at) {
      // It ran out between reading it and voting. Expiring it here, before the vote, keeps the
      // store's vote from expiring it too: whoever expires a request announces it, once.
      await this.#expire(record, at);
      await this.#options.audit.flush();
      throw expiredBeforeDecision();
    }
    const vote: ApprovalVote = { approvalId: id, approver: approver.operatorId, decision, comment, at };
    const after = await this.#options.store.voteOnApproval(vote);
    if (after === null) throw new InterlockError('NOT_FOUND', 'no such approval request');
    // Expired by another process (whose clock ran ahead), which announced it: the vote was not recorded.
    if (after.status === 'expired') throw expiredBeforeDecision();
    const details = parseDetails(after.details);
    this.#options.audit.record({
      type: 'approval.voted',
      tenant: after.tenant,
      agent: after.agentId,
      traceId: details.traceId,
      callId: null,
      data: { approvalId: id, approver: approver.operatorId, decision, comment, statusAfter: after.status },
    });
    if (after.status !== record.status) {
      this.#options.audit.record({
        type: 'approval.decided',
        tenant: after.tenant,
        agent: after.agentId,
        traceId: details.traceId,
        callId: null,
        data: { approvalId: id, status: after.status, decidedBy: approver.operatorId },
      });
    }
    await this.#options.audit.flush();
    const view = await this.view(after);
    if (after.status !== record.status) this.#notify(`approval.${after.status}`, view);
    return view;
  }

  async list(filter: {
    tenants: readonly string[] | '*';
    status?: ApprovalStatus;
    agentId?: string;
    limit: number;
  }): Promise<ApprovalView[]> {
    await this.expireDue();
    const records = await this.#options.store.listApprovals({
      ...(filter.tenants === '*' ? {} : { tenants: filter.tenants }),
      ...(filter.status === undefined ? {} : { status: filter.status }),
      ...(filter.agentId === undefined ? {} : { agentId: filter.agentId }),
      limit: filter.limit,
    });
    return Promise.all(records.map((record) => this.view(record)));
  }

  /**
   * Moves overdue pending requests to `expired`, in batches, and announces each one this process
   * expired (audit `approval.expired`, webhook). Several processes may sweep one store at once:
   * each request expires in one atomic update, so it is announced once. Returns how many it expired.
   */
  async expireDue(): Promise<number> {
    let expired = 0;
    try {
      for (let batch = 0; batch < SWEEP_BATCHES; batch += 1) {
        const now = new Date(this.#now()).toISOString();
        const due = await this.#options.store.listDueApprovals(now, SWEEP_BATCH_SIZE);
        for (const record of due) if ((await this.#expire(record, now)) !== null) expired += 1;
        if (due.length < SWEEP_BATCH_SIZE) break;
      }
    } finally {
      if (expired > 0) await this.#options.audit.flush();
    }
    return expired;
  }

  async view(record: ApprovalRecord): Promise<ApprovalView> {
    const votes = await this.#options.store.listApprovalVotes(record.id);
    return {
      schemaVersion: 1,
      id: record.id,
      status: record.status,
      tenant: record.tenant,
      agentId: record.agentId,
      actingForUserId: record.actingForUserId,
      tool: record.tool,
      operation: record.operation,
      approverRole: record.role,
      quorum: record.quorum,
      approvals: votes.filter((vote) => vote.decision === 'approve').length,
      votes: votes.map((vote) => ({ approver: vote.approver, decision: vote.decision, comment: vote.comment, at: vote.at })),
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
      decidedAt: record.decidedAt,
      consumedByCall: record.consumedByCall,
      details: parseDetails(record.details),
    };
  }

  /** The lazy path: a request read past its expiry is expired now, whether or not a sweeper got to it. */
  async #expireIfDue(record: ApprovalRecord): Promise<ApprovalRecord> {
    const now = new Date(this.#now()).toISOString();
    if (record.status !== 'pending' || record.expiresAt > now) return record;
    return (await this.#expire(record, now)) ?? (await this.#options.store.getApproval(record.id)) ?? record;
  }

  /** Expires one request; only the caller whose update expired it records and announces it. */
  async #expire(record: ApprovalRecord, now: string): Promise<ApprovalRecord | null> {
    const after = await this.#options.store.expireApproval(record.id, now);
    if (after === null) return null;
    this.#options.audit.record({
      type: 'approval.expired',
      tenant: after.tenant,
      agent: after.agentId,
      traceId: parseDetails(after.details).traceId,
      callId: null,
      data: { approvalId: after.id, tool: after.tool, operation: after.operation, expiresAt: after.expiresAt, expiredAt: now },
    });
    this.#notify('approval.expired', await this.view(after));
    return after;
  }

  #notify(type: string, view: ApprovalView): void {
    // Notifications carry what an approver needs to find the request, not its arguments.
    this.#options.notifier?.notify({
      type,
      payload: {
        approvalId: view.id,
        status: view.status,
        tenant: view.tenant,
        agentId: view.agentId,
        tool: view.tool,
        operation: view.operation,
        approverRole: view.approverRole,
        quorum: view.quorum,
        approvals: view.approvals,
        expiresAt: view.expiresAt,
        reasons: view.details.reasons,
      },
    });
  }
}

function expiredBeforeDecision(): InterlockError {
  return new InterlockError('APPROVAL_CLOSED', 'the approval request expired before this decision; it ends as denied', {
    status: 'expired',
  });
}

function mayActOn(approver: Approver, tenant: string): boolean {
  return approver.tenants === '*' || approver.tenants.includes(tenant);
}

function parseDetails(text: string): ApprovalDetails {
  return JSON.parse(text) as ApprovalDetails;
}
