import { strict as assert } from 'node:assert';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { isInterlockError, type InterlockError } from '../../src/errors/interlock-error.js';
import { openStore } from '../../src/store/open-store.js';
import { containmentChannel } from '../../src/store/postgres-change-listener.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import type { SqlStore } from '../../src/store/sql-store.js';
import type { ContainmentRule, Durability, Store } from '../../src/store/store.js';
import { dropSchema, freshSchemaName, postgresTestUrl, requirePostgres } from '../support/postgres.js';
import { storeContract, type StoreUnderTest } from './contract.js';

const url = postgresTestUrl();
/** Narrows for the assertions below (node's assert.ok cannot narrow `unknown` to a class). */
function expectStoreError(error: unknown): InterlockError {
  assert.ok(isInterlockError(error), 'an InterlockError');
  assert.equal(error.code, 'STORE_UNAVAILABLE');
  return error;
}
const postgres = await requirePostgres(url);

async function makePostgresStore(durability: Durability = 'durable'): Promise<StoreUnderTest> {
  const schema = freshSchemaName('store');
  const stores: SqlStore[] = [new PostgresStore({ url, schema, durability, poolSize: 4 })];
  return {
    store: stores[0] as SqlStore,
    async openPeer() {
      const peer = new PostgresStore({ url, schema, durability, poolSize: 4 });
      stores.push(peer);
      return peer;
    },
    expectedDurabilitySetting: durability === 'durable' ? 'synchronous_commit=on' : 'synchronous_commit=off',
    async cleanup() {
      for (const store of stores) await store.close();
      await dropSchema(url, schema);
    },
  };
}

/** Counts a listener's calls and waits for the n-th one, failing after a deadline. */
function listenerCalls() {
  let count = 0;
  const waiting: Array<{ calls: number; resolve: () => void }> = [];
  return {
    listener: () => {
      count += 1;
      for (const waiter of waiting.filter((entry) => count >= entry.calls)) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
    get count() {
      return count;
    },
    reach(calls: number, withinMs: number): Promise<void> {
      if (count >= calls) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the listener was called ${count} times, not ${calls}, within ${withinMs} ms`)),
          withinMs,
        );
        waiting.push({
          calls,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

function rule(id: string, target = '*'): ContainmentRule {
  return {
    id,
    kind: 'kill',
    scope: target === '*' ? 'fleet' : 'tenant',
    target,
    mode: null,
    reason: 'incident',
    setBy: 'oncall',
    setAt: '2026-03-01T00:00:00.000Z',
    liftedAt: null,
    liftedBy: null,
  };
}

/** The server process ids of the containment listener connections of one schema. */
async function listenerBackends(schema: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ pid: number }>(
      `select pid from pg_stat_activity where application_name = 'interlock containment listener' and query = $1`,
      [`listen ${client.escapeIdentifier(containmentChannel(schema))}`],
    );
    return result.rows.map((row) => row.pid);
  } finally {
    await client.end();
  }
}

async function eventually(check: () => Promise<boolean>, withinMs: number, what: string): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('postgres', postgres, () => {
  storeContract('postgres', makePostgresStore);

  describe('postgres store specifics', () => {
    const schemas: string[] = [];
    after(async () => {
      for (const schema of schemas) await dropSchema(url, schema);
    });

    async function tablesIn(schema: string): Promise<string[]> {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const result = await client.query<{ table_name: string }>(
          'select table_name from information_schema.tables where table_schema = $1 order by table_name',
          [schema],
        );
        return result.rows.map((row) => row.table_name);
      } finally {
        await client.end();
      }
    }

    test('openStore creates the schema and keeps every table in it, even with a hyphenated name', async () => {
      const schema = `${freshSchemaName('hyphen')}-x`;
      schemas.push(schema);
      const store = await openStore({ driver: 'postgres', url, schema, durability: 'durable', poolSize: 2 });
      try {
        assert.equal(store.driver, 'postgres');
        assert.deepEqual(await tablesIn(schema), [
          'approval_votes',
          'approvals',
          'audit_checkpoints',
          'audit_events',
          'audit_head',
          'compensations',
          'containment_rules',
          'containment_version',
          'counters',
          'idempotency_records',
          'plans',
          'retrieval_chunks',
          'retrieval_citations',
          'retrieval_quarantines',
          'revocations',
          'schema_migrations',
          'session_content',
        ]);
        await store.appendAuditEvents(
          [
            {
              id: 'e1',
              type: 'server.started',
              at: '2026-01-01T00:00:00.000Z',
              tenant: null,
              agent: null,
              traceId: null,
              callId: null,
              body: '{}',
            },
          ],
          (prev, body) => `${prev.slice(0, 10)}${body}`,
        );
        assert.equal((await store.auditHead())?.seq, 1);
      } finally {
        await store.close();
      }
    });

    test('two schemas on one server are independent chains', async () => {
      const first = freshSchemaName('iso_a');
      const second = freshSchemaName('iso_b');
      schemas.push(first, second);
      const storeA = await openStore({ driver: 'postgres', url, schema: first, durability: 'relaxed', poolSize: 2 });
      const storeB = await openStore({ driver: 'postgres', url, schema: second, durability: 'relaxed', poolSize: 2 });
      try {
        const draft = {
          id: 'same-id',
          type: 'server.started',
          at: '2026-01-01T00:00:00.000Z',
          tenant: null,
          agent: null,
          traceId: null,
          callId: null,
          body: '{}',
        };
        await storeA.appendAuditEvents([draft, { ...draft, id: 'other' }], (prev) => prev);
        await storeB.appendAuditEvents([draft], (prev) => prev);
        assert.equal((await storeA.auditHead())?.seq, 2);
        assert.equal((await storeB.auditHead())?.seq, 1);
      } finally {
        await storeA.close();
        await storeB.close();
      }
    });

    test('an invalid schema name is a configuration error', () => {
      assert.throws(
        () => new PostgresStore({ url, schema: 'Bad"Name', durability: 'durable', poolSize: 1 }),
        (error: unknown) => isInterlockError(error) && error.code === 'CONFIG_INVALID',
      );
    });

    test('an unreachable server fails with STORE_UNAVAILABLE and never echoes the URL or password', async () => {
      const secretUrl = 'postgres://interlock:hunter2-secret@127.0.0.1:1/interlock';
      const store = new PostgresStore({ url: secretUrl, schema: 'interlock', durability: 'durable', poolSize: 1, connectTimeoutMs: 2000 });
      try {
        const attempts = [
          () => store.ping(),
          () => store.migrate(),
          () => store.isRevoked('t', 'a', 1),
          () => store.listenForContainmentChanges(() => undefined),
        ];
        for (const attempt of attempts) {
          await assert.rejects(attempt(), (error: unknown) => {
            const storeError = expectStoreError(error);
            const shown = `${storeError.message} ${JSON.stringify(storeError.toData())}`;
            assert.doesNotMatch(shown, /hunter2|interlock:|postgres:\/\//);
            return true;
          });
        }
      } finally {
        await store.close();
      }
    });

    test('a wrong password is reported without the password', async () => {
      const parsed = new URL(url);
      parsed.username = 'no_such_role_for_tests';
      parsed.password = 'hunter2-secret';
      const store = new PostgresStore({ url: parsed.toString(), schema: 'interlock', durability: 'durable', poolSize: 1 });
      try {
        await assert.rejects(store.ping(), (error: unknown) => {
          assert.doesNotMatch(expectStoreError(error).message, /hunter2/);
          return true;
        });
      } finally {
        await store.close();
      }
    });

    describe('postgres containment notifications', () => {
      const opened: Store[] = [];
      after(async () => {
        for (const store of opened) await store.close();
      });

      async function openPair(schema: string): Promise<[Store, Store]> {
        schemas.push(schema);
        const first = await openStore({ driver: 'postgres', url, schema, durability: 'durable', poolSize: 2 });
        const second = await openStore({ driver: 'postgres', url, schema, durability: 'durable', poolSize: 2 });
        opened.push(first, second);
        return [first, second];
      }

      test('postgres: a listener on another instance hears a rule added or lifted within a second', async () => {
        const [writer, reader] = await openPair(freshSchemaName('notify'));
        const calls = listenerCalls();
        const stop = await reader.listenForContainmentChanges(calls.listener);
        assert.ok(stop, 'PostgreSQL listens');

        await writer.insertContainmentRule(rule('r1'));
        await calls.reach(1, 1000);
        assert.equal(await writer.liftContainmentRules('kill', 'fleet', '*', 'lead', '2026-03-01T00:01:00.000Z'), 1);
        await calls.reach(2, 1000);

        // Lifting nothing notifies nobody: the next notification heard is the next real change.
        assert.equal(await writer.liftContainmentRules('kill', 'fleet', '*', 'lead', '2026-03-01T00:02:00.000Z'), 0);
        await writer.insertContainmentRule(rule('r2'));
        await calls.reach(3, 1000);
        assert.equal(calls.count, 3);

        await stop();
        const later = listenerCalls();
        const stopLater = await reader.listenForContainmentChanges(later.listener);
        await writer.insertContainmentRule(rule('r3', 'acme'));
        await later.reach(1, 1000);
        assert.equal(calls.count, 3, 'a stopped listener hears nothing more');
        await stopLater?.();
      });

      test('postgres: listeners hear the changes of their own schema only', async () => {
        const [writerA] = await openPair(freshSchemaName('own_a'));
        const [writerB, readerB] = await openPair(freshSchemaName('own_b'));
        const calls = listenerCalls();
        const stop = await readerB.listenForContainmentChanges(calls.listener);
        await writerA.insertContainmentRule(rule('a1'));
        await writerB.insertContainmentRule(rule('b1'));
        // One connection receives notifications in commit order: had A's reached it, it would have come first.
        await calls.reach(1, 1000);
        assert.equal(calls.count, 1);
        await stop?.();
      });

      test('postgres: a schema name too long for a channel still gets notifications', async () => {
        const base = `${freshSchemaName('long')}-`;
        const schema = base + 'x'.repeat(63 - base.length);
        assert.equal(schema.length, 63);
        assert.ok(Buffer.byteLength(containmentChannel(schema)) <= 63);
        assert.notEqual(containmentChannel(schema), containmentChannel(`${schema.slice(0, 62)}y`));
        const [writer, reader] = await openPair(schema);
        const calls = listenerCalls();
        const stop = await reader.listenForContainmentChanges(calls.listener);
        await writer.insertContainmentRule(rule('r1'));
        await calls.reach(1, 1000);
        await stop?.();
      });

      test('postgres: a listener whose connection is killed reconnects, says so once, and keeps hearing', async () => {
        const schema = freshSchemaName('reconnect');
        const [writer, reader] = await openPair(schema);
        const calls = listenerCalls();
        const stop = await reader.listenForContainmentChanges(calls.listener);
        const [backend] = await listenerBackends(schema);
        assert.ok(backend !== undefined, 'the listener holds its own connection');

        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        try {
          await admin.query('select pg_terminate_backend($1)', [backend]);
        } finally {
          await admin.end();
        }
        await calls.reach(1, 5000);
        const backends = await listenerBackends(schema);
        assert.equal(backends.length, 1);
        assert.notEqual(backends[0], backend, 'a new connection listens');

        await writer.insertContainmentRule(rule('r1'));
        await calls.reach(2, 1000);
        await stop?.();
        await eventually(async () => (await listenerBackends(schema)).length === 0, 3000, 'stop closes the listening connection');
      });

      test('postgres: a listener that throws does not stop later notifications', async () => {
        const [writer, reader] = await openPair(freshSchemaName('throwing'));
        const calls = listenerCalls();
        const stop = await reader.listenForContainmentChanges(() => {
          calls.listener();
          throw new Error('listener failure');
        });
        const stopRejecting = await reader.listenForContainmentChanges(() => Promise.reject(new Error('async listener failure')));
        await writer.insertContainmentRule(rule('r1'));
        await calls.reach(1, 1000);
        await writer.insertContainmentRule(rule('r2', 'acme'));
        await calls.reach(2, 1000);
        await stop?.();
        await stopRejecting?.();
      });

      test('postgres: closing the store closes its listening connections', async () => {
        const schema = freshSchemaName('close');
        schemas.push(schema);
        const store = await openStore({ driver: 'postgres', url, schema, durability: 'durable', poolSize: 1 });
        const stop = await store.listenForContainmentChanges(() => undefined);
        await store.listenForContainmentChanges(() => undefined);
        assert.equal((await listenerBackends(schema)).length, 2);
        await store.close();
        await eventually(async () => (await listenerBackends(schema)).length === 0, 3000, 'close ends every listener');
        await stop?.();
      });
    });

    test('a schema written by a newer version is refused', async () => {
      const schema = freshSchemaName('newer');
      schemas.push(schema);
      const store = await openStore({ driver: 'postgres', url, schema, durability: 'relaxed', poolSize: 1 });
      await store.close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`insert into ${client.escapeIdentifier(schema)}.schema_migrations (version, applied_at) values (99, 'later')`);
      await client.end();
      await assert.rejects(
        openStore({ driver: 'postgres', url, schema, durability: 'relaxed', poolSize: 1 }),
        (error: unknown) => isInterlockError(error) && error.code === 'STORE_UNAVAILABLE' && /version 99/.test(error.message),
      );
    });
  });
});
