/**
 * Incident: an agent misbehaves in production and must be stopped everywhere, now. Two real
 * `interlock serve` replicas share one store; the on-call engineer sets a kill switch, and the
 * test measures how long after the acknowledgement the *other* replica starts refusing that
 * agent's calls (KILL_SWITCH_ACTIVE). The bound is one second. On PostgreSQL the change is
 * notified at once; on SQLite (two processes on one database file) it is found by polling.
 *
 * The kill switch is set (and lifted) through replica A's HTTP door with an operator token
 * (kill-switch-orders.ts); replica B learns of it only through the store.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureBuilt, mintAgentToken, mintOperatorToken, postCall, startServer, type ServerProcess } from '../cli/interlock-process.js';
import { requirePostgres } from '../support/postgres.js';
import type { StorageKind } from '../support/project-fixture.js';
import { kill, unkill } from './kill-switch-orders.js';
import { lookupFor, pollUntil } from './replica-polling.js';
import { createServeProject, type ServeProject } from './serve-project.js';

before(() => ensureBuilt());

const PROPAGATION_BOUND_MS = 1000;
const TRIALS = 5;

function replicaSuite(storage: StorageKind): void {
  describe(`kill switch across two replicas (${storage})`, () => {
    let project: ServeProject;
    let operator: string;
    let replicaA: ServerProcess;
    let replicaB: ServerProcess;
    let supportBot: string;
    let globex: string;

    before(async () => {
      project = createServeProject('incident_kill', storage);
      // The first start creates the schema, keys and chain; the second replica joins them.
      replicaA = await startServer(project.dir, { env: project.env });
      replicaB = await startServer(project.dir, { env: project.env });
      [operator, supportBot, globex] = await Promise.all([
        mintOperatorToken(project.dir, 'auditor', project.env),
        mintAgentToken(project.dir, 'support-bot', project.env),
        mintAgentToken(project.dir, 'globex-assistant', project.env),
      ]);
      for (const url of [replicaA.url, replicaB.url]) {
        for (const [token, agent] of [
          [supportBot, 'support-bot'],
          [globex, 'globex-assistant'],
        ] as const) {
          const warm = await postCall(url, token, lookupFor(agent));
          assert.equal(warm.body.status, 'executed', JSON.stringify(warm.body));
        }
      }
    });

    after(async () => {
      await Promise.all([replicaA?.stop('SIGKILL'), replicaB?.stop('SIGKILL')]);
      await project?.remove();
    });

    it(`an agent kill set through replica A stops the agent on the other replica within ${PROPAGATION_BOUND_MS} ms (${TRIALS} trials); unkill lets it run again`, async (t) => {
      const propagation: number[] = [];
      const liftedAfter: number[] = [];
      for (let trial = 1; trial <= TRIALS; trial += 1) {
        await kill(replicaA.url, operator, {
          scope: 'agent',
          target: 'acme/support-bot',
          reason: `trial ${trial}: refunds issued in a loop`,
        });
        const acknowledgedAt = performance.now();
        const onB = await pollUntil(replicaB.url, supportBot, lookupFor('support-bot'), 'refused by a kill switch', acknowledgedAt);
        propagation.push(onB.afterMs);
        assert.equal(onB.answer.httpStatus, 503);
        assert.match(String(onB.answer.body.error?.message), /agent acme\/support-bot/);

        // Replica A refuses too; another agent keeps working on both.
        await pollUntil(replicaA.url, supportBot, lookupFor('support-bot'), 'refused by a kill switch', acknowledgedAt);
        for (const url of [replicaA.url, replicaB.url]) {
          const other = await postCall(url, globex, lookupFor('globex-assistant'));
          assert.equal(other.body.status, 'executed', `another agent was stopped: ${JSON.stringify(other.body)}`);
        }

        await unkill(replicaA.url, operator, { scope: 'agent', target: 'acme/support-bot', reason: `trial ${trial}: fixed` });
        const liftedAt = performance.now();
        const again = await pollUntil(replicaB.url, supportBot, lookupFor('support-bot'), 'executed', liftedAt);
        liftedAfter.push(again.afterMs);
        await pollUntil(replicaA.url, supportBot, lookupFor('support-bot'), 'executed', liftedAt);
      }
      const shown = (values: number[]) => values.map((value) => `${value.toFixed(1)} ms`).join(', ');
      t.diagnostic(`${storage}: kill acknowledged → first KILL_SWITCH_ACTIVE on replica B: ${shown(propagation)}`);
      t.diagnostic(`${storage}: unkill acknowledged → first executed call on replica B: ${shown(liftedAfter)}`);
      for (const measured of propagation) {
        assert.ok(measured < PROPAGATION_BOUND_MS, `the kill switch took ${measured.toFixed(1)} ms to reach replica B`);
      }
    });

    it('a fleet-wide kill refuses every agent on both replicas, while calls already running finish', async (t) => {
      const inFlight = [
        { url: replicaA.url, token: supportBot, tag: `a-${Date.now()}` },
        { url: replicaB.url, token: globex, tag: `b-${Date.now()}` },
      ].map(({ url, token, tag }) => ({
        tag,
        answer: postCall(url, token, { tool: 'slow', operation: 'wait', arguments: { tag, ms: 1500 } }),
      }));
      // Both calls are executing (their handlers have started) before the switch is set.
      for (const call of inFlight) {
        const started = performance.now();
        while (!project.started().includes(call.tag)) {
          if (performance.now() - started > 10_000) throw new Error(`slow.wait ${call.tag} never started`);
          await sleep(5);
        }
      }

      await kill(replicaA.url, operator, { scope: 'fleet', target: '*', reason: 'incident: stop every agent' });
      const acknowledgedAt = performance.now();
      const refusals: string[] = [];
      for (const [name, url] of [
        ['A', replicaA.url],
        ['B', replicaB.url],
      ] as const) {
        for (const [agent, token] of [
          ['support-bot', supportBot],
          ['globex-assistant', globex],
        ] as const) {
          const refused = await pollUntil(url, token, lookupFor(agent), 'refused by a kill switch', acknowledgedAt);
          assert.match(String(refused.answer.body.error?.message), /whole fleet/);
          assert.ok(refused.afterMs < PROPAGATION_BOUND_MS, `${agent} on replica ${name} was refused only after ${refused.afterMs} ms`);
          refusals.push(`${agent}@${name} ${refused.afterMs.toFixed(1)} ms`);
        }
      }
      // A write is refused the same way, before anything runs.
      const write = await postCall(replicaB.url, supportBot, {
        tool: 'ledger',
        operation: 'append',
        arguments: { entry: 'during the kill', hold: false },
        idempotencyKey: `fleet-${Date.now()}`,
      });
      assert.equal(write.body.error?.code, 'KILL_SWITCH_ACTIVE');
      assert.equal(project.ledger().length, 0);
      t.diagnostic(`${storage}: fleet kill → first refusal: ${refusals.join(', ')}`);

      for (const call of inFlight) {
        const finished = await call.answer;
        assert.equal(finished.body.status, 'executed', `a call in flight at the kill did not finish: ${JSON.stringify(finished.body)}`);
        assert.deepEqual(finished.body['result'], { tag: call.tag, waitedMs: 1500 });
      }

      await unkill(replicaB.url, operator, { scope: 'fleet', target: '*', reason: 'incident over' });
      const liftedAt = performance.now();
      for (const url of [replicaA.url, replicaB.url]) {
        await pollUntil(url, supportBot, lookupFor('support-bot'), 'executed', liftedAt);
        await pollUntil(url, globex, lookupFor('globex-assistant'), 'executed', liftedAt);
      }
    });
  });
}

replicaSuite('sqlite');

const postgres = await requirePostgres();
describe('kill switch across two replicas on postgres', postgres, () => {
  replicaSuite('postgres');
});
