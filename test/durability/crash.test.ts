/**
 * Crash durability of `interlock serve`: with `durability: durable`, a call is answered only after
 * its evidence is committed, so killing the process at any moment loses no acknowledged call and
 * leaves a chain that verifies. Each test kills the real server several times, at different
 * moments, under concurrent reads and writes.
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { openStore, type OpenStoreOptions } from '../../src/store/open-store.js';
import type { StoredAuditEvent } from '../../src/store/store.js';
import {
  assertExampleUser,
  copyRefundsExample,
  ensureBuilt,
  LOOKUP,
  mintAgentToken,
  postCall,
  removeDirectory,
  replaceExactly,
  runCli,
  smallRefund,
  withoutRateLimits,
} from '../cli/interlock-process.js';
import { dropSchema, freshSchemaName, postgresTestUrl, requirePostgres } from '../support/postgres.js';
import {
  assertEvidenceForEveryAcknowledgedCall,
  assertNoDoubleClosing,
  loadThenKill,
  MIN_ACKNOWLEDGED,
  readWholeChain,
  startAndWarm,
} from './crash-harness.js';

before(() => ensureBuilt());

/** Kill moments: early in the load, in the middle, and late. */
const KILL_MOMENTS_MS = [350, 800, 1500] as const;

interface CrashSetup {
  readonly project: string;
  readonly env: NodeJS.ProcessEnv;
  readonly storeOptions: OpenStoreOptions;
}

async function readChain(storeOptions: OpenStoreOptions): Promise<StoredAuditEvent[]> {
  const store = await openStore(storeOptions);
  try {
    return await readWholeChain(store);
  } finally {
    await store.close();
  }
}

async function verifyExitsZero(setup: CrashSetup, when: string): Promise<string> {
  const verify = await runCli(['audit', 'verify', '--project', setup.project], { env: setup.env });
  assert.equal(verify.code, 0, `audit verify ${when}: ${verify.stdout}${verify.stderr}`);
  assert.match(verify.stdout, /^OK: \d+ events/);
  return verify.stdout;
}

/** The durable scenario shared by both stores. */
async function killRepeatedlyUnderLoad(t: TestContext, setup: CrashSetup, killMoments: readonly number[]): Promise<void> {
  const [token, assertion] = await Promise.all([
    mintAgentToken(setup.project, 'support-bot', setup.env),
    assertExampleUser(setup.project, 'alice', ['support']),
  ]);
  let previousCount = 0;
  let totalAcknowledged = 0;
  for (const killAfterMs of killMoments) {
    const server = await startAndWarm(setup.project, token, setup.env);
    const round = await loadThenKill(server, token, assertion, killAfterMs);
    const executedRefunds = round.acknowledged.filter((call) => call.tool === 'refunds' && call.status === 'executed').length;
    t.diagnostic(
      `kill after ${round.killedAfterMs} ms: ${round.acknowledged.length} calls acknowledged (${executedRefunds} refunds executed), ${round.lostInFlight} in flight at the kill`,
    );
    assert.ok(round.acknowledged.length >= MIN_ACKNOWLEDGED, `too little load to be meaningful: ${round.acknowledged.length} answers`);
    assert.ok(executedRefunds >= 1, 'the load includes executed writes');
    assert.ok(round.lostInFlight >= 1, 'the kill hit requests in flight');

    await verifyExitsZero(setup, `after the kill at ${killAfterMs} ms`);
    const events = await readChain(setup.storeOptions);
    assert.ok(events.length > previousCount, 'the chain grew during the round');
    assert.deepEqual(
      events.map((event) => event.seq),
      Array.from({ length: events.length }, (_, index) => index + 1),
      'seqs are contiguous from 1',
    );
    assertEvidenceForEveryAcknowledgedCall(events, round.acknowledged);
    assertNoDoubleClosing(events);
    previousCount = events.length;
    totalAcknowledged += round.acknowledged.length;
  }

  // After the last crash the server starts again on the same data, serves, and extends the chain.
  const server = await startAndWarm(setup.project, token, setup.env);
  const refund = await postCall(server.url, token, { ...smallRefund(assertion), idempotencyKey: 'crash-after-restart' });
  assert.equal(refund.body.status, 'executed', JSON.stringify(refund.body));
  const lookup = await postCall(server.url, token, { ...LOOKUP });
  assert.equal(lookup.body.status, 'executed');
  const stopped = await server.stop('SIGTERM');
  assert.equal(stopped.code, 0, `graceful stop: ${server.stderr()}`);
  await verifyExitsZero(setup, 'after the restart');
  const events = await readChain(setup.storeOptions);
  assert.ok(events.length > previousCount, 'the restarted server appended after the crashed ones');
  const refundEvents = events.filter((event) => event.callId === refund.body.callId).map((event) => event.type);
  assert.deepEqual(refundEvents, ['call.received', 'decision.made', 'tool.executed', 'compensation.registered', 'call.completed']);
  assert.equal(events.filter((event) => event.type === 'server.started').length, killMoments.length + 1, 'one server.started per start');
  t.diagnostic(`${totalAcknowledged} acknowledged calls over ${killMoments.length} crashes, ${events.length} events in the chain`);
}

describe('crash durability on SQLite', () => {
  test('durable: every acknowledged call keeps its evidence across three SIGKILLs, and the chain verifies and continues', async (t) => {
    const project = copyRefundsExample('crash-durable', withoutRateLimits);
    after(() => removeDirectory(project));
    await killRepeatedlyUnderLoad(
      t,
      {
        project,
        env: {},
        storeOptions: { driver: 'sqlite', path: join(project, '.interlock', 'interlock.db'), durability: 'durable' },
      },
      KILL_MOMENTS_MS,
    );
  });

  test('relaxed: the chain still verifies after SIGKILL (the last commit window may be lost)', async (t) => {
    const project = copyRefundsExample('crash-relaxed', (yaml) =>
      replaceExactly(withoutRateLimits(yaml), 'durability: durable', 'durability: relaxed'),
    );
    after(() => removeDirectory(project));
    const setup: CrashSetup = {
      project,
      env: {},
      storeOptions: { driver: 'sqlite', path: join(project, '.interlock', 'interlock.db'), durability: 'relaxed' },
    };
    const [token, assertion] = await Promise.all([
      mintAgentToken(project, 'support-bot'),
      assertExampleUser(project, 'alice', ['support']),
    ]);
    for (const killAfterMs of [700]) {
      const server = await startAndWarm(project, token);
      const round = await loadThenKill(server, token, assertion, killAfterMs);
      await verifyExitsZero(setup, `after the relaxed kill at ${killAfterMs} ms`);
      const events = await readChain(setup.storeOptions);
      const recorded = new Set(events.map((event) => event.id));
      const lost = round.acknowledged.filter((call) => !recorded.has(call.auditEventId)).length;
      t.diagnostic(`relaxed kill after ${round.killedAfterMs} ms: ${round.acknowledged.length} acknowledged, ${lost} closing events lost`);
      assertNoDoubleClosing(events);
    }
    const server = await startAndWarm(project, token);
    assert.equal((await server.stop('SIGTERM')).code, 0);
    await verifyExitsZero(setup, 'after the relaxed restart');
  });
});

const postgres = await requirePostgres();

describe('crash durability on postgres storage', postgres, () => {
  test('durable on postgres: every acknowledged call keeps its evidence across two SIGKILLs', async (t) => {
    const schema = freshSchemaName('crash');
    const url = postgresTestUrl();
    const project = copyRefundsExample('crash-postgres', (yaml) =>
      replaceExactly(
        withoutRateLimits(yaml),
        'driver: sqlite\n  path: interlock.db # inside dataDir (.interlock/ next to this file)\n  durability: durable',
        `driver: postgres\n  url: env:INTERLOCK_CRASH_TEST_PG_URL\n  schema: ${schema}\n  durability: durable\n  poolSize: 4`,
      ),
    );
    after(async () => {
      removeDirectory(project);
      await dropSchema(url, schema);
    });
    await killRepeatedlyUnderLoad(
      t,
      {
        project,
        env: { INTERLOCK_CRASH_TEST_PG_URL: url },
        storeOptions: { driver: 'postgres', url, schema, durability: 'durable', poolSize: 2 },
      },
      [500, 1200],
    );
  });
});
