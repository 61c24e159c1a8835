/**
 * Approvals over HTTP, end to end: a call that needs approval answers 202 with the request's id,
 * the agent polls it, only an operator holding the role decides, and the retry with the same
 * idempotency key runs the action exactly once. Every step also proves what did not run.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startProject, type HttpAnswer, type ProjectFixture, type StorageKind } from '../support/project-fixture.js';
import { assertError, eventData } from './assertions.js';
import { OPERATORS, safeExecutionProjectOptions } from './safe-execution-project.js';

const newKey = (): string => `key-${randomUUID()}`;

interface ApprovalBody {
  id: string;
  status: string;
  tenant: string;
  agentId: string;
  actingForUserId: string | null;
  approverRole: string;
  quorum: number;
  approvals: number;
  votes: Array<{ approver: string; decision: string; comment: string }>;
  consumedByCall: string | null;
  details: { arguments: Record<string, unknown>; policyIds: string[]; reasons: string[]; callId: string };
}

const approvalOf = (answer: HttpAnswer): ApprovalBody => answer.body as unknown as ApprovalBody;

function largeRefund(actingFor: string, amountCents = 12000): Record<string, unknown> {
  return {
    tool: 'refunds',
    operation: 'create',
    arguments: { order_id: 'o-1001', amount_cents: amountCents, reason: 'parcel lost' },
    actingFor,
  };
}

/** The id of the approval request a 202 answer names. */
function pendingApprovalId(answer: HttpAnswer): string {
  const error = assertError(answer, 202, 'APPROVAL_REQUIRED');
  const id = error.details?.['approvalId'];
  assert.ok(typeof id === 'string', `no approvalId in ${answer.text}`);
  return id;
}

export function approvalsSuite(storage: StorageKind): void {
  describe(`approvals over HTTP (${storage})`, () => {
    let project: ProjectFixture;
    let supportBot: string;
    let otherAgent: string;
    let alice: string;
    const operators = new Map<string, string>();
    const operator = (id: string): string => {
      const token = operators.get(id);
      assert.ok(token !== undefined, `no token for ${id}`);
      return token;
    };
    const decide = (id: string, verb: 'approve' | 'deny', token: string, body: unknown = {}): Promise<HttpAnswer> =>
      project.request('POST', `/v1/approvals/${id}/${verb}`, { token, json: body });

    before(async () => {
      project = await startProject(safeExecutionProjectOptions(storage, 'approvals'));
      supportBot = await project.mintAgentToken('support-bot');
      otherAgent = await project.mintAgentToken('revocable-one');
      alice = await project.userAssertion({ user: 'alice', tenant: 'acme', roles: ['support'] });
      for (const id of Object.values(OPERATORS)) operators.set(id, await project.mintOperatorToken(id));
    });
    after(async () => {
      await project?.close();
    });

    it('202 with the approval id → the agent polls it → only a role holder approves → the retry runs once, then replays', async () => {
      const key = newKey();
      const refund = { ...largeRefund(alice), idempotencyKey: key };
      const first = await project.call(refund, supportBot);
      const approvalId = pendingApprovalId(first);
      assert.equal(first.headers.get('location'), `/v1/approvals/${approvalId}`);
      assert.equal(project.invocations('refunds.create'), 0);

      // The requesting agent can read its own request, as the approver will see it.
      const polled = await project.request('GET', `/v1/approvals/${approvalId}`, { token: supportBot });
      assert.equal(polled.status, 200, polled.text);
      const pending = approvalOf(polled);
      assert.equal(pending.status, 'pending');
      assert.equal(pending.agentId, 'support-bot');
      assert.equal(pending.actingForUserId, 'alice');
      assert.equal(pending.approverRole, 'finance-approver');
      assert.equal(pending.quorum, 1);
      assert.equal(pending.details.arguments['amount_cents'], 12000);
      assert.ok(pending.details.policyIds.includes('support-bot-large-refunds-need-approval'));
      assert.equal(pending.details.callId, first.body.callId);

      // Retrying while it is pending answers the same request and runs nothing.
      const stillPending = await project.call(refund, supportBot);
      assert.equal(pendingApprovalId(stillPending), approvalId);
      assert.equal(project.invocations('refunds.create'), 0);

      // Who may not decide: the agent itself (no operator token), an operator without the role,
      // the user the agent acts for, an operator of another tenant (who does not even see it).
      assertError(await decide(approvalId, 'approve', supportBot), 403, 'FORBIDDEN');
      const noRole = assertError(await decide(approvalId, 'approve', operator(OPERATORS.acmeAuditor)), 403, 'APPROVER_NOT_ALLOWED');
      assert.equal(noRole.details?.['approverRole'], 'finance-approver');
      assertError(await decide(approvalId, 'approve', operator(OPERATORS.alice)), 403, 'APPROVER_NOT_ALLOWED');
      assertError(await decide(approvalId, 'approve', operator(OPERATORS.globexFinance)), 404, 'NOT_FOUND');
      assertError(
        await project.request('GET', `/v1/approvals/${approvalId}`, { token: operator(OPERATORS.globexFinance) }),
        404,
        'NOT_FOUND',
      );
      assertError(await project.request('GET', `/v1/approvals/${approvalId}`, { token: otherAgent }), 404, 'NOT_FOUND');
      assert.equal(approvalOf(await project.request('GET', `/v1/approvals/${approvalId}`, { token: supportBot })).status, 'pending');

      const approved = await decide(approvalId, 'approve', operator(OPERATORS.financeAlice), { comment: 'customer called, parcel lost' });
      assert.equal(approved.status, 200, approved.text);
      assert.equal(approvalOf(approved).status, 'approved');
      assert.equal(approvalOf(approved).approvals, 1);
      assert.deepEqual(
        approvalOf(approved).votes.map((vote) => [vote.approver, vote.decision, vote.comment]),
        [[OPERATORS.financeAlice, 'approve', 'customer called, parcel lost']],
      );
      assertError(await decide(approvalId, 'approve', operator(OPERATORS.financeAlice)), 409, 'APPROVAL_CLOSED');

      // The approval is bound to the exact action: other arguments under its id do not run.
      const changed = await project.call({ ...largeRefund(alice, 12500), idempotencyKey: newKey(), approvalId }, supportBot);
      assertError(changed, 409, 'APPROVAL_MISMATCH');
      assert.equal(project.invocations('refunds.create'), 0);

      const executed = await project.call(refund, supportBot);
      assert.equal(executed.status, 200, executed.text);
      assert.equal(executed.body.status, 'executed');
      assert.equal((executed.body.result as { status: string }).status, 'issued');
      assert.equal(project.invocations('refunds.create'), 1);

      const replayed = await project.call(refund, supportBot);
      assert.equal(replayed.status, 200, replayed.text);
      assert.equal(replayed.body['replayed'], true);
      assert.deepEqual(replayed.body.result, executed.body.result);
      assert.equal(project.invocations('refunds.create'), 1, 'the approved refund ran twice');

      const consumed = approvalOf(await project.request('GET', `/v1/approvals/${approvalId}`, { token: supportBot }));
      assert.equal(consumed.status, 'consumed');
      assert.equal(consumed.consumedByCall, executed.body.callId);

      const votes = (await project.auditEvents({ type: 'approval.voted' }))
        .map(eventData)
        .filter((data) => data['approvalId'] === approvalId);
      assert.deepEqual(
        votes.map((data) => [data['approver'], data['decision'], data['statusAfter']]),
        [[OPERATORS.financeAlice, 'approve', 'approved']],
      );
    });

    it('quorum of two: one approval leaves it pending, the same operator twice still pending, a second operator approves', async () => {
      const payout = {
        tool: 'payouts',
        operation: 'send',
        arguments: { account: 'acct-7', amount_cents: 90000 },
        idempotencyKey: newKey(),
      };
      const approvalId = pendingApprovalId(await project.call(payout, supportBot));
      const first = await decide(approvalId, 'approve', operator(OPERATORS.financeAlice));
      assert.equal(first.status, 200, first.text);
      assert.equal(approvalOf(first).quorum, 2);
      assert.equal(approvalOf(first).status, 'pending');
      assert.equal(approvalOf(first).approvals, 1);

      const twice = await decide(approvalId, 'approve', operator(OPERATORS.financeAlice));
      assert.equal(twice.status, 200, twice.text);
      assert.equal(approvalOf(twice).status, 'pending', 'one operator voting twice reached the quorum');
      assert.equal(approvalOf(twice).approvals, 1);
      assert.equal(pendingApprovalId(await project.call(payout, supportBot)), approvalId);
      assert.equal(project.invocations('payouts.send'), 0);

      const second = await decide(approvalId, 'approve', operator(OPERATORS.financeBob), { comment: 'second pair of eyes' });
      assert.equal(second.status, 200, second.text);
      assert.equal(approvalOf(second).status, 'approved');
      assert.equal(approvalOf(second).approvals, 2);

      const executed = await project.call(payout, supportBot);
      assert.equal(executed.status, 200, executed.text);
      assert.equal(project.invocations('payouts.send'), 1);
      assert.equal((await project.call(payout, supportBot)).body['replayed'], true);
      assert.equal(project.invocations('payouts.send'), 1);
    });

    it('deny: the retry answers APPROVAL_DENIED and nothing runs; a denied request cannot be approved after', async () => {
      const refund = { ...largeRefund(alice, 13000), idempotencyKey: newKey() };
      const approvalId = pendingApprovalId(await project.call(refund, supportBot));
      const before = project.invocations('refunds.create');
      const denied = await decide(approvalId, 'deny', operator(OPERATORS.financeAlice), { comment: 'not covered by policy' });
      assert.equal(denied.status, 200, denied.text);
      assert.equal(approvalOf(denied).status, 'denied');

      const retry = await project.call(refund, supportBot);
      const error = assertError(retry, 403, 'APPROVAL_DENIED');
      assert.equal(error.details?.['approvalId'], approvalId);
      assertError(await decide(approvalId, 'approve', operator(OPERATORS.financeAlice)), 409, 'APPROVAL_CLOSED');
      assertError(await project.call(refund, supportBot), 403, 'APPROVAL_DENIED');
      assert.equal(project.invocations('refunds.create'), before);
    });

    it('a decision needs no body; unknown fields, long comments and malformed ids are refused', async () => {
      const approvalId = pendingApprovalId(await project.call({ ...largeRefund(alice, 14000), idempotencyKey: newKey() }, supportBot));
      const token = operator(OPERATORS.financeAlice);
      assertError(await decide(approvalId, 'approve', token, { comment: 'ok', approver: 'someone-else' }), 400, 'REQUEST_INVALID');
      assertError(await decide(approvalId, 'approve', token, { comment: 'x'.repeat(2001) }), 400, 'REQUEST_INVALID');
      assertError(await decide(approvalId, 'approve', token, { comment: 42 }), 400, 'REQUEST_INVALID');
      assertError(await project.request('POST', `/v1/approvals/not_an_id!/approve`, { token, json: {} }), 400, 'REQUEST_INVALID');
      assertError(await project.request('POST', `/v1/approvals/${randomUUID()}/approve`, { token, json: {} }), 404, 'NOT_FOUND');
      assertError(await project.request('POST', `/v1/approvals/${approvalId}/approve`), 401, 'AUTH_MISSING');
      assertError(await project.request('POST', `/v1/approvals/${approvalId}/approve`, { token: 'not.a.token' }), 401, 'AUTH_INVALID');
      assert.equal(approvalOf(await project.request('GET', `/v1/approvals/${approvalId}`, { token })).votes.length, 0);

      const bare = await project.request('POST', `/v1/approvals/${approvalId}/deny`, { token });
      assert.equal(bare.status, 200, bare.text);
      assert.equal(approvalOf(bare).status, 'denied');
      assert.equal(approvalOf(bare).votes[0]?.comment, '');
    });

    it('listing: operators see their tenants, agents their own requests; filters are checked', async () => {
      const approvalId = pendingApprovalId(await project.call({ ...largeRefund(alice, 15000), idempotencyKey: newKey() }, supportBot));
      const list = async (token: string, query = ''): Promise<ApprovalBody[]> => {
        const answer = await project.request('GET', `/v1/approvals${query}`, { token });
        assert.equal(answer.status, 200, answer.text);
        assert.equal(answer.body.schemaVersion, 1);
        return answer.body['approvals'] as ApprovalBody[];
      };
      const pendingForAcme = await list(operator(OPERATORS.financeAlice), '?status=pending');
      assert.ok(pendingForAcme.some((approval) => approval.id === approvalId));
      assert.ok(pendingForAcme.every((approval) => approval.status === 'pending' && approval.tenant === 'acme'));
      assert.ok((await list(operator(OPERATORS.all), '?agent=support-bot&limit=500')).some((approval) => approval.id === approvalId));
      assert.ok(!(await list(operator(OPERATORS.financeAlice), '?status=consumed')).some((approval) => approval.id === approvalId));
      assert.deepEqual(await list(operator(OPERATORS.globexFinance)), []);
      assert.equal((await list(operator(OPERATORS.all), '?limit=1')).length, 1);

      const own = await list(supportBot);
      assert.ok(own.some((approval) => approval.id === approvalId));
      assert.ok(own.every((approval) => approval.agentId === 'support-bot'));
      assert.deepEqual(await list(otherAgent), []);
      assertError(await project.request('GET', '/v1/approvals?agent=support-bot', { token: otherAgent }), 403, 'FORBIDDEN');

      const token = operator(OPERATORS.all);
      assertError(await project.request('GET', '/v1/approvals?status=maybe', { token }), 400, 'REQUEST_INVALID');
      assertError(await project.request('GET', '/v1/approvals?limit=0', { token }), 400, 'REQUEST_INVALID');
      assertError(await project.request('GET', '/v1/approvals?tenant=globex', { token }), 400, 'REQUEST_INVALID');
      assertError(await project.request('GET', '/v1/approvals'), 401, 'AUTH_MISSING');
    });

    it('/openapi.json describes every approval route the server answers', async () => {
      const paths = (await project.request('GET', '/openapi.json')).body['paths'] as Record<string, Record<string, unknown>>;
      const documented: Array<[string, string, string]> = [
        ['get', '/v1/approvals', '/v1/approvals'],
        ['get', '/v1/approvals/{id}', '/v1/approvals/:id'],
        ['post', '/v1/approvals/{id}/approve', '/v1/approvals/:id/approve'],
        ['post', '/v1/approvals/{id}/deny', '/v1/approvals/:id/deny'],
      ];
      for (const [method, path, route] of documented) {
        assert.ok(paths[path]?.[method], `${method.toUpperCase()} ${path} is not described`);
        assert.ok(
          project.app.hasRoute({ method: method.toUpperCase() as 'GET', url: route }),
          `${method.toUpperCase()} ${route} is not served`,
        );
      }
    });
  });
}
