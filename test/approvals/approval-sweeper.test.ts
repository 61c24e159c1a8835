/**
 * Approval requests expire on a timer, not only when read. Two processes ("replicas") share one
 * store, each with its own approval service, audit log, webhook notifier and sweeper, and an
 * injected clock that jumps past the expiry: nobody reads the request, it expires, the real webhook
 * receiver hears `approval.expired` once and the audit chain holds one `approval.expired` event.
 * On SQLite (two connections to one file) and PostgreSQL (two pools on one schema).
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApprovalService, type ApprovalDraft } from '../../src/approvals/approval-service.js';
import { ApprovalSweeper } from '../../src/approvals/approval-sweeper.js';
import { WebhookNotifier } from '../../src/approvals/webhook-notifier.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { parseProjectText } from '../../src/config/load.js';
import { storeVerificationSource, verifyChain } from '../../src/audit/verify.js';
import { Redactor } from '../../src/redaction/redactor.js';
import { openStore, type OpenStoreOptions } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';
import { dropSchema, freshSchemaName, postgresTestUrl, requirePostgres } from '../support/postgres.js';

const SECRET = `whsec-${randomUUID()}`;
const EXPIRY_MS = 60_000;

/** One process on the shared store: what `interlock serve` wires, with a clock the test moves. */
interface Replica {
  readonly store: Store;
  readonly audit: AuditLog;
  readonly notifier: WebhookNotifier;
  readonly approvals: ApprovalService;
  readonly sweeper: ApprovalSweeper;
  readonly errors: unknown[];
  close(): Promise<void>;
}

async function openReplica(storeOptions: OpenStoreOptions, receiverUrl: string, clock: { now: number }): Promise<Replica> {
  const store = await openStore(storeOptions);
  await store.migrate();
  const audit = new AuditLog({ store, redactor: new Redactor(), mode: 'durable' });
  const notifier = new WebhookNotifier({ url: receiverUrl, secret: SECRET });
  const approvals = new ApprovalService({ store, audit, expiryMs: EXPIRY_MS, notifier, now: () => clock.now });
  const errors: unknown[] = [];
  const sweeper = new ApprovalSweeper({ expireDue: () => approvals.expireDue(), intervalMs: 10, onError: (error) => errors.push(error) });
  return {
    store,
    audit,
    notifier,
    approvals,
    sweeper,
    errors,
    async close() {
      await sweeper.close();
      await notifier.close();
      await audit.close();
      await store.close();
    },
  };
}

function draft(key: string): ApprovalDraft {
  return {
    tenant: 'acme',
    agentId: 'support-bot',
    actingForUserId: 'alice',
    binding: `sha256:${key}`,
    idempotencyKey: key,
    tool: 'refunds',
    operation: 'create',
    role: 'finance-approver',
    quorum: 1,
    details: {
      traceId: `trace-${key}`,
      sessionId: null,
      callId: `call-${key}`,
      effect: 'write',
      arguments: { order_id: 'o-1001', amount_cents: 12000 },
      reasons: ['refunds above 50.00 need a finance approver'],
      policyIds: ['large-refunds-need-approval'],
      bundleVersion: 'sha256:test',
      entities: ['order:o-1001'],
      costUsd: 0,
      evidence: null,
      dryRun: null,
    },
  };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function sweeperSuite(storage: 'sqlite' | 'postgres'): void {
  describe(`approval sweeper on ${storage}`, () => {
    let receiver: WebhookReceiver;
    let storeOptions: OpenStoreOptions;
    let cleanup: () => Promise<void>;
    const clock = { now: Date.now() };
    let one: Replica;
    let two: Replica;

    before(async () => {
      receiver = await startWebhookReceiver(SECRET);
      if (storage === 'sqlite') {
        const dir = mkdtempSync(join(tmpdir(), 'interlock-sweeper-'));
        storeOptions = { driver: 'sqlite', path: join(dir, 'interlock.db'), durability: 'durable' };
        cleanup = async () => rmSync(dir, { recursive: true, force: true });
      } else {
        const schema = freshSchemaName('approval_sweeper');
        storeOptions = { driver: 'postgres', url: postgresTestUrl(), schema, durability: 'durable', poolSize: 2 };
        cleanup = () => dropSchema(postgresTestUrl(), schema);
      }
      one = await openReplica(storeOptions, receiver.url, clock);
      two = await openReplica(storeOptions, receiver.url, clock);
    });

    after(async () => {
      await one?.close();
      await two?.close();
      await receiver?.close();
      await cleanup?.();
    });

    it('a request nobody reads expires on the timer: one signed webhook delivery and one audit event with two sweepers', async () => {
      const requests = await Promise.all(Array.from({ length: 5 }, () => one.approvals.request(draft(`key-${randomUUID()}`))));
      const ids = new Set(requests.map((request) => request.id));
      const expiredFor = () =>
        receiver.deliveries.filter((delivery) => delivery.type === 'approval.expired' && ids.has(delivery.approvalId));
      one.sweeper.start();
      two.sweeper.start();
      // Both sweep every 10 ms while the requests are open: nothing is due, nothing happens.
      await sleep(100);
      assert.deepEqual(expiredFor(), []);
      assert.equal((await one.store.getApproval(requests[0]?.id ?? ''))?.status, 'pending');

      clock.now += EXPIRY_MS + 1;
      await until(() => expiredFor().length >= ids.size, 'an approval.expired delivery per request');
      // A few more sweeps of both replicas, and time for any stray delivery to arrive.
      await sleep(300);
      await until(() => one.notifier.pending === 0 && two.notifier.pending === 0, 'deliveries to finish');

      const deliveries = expiredFor();
      assert.deepEqual(deliveries.map((delivery) => delivery.approvalId).sort(), [...ids].sort(), 'exactly one delivery per request');
      assert.ok(
        deliveries.every((delivery) => delivery.signed),
        'every delivery is signed',
      );
      assert.deepEqual(one.errors, []);
      assert.deepEqual(two.errors, []);

      for (const id of ids) assert.equal((await two.store.getApproval(id))?.status, 'expired');
      await Promise.all([one.audit.flush(), two.audit.flush()]);
      const events = await one.store.listAuditEvents({ type: 'approval.expired', limit: 100 });
      assert.deepEqual(
        events.map((event) => (JSON.parse(event.body) as { data: { approvalId: string } }).data.approvalId).sort(),
        [...ids].sort(),
        'one approval.expired audit event per request',
      );
      const report = await verifyChain(storeVerificationSource(one.store), []);
      assert.equal(report.ok, true, JSON.stringify(report.findings));
    });

    it('reading a request the sweepers already expired announces nothing more; a late vote is refused', async () => {
      clock.now = Date.now();
      const request = await one.approvals.request(draft(`key-${randomUUID()}`));
      clock.now += EXPIRY_MS + 1;
      await until(async () => (await one.store.getApproval(request.id))?.status === 'expired', 'the sweep');
      // The sweeper records its event once the update is committed: wait for that to be durable too.
      await Promise.all([one.sweeper.sweep(), two.sweeper.sweep()]);
      await Promise.all([one.audit.flush(), two.audit.flush()]);
      const before = (await one.store.listAuditEvents({ type: 'approval.expired', limit: 1000 })).length;

      assert.equal((await two.approvals.get(request.id))?.status, 'expired');
      assert.equal((await one.approvals.list({ tenants: '*', limit: 10 })).find((view) => view.id === request.id)?.status, 'expired');
      await assert.rejects(
        two.approvals.decide(request.id, { operatorId: 'finance-lead', roles: ['finance-approver'], tenants: ['acme'] }, 'approve', ''),
        (error: { code?: string }) => error.code === 'APPROVAL_CLOSED',
      );
      await Promise.all([one.audit.flush(), two.audit.flush()]);
      assert.equal((await one.store.listAuditEvents({ type: 'approval.expired', limit: 1000 })).length, before);
    });
  });
}

sweeperSuite('sqlite');

const postgres = await requirePostgres();
describe('approval sweeper on postgres', postgres, () => {
  sweeperSuite('postgres');
});

describe('approval sweeper lifecycle', () => {
  it('a failed sweep is reported and tried again on the next tick; close stops the timer', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const sweeper = new ApprovalSweeper({
      intervalMs: 5,
      onError: (error) => errors.push(error),
      expireDue: async () => {
        calls += 1;
        if (calls === 1) throw new Error('store unavailable');
        return 0;
      },
    });
    sweeper.start();
    await until(() => calls >= 3, 'sweeps after the failure');
    await sweeper.close();
    const stoppedAt = calls;
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /store unavailable/);
    await sleep(50);
    assert.equal(calls, stoppedAt, 'no sweep after close');
  });

  it('sweeps never overlap: a slow sweep is joined, not doubled', async () => {
    let running = 0;
    let overlapped = false;
    let calls = 0;
    const sweeper = new ApprovalSweeper({
      intervalMs: 1,
      onError: () => undefined,
      expireDue: async () => {
        calls += 1;
        running += 1;
        if (running > 1) overlapped = true;
        await sleep(30);
        running -= 1;
        return 0;
      },
    });
    sweeper.start();
    await sleep(100);
    await sweeper.close();
    assert.equal(overlapped, false);
    assert.ok(calls >= 2, 'it kept sweeping');
    assert.equal(running, 0, 'close waited for the sweep in progress');
  });

  it('a started sweeper does not keep the process alive', async () => {
    const module = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/approvals/approval-sweeper.ts');
    const script = `import { ApprovalSweeper } from ${JSON.stringify(module)};
new ApprovalSweeper({ intervalMs: 60000, onError: () => undefined, expireDue: async () => 0 }).start();`;
    // A referenced timer would hold the child until the test's kill (no exit code).
    const code = await new Promise<number | null>((done) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { timeout: 20_000 },
        () => undefined,
      );
      child.on('exit', (exitCode) => done(exitCode));
    });
    assert.equal(code, 0);
  });

  it('refuses an interval below one millisecond; approvals.sweepInterval defaults to 5s and must be above zero', () => {
    assert.throws(() => new ApprovalSweeper({ intervalMs: 0, onError: () => undefined, expireDue: async () => 0 }), RangeError);
    const project = (approvals: string) =>
      `version: 1\nproject: shop\nenvironment: dev\ntenants: [{ id: acme }]\npolicy: { bundle: ./policies }\n${approvals}`;
    assert.equal(parseProjectText(project(''), 'interlock.yaml').approvals.sweepInterval, '5s');
    assert.equal(parseProjectText(project('approvals: { sweepInterval: 250ms }\n'), 'interlock.yaml').approvals.sweepInterval, '250ms');
    assert.throws(
      () => parseProjectText(project('approvals: { sweepInterval: 0s }\n'), 'interlock.yaml'),
      (error: Error) => /approvals\.sweepInterval.*above zero/s.test(error.message),
    );
  });
});
