/**
 * Incidents approvals exist for, on SQLite and PostgreSQL: an approval replayed for changed
 * arguments, an agent (or the user it acts for) approving its own action, a request nobody
 * decided in time, and a payout that needs two people. The agent calls POST /v1/calls; operators
 * decide with their own tokens through POST /v1/approvals/:id/approve|deny.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { requirePostgres } from '../support/postgres.js';
import { startProject, type HttpAnswer, type ProjectDocument, type ProjectFixture, type StorageKind } from '../support/project-fixture.js';
import { appendTo } from '../server/main-project.js';
import { assertError } from '../server/assertions.js';
import { Approvers } from './approval-decisions.js';
import { APPROVAL_POLICY, APPROVERS, newKey, PAYOUTS_TOOL } from './incident-project.js';

/** 120.00: above the example's 50.00 limit, so policy asks a finance approver. */
const LARGE_REFUND = { order_id: 'o-1001', amount_cents: 12000, reason: 'damaged in transit' } as const;

function withApprovers(document: ProjectDocument): void {
  appendTo(document, 'operators', ...APPROVERS);
  appendTo(document, 'tools', PAYOUTS_TOOL);
}

function approvalIdOf(answer: HttpAnswer): string {
  const error = assertError(answer, 202, 'APPROVAL_REQUIRED');
  assert.equal(answer.body.status, 'approval_required');
  const id = error.details?.['approvalId'];
  assert.equal(typeof id, 'string', answer.text);
  return id as string;
}

function approvalsSuite(storage: StorageKind): void {
  describe(`approvals (${storage})`, () => {
    let project: ProjectFixture;
    let agent: string;
    let alice: string;
    let approvers: Approvers;

    before(async () => {
      project = await startProject({
        storage,
        name: 'approvals',
        files: { 'policies/approvals.cedar': APPROVAL_POLICY },
        handlers: { 'payouts.send': (args) => ({ payout: `po-${String(args['supplier'])}`, amount_cents: args['amount_cents'] }) },
        edit: withApprovers,
      });
      agent = await project.mintAgentToken('support-bot');
      alice = await project.userAssertion({ user: 'alice', tenant: 'acme', roles: ['support'] });
      approvers = new Approvers(project);
    });
    after(() => project?.close());

    const refund = (key: string, args: Record<string, unknown> = LARGE_REFUND, extra: Record<string, unknown> = {}) =>
      project.call({ tool: 'refunds', operation: 'create', arguments: args, actingFor: alice, idempotencyKey: key, ...extra }, agent);

    it('an approval replayed against changed arguments, or for another user, is refused (APPROVAL_MISMATCH) and nothing runs', async () => {
      const key = newKey('approval');
      const approvalId = approvalIdOf(await refund(key));
      const approved = await approvers.decide(approvalId, 'finance-one', 'approve');
      assert.equal(approved.status, 'approved');
      const before = project.invocations('refunds.create');

      // Same key, larger amount: the request found by the key was granted for other arguments.
      const changed = { ...LARGE_REFUND, amount_cents: 45000 };
      const sameKey = assertError(await refund(key, changed), 409, 'APPROVAL_MISMATCH');
      assert.equal(sameKey.details?.['approvalId'], approvalId);
      // The approval id presented with a new key and the changed arguments.
      assertError(await refund(newKey('approval'), changed, { approvalId }), 409, 'APPROVAL_MISMATCH');
      // The approved arguments, but acting for another user.
      const bob = await project.userAssertion({ user: 'bob', tenant: 'acme', roles: ['support'] });
      assertError(
        await project.call(
          { tool: 'refunds', operation: 'create', arguments: LARGE_REFUND, actingFor: bob, idempotencyKey: newKey('approval'), approvalId },
          agent,
        ),
        409,
        'APPROVAL_MISMATCH',
      );
      assert.equal(project.invocations('refunds.create'), before, 'a mismatched approval ran the refund');
      assert.equal((await approvers.view(approvalId)).status, 'approved', 'the refusals did not use up the approval');

      // The action that was approved runs, once.
      const granted = await refund(key);
      assert.equal(granted.status, 200, granted.text);
      assert.equal(granted.body.status, 'executed');
      assert.equal(project.invocations('refunds.create'), before + 1);
      assert.equal((await approvers.view(approvalId)).status, 'consumed');
      const again = await refund(key);
      assert.equal(again.body['replayed'], true, again.text);
      assertError(await refund(newKey('approval'), LARGE_REFUND, { approvalId }), 409, 'APPROVAL_CLOSED');
      assert.equal(project.invocations('refunds.create'), before + 1, 'the approval ran more than one action');
    });

    it('the requesting agent, the user it acts for and someone without the role cannot approve', async () => {
      const key = newKey('approval');
      const approvalId = approvalIdOf(await refund(key));
      // With its own agent token the agent cannot reach the decision at all.
      const withAgentToken = await project.request('POST', `/v1/approvals/${approvalId}/approve`, { token: agent, json: {} });
      assertError(withAgentToken, 403, 'FORBIDDEN');
      // An operator account under the agent's id, and the user it acts for, hold the role and are still refused.
      assertError(await approvers.attempt(approvalId, 'support-bot', 'approve'), 403, 'APPROVER_NOT_ALLOWED');
      assertError(await approvers.attempt(approvalId, 'alice', 'approve'), 403, 'APPROVER_NOT_ALLOWED');
      assertError(await approvers.attempt(approvalId, 'clerk', 'approve'), 403, 'APPROVER_NOT_ALLOWED');
      // The requester cannot deny it either: it decides nothing about its own request.
      assertError(await approvers.attempt(approvalId, 'support-bot', 'deny'), 403, 'APPROVER_NOT_ALLOWED');

      const view = await approvers.view(approvalId);
      assert.equal(view.status, 'pending');
      assert.deepEqual(view.votes, [], 'a refused approver left a vote');
      const before = project.invocations('refunds.create');
      assert.equal(approvalIdOf(await refund(key)), approvalId, 'the retry is still waiting on the same request');
      assert.equal(project.invocations('refunds.create'), before);

      // A finance approver who is none of them can.
      assert.equal((await approvers.decide(approvalId, 'finance-two', 'approve')).status, 'approved');
      assert.equal((await refund(key)).body.status, 'executed');
    });

    it('a quorum of two: one approval, or the same approver twice, is not enough; two distinct approvers run it once', async () => {
      const key = newKey('payout');
      const payout = () =>
        project.call(
          { tool: 'payouts', operation: 'send', arguments: { supplier: 'acme-logistics', amount_cents: 90000 }, idempotencyKey: key },
          agent,
        );
      const first = await payout();
      const approvalId = approvalIdOf(first);
      assert.equal(first.body.error?.details?.['quorum'], 2);
      assert.equal(first.body.error?.details?.['approverRole'], 'treasury');

      const one = await approvers.decide(approvalId, 'treasurer-one', 'approve');
      assert.equal(one.status, 'pending');
      assert.equal(one.approvals, 1);
      assert.equal(approvalIdOf(await payout()), approvalId, 'one approval of two ran the payout');

      const twice = await approvers.decide(approvalId, 'treasurer-one', 'approve', 'approving again');
      assert.equal(twice.status, 'pending', 'the same approver counted twice');
      assert.equal(twice.approvals, 1);
      approvalIdOf(await payout());
      assert.equal(project.invocations('payouts.send'), 0);

      const two = await approvers.decide(approvalId, 'treasurer-two', 'approve');
      assert.equal(two.status, 'approved');
      assert.equal(two.approvals, 2);
      const ran = await payout();
      assert.equal(ran.body.status, 'executed', ran.text);
      const retried = await payout();
      assert.equal(retried.body['replayed'], true, retried.text);
      assert.equal(project.invocations('payouts.send'), 1, 'the approved payout ran more than once');
      assertError(await approvers.attempt(approvalId, 'support-bot', 'approve'), 403, 'APPROVER_NOT_ALLOWED');
    });

    it('a duplicate sent while the approved call runs joins it instead of opening a new approval request', async () => {
      // The first call claims the key and consumes the approval a few store round trips after it
      // arrives; duplicates sent a little later have read the key (still free) by then, and must
      // still end with the first call's outcome. They are spread over that window, 1 ms apart.
      for (let round = 0; round < 4; round += 1) {
        const key = newKey('approval');
        const approvalId = approvalIdOf(await refund(key));
        await approvers.decide(approvalId, 'finance-one', 'approve');
        const before = project.invocations('refunds.create');
        const answers = [refund(key)];
        for (let duplicate = 0; duplicate < 25; duplicate += 1) {
          await sleep(1);
          answers.push(refund(key));
        }
        const settled = await Promise.all(answers);
        const wrong = settled.filter((answer) => answer.body.status !== 'executed').map((answer) => answer.text);
        assert.deepEqual(wrong, [], `round ${round}: duplicates of an approved call answered otherwise`);
        assert.equal(new Set(settled.map((answer) => answer.body.callId)).size, 1, 'every answer names the one call that ran');
        assert.equal(project.invocations('refunds.create'), before + 1);
      }
    });
  });

  describe(`approvals that expire (${storage})`, () => {
    let project: ProjectFixture;
    let agent: string;
    let alice: string;
    let approvers: Approvers;

    before(async () => {
      project = await startProject({
        storage,
        name: 'approvals_expiry',
        edit(document) {
          withApprovers(document);
          document['approvals'] = { expiry: '1s' };
        },
        files: { 'policies/approvals.cedar': APPROVAL_POLICY },
      });
      agent = await project.mintAgentToken('support-bot');
      alice = await project.userAssertion({ user: 'alice', tenant: 'acme', roles: ['support'] });
      approvers = new Approvers(project);
    });
    after(() => project?.close());

    it('a request nobody decides within approvals.expiry ends as denied (APPROVAL_EXPIRED); a late approval is refused', async () => {
      const key = newKey('approval');
      const call = () =>
        project.call({ tool: 'refunds', operation: 'create', arguments: LARGE_REFUND, actingFor: alice, idempotencyKey: key }, agent);
      const first = await call();
      const approvalId = approvalIdOf(first);
      const expiresAt = Date.parse(String(first.body.error?.details?.['expiresAt']));
      assert.ok(expiresAt - Date.now() <= 1000, 'the request expires after the configured second');
      await sleep(Math.max(0, expiresAt - Date.now()) + 150);

      const expired = await call();
      const error = assertError(expired, 403, 'APPROVAL_EXPIRED');
      assert.equal(expired.body.status, 'denied');
      assert.equal(error.details?.['approvalId'], approvalId);
      assertError(await approvers.attempt(approvalId, 'finance-one', 'approve'), 409, 'APPROVAL_CLOSED');
      assert.equal((await approvers.view(approvalId)).status, 'expired');
      // Final for its key: retrying does not reopen it, and nothing ever ran.
      assertError(await call(), 403, 'APPROVAL_EXPIRED');
      assert.equal(project.invocations('refunds.create'), 0);
    });
  });
}

approvalsSuite('sqlite');

const postgres = await requirePostgres();
describe('approvals on postgres', postgres, () => {
  approvalsSuite('postgres');
});
