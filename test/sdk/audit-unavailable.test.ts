/**
 * When evidence cannot be recorded, nothing is acknowledged: the call is refused with a typed
 * error, the tool does not run, and the caller gets an answer instead of an exception.
 */
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { openInterlock, type Interlock } from '../../src/sdk/index.js';
import { copyRefundsExample, removeDirectory } from '../cli/interlock-process.js';

let directory: string;
let interlock: Interlock;
let invocations = 0;

before(async () => {
  directory = copyRefundsExample('interlock-audit-unavailable-');
  interlock = await openInterlock(directory, { processMetrics: false, logLevel: 'silent' });
  interlock.handle('orders.lookup', () => {
    invocations += 1;
    return { found: true };
  });
});

after(async () => {
  await interlock.runtime.store.close();
  removeDirectory(directory);
});

test('a call while the audit log is closed is refused with AUDIT_UNAVAILABLE and never runs', async () => {
  const allowed = await interlock.call(
    { tool: 'orders', operation: 'lookup', arguments: { order_id: 'o-1001' } },
    { agent: 'support-bot' },
  );
  assert.equal(allowed.status, 'executed');
  assert.equal(invocations, 1);

  await interlock.runtime.audit.close();
  const refused = await interlock.call(
    { tool: 'orders', operation: 'lookup', arguments: { order_id: 'o-1001' } },
    { agent: 'support-bot' },
  );
  assert.equal(refused.status, 'refused');
  assert.equal(refused.error?.code, 'AUDIT_UNAVAILABLE');
  assert.equal(invocations, 1, 'the tool ran without evidence');
});
