/**
 * Approval expiry is announced on time by the running server. Two real `interlock serve` replicas
 * share one store (one SQLite file, or one PostgreSQL schema), with `approvals.expiry: 1s` and
 * `approvals.sweepInterval: 100ms`. A request is opened through replica A and nobody reads it
 * again: the project's webhook (a real HTTP receiver checking signatures) hears `approval.expired`
 * exactly once, and the audit chain holds one `approval.expired` event, although both replicas sweep.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  assertExampleUser,
  ensureBuilt,
  mintAgentToken,
  postCall,
  runCli,
  startServer,
  type ServerProcess,
} from '../cli/interlock-process.js';
import { createServeProject, type ServeProject } from '../incidents/serve-project.js';
import { requirePostgres } from '../support/postgres.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';
import type { StorageKind } from '../support/project-fixture.js';

before(() => ensureBuilt());

const SECRET_VARIABLE = 'INTERLOCK_TEST_SWEEP_WEBHOOK_SECRET';
const SECRET = `whsec-${randomUUID()}`;

function expirySuite(storage: StorageKind): void {
  describe(`approval expiry swept by two serve replicas (${storage})`, () => {
    let receiver: WebhookReceiver;
    let project: ServeProject;
    let env: NodeJS.ProcessEnv;
    let replicaA: ServerProcess;
    let replicaB: ServerProcess;
    let supportBot: string;
    let alice: string;

    before(async () => {
      receiver = await startWebhookReceiver(SECRET);
      project = createServeProject('approval_sweep', storage, (document) => {
        document['approvals'] = {
          expiry: '1s',
          sweepInterval: '100ms',
          webhook: { url: receiver.url, secret: `env:${SECRET_VARIABLE}` },
        };
      });
      env = { ...project.env, [SECRET_VARIABLE]: SECRET };
      // The first start creates the store; the second replica joins it.
      replicaA = await startServer(project.dir, { env });
      replicaB = await startServer(project.dir, { env });
      supportBot = await mintAgentToken(project.dir, 'support-bot', env);
      alice = await assertExampleUser(project.dir, 'alice', ['support']);
    });

    after(async () => {
      await Promise.all([replicaA?.stop(), replicaB?.stop()]);
      await project?.remove();
      await receiver?.close();
    });

    it('a pending request nobody reads expires: one signed approval.expired delivery, one audit event, then APPROVAL_EXPIRED', async () => {
      const refund = {
        tool: 'refunds',
        operation: 'create',
        arguments: { order_id: 'o-1001', amount_cents: 12000, reason: 'parcel lost' },
        actingFor: alice,
        idempotencyKey: `key-${randomUUID()}`,
      };
      const first = await postCall(replicaA.url, supportBot, refund);
      assert.equal(first.httpStatus, 202, JSON.stringify(first.body));
      const approvalId = (first.body.error as { details?: { approvalId?: string } } | undefined)?.details?.approvalId;
      assert.ok(typeof approvalId === 'string');
      const expiredDeliveries = () =>
        receiver.deliveries.filter((entry) => entry.type === 'approval.expired' && entry.approvalId === approvalId);

      // Nothing reads the request: only the sweepers can expire it.
      const deadline = Date.now() + 15_000;
      while (expiredDeliveries().length === 0 && Date.now() < deadline) await sleep(25);
      assert.equal(expiredDeliveries().length, 1, 'the receiver heard of the expiry without anyone reading the request');
      // Many more sweeps by both replicas: nothing is announced twice.
      await sleep(1000);
      assert.deepEqual(
        expiredDeliveries().map((entry) => ({ signed: entry.signed, approvalId: entry.approvalId })),
        [{ signed: true, approvalId }],
      );

      const store = await project.openStore();
      try {
        const events = await store.listAuditEvents({ type: 'approval.expired', limit: 100 });
        assert.deepEqual(
          events.map((event) => (JSON.parse(event.body) as { data: { approvalId: string } }).data.approvalId),
          [approvalId],
          'one approval.expired event in the chain',
        );
        assert.equal((await store.getApproval(approvalId))?.status, 'expired');
      } finally {
        await store.close();
      }

      const retry = await postCall(replicaB.url, supportBot, refund);
      assert.equal(retry.httpStatus, 403, JSON.stringify(retry.body));
      assert.equal(retry.body.error?.code, 'APPROVAL_EXPIRED');
      const verified = await runCli(['audit', 'verify', '--project', project.dir], { env });
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    });
  });
}

expirySuite('sqlite');

const postgres = await requirePostgres();
describe('approval expiry on postgres', postgres, () => {
  expirySuite('postgres');
});
