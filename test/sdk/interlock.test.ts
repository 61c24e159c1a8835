/**
 * The in-process SDK: functions wrapped as governed tools run only through the kernel, get the
 * same decisions and obligations as over HTTP, and leave the same evidence in both durability modes.
 */
import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GovernedCallError, openInterlock, type Interlock } from '../../src/sdk/index.js';
import { openStore } from '../../src/store/open-store.js';
import type { StoredAuditEvent } from '../../src/store/store.js';
import { copyRefundsExample, removeDirectory } from '../cli/interlock-process.js';
import { demoUserAssertion } from './demo-user.js';

/** Log lines are kept, not printed, so tests can also check what was logged. */
function logSink(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        text += chunk.toString();
        callback();
      },
    }),
    text: () => text,
  };
}

interface Order {
  found: boolean;
  order_id: string;
  customer: { name: string; phone: string };
}

async function eventsOfCall(interlock: Interlock, callId: string): Promise<StoredAuditEvent[]> {
  return interlock.runtime.store.listAuditEvents({ callId, limit: 100 });
}

async function rejection(promise: Promise<unknown>): Promise<GovernedCallError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof GovernedCallError, `expected a GovernedCallError, got ${String(error)}`);
    return error;
  }
  assert.fail('the call resolved');
}

describe('SDK: openInterlock and wrap', () => {
  const project = copyRefundsExample('sdk');
  const logs = logSink();
  let interlock: Interlock;
  before(async () => {
    interlock = await openInterlock(project, { loadHandlers: false, logStream: logs.stream, processMetrics: false });
  });
  after(async () => {
    await interlock.close();
    removeDirectory(project);
  });

  test('an allowed call returns the function result with obligation redactions applied, and leaves its evidence', async () => {
    const seen: unknown[] = [];
    const lookup = interlock.wrap(
      'orders.lookup',
      (args: { order_id: string }): Order => {
        seen.push(args);
        return { found: true, order_id: args.order_id, customer: { name: 'Dana Reyes', phone: '+1 415 555 0100' } };
      },
      { agent: 'support-bot' },
    );
    const order = await lookup({ order_id: 'o-1001' }, { traceId: 'sdk-lookup-1' });
    assert.deepEqual(seen, [{ order_id: 'o-1001' }], 'the function ran once with the arguments');
    assert.equal(order.customer.name, 'Dana Reyes');
    assert.equal(order.customer.phone, '[REDACTED]', 'redacted by the policy obligation');

    const events = await interlock.runtime.store.listAuditEvents({ traceId: 'sdk-lookup-1', limit: 100 });
    assert.deepEqual(
      events.map((event) => event.type),
      ['call.received', 'decision.made', 'tool.executed', 'call.completed'],
    );
    const executed = JSON.parse(events[2]?.body ?? '{}') as { data: { result: Order; redactedFromResult: string[] } };
    assert.equal(executed.data.result.customer.phone, '[REDACTED]', 'the phone number never enters the audit log');
    assert.ok(
      !events
        .map((event) => event.body)
        .join('')
        .includes('555 0100'),
    );
  });

  test('a denied operation throws GovernedCallError(POLICY_DENIED) and the function is never invoked', async () => {
    let invoked = 0;
    const deleteOrder = interlock.wrap(
      'orders.delete',
      () => {
        invoked += 1;
        return { deleted: true };
      },
      { agent: 'support-bot' },
    );
    const error = await rejection(deleteOrder({ order_id: 'o-1001' }, { idempotencyKey: 'sdk-delete-o-1001' }));
    assert.equal(invoked, 0);
    assert.equal(error.code, 'POLICY_DENIED');
    assert.equal(error.name, 'GovernedCallError');
    assert.ok(error instanceof Error);
    assert.equal(error.outcome.status, 'denied');
    assert.deepEqual(error.outcome.decision?.policyIds, ['no-destructive-actions-in-prod']);
    assert.match(error.message, /destructive operations are never run by agents in prod/);
    const types = (await eventsOfCall(interlock, error.outcome.callId)).map((event) => event.type);
    assert.deepEqual(types, ['call.received', 'decision.made', 'call.completed']);
  });

  test('acting for a user: the intersection of agent and user permissions decides; approval is not execution', async () => {
    let refunds = 0;
    const refund = interlock.wrap(
      'refunds.create',
      (args: { order_id: string; amount_cents: number; reason: string }) => {
        refunds += 1;
        return { refund_id: `r-${refunds}`, amount_cents: args.amount_cents };
      },
      { agent: 'support-bot' },
    );
    const alice = await demoUserAssertion(project, 'alice', ['support']);
    const bob = await demoUserAssertion(project, 'bob', ['marketing']);

    assert.deepEqual(
      await refund({ order_id: 'o-1001', amount_cents: 1500, reason: 'damaged' }, { actingFor: alice, idempotencyKey: 'sdk-refund-1' }),
      { refund_id: 'r-1', amount_cents: 1500 },
    );
    const large = await rejection(
      refund({ order_id: 'o-1001', amount_cents: 12000, reason: 'lost' }, { actingFor: alice, idempotencyKey: 'sdk-refund-2' }),
    );
    assert.equal(large.code, 'APPROVAL_REQUIRED');
    assert.equal(large.outcome.status, 'approval_required');
    assert.equal(large.outcome.approval?.status, 'pending');
    const noUser = await rejection(refund({ order_id: 'o-1001', amount_cents: 100, reason: 'x' }, { idempotencyKey: 'sdk-refund-3' }));
    assert.equal(noUser.code, 'POLICY_DENIED');
    const wrongUser = await rejection(
      refund({ order_id: 'o-1001', amount_cents: 100, reason: 'x' }, { actingFor: bob, idempotencyKey: 'sdk-refund-4' }),
    );
    assert.equal(wrongUser.code, 'POLICY_DENIED');
    const forged = await rejection(
      refund(
        { order_id: 'o-1001', amount_cents: 100, reason: 'x' },
        { actingFor: `${alice.slice(0, -4)}AAAA`, idempotencyKey: 'sdk-refund-5' },
      ),
    );
    assert.equal(forged.code, 'USER_ASSERTION_INVALID');
    assert.equal(refunds, 1, 'only the allowed refund ran');
  });

  test('a wrapped write runs once per idempotency key: without one it is refused, a retry replays, another action conflicts', async () => {
    const sent: string[] = [];
    const send = interlock.wrap(
      'email.send',
      (args: { to: string; subject: string; body: string }) => {
        sent.push(args.subject);
        return { queued: true, n: sent.length };
      },
      { agent: 'support-bot' },
    );
    const message = { to: 'dana@example.com', subject: 'your refund', body: 'on its way' };
    const missing = await rejection(send(message));
    assert.equal(missing.code, 'IDEMPOTENCY_KEY_REQUIRED');
    assert.equal(missing.outcome.status, 'refused');
    assert.deepEqual(sent, []);

    assert.deepEqual(await send(message, { idempotencyKey: 'sdk-email-1' }), { queued: true, n: 1 });
    assert.deepEqual(await send(message, { idempotencyKey: 'sdk-email-1' }), { queued: true, n: 1 }, 'the retry is the first outcome');
    const replay = await interlock.call(
      { tool: 'email', operation: 'send', arguments: message, idempotencyKey: 'sdk-email-1' },
      { agent: 'support-bot' },
    );
    assert.equal(replay.replayed, true);
    assert.equal(replay.idempotencyKey, 'sdk-email-1');
    const conflict = await rejection(send({ ...message, subject: 'another' }, { idempotencyKey: 'sdk-email-1' }));
    assert.equal(conflict.code, 'IDEMPOTENCY_CONFLICT');
    assert.deepEqual(sent, ['your refund'], 'the e-mail went out once');

    // A key given in the call context of interlock.call works like one in the request.
    const viaContext = await interlock.call(
      { tool: 'email', operation: 'send', arguments: { ...message, subject: 'context key' } },
      { agent: 'support-bot', idempotencyKey: 'sdk-email-2' },
    );
    assert.equal(viaContext.status, 'executed');
    assert.equal(viaContext.idempotencyKey, 'sdk-email-2');
    assert.deepEqual(sent, ['your refund', 'context key']);
  });

  test('deriveIdempotencyKey in the defaults of wrap: the same write runs once per trace; a shared key in the defaults is refused', async () => {
    const sent: string[] = [];
    const send = interlock.wrap(
      'email.send',
      (args: { to: string; subject: string; body: string }) => {
        sent.push(args.subject);
        return { queued: true };
      },
      { agent: 'support-bot', deriveIdempotencyKey: true },
    );
    const message = { to: 'dana@example.com', subject: 'derived', body: 'hello' };
    await send(message, { traceId: 'sdk-derive-1' });
    await send(message, { traceId: 'sdk-derive-1' });
    assert.deepEqual(sent, ['derived']);
    await send(message, { traceId: 'sdk-derive-2' });
    assert.deepEqual(sent, ['derived', 'derived'], 'another trace is another request');
    const nothingToDeriveFrom = await rejection(send(message));
    assert.equal(nothingToDeriveFrom.code, 'IDEMPOTENCY_KEY_REQUIRED');
    assert.equal(sent.length, 2);

    assert.throws(
      () => interlock.wrap('email.send', () => ({}), { agent: 'support-bot', idempotencyKey: 'one-for-all' }),
      /pass it per call/,
    );
  });

  test('invalid arguments are refused before anything runs', async () => {
    let invoked = 0;
    interlock.handle('email.send', () => {
      invoked += 1;
      return { queued: true };
    });
    const outcome = await interlock.call(
      { tool: 'email', operation: 'send', arguments: { to: 'dana@example.com', subject: 'hi' } },
      { agent: 'support-bot', idempotencyKey: 'sdk-email-invalid' },
    );
    assert.equal(outcome.status, 'refused');
    assert.equal(outcome.error?.code, 'ARGUMENTS_INVALID');
    assert.match(outcome.error?.message ?? '', /body/);
    assert.equal(invoked, 0);
  });

  test('call() returns outcomes instead of throwing; a function that throws is a failed call without its message', async () => {
    interlock.handle('email.send', () => {
      throw new TypeError('SMTP password hunter2 rejected');
    });
    const outcome = await interlock.call(
      { tool: 'email', operation: 'send', arguments: { to: 'dana@example.com', subject: 'hi', body: 'hello' } },
      { agent: 'support-bot', idempotencyKey: 'sdk-email-throws' },
    );
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.error?.code, 'UPSTREAM_FAILED');
    assert.ok(!JSON.stringify(outcome).includes('hunter2'), 'the handler message does not leak');
    const types = (await eventsOfCall(interlock, outcome.callId)).map((event) => event.type);
    assert.deepEqual(types, ['call.received', 'decision.made', 'tool.failed', 'call.completed']);
  });

  test('an operation without a registered function fails with HANDLER_MISSING (loadHandlers is off)', async () => {
    const bare = await openInterlock(project, { loadHandlers: false, logStream: logSink().stream, processMetrics: false });
    try {
      const missing = await bare.call({ tool: 'orders', operation: 'lookup', arguments: { order_id: 'o-1001' } }, { agent: 'support-bot' });
      assert.equal(missing.status, 'failed');
      assert.equal(missing.error?.code, 'HANDLER_MISSING');
    } finally {
      await bare.close();
    }
  });

  test('an agent that is not configured is refused (AGENT_UNKNOWN), as is an agent of another environment', async () => {
    let invoked = 0;
    const lookup = interlock.wrap(
      'orders.lookup',
      () => {
        invoked += 1;
        return {};
      },
      { agent: 'intruder' },
    );
    const unknown = await rejection(lookup({ order_id: 'o-1001' }));
    assert.equal(unknown.code, 'AGENT_UNKNOWN');
    assert.equal(unknown.outcome.status, 'refused');
    const staging = await rejection(lookup({ order_id: 'o-1001' }, { agent: 'support-bot-staging' }));
    assert.equal(staging.code, 'AUTH_WRONG_ENVIRONMENT');
    assert.equal(invoked, 0);
  });

  test('tools limited to other tenants do not exist for the agent', async () => {
    const outcome = await interlock.call(
      { tool: 'refunds', operation: 'create', arguments: { order_id: 'o-1', amount_cents: 1, reason: 'x' } },
      { agent: 'globex-assistant', idempotencyKey: 'sdk-globex-refund' },
    );
    assert.equal(outcome.status, 'refused');
    assert.equal(outcome.error?.code, 'TOOL_UNKNOWN');
  });
});

describe('SDK: both durability modes leave the evidence on disk', () => {
  for (const durability of ['durable', 'relaxed'] as const) {
    test(`${durability}: events of a call are in the store, and the chain verifies`, async () => {
      const project = copyRefundsExample(`sdk-${durability}`);
      after(() => removeDirectory(project));
      const interlock = await openInterlock(project, {
        loadHandlers: true,
        durability,
        logStream: logSink().stream,
        processMetrics: false,
      });
      let callId: string;
      try {
        assert.equal(interlock.runtime.audit.mode, durability);
        const outcome = await interlock.call(
          { tool: 'orders', operation: 'lookup', arguments: { order_id: 'o-1002' } },
          { agent: 'support-bot' },
        );
        assert.equal(outcome.status, 'executed');
        callId = outcome.callId;
        if (durability === 'durable') {
          // Durable: committed before the answer, visible to another connection right away.
          const reader = await openStore({ driver: 'sqlite', path: join(project, '.interlock', 'interlock.db'), durability: 'durable' });
          try {
            assert.equal((await reader.listAuditEvents({ callId, limit: 10 })).length, 4);
          } finally {
            await reader.close();
          }
        }
      } finally {
        await interlock.close();
      }
      const store = await openStore({ driver: 'sqlite', path: join(project, '.interlock', 'interlock.db'), durability: 'durable' });
      try {
        const events = await store.listAuditEvents({ callId, limit: 10 });
        assert.deepEqual(
          events.map((event) => event.type),
          ['call.received', 'decision.made', 'tool.executed', 'call.completed'],
        );
        assert.ok((await store.listCheckpoints()).length >= 1, 'close signs a checkpoint');
      } finally {
        await store.close();
      }
    });
  }
});
