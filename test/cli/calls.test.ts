/**
 * `interlock calls unresolved`: an operator sees the writes whose outcome is unknown (timed out, or
 * whose process died mid-call), and only those; a call still inside its deadline is not listed.
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openStore } from '../../src/store/open-store.js';
import type { IdempotencyRecord } from '../../src/store/store.js';
import { copyRefundsExample, ensureBuilt, removeDirectory, runCli } from './interlock-process.js';

let project: string;

function record(key: string, tool: string, createdAt: Date, callId: string): IdempotencyRecord {
  return {
    scopeKey: `acme/support-bot/${key}`,
    tenant: 'acme',
    agentId: 'support-bot',
    actionHash: `sha256:${key}`,
    tool,
    operation: 'create',
    state: 'running',
    callId,
    traceId: `trace-${key}`,
    outcome: null,
    createdAt: createdAt.toISOString(),
    updatedAt: createdAt.toISOString(),
    expiresAt: new Date(createdAt.getTime() + 86_400_000).toISOString(),
  };
}

before(async () => {
  ensureBuilt();
  project = copyRefundsExample('interlock-calls-');
  // Opening the project through the CLI creates and migrates its store.
  assert.equal((await runCli(['calls', 'unresolved', '--project', project])).code, 0);
  const store = await openStore({ driver: 'sqlite', path: join(project, '.interlock', 'interlock.db'), durability: 'durable' });
  try {
    const now = Date.now();
    // Timed out: the kernel marked it unknown.
    await store.claimIdempotencyKey(record('timed-out', 'refunds', new Date(now - 5_000), 'call-timed-out'));
    await store.finishIdempotencyKey('acme/support-bot/timed-out', 'call-timed-out', 'unknown', '{}', new Date(now - 4_000).toISOString());
    // Its process died an hour ago: still `running`, far past any deadline.
    await store.claimIdempotencyKey(record('crashed', 'refunds', new Date(now - 3_600_000), 'call-crashed'));
    // Running right now: not an operator's business yet.
    await store.claimIdempotencyKey(record('in-flight', 'refunds', new Date(now), 'call-in-flight'));
    // Finished normally.
    await store.claimIdempotencyKey(record('done', 'email', new Date(now - 10_000), 'call-done'));
    await store.finishIdempotencyKey('acme/support-bot/done', 'call-done', 'completed', '{}', new Date(now - 9_000).toISOString());
  } finally {
    await store.close();
  }
});

after(() => removeDirectory(project));

test('lists timed-out and crashed writes, not running or finished ones', async () => {
  const result = await runCli(['calls', 'unresolved', '--project', project]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /2 write\(s\) with an unknown outcome/);
  assert.match(result.stdout, /call-timed-out .*no answer/);
  assert.match(result.stdout, /call-crashed .*process died mid-call/);
  assert.doesNotMatch(result.stdout, /call-in-flight|call-done/);

  const json = JSON.parse((await runCli(['calls', 'unresolved', '--project', project, '--json'])).stdout) as Array<{
    callId: string;
    state: string;
  }>;
  assert.deepEqual(json.map((entry) => [entry.callId, entry.state]).sort(), [
    ['call-crashed', 'process_died'],
    ['call-timed-out', 'unknown'],
  ]);
});

test('another tenant sees none of them', async () => {
  const result = await runCli(['calls', 'unresolved', '--project', project, '--tenant', 'globex']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /no writes with an unknown outcome/);
});
