/**
 * `interlock calls unresolved`: an operator sees the writes whose outcome is unknown (timed out, or
 * whose process died mid-call), and only those; a call still inside its deadline is not listed.
 * `interlock calls resolve` settles one of them, once (the full story, against a real upstream, is
 * in test/incidents/unknown-outcome-resolution.test.ts).
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

test('resolve: a crashed call (running past any deadline) resolves once; a call still running or finished does not', async () => {
  const resolve = (...args: string[]) => runCli(['calls', 'resolve', ...args, '--reason', 'checked the provider', '--project', project]);
  const crashed = await resolve('call-crashed', '--as', 'not_executed', '--by', 'finance-lead', '--json');
  assert.equal(crashed.code, 0, crashed.stderr);
  assert.deepEqual(
    (({ callId, resolvedAs, resolvedBy, idempotencyKey }) => ({ callId, resolvedAs, resolvedBy, idempotencyKey }))(
      JSON.parse(crashed.stdout) as Record<string, unknown>,
    ),
    { callId: 'call-crashed', resolvedAs: 'not_executed', resolvedBy: 'finance-lead', idempotencyKey: 'crashed' },
  );
  const listed = await runCli(['calls', 'unresolved', '--project', project]);
  assert.match(listed.stdout, /1 write\(s\) with an unknown outcome/);
  assert.match(listed.stdout, /call-timed-out .*key "timed-out"/);

  for (const [args, pattern] of [
    [['call-crashed', '--as', 'executed'], /OUTCOME_NOT_UNKNOWN: call call-crashed/],
    [['call-in-flight', '--as', 'executed'], /OUTCOME_NOT_UNKNOWN: call call-in-flight is still running/],
    [['--key', 'done', '--agent', 'acme/support-bot', '--as', 'executed'], /OUTCOME_NOT_UNKNOWN: call call-done has a known outcome/],
    [['call-timed-out', '--as', 'perhaps'], /argument 'perhaps' is invalid/],
  ] as const) {
    const result = await resolve(...args, '--by', 'finance-lead');
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, pattern);
  }
  const store = await openStore({ driver: 'sqlite', path: join(project, '.interlock', 'interlock.db'), durability: 'durable' });
  try {
    assert.equal((await store.getIdempotencyRecord('acme/support-bot/in-flight'))?.state, 'running', 'a running call is left alone');
    const events = await store.listAuditEvents({ type: 'call.resolved', limit: 10 });
    assert.deepEqual(
      events.map((event) => [event.callId, (JSON.parse(event.body) as { data: { previousState: string } }).data.previousState]),
      [['call-crashed', 'process_died']],
    );
  } finally {
    await store.close();
  }
});
