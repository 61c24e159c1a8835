/**
 * Bounds through the door: blast-radius caps per request and per session, and rate limits, each
 * in a project configured tightly enough to hit them. A capped call never reaches its handler.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startProject, type ProjectFixture, type StorageKind } from '../support/project-fixture.js';
import { assertError, callEventTypes } from './assertions.js';

/** A new refund: each one carries its own idempotency key, as distinct writes from a real caller do. */
const refund = (traceId: string, assertion: string) => ({
  tool: 'refunds',
  operation: 'create',
  arguments: { order_id: 'o-1001', amount_cents: 1000, reason: 'damaged item' },
  traceId,
  actingFor: assertion,
  idempotencyKey: `refund-${randomUUID()}`,
});
const deletion = () => ({
  tool: 'orders',
  operation: 'delete',
  arguments: { order_id: 'o-1' },
  idempotencyKey: `delete-${randomUUID()}`,
});
const lookup = (extra: { traceId?: string; sessionId?: string } = {}) => ({
  tool: 'orders',
  operation: 'lookup',
  arguments: { order_id: 'o-1001' },
  ...extra,
});

export function limitsSuite(storage: StorageKind): void {
  describe(`blast-radius caps (${storage})`, () => {
    let project: ProjectFixture;
    let supportBot: string;
    let alice: string;

    before(async () => {
      project = await startProject({
        storage,
        name: 'caps',
        edit(document) {
          document['limits'] = { perRequest: { writes: 2, entities: 3 }, perSession: { toolCalls: 3 } };
        },
      });
      supportBot = await project.mintAgentToken('support-bot');
      alice = await project.userAssertion({ user: 'alice', tenant: 'acme', roles: ['support'] });
    });
    after(async () => {
      await project?.close();
    });

    it('the third write in one request is 429 BLAST_RADIUS_EXCEEDED (perRequest.writes); the handler ran exactly twice', async () => {
      const traceId = `writes-${storage}`;
      const first = await project.call(refund(traceId, alice), supportBot);
      const second = await project.call(refund(traceId, alice), supportBot);
      assert.deepEqual([first.status, second.status], [200, 200], second.text);
      const third = await project.call(refund(traceId, alice), supportBot);
      const error = assertError(third, 429, 'BLAST_RADIUS_EXCEEDED');
      assert.equal(error.details?.['limit'], 'perRequest.writes');
      assert.equal(error.details?.['max'], 2);
      assert.equal(error.retryable, false);
      assert.equal(project.invocations('refunds.create'), 2);
      assert.deepEqual(await callEventTypes(project, third.body.callId ?? ''), ['call.received', 'decision.made', 'call.refused']);
      // Another request starts its own count.
      assert.equal((await project.call(refund(`${traceId}-next`, alice), supportBot)).status, 200);
      assert.equal(project.invocations('refunds.create'), 3);
    });

    it('concurrent writes in one request cannot overrun the cap: exactly two of eight run', async () => {
      const traceId = `burst-${storage}`;
      const before = project.invocations('refunds.create');
      const answers = await Promise.all(Array.from({ length: 8 }, () => project.call(refund(traceId, alice), supportBot)));
      const statuses = answers.map((answer) => answer.status).sort();
      assert.deepEqual(statuses, [200, 200, 429, 429, 429, 429, 429, 429]);
      assert.equal(project.invocations('refunds.create'), before + 2);
    });

    it('the fourth call in one session is 429 (perSession.toolCalls), whatever the request', async () => {
      const sessionId = `session-${storage}`;
      const before = project.invocations('orders.lookup');
      for (let index = 0; index < 3; index += 1) assert.equal((await project.call(lookup({ sessionId }), supportBot)).status, 200);
      const error = assertError(await project.call(lookup({ sessionId }), supportBot), 429, 'BLAST_RADIUS_EXCEEDED');
      assert.equal(error.details?.['limit'], 'perSession.toolCalls');
      assert.equal(error.details?.['max'], 3);
      assert.equal(project.invocations('orders.lookup'), before + 3);
      assert.equal((await project.call(lookup({ sessionId: `${sessionId}-other` }), supportBot)).status, 200);
    });

    it('touching a fourth entity in one request is 429 (perRequest.entities)', async () => {
      const traceId = `entities-${storage}`;
      const before = project.invocations('orders.lookup');
      for (let index = 0; index < 3; index += 1) assert.equal((await project.call(lookup({ traceId }), supportBot)).status, 200);
      const error = assertError(await project.call(lookup({ traceId }), supportBot), 429, 'BLAST_RADIUS_EXCEEDED');
      assert.equal(error.details?.['limit'], 'perRequest.entities');
      assert.equal(error.details?.['max'], 3);
      assert.equal(project.invocations('orders.lookup'), before + 3);
    });
  });

  describe(`per-agent caps (${storage})`, () => {
    let project: ProjectFixture;

    before(async () => {
      project = await startProject({
        storage,
        name: 'agent-caps',
        edit(document) {
          document['limits'] = { perRequest: { writes: 5 }, perAgent: { writes: 2, window: '1h' } };
        },
      });
    });
    after(async () => {
      await project?.close();
    });

    it('an agent that rotates trace ids and sends no session still hits its per-agent cap (perAgent.writes)', async () => {
      const supportBot = await project.mintAgentToken('support-bot');
      const alice = await project.userAssertion({ user: 'alice', tenant: 'acme', roles: ['support'] });
      assert.equal((await project.call(refund('rotate-1', alice), supportBot)).status, 200);
      assert.equal((await project.call(refund('rotate-2', alice), supportBot)).status, 200);
      const third = assertError(await project.call(refund('rotate-3', alice), supportBot), 429, 'BLAST_RADIUS_EXCEEDED');
      assert.equal(third.details?.['limit'], 'perAgent.writes');
      assert.equal(project.invocations('refunds.create'), 2);
      // Reads are not writes: the agent can still look things up.
      assert.equal((await project.call(lookup({ traceId: 'rotate-4' }), supportBot)).status, 200);
    });
  });

  describe(`rate limits (${storage})`, () => {
    let project: ProjectFixture;

    before(async () => {
      project = await startProject({
        storage,
        name: 'rate',
        edit(document) {
          document['limits'] = { rate: { perAgent: { limit: 3, per: '1m' } } };
        },
      });
    });
    after(async () => {
      await project?.close();
    });

    it('the fourth call of an agent within the minute is 429 RATE_LIMITED with Retry-After; other agents are unaffected', async () => {
      const supportBot = await project.mintAgentToken('support-bot');
      for (let index = 0; index < 3; index += 1) assert.equal((await project.call(lookup(), supportBot)).status, 200);
      const limited = await project.call(lookup(), supportBot);
      const error = assertError(limited, 429, 'RATE_LIMITED');
      assert.equal(error.details?.['limit'], 'rate.perAgent');
      assert.equal(error.retryable, true);
      const retryAfter = Number(limited.headers.get('retry-after'));
      assert.ok(
        Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
        `Retry-After is ${limited.headers.get('retry-after')}`,
      );
      assert.equal(project.invocations('orders.lookup'), 3);
      const globex = await project.mintAgentToken('globex-assistant');
      assert.equal((await project.call(lookup(), globex)).status, 200);
      assert.equal(project.invocations('orders.lookup'), 4);
    });

    it('calls that policy denies count against the rate too, so an agent cannot flood the gate with them', async () => {
      const globex = await project.mintAgentToken('globex-assistant');
      // globex-assistant used one call above; two denied deletes use the rest of its minute.
      for (let index = 0; index < 2; index += 1) {
        assertError(await project.call(deletion(), globex), 403, 'POLICY_DENIED');
      }
      assertError(await project.call(deletion(), globex), 429, 'RATE_LIMITED');
      assertError(await project.call(lookup(), globex), 429, 'RATE_LIMITED');
    });
  });
}
