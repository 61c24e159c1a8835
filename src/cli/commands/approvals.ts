import { setTimeout as sleep } from 'node:timers/promises';
import { ApprovalService, type Approver, type ApprovalView } from '../../approvals/approval-service.js';
import { WebhookNotifier } from '../../approvals/webhook-notifier.js';
import { parseDuration } from '../../config/duration.js';
import { SecretResolver } from '../../config/secrets.js';
import { InterlockError } from '../../errors/interlock-error.js';
import type { ApprovalStatus } from '../../store/store.js';
import { withAuditedStore, type AuditedStore } from './audited-store.js';

export const APPROVAL_STATUS_CHOICES: readonly ApprovalStatus[] = ['pending', 'approved', 'denied', 'expired', 'consumed'];

export interface ApprovalsListOptions {
  readonly project: string;
  readonly status?: ApprovalStatus;
  readonly agent?: string;
  readonly limit?: number;
  readonly json?: boolean;
}

export interface ApprovalDecisionOptions {
  readonly project: string;
  /** A configured operator: its roles and tenants decide what it may approve. */
  readonly as: string;
  readonly comment?: string;
  readonly json?: boolean;
}

const DEFAULT_LIMIT = 50;
const SHOWN_TEXT = 400;
/** How long a decision waits for its webhook delivery (retries included) before the command exits. */
const NOTIFY_WAIT_MS = 10_000;

function approvalService(opened: AuditedStore, notifier?: WebhookNotifier): ApprovalService {
  return new ApprovalService({
    store: opened.store,
    audit: opened.audit,
    expiryMs: parseDuration(opened.context.project.config.approvals.expiry),
    notifier,
  });
}

/** The configured approval webhook, as the server has it: deliveries and failures are audited. */
function webhookNotifier(opened: AuditedStore): WebhookNotifier | undefined {
  const { project } = opened.context;
  const webhook = project.config.approvals.webhook;
  if (webhook === undefined) return undefined;
  const secrets = new SecretResolver(project.dir);
  const recordDelivery = (data: Record<string, unknown>): void => {
    opened.audit.record({ type: 'approval.notified', tenant: null, agent: null, traceId: null, callId: null, data });
  };
  return new WebhookNotifier({
    url: webhook.url.startsWith('env:') || webhook.url.startsWith('file:') ? secrets.resolve(webhook.url) : webhook.url,
    secret: secrets.resolve(webhook.secret),
    onDelivered: (deliveryId, type, attempts) => recordDelivery({ deliveryId, event: type, delivered: true, attempts }),
    onFailed: (deliveryId, type, reason) => recordDelivery({ deliveryId, event: type, delivered: false, reason }),
  });
}

/** Lets deliveries finish (bounded), then closes: what is still queued is reported as failed. */
async function settle(notifier: WebhookNotifier | undefined): Promise<void> {
  if (notifier === undefined) return;
  const deadline = Date.now() + NOTIFY_WAIT_MS;
  while (notifier.pending > 0 && Date.now() < deadline) await sleep(25);
  await notifier.close();
}

/** `interlock approvals list`: every tenant's requests, newest first (the CLI runs with store access). */
export async function approvalsList(options: ApprovalsListOptions): Promise<void> {
  const approvals = await withAuditedStore(options.project, (opened) =>
    approvalService(opened).list({
      tenants: '*',
      limit: options.limit ?? DEFAULT_LIMIT,
      ...(options.status === undefined ? {} : { status: options.status }),
      ...(options.agent === undefined ? {} : { agentId: options.agent }),
    }),
  );
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify({ schemaVersion: 1, approvals }, null, 2)}\n`);
    return;
  }
  if (approvals.length === 0) {
    process.stdout.write(`no ${options.status ?? ''}${options.status === undefined ? '' : ' '}approval requests\n`);
    return;
  }
  const rows = approvals.map((approval) => [
    approval.id,
    approval.status,
    `${approval.tenant}/${approval.agentId}`,
    `${approval.tool}.${approval.operation}`,
    `${approval.approvals}/${approval.quorum}`,
    approval.approverRole,
    approval.status === 'pending' ? approval.expiresAt : (approval.decidedAt ?? ''),
  ]);
  process.stdout.write(table([['ID', 'STATUS', 'AGENT', 'ACTION', 'VOTES', 'ROLE', 'EXPIRES/DECIDED'], ...rows]));
}

/** `interlock approvals show ID`: what the action is, why it needs approval, and who voted. */
export async function approvalsShow(options: { project: string; id: string; json?: boolean }): Promise<void> {
  const view = await withAuditedStore(options.project, async (opened) => {
    const service = approvalService(opened);
    const record = await service.get(options.id);
    if (record === null) throw new InterlockError('NOT_FOUND', `no approval request "${options.id.slice(0, 80)}"`);
    return service.view(record);
  });
  process.stdout.write(options.json === true ? `${JSON.stringify(view, null, 2)}\n` : describe(view));
}

/** `interlock approvals approve|deny ID --as OPERATOR`: one vote, with the operator's configured roles and tenants. */
export async function approvalsDecide(decision: 'approve' | 'deny', id: string, options: ApprovalDecisionOptions): Promise<void> {
  const view = await withAuditedStore(options.project, async (opened) => {
    const approver = configuredOperator(opened, options.as);
    const notifier = webhookNotifier(opened);
    try {
      return await approvalService(opened, notifier).decide(id, approver, decision, options.comment ?? '');
    } finally {
      await settle(notifier);
    }
  });
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    return;
  }
  const verb = decision === 'approve' ? 'approved' : 'denied';
  const outcome =
    view.status === 'pending'
      ? `${view.approvals} of ${view.quorum} approvals, still pending`
      : view.status === 'approved'
        ? `approved (${view.approvals} of ${view.quorum}); the agent's retry runs it once`
        : view.status;
  process.stdout.write(
    `${options.as} ${verb} ${view.id} (${view.tool}.${view.operation} for ${view.tenant}/${view.agentId}): ${outcome}\n`,
  );
}

function configuredOperator(opened: AuditedStore, operatorId: string): Approver {
  const operators = opened.context.project.config.operators;
  const operator = operators.find((candidate) => candidate.id === operatorId);
  if (operator === undefined) {
    const known = operators.map((candidate) => candidate.id).join(', ');
    throw new InterlockError(
      'REQUEST_INVALID',
      `--as "${operatorId.slice(0, 80)}" is not an operator in ${opened.context.project.file}${known === '' ? ' (none is configured)' : `; configured: ${known}`}`,
    );
  }
  return { operatorId: operator.id, roles: operator.roles, tenants: operator.tenants };
}

function describe(view: ApprovalView): string {
  const details = view.details;
  const lines: Array<[string, string]> = [
    ['agent', `${view.tenant}/${view.agentId}${view.actingForUserId === null ? '' : `, acting for ${view.actingForUserId}`}`],
    ['action', `${view.tool}.${view.operation} (${details.effect})`],
    ['arguments', shown(details.arguments)],
    ['why', `${details.reasons.join('; ') || 'policy requires approval'} [${details.policyIds.join(', ')}]`],
  ];
  if (details.evidence !== null && details.evidence !== undefined) lines.push(['evidence', shown(details.evidence)]);
  if (details.dryRun !== null && details.dryRun !== undefined) lines.push(['dry run', shown(details.dryRun)]);
  if (details.entities.length > 0) lines.push(['entities', details.entities.join(', ')]);
  lines.push(
    ['approvers', `${view.quorum} holder${view.quorum === 1 ? '' : 's'} of role "${view.approverRole}"`],
    [
      'requested',
      `${view.createdAt} (trace ${details.traceId}, call ${details.callId}${details.sessionId === null ? '' : `, session ${details.sessionId}`})`,
    ],
    ['expires', view.expiresAt],
  );
  if (view.decidedAt !== null) lines.push(['decided', view.decidedAt]);
  if (view.consumedByCall !== null) lines.push(['used by', `call ${view.consumedByCall}`]);
  for (const vote of view.votes) {
    lines.push([
      'vote',
      `${vote.approver} ${vote.decision} at ${vote.at}${vote.comment === '' ? '' : `: ${JSON.stringify(vote.comment)}`}`,
    ]);
  }
  const header = `approval ${view.id}: ${view.status} (${view.approvals} of ${view.quorum} approvals)\n`;
  return header + lines.map(([label, value]) => `  ${label.padEnd(10)} ${value}\n`).join('');
}

/** JSON on one line, cut to a readable length (the full record is under --json). */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > SHOWN_TEXT ? `${text.slice(0, SHOWN_TEXT)}… (--json shows all)` : text;
}

function table(rows: ReadonlyArray<readonly string[]>): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map(
      (row) =>
        `${row
          .map((cell, column) => cell.padEnd(widths[column] ?? 0))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}
