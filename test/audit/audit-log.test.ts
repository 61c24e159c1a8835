import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AuditLog, type CommittedBatch } from '../../src/audit/audit-log.js';
import { CanonicalJsonError } from '../../src/audit/canonical-json.js';
import type { AuditEventBody, AuditEventInput } from '../../src/audit/event.js';
import { storeVerificationSource, verifyChain } from '../../src/audit/verify.js';
import { InterlockError } from '../../src/errors/interlock-error.js';
import { loadOrCreateSigningKey } from '../../src/keys/keystore.js';
import { REDACTED, Redactor } from '../../src/redaction/redactor.js';
import { MemoryAuditStore } from './memory-audit-store.js';

const dataDir = mkdtempSync(join(tmpdir(), 'interlock-audit-log-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));
const key = loadOrCreateSigningKey(dataDir, 'audit');
const SECRET = 'resolved-upstream-credential-42';

function input(index: number, data: Record<string, unknown> = { index }): AuditEventInput {
  return { type: 'tool.executed', tenant: 'acme', agent: 'refund-bot', traceId: `trace-${index}`, callId: `call-${index}`, data };
}

function newLog(store: MemoryAuditStore, overrides: Partial<ConstructorParameters<typeof AuditLog>[0]> = {}): AuditLog {
  return new AuditLog({
    store,
    redactor: new Redactor({ knownSecrets: new Set([SECRET]), fieldPaths: ['arguments.card'] }),
    mode: 'durable',
    ...overrides,
  });
}

function isAuditUnavailable(error: unknown): boolean {
  return error instanceof InterlockError && error.code === 'AUDIT_UNAVAILABLE';
}

function nextCommit(log: AuditLog): Promise<CommittedBatch> {
  return new Promise((resolve) => {
    const stop = log.onCommitted((batch) => {
      stop();
      resolve(batch);
    });
  });
}

describe('AuditLog', () => {
  it('records synchronously, redacts, and commits a canonical versioned body on flush', async () => {
    const store = new MemoryAuditStore();
    const log = newLog(store, { clock: () => new Date('2024-03-01T10:00:00.000Z') });
    const id = log.record(input(1, { arguments: { card: '4111 1111 1111 1111', note: `used ${SECRET}` } }));
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(log.queued, 1);
    await log.flush();
    assert.equal(log.queued, 0);
    const [stored] = store.events;
    assert.ok(stored);
    assert.equal(stored.id, id);
    assert.ok(!stored.body.includes(SECRET));
    assert.ok(!stored.body.includes('4111'));
    const body = JSON.parse(stored.body) as AuditEventBody;
    assert.equal(body.schemaVersion, 1);
    assert.equal(body.at, '2024-03-01T10:00:00.000Z');
    assert.deepEqual(body.data, { arguments: { card: REDACTED, note: `used ${REDACTED}` } });
    assert.deepEqual(body.redactions, [
      { path: 'arguments.card', reason: 'configured_field', detail: 'arguments.card' },
      { path: 'arguments.note', reason: 'secret_value', detail: 'known_secret_value' },
    ]);
    assert.equal(stored.traceId, 'trace-1');
    assert.equal(
      (
        await verifyChain(
          storeVerificationSource({
            ...store,
            readAuditRange: store.readAuditRange.bind(store),
            listCheckpoints: store.listCheckpoints.bind(store),
            auditHead: store.auditHead.bind(store),
          }),
          [key.publicKey],
        )
      ).ok,
      true,
    );
  });

  it('refuses data with no JSON form synchronously, queueing nothing', () => {
    const log = newLog(new MemoryAuditStore());
    assert.throws(() => log.record(input(1, { ratio: Number.NaN })), CanonicalJsonError);
    assert.equal(log.queued, 0);
  });

  it('group commit: events recorded while an append is in flight go into the next single append', async () => {
    const store = new MemoryAuditStore();
    const log = newLog(store);
    store.hold();
    log.record(input(0));
    const first = log.flush();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const ids: string[] = [];
    const waiters: Promise<void>[] = [];
    for (let index = 1; index <= 50; index += 1) {
      ids.push(log.record(input(index)));
      waiters.push(log.flush());
    }
    store.release();
    await Promise.all([first, ...waiters]);
    assert.deepEqual(store.appendSizes, [1, 50]);
    assert.deepEqual(
      store.events.slice(1).map((event) => event.id),
      ids,
    );
  });

  it('many concurrent callers share commits: fewer appends than events, all present in record order', async () => {
    const store = new MemoryAuditStore();
    const log = newLog(store);
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 300 }, async (_, index) => {
        for (let tick = 0; tick < index % 7; tick += 1) await new Promise((resolve) => setImmediate(resolve));
        ids.push(log.record(input(index)));
        await log.flush();
      }),
    );
    assert.equal(store.events.length, 300);
    assert.ok(store.appendSizes.length < 300, `appends: ${store.appendSizes.length}`);
    assert.deepEqual(
      store.events.map((event) => event.id),
      ids,
    );
    assert.deepEqual(
      store.events.map((event) => event.seq),
      Array.from({ length: 300 }, (_, index) => index + 1),
    );
  });

  it('append failure: every waiter rejects with AUDIT_UNAVAILABLE, then recovers without loss or duplicates', async () => {
    const store = new MemoryAuditStore();
    const log = newLog(store);
    const failures: string[] = [];
    log.onFailure((_, stage) => failures.push(stage));
    store.failAppends = true;
    const ids = [log.record(input(1)), log.record(input(2))];
    const results = await Promise.allSettled([log.flush(), log.flush()]);
    assert.ok(results.every((result) => result.status === 'rejected' && isAuditUnavailable(result.reason)));
    assert.equal(log.queued, 2);
    assert.equal(store.events.length, 0);
    assert.ok(failures.includes('append'));
    ids.push(log.record(input(3)));
    await assert.rejects(log.flush(), isAuditUnavailable);
    store.failAppends = false;
    await log.flush();
    assert.deepEqual(
      store.events.map((event) => event.id),
      ids,
    );
    assert.equal(log.queued, 0);
    await log.close();
  });

  it('an append that committed but reported failure is not appended twice', async () => {
    const store = new MemoryAuditStore();
    const log = newLog(store);
    log.record(input(0));
    await log.flush();
    store.commitThenFail = true;
    const ids = [log.record(input(1)), log.record(input(2))];
    await assert.rejects(log.flush(), isAuditUnavailable);
    store.commitThenFail = false;
    ids.push(log.record(input(3)));
    await log.flush();
    assert.deepEqual(
      store.events.slice(1).map((event) => event.id),
      ids,
    );
    assert.equal(log.queued, 0);
  });

  it('relaxed mode commits in the background on its interval and at the batch threshold', async () => {
    const store = new MemoryAuditStore();
    const log = newLog(store, { mode: 'relaxed', relaxedIntervalMilliseconds: 5 });
    const committed = nextCommit(log);
    log.record(input(1));
    assert.equal((await committed).count, 1);
    assert.equal(store.events.length, 1);

    const thresholdStore = new MemoryAuditStore();
    const thresholdLog = newLog(thresholdStore, { mode: 'relaxed', relaxedIntervalMilliseconds: 600_000, relaxedBatchThreshold: 3 });
    const batch = nextCommit(thresholdLog);
    for (let index = 0; index < 3; index += 1) thresholdLog.record(input(index));
    assert.equal((await batch).count, 3);
    thresholdLog.record(input(9));
    await thresholdLog.flush();
    assert.equal(thresholdStore.events.length, 4);
  });

  it('signs checkpoints every N events and on close; verification attests the whole chain', async () => {
    const store = new MemoryAuditStore();
    const log = newLog(store, { signingKey: key, checkpointEvery: 5 });
    for (let index = 0; index < 12; index += 1) {
      log.record(input(index));
      await log.flush();
    }
    assert.deepEqual(
      store.checkpoints.map((checkpoint) => checkpoint.seq),
      [5, 10],
    );
    await log.close();
    assert.deepEqual(
      store.checkpoints.map((checkpoint) => checkpoint.seq),
      [5, 10, 12],
    );
    assert.ok(store.checkpoints.every((checkpoint) => checkpoint.keyId === key.keyId));
    const report = await verifyChain(
      { readRange: (from, limit) => store.readAuditRange(from, limit), checkpoints: () => store.listCheckpoints() },
      [key.publicKey],
    );
    assert.equal(report.ok, true);
    assert.deepEqual(report.checkpoints, { total: 3, verified: 3, lastVerifiedSeq: 12 });
    assert.equal(report.unattestedEvents, 0);
    await log.close();
    assert.equal(store.checkpoints.length, 3);
  });

  it('after close, and when the queue is full, record refuses with AUDIT_UNAVAILABLE', async () => {
    const store = new MemoryAuditStore();
    const log = newLog(store, { maxQueued: 2 });
    store.failAppends = true;
    log.record(input(1));
    log.record(input(2));
    assert.throws(() => log.record(input(3)), isAuditUnavailable);
    await assert.rejects(log.close(), isAuditUnavailable);
    store.failAppends = false;
    assert.throws(() => log.record(input(4)), isAuditUnavailable);
    await log.close();
    assert.equal(store.events.length, 2);
  });

  it('rejects invalid options with a typed error', () => {
    assert.throws(
      () => newLog(new MemoryAuditStore(), { checkpointEvery: 0 }),
      (error: unknown) => error instanceof InterlockError && error.code === 'CONFIG_INVALID',
    );
  });
});
