/**
 * What runs is what was decided and what the evidence says: arguments cannot change after the
 * decision, a side effect that ran is never reported as refused, and a failed write is never
 * advertised as safe to retry.
 */
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { openInterlock, type Interlock } from '../../src/sdk/index.js';
import { copyRefundsExample, removeDirectory } from '../cli/interlock-process.js';

let directory: string;
let interlock: Interlock;
const sent: string[] = [];
let emailBehaviour: 'ok' | 'bigint' | 'throw' = 'ok';
let lookupThrows = false;

before(async () => {
  directory = copyRefundsExample('interlock-kernel-integrity-');
  interlock = await openInterlock(directory, { processMetrics: false, logLevel: 'silent' });
  interlock.handle('email.send', (args) => {
    sent.push(String(args['to']));
    if (emailBehaviour === 'throw') throw new Error('smtp down');
    return emailBehaviour === 'bigint' ? { id: 10n, queued: true } : { queued: true };
  });
  interlock.handle('orders.lookup', () => {
    if (lookupThrows) throw new Error('db down');
    return { found: false };
  });
});

after(async () => {
  await interlock.close();
  removeDirectory(directory);
});

/** One e-mail, under the idempotency key that makes it go out at most once. */
const email = (to: string, idempotencyKey: string) => ({
  tool: 'email',
  operation: 'send',
  arguments: { to, subject: 'Your refund', body: 'Done.' },
  idempotencyKey,
});

test('arguments changed by the caller after the call started are not what runs or what is recorded', async () => {
  const request = email('customer@example.com', 'integrity-swap');
  const pending = interlock.call(request, { agent: 'support-bot' });
  // The forbidden internal list, swapped in while the call is in flight.
  setImmediate(() => {
    (request.arguments as { to: string }).to = 'all-staff@lists.acme.example';
  });
  const outcome = await pending;
  assert.equal(outcome.status, 'executed');
  assert.deepEqual(sent, ['customer@example.com']);
  const received = await interlock.runtime.store.listAuditEvents({ callId: outcome.callId, type: 'call.received', limit: 1 });
  assert.match(received[0]?.body ?? '', /customer@example\.com/);
  assert.doesNotMatch(received[0]?.body ?? '', /lists\.acme\.example/);
});

test('a side effect whose result has no plain JSON form is still reported as executed, with evidence', async () => {
  emailBehaviour = 'bigint';
  const outcome = await interlock.call(email('customer@example.com', 'integrity-bigint'), { agent: 'support-bot' });
  emailBehaviour = 'ok';
  assert.equal(outcome.status, 'executed', JSON.stringify(outcome.error));
  assert.deepEqual(outcome.result, { id: '10', queued: true });
  const events = await interlock.runtime.store.listAuditEvents({ callId: outcome.callId, limit: 10 });
  assert.deepEqual(
    events.map((event) => event.type),
    ['call.received', 'decision.made', 'tool.executed', 'compensation.registered', 'call.completed'],
  );
});

test('a failed non-idempotent write is not retryable; a failed read is', async () => {
  emailBehaviour = 'throw';
  const write = await interlock.call(email('customer@example.com', 'integrity-throw'), { agent: 'support-bot' });
  emailBehaviour = 'ok';
  assert.equal(write.status, 'failed');
  assert.equal(write.error?.code, 'UPSTREAM_FAILED');
  assert.equal(write.error?.retryable, false);

  lookupThrows = true;
  const read = await interlock.call({ tool: 'orders', operation: 'lookup', arguments: { order_id: 'o-1001' } }, { agent: 'support-bot' });
  lookupThrows = false;
  assert.equal(read.status, 'failed');
  assert.equal(read.error?.code, 'UPSTREAM_FAILED');
  assert.equal(read.error?.retryable, true);
});

test('an agent in the shadow stage is decided and recorded, and nothing runs', async () => {
  const shadowDirectory = copyRefundsExample('interlock-shadow-', (yaml) =>
    yaml.replace(
      'agents:\n',
      'agents:\n  - id: shadow-bot\n    tenant: acme\n    owner: platform@acme.example\n    environment: prod\n    stage: shadow\n',
    ),
  );
  const shadow = await openInterlock(shadowDirectory, { processMetrics: false, logLevel: 'silent' });
  let ran = 0;
  shadow.handle('email.send', () => {
    ran += 1;
    return { queued: true };
  });
  try {
    const outcome = await shadow.call(email('customer@example.com', 'shadow-email'), { agent: 'shadow-bot' });
    assert.equal(outcome.status, 'shadowed');
    assert.equal(ran, 0, 'a shadow-stage call ran');
    assert.ok(outcome.decision !== null, 'the would-be decision is returned');
    const events = await shadow.runtime.store.listAuditEvents({ callId: outcome.callId, limit: 10 });
    assert.deepEqual(
      events.map((event) => event.type),
      ['call.received', 'decision.made', 'call.completed'],
    );
    assert.match(events[2]?.body ?? '', /"status":"shadowed"/);
  } finally {
    await shadow.close();
    removeDirectory(shadowDirectory);
  }
});

test('a write that failed after reaching its upstream is not run again under the same key', async () => {
  emailBehaviour = 'throw';
  const before = sent.length;
  try {
    const first = await interlock.call(email('retry@example.com', 'integrity-failed-once'), { agent: 'support-bot' });
    assert.equal(first.status, 'failed');
    assert.equal(first.error?.retryable, false);
    emailBehaviour = 'ok';
    const again = await interlock.call(email('retry@example.com', 'integrity-failed-once'), { agent: 'support-bot' });
    assert.equal(again.status, 'failed', 'the retry repeats the first outcome');
    assert.equal(again.replayed, true);
    assert.equal(again.callId, first.callId);
    assert.equal(sent.length, before + 1, 'the handler ran once');
  } finally {
    emailBehaviour = 'ok';
  }
});

test('a write refused before reaching its upstream leaves its key free for the retry', async () => {
  const directory2 = copyRefundsExample('interlock-kernel-integrity-missing-');
  const bare = await openInterlock(directory2, { processMetrics: false, logLevel: 'silent' });
  try {
    const first = await bare.call(email('later@example.com', 'integrity-missing-handler'), { agent: 'support-bot' });
    assert.equal(first.error?.code, 'HANDLER_MISSING');
    let ran = 0;
    bare.handle('email.send', () => {
      ran += 1;
      return { queued: true };
    });
    const second = await bare.call(email('later@example.com', 'integrity-missing-handler'), { agent: 'support-bot' });
    assert.equal(second.status, 'executed');
    assert.equal(second.replayed, undefined);
    assert.equal(ran, 1);
  } finally {
    await bare.close();
    removeDirectory(directory2);
  }
});
