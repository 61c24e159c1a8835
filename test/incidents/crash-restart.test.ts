/**
 * Incident: the server dies between executing a write and acknowledging it. A real `interlock
 * serve` runs a write whose handler records its effect in a ledger file and then never answers;
 * the test SIGKILLs the server as soon as the ledger shows the effect, starts it again on the same
 * store, and retries with the same idempotency key. The write must not run a second time: the
 * retry answers OUTCOME_UNKNOWN (the operation declares no status check), on SQLite and PostgreSQL.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureBuilt, mintAgentToken, postCall, startServer, type ServerProcess } from '../cli/interlock-process.js';
import { requirePostgres } from '../support/postgres.js';
import type { StorageKind } from '../support/project-fixture.js';
import { newKey } from './incident-project.js';
import { createServeProject, type ServeProject } from './serve-project.js';

before(() => ensureBuilt());

/** ledger.append's timeout (see serve-project.ts) plus the kernel's grace for a call still running. */
const FIRST_CALL_SETTLED_AFTER_MS = 2000 + 5000;

async function waitFor<T>(probe: () => T | undefined, what: string, limitMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function crashSuite(storage: StorageKind): void {
  describe(`crash and restart between execution and acknowledgement (${storage})`, () => {
    let project: ServeProject;
    let token: string;
    const servers: ServerProcess[] = [];

    before(async () => {
      project = createServeProject('incident_crash', storage);
      token = await mintAgentToken(project.dir, 'support-bot', project.env);
    });
    after(async () => {
      for (const server of servers) await server.stop('SIGKILL');
      await project?.remove();
    });

    it('the retry with the same key after the restart does not run the write again: OUTCOME_UNKNOWN, one ledger line', async () => {
      const key = newKey('ledger');
      const request = { tool: 'ledger', operation: 'append', arguments: { entry: 'pay supplier 4711', hold: true }, idempotencyKey: key };

      const first = await startServer(project.dir, { env: project.env });
      servers.push(first);
      const claimedAt = Date.now();
      const inFlight = postCall(first.url, token, request).then(
        (answer) => ({ answered: true as const, answer }),
        (error: unknown) => ({ answered: false as const, error }),
      );
      const executed = await waitFor(() => project.ledger()[0], 'the write to reach the ledger');
      assert.equal(executed.entry, 'pay supplier 4711');
      first.child.kill('SIGKILL');
      assert.equal((await first.exited).signal, 'SIGKILL');
      const cutOff = await inFlight;
      assert.equal(cutOff.answered, false, 'the server answered before it was killed: the crash came too late to test anything');

      const second = await startServer(project.dir, { env: project.env });
      servers.push(second);
      const retry = await postCall(second.url, token, request);
      assert.equal(retry.httpStatus, 409, JSON.stringify(retry.body));
      assert.equal(retry.body.status, 'refused');
      assert.equal(retry.body.error?.code, 'OUTCOME_UNKNOWN');
      const details = (retry.body.error as { details?: Record<string, unknown> }).details ?? {};
      assert.equal(details['firstCallId'], executed.callId, 'the refusal names the call that ran before the crash');
      assert.ok(Date.now() - claimedAt >= FIRST_CALL_SETTLED_AFTER_MS - 500, 'the retry waited for the first call to be past its deadline');
      // Retrying again, even several at once, changes nothing.
      const more = await Promise.all([postCall(second.url, token, request), postCall(second.url, token, request)]);
      for (const answer of more) assert.equal(answer.body.error?.code, 'OUTCOME_UNKNOWN', JSON.stringify(answer.body));
      assert.equal(project.ledger().length, 1, 'the write ran a second time after the restart');

      // The evidence shows the first call was received and decided, and never acknowledged.
      const store = await project.openStore();
      try {
        const types = (await store.listAuditEvents({ callId: executed.callId, limit: 100 })).map((event) => event.type);
        assert.deepEqual(types, ['call.received', 'decision.made']);
        const retryTypes = (await store.listAuditEvents({ callId: String(retry.body.callId), limit: 100 })).map((event) => event.type);
        assert.deepEqual(retryTypes, ['call.received', 'call.refused']);
      } finally {
        await store.close();
      }

      // The restarted server runs new writes normally, once each.
      const fresh = { ...request, arguments: { entry: 'pay supplier 4712', hold: false }, idempotencyKey: newKey('ledger') };
      const ran = await postCall(second.url, token, fresh);
      assert.equal(ran.body.status, 'executed', JSON.stringify(ran.body));
      const replayed = await postCall(second.url, token, fresh);
      assert.equal(replayed.body['replayed'], true);
      assert.deepEqual(
        project.ledger().map((line) => line.entry),
        ['pay supplier 4711', 'pay supplier 4712'],
      );
    });
  });
}

crashSuite('sqlite');

const postgres = await requirePostgres();
describe('crash and restart on postgres', postgres, () => {
  crashSuite('postgres');
});
