/**
 * `interlock approvals list|show|approve|deny` in their own processes, on the store of a running
 * `interlock serve`: a request the server opened is decided here, and the agent's retry through
 * the server then runs once (or is denied). No server endpoint is used to decide. The project's
 * approval webhook is a real HTTP receiver that checks each delivery's signature.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { verifyWebhook, WEBHOOK_SIGNATURE_HEADER } from '../../src/approvals/webhook-signature.js';
import {
  assertExampleUser,
  copyRefundsExample,
  ensureBuilt,
  mintAgentToken,
  postCall,
  removeDirectory,
  replaceExactly,
  runCli,
  startServer,
  type CallAnswer,
  type CommandResult,
  type ServerProcess,
} from './interlock-process.js';

before(() => ensureBuilt());

const WEBHOOK_SECRET_VARIABLE = 'INTERLOCK_TEST_APPROVAL_WEBHOOK_SECRET';
const WEBHOOK_SECRET = `whsec-${randomUUID()}`;

interface Delivery {
  readonly type: string;
  readonly signed: boolean;
  readonly data: { approvalId: string; status: string };
}

/** Receives approval webhooks and keeps each with whether its signature verified. */
async function startReceiver(): Promise<{ server: Server; url: string; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const parsed = JSON.parse(body) as { type: string; data: Delivery['data'] };
      const signed = verifyWebhook(body, request.headers[WEBHOOK_SIGNATURE_HEADER.toLowerCase()], WEBHOOK_SECRET);
      deliveries.push({ type: parsed.type, signed, data: parsed.data });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/approvals`, deliveries };
}

const EXAMPLE_OPERATORS = `operators:
  - id: auditor
    tenants: '*'
    roles: [auditor]
  - id: finance-lead
    tenants: [acme]
    roles: [finance-approver]
`;
const MORE_OPERATORS = `${EXAMPLE_OPERATORS}  - id: globex-lead
    tenants: [globex]
    roles: [finance-approver]
`;

interface ApprovalJson {
  id: string;
  status: string;
  agentId: string;
  approverRole: string;
  approvals: number;
  quorum: number;
  consumedByCall: string | null;
  votes: Array<{ approver: string; decision: string; comment: string }>;
  details: { arguments: Record<string, unknown> };
}

function largeRefund(actingFor: string, amountCents: number): Record<string, unknown> {
  return {
    tool: 'refunds',
    operation: 'create',
    arguments: { order_id: 'o-1001', amount_cents: amountCents, reason: 'parcel lost' },
    actingFor,
    idempotencyKey: `key-${randomUUID()}`,
  };
}

function approvalIdOf(answer: CallAnswer): string {
  assert.equal(answer.httpStatus, 202, JSON.stringify(answer.body));
  assert.equal(answer.body.error?.code, 'APPROVAL_REQUIRED');
  const id = (answer.body.error as { details?: { approvalId?: unknown } } | undefined)?.details?.approvalId;
  assert.ok(typeof id === 'string', JSON.stringify(answer.body));
  return id;
}

function assertRefused(result: CommandResult, pattern: RegExp): void {
  assert.equal(result.code, 2, `expected exit 2: ${result.stdout}${result.stderr}`);
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, 'no stack trace');
}

describe('interlock approvals against a running server (sqlite)', () => {
  let project: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let server: ServerProcess;
  let supportBot: string;
  let alice: string;
  const cli = (...args: string[]): Promise<CommandResult> => runCli([...args, '--project', project]);
  const showJson = async (id: string): Promise<ApprovalJson> => {
    const shown = await cli('approvals', 'show', id, '--json');
    assert.equal(shown.code, 0, shown.stderr);
    return JSON.parse(shown.stdout) as ApprovalJson;
  };

  before(async () => {
    receiver = await startReceiver();
    process.env[WEBHOOK_SECRET_VARIABLE] = WEBHOOK_SECRET;
    project = copyRefundsExample('approvals', (yaml) =>
      replaceExactly(
        yaml,
        EXAMPLE_OPERATORS,
        `${MORE_OPERATORS}\napprovals:\n  webhook:\n    url: ${receiver.url}\n    secret: env:${WEBHOOK_SECRET_VARIABLE}\n`,
      ),
    );
    server = await startServer(project);
    supportBot = await mintAgentToken(project, 'support-bot');
    alice = await assertExampleUser(project, 'alice', ['support']);
  });
  after(async () => {
    await server?.stop();
    if (project !== undefined) removeDirectory(project);
    receiver?.server.close();
    delete process.env[WEBHOOK_SECRET_VARIABLE];
  });

  test('list, show, refused deciders, approve; the agent retry then runs once and replays', async () => {
    const refund = largeRefund(alice, 12000);
    const approvalId = approvalIdOf(await postCall(server.url, supportBot, refund));

    const listed = await cli('approvals', 'list', '--status', 'pending');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^ID\s+STATUS\s+AGENT\s+ACTION\s+VOTES\s+ROLE\s+EXPIRES\/DECIDED$/m);
    assert.match(
      listed.stdout,
      new RegExp(`^${approvalId}\\s+pending\\s+acme/support-bot\\s+refunds\\.create\\s+0/1\\s+finance-approver\\s+\\S+$`, 'm'),
    );
    const listedJson = JSON.parse((await cli('approvals', 'list', '--agent', 'support-bot', '--json')).stdout) as {
      approvals: ApprovalJson[];
    };
    assert.ok(listedJson.approvals.some((approval) => approval.id === approvalId && approval.status === 'pending'));
    assert.equal((await cli('approvals', 'list', '--status', 'consumed')).stdout, 'no consumed approval requests\n');

    const shown = await cli('approvals', 'show', approvalId);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^approval ${approvalId}: pending \\(0 of 1 approvals\\)$`, 'm'));
    assert.match(shown.stdout, /^ {2}agent +acme\/support-bot, acting for alice$/m);
    assert.match(shown.stdout, /^ {2}action +refunds\.create \(write\)$/m);
    assert.match(shown.stdout, /"amount_cents":12000/);
    assert.match(
      shown.stdout,
      /^ {2}why +.*refunds above 50\.00 need a finance approver.* \[support-bot-large-refunds-need-approval, user:support-staff-refund\]$/m,
    );
    assert.match(shown.stdout, /^ {2}approvers +1 holder of role "finance-approver"$/m);

    assertRefused(
      await cli('approvals', 'approve', approvalId, '--as', 'nobody'),
      /--as "nobody" is not an operator in .*; configured: auditor, finance-lead, globex-lead/,
    );
    assertRefused(
      await cli('approvals', 'approve', approvalId, '--as', 'auditor'),
      /APPROVER_NOT_ALLOWED: deciding this request needs the role "finance-approver"/,
    );
    assertRefused(await cli('approvals', 'approve', approvalId, '--as', 'globex-lead'), /NOT_FOUND/);
    assertRefused(await cli('approvals', 'approve', approvalId), /required option '--as <operator>' not specified/);
    assert.equal((await showJson(approvalId)).votes.length, 0, 'a refused decider left a vote');
    assert.equal(approvalIdOf(await postCall(server.url, supportBot, refund)), approvalId, 'the refused deciders unblocked the refund');

    const approved = await cli('approvals', 'approve', approvalId, '--as', 'finance-lead', '--comment', 'customer called');
    assert.equal(approved.code, 0, approved.stderr);
    assert.equal(
      approved.stdout,
      `finance-lead approved ${approvalId} (refunds.create for acme/support-bot): approved (1 of 1); the agent's retry runs it once\n`,
    );
    assertRefused(
      await cli('approvals', 'approve', approvalId, '--as', 'finance-lead'),
      /APPROVAL_CLOSED: the approval request is already approved/,
    );

    const executed = await postCall(server.url, supportBot, refund);
    assert.equal(executed.httpStatus, 200, JSON.stringify(executed.body));
    assert.equal(executed.body.status, 'executed');
    const replayed = await postCall(server.url, supportBot, refund);
    assert.equal(replayed.httpStatus, 200, JSON.stringify(replayed.body));
    assert.equal(replayed.body['replayed'], true);
    assert.deepEqual(replayed.body['result'], executed.body['result'], 'the retry issued a second refund');

    // The command waited for its delivery: the webhook heard of the decision, signed.
    const decided = receiver.deliveries.filter((delivery) => delivery.data.approvalId === approvalId);
    assert.ok(
      decided.some((delivery) => delivery.type === 'approval.approved' && delivery.data.status === 'approved'),
      JSON.stringify(decided),
    );
    assert.ok(
      decided.every((delivery) => delivery.signed),
      'a delivery was not signed with the shared secret',
    );

    const consumed = await showJson(approvalId);
    assert.equal(consumed.status, 'consumed');
    assert.equal(consumed.consumedByCall, executed.body.callId);
    assert.deepEqual(
      consumed.votes.map((vote) => [vote.approver, vote.decision, vote.comment]),
      [['finance-lead', 'approve', 'customer called']],
    );
  });

  test('deny: the agent retry is denied, and the request cannot be approved after', async () => {
    const refund = largeRefund(alice, 13000);
    const approvalId = approvalIdOf(await postCall(server.url, supportBot, refund));
    const denied = await cli('approvals', 'deny', approvalId, '--as', 'finance-lead', '--comment', 'not covered', '--json');
    assert.equal(denied.code, 0, denied.stderr);
    assert.equal((JSON.parse(denied.stdout) as ApprovalJson).status, 'denied');

    const retry = await postCall(server.url, supportBot, refund);
    assert.equal(retry.httpStatus, 403, JSON.stringify(retry.body));
    assert.equal(retry.body.error?.code, 'APPROVAL_DENIED');
    assertRefused(await cli('approvals', 'approve', approvalId, '--as', 'finance-lead'), /APPROVAL_CLOSED/);
    assert.ok(receiver.deliveries.some((delivery) => delivery.type === 'approval.denied' && delivery.data.approvalId === approvalId));
    assert.match((await cli('approvals', 'show', approvalId)).stdout, /^ {2}vote +finance-lead deny at \S+: "not covered"$/m);
  });

  test('an unknown id, a bad status and a bad limit are usage errors; the chain still verifies', async () => {
    assertRefused(await cli('approvals', 'show', randomUUID()), /NOT_FOUND: no approval request/);
    assertRefused(await cli('approvals', 'deny', randomUUID(), '--as', 'finance-lead'), /NOT_FOUND/);
    assertRefused(await cli('approvals', 'list', '--status', 'maybe'), /Allowed choices are pending, approved, denied, expired, consumed/);
    assertRefused(await cli('approvals', 'list', '--limit', '0'), /expected a whole number 1-500/);
    const verified = await cli('audit', 'verify');
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });

  test('--help explains each subcommand', async () => {
    const expectations: Array<[string[], string[]]> = [
      [['approvals'], ['list', 'show', 'approve', 'deny', 'Examples:']],
      [
        ['approvals', 'list'],
        ['--status', '--agent', '--limit', '--json', '--project'],
      ],
      [
        ['approvals', 'show'],
        ['<id>', '--json', '--project'],
      ],
      [
        ['approvals', 'approve'],
        ['<id>', '--as', '--comment', '--json', 'role'],
      ],
      [
        ['approvals', 'deny'],
        ['<id>', '--as', '--comment', '--json'],
      ],
    ];
    for (const [args, mentions] of expectations) {
      const help = await runCli([...args, '--help']);
      assert.equal(help.code, 0, help.stderr);
      for (const mention of mentions) assert.ok(help.stdout.includes(mention), `interlock ${args.join(' ')} --help mentions ${mention}`);
    }
  });
});
