import { strict as assert } from 'node:assert';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { isInterlockError, type InterlockError } from '../../src/errors/interlock-error.js';
import { openStore } from '../../src/store/open-store.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import type { SqlStore } from '../../src/store/sql-store.js';
import type { Durability } from '../../src/store/store.js';
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
          'audit_checkpoints',
          'audit_events',
          'audit_head',
          'counters',
          'revocations',
          'schema_migrations',
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
        for (const attempt of [store.ping(), store.migrate(), store.isRevoked('t', 'a', 1)]) {
          await assert.rejects(attempt, (error: unknown) => {
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
