/**
 * Incident: the double refund. The payments provider commits a refund, then its answer arrives
 * after Interlock's timeout; the agent, seeing a failure, retries with the same idempotency key.
 * Through POST /v1/calls, against a real HTTP upstream, on SQLite and PostgreSQL: the provider
 * must hold exactly one refund however often (and however concurrently) the agent retries.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { requirePostgres } from '../support/postgres.js';
import { startProject, type HttpAnswer, type ProjectFixture, type StorageKind } from '../support/project-fixture.js';
import { appendTo } from '../server/main-project.js';
import { assertError, eventData } from '../server/assertions.js';
import { newKey, PAYMENTS_POLICY, paymentsTool } from './incident-project.js';
import { startPaymentsApi, type PaymentsApi, type Refund } from './payments-api.js';

/** Interlock gives up on the provider after this long... */
const UPSTREAM_TIMEOUT = '500ms';
/** ...while the provider, having committed the refund, answers only after this long. */
const LATE_ANSWER_MS = 2000;
/** A slow provider that still answers in time (its tool allows 5 s). */
const SLOW_ANSWER_MS = 400;

function refundCall(tool: string, key: string, amountCents = 2500): Record<string, unknown> {
  return {
    tool,
    operation: 'create_refund',
    arguments: { order_id: 'o-1001', amount_cents: amountCents, client_reference: key },
    idempotencyKey: key,
  };
}

function doubleRefundSuite(storage: StorageKind): void {
  describe(`the double refund (${storage})`, () => {
    let late: PaymentsApi;
    let lateChecked: PaymentsApi;
    let slow: PaymentsApi;
    let project: ProjectFixture;
    let agent: string;

    before(async () => {
      late = await startPaymentsApi({ answerAfterMs: LATE_ANSWER_MS });
      lateChecked = await startPaymentsApi({ answerAfterMs: LATE_ANSWER_MS });
      slow = await startPaymentsApi({ answerAfterMs: SLOW_ANSWER_MS });
      project = await startProject({
        storage,
        name: 'double_refund',
        files: { 'policies/payments.cedar': PAYMENTS_POLICY },
        edit(document) {
          appendTo(
            document,
            'tools',
            paymentsTool({ name: 'payments', baseUrl: late.baseUrl, timeout: UPSTREAM_TIMEOUT }),
            paymentsTool({ name: 'payments_checked', baseUrl: lateChecked.baseUrl, timeout: UPSTREAM_TIMEOUT, statusCheck: true }),
            paymentsTool({ name: 'payments_slow', baseUrl: slow.baseUrl, timeout: '5s' }),
          );
        },
      });
      agent = await project.mintAgentToken('support-bot');
    });

    after(async () => {
      await project?.close();
      await Promise.all([late?.close(), lateChecked?.close(), slow?.close()]);
    });

    /** The first attempt: the provider commits the refund, Interlock times out and says the outcome is unknown. */
    async function timedOutRefund(tool: string, api: PaymentsApi, key: string): Promise<{ answer: HttpAnswer; refund: Refund }> {
      const before = api.refunds.length;
      const answer = await project.call(refundCall(tool, key), agent);
      const error = assertError(answer, 504, 'UPSTREAM_TIMEOUT');
      assert.equal(answer.body.status, 'failed');
      assert.equal(error.retryable, false, 'a write that timed out must not be reported as safe to retry');
      assert.equal(api.refunds.length, before + 1, 'the provider committed the refund before the timeout');
      const refund = api.refunds[api.refunds.length - 1];
      assert.ok(refund !== undefined && refund.reference === key);

      // The operator can see that the outcome is unknown.
      const callId = String(answer.body.callId);
      const failed = await project.auditEvents({ callId, type: 'tool.failed' });
      assert.equal(failed.length, 1);
      assert.equal(eventData(failed[0] ?? assert.fail('no tool.failed'))['outcome'], 'unknown');
      const completed = await project.auditEvents({ callId, type: 'call.completed' });
      assert.equal(eventData(completed[0] ?? assert.fail('no call.completed'))['executionOutcome'], 'unknown');
      return { answer, refund };
    }

    /** Waits until the provider has tried to send every late answer, so nothing is still on its way. */
    async function afterLateAnswers(refund: Refund): Promise<void> {
      const due = Date.parse(refund.createdAt) + LATE_ANSWER_MS + 300;
      if (Date.now() < due) await sleep(due - Date.now());
    }

    it('retries with the same key, one after another and concurrently, never run again: OUTCOME_UNKNOWN, one refund upstream', async () => {
      const key = newKey('refund');
      const { answer: first, refund } = await timedOutRefund('payments', late, key);

      for (let attempt = 0; attempt < 3; attempt += 1) {
        const retry = await project.call(refundCall('payments', key), agent);
        const error = assertError(retry, 409, 'OUTCOME_UNKNOWN');
        assert.equal(error.retryable, false);
        assert.equal(error.details?.['firstCallId'], first.body.callId);
        assert.equal(retry.body.status, 'refused');
      }
      const concurrent = await Promise.all(Array.from({ length: 6 }, () => project.call(refundCall('payments', key), agent)));
      for (const retry of concurrent) assertError(retry, 409, 'OUTCOME_UNKNOWN');
      // The Idempotency-Key header is the same key.
      const { idempotencyKey: _omitted, ...withoutKey } = refundCall('payments', key);
      assertError(await project.call(withoutKey, agent, { headers: { 'idempotency-key': key } }), 409, 'OUTCOME_UNKNOWN');

      await afterLateAnswers(refund);
      assert.equal(late.createRequests(), 1, 'the provider received the create once');
      assert.deepEqual(
        late.refunds.map((entry) => entry.reference),
        [key],
        'exactly one refund exists upstream',
      );
      const executed = (await project.auditEvents({ type: 'call.completed' }))
        .map(eventData)
        .filter((data) => data['tool'] === 'payments' && data['status'] === 'executed');
      assert.deepEqual(executed, [], 'no attempt was recorded as executed');
    });

    it('with a declared status check, the retry finds the refund and answers executed; still exactly one refund', async () => {
      const key = newKey('refund');
      const before = lateChecked.refunds.length;
      const { refund } = await timedOutRefund('payments_checked', lateChecked, key);

      const retry = await project.call(refundCall('payments_checked', key), agent);
      assert.equal(retry.status, 200, retry.text);
      assert.equal(retry.body.status, 'executed');
      const found = retry.body.result as Record<string, unknown>;
      assert.equal(found['id'], refund.id);
      assert.equal(found['reference'], key);
      const resolved = (await project.auditEvents({ callId: String(retry.body.callId), type: 'call.replayed' })).map(eventData);
      assert.deepEqual(
        resolved.map((data) => data['resolvedBy']),
        ['statusCheck'],
      );

      const concurrent = await Promise.all(Array.from({ length: 4 }, () => project.call(refundCall('payments_checked', key), agent)));
      for (const answer of concurrent) {
        assert.equal(answer.status, 200, answer.text);
        assert.equal((answer.body.result as Record<string, unknown>)['id'], refund.id);
      }
      assert.ok(lateChecked.lookups() >= 5, 'each retry asked the provider rather than running the create');

      await afterLateAnswers(refund);
      assert.equal(lateChecked.createRequests(), before + 1);
      assert.equal(lateChecked.refunds.filter((entry) => entry.reference === key).length, 1, 'exactly one refund exists upstream');
    });

    it('a status check that finds no refund leaves the outcome unknown: the create is not run blindly', async () => {
      const key = newKey('refund');
      const refundsBefore = lateChecked.refunds.length;
      const createsBefore = lateChecked.createRequests();
      lateChecked.loseNextCreate();
      const first = await project.call(refundCall('payments_checked', key), agent);
      assertError(first, 504, 'UPSTREAM_TIMEOUT');
      const lookupsBefore = lateChecked.lookups();

      const retry = await project.call(refundCall('payments_checked', key), agent);
      const error = assertError(retry, 409, 'OUTCOME_UNKNOWN');
      assert.equal(error.details?.['firstCallId'], first.body.callId);
      assert.equal(lateChecked.lookups(), lookupsBefore + 1, 'the retry asked the provider');
      assert.equal(lateChecked.createRequests(), createsBefore + 1, 'the create was sent again on a null status check');
      assert.equal(lateChecked.refunds.length, refundsBefore);
    });

    it('the same key with other arguments is 409 IDEMPOTENCY_CONFLICT, whether the first outcome is known or not', async () => {
      const known = newKey('refund');
      const first = await project.call(refundCall('payments_slow', known), agent);
      assert.equal(first.status, 200, first.text);
      const refundsBefore = slow.refunds.length;
      const conflict = await project.call(refundCall('payments_slow', known, 2600), agent);
      const error = assertError(conflict, 409, 'IDEMPOTENCY_CONFLICT');
      assert.equal(error.details?.['firstCallId'], first.body.callId);
      // Another tool under the same key is another action too.
      assertError(await project.call(refundCall('payments', known), agent), 409, 'IDEMPOTENCY_CONFLICT');
      assert.equal(slow.refunds.length, refundsBefore);

      const unknown = newKey('refund');
      const { refund } = await timedOutRefund('payments', late, unknown);
      const createsBefore = late.createRequests();
      assertError(await project.call(refundCall('payments', unknown, 9900), agent), 409, 'IDEMPOTENCY_CONFLICT');
      await afterLateAnswers(refund);
      assert.equal(late.createRequests(), createsBefore, 'the conflicting call never reached the provider');
    });

    it('two concurrent calls with a fresh key against a slow provider: one execution, the same answer twice, one replayed', async () => {
      const key = newKey('refund');
      const before = slow.createRequests();
      const [one, two] = await Promise.all([
        project.call(refundCall('payments_slow', key), agent),
        project.call(refundCall('payments_slow', key), agent),
      ]);
      assert.ok(one !== undefined && two !== undefined);
      for (const answer of [one, two]) {
        assert.equal(answer.status, 200, answer.text);
        assert.equal(answer.body.status, 'executed');
      }
      assert.equal(slow.createRequests(), before + 1, 'the provider was called once');
      assert.deepEqual(one.body.result, two.body.result);
      assert.equal(one.body.callId, two.body.callId, 'both answers name the call that ran');
      assert.deepEqual(
        [one.body['replayed'], two.body['replayed']].sort(),
        [true, undefined].sort(),
        'exactly one of the answers is the replay',
      );
      assert.equal(slow.refunds.filter((entry) => entry.reference === key).length, 1);

      // A later retry gets the same first outcome, replayed, and still runs nothing.
      const later = await project.call(refundCall('payments_slow', key), agent);
      assert.equal(later.body['replayed'], true, later.text);
      assert.deepEqual(later.body.result, one.body.result);
      assert.equal(slow.createRequests(), before + 1);
    });
  });
}

doubleRefundSuite('sqlite');

const postgres = await requirePostgres();
describe('the double refund on postgres', postgres, () => {
  doubleRefundSuite('postgres');
});
