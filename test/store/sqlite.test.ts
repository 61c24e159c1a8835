import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { isInterlockError } from '../../src/errors/interlock-error.js';
import { openStore } from '../../src/store/open-store.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { selectAuditEvents, selectRevoked } from '../../src/store/queries.js';
import {
  deleteExpiredIdempotency,
  expirePendingApprovals,
  selectActiveContainmentRules,
  selectCompensations,
  selectOpenApproval,
  selectUnresolvedIdempotency,
} from '../../src/store/safe-execution-queries.js';
import { createSqliteQueryBuilder } from '../../src/store/sqlite-query-builder.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { SqlStore } from '../../src/store/sql-store.js';
import type { Durability } from '../../src/store/store.js';
import { storeContract, testLink, type StoreUnderTest } from './contract.js';

const workerPath = join(dirname(fileURLToPath(import.meta.url)), 'sqlite-append-worker.ts');

function runWorker(path: string, label: string, batches: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', workerPath, path, label, String(batches)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let errorOutput = '';
    child.stderr.on('data', (chunk: Buffer) => (errorOutput += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${label} exited ${code}: ${errorOutput}`))));
  });
}

const root = mkdtempSync(join(tmpdir(), 'interlock-sqlite-'));
after(() => rmSync(root, { recursive: true, force: true }));
let databaseNumber = 0;

function freshPath(): string {
  databaseNumber += 1;
  // A nested directory that does not exist yet: the store creates it.
  return join(root, `run-${databaseNumber}`, 'data', 'interlock.db');
}

async function makeSqliteStore(durability: Durability = 'durable'): Promise<StoreUnderTest> {
  const path = freshPath();
  const stores: SqlStore[] = [new SqliteStore({ path, durability })];
  return {
    store: stores[0] as SqlStore,
    async openPeer() {
      const peer = new SqliteStore({ path, durability });
      stores.push(peer);
      return peer;
    },
    expectedDurabilitySetting: durability === 'durable' ? 'synchronous=full' : 'synchronous=normal',
    async cleanup() {
      for (const store of stores) await store.close();
    },
  };
}

storeContract('sqlite', makeSqliteStore);

describe('sqlite store specifics', () => {
  test('openStore creates the directory, migrates, and uses WAL with foreign keys on', async () => {
    const path = freshPath();
    const store = await openStore({ driver: 'sqlite', path, durability: 'relaxed' });
    try {
      assert.equal(store.driver, 'sqlite');
      assert.equal(await store.auditHead(), null);
      const inspector = new BetterSqlite3(path, { readonly: true });
      try {
        assert.equal(inspector.pragma('journal_mode', { simple: true }), 'wal');
        const versions = inspector.prepare('select version from schema_migrations').all();
        assert.deepEqual(
          versions,
          MIGRATIONS.map((migration) => ({ version: migration.version })),
        );
      } finally {
        inspector.close();
      }
    } finally {
      await store.close();
    }
  });

  test('revocation checks and audit filters are answered from indexes', () => {
    const path = freshPath();
    const store = new SqliteStore({ path, durability: 'relaxed' });
    return (async () => {
      await store.migrate();
      await store.close();
      const inspector = new BetterSqlite3(path, { readonly: true });
      const queries = createSqliteQueryBuilder();
      const plan = (compiled: { sql: string; parameters: readonly unknown[] }) =>
        inspector
          .prepare(`explain query plan ${compiled.sql}`)
          .all(...compiled.parameters)
          .map((row) => (row as { detail: string }).detail)
          .join('\n');
      try {
        const revoked = plan(selectRevoked(queries, 'jti', 'agent', 1).compile());
        assert.match(revoked, /USING (COVERING )?INDEX revocations_token_idx/);
        assert.match(revoked, /USING (COVERING )?INDEX revocations_agent_idx/);
        assert.doesNotMatch(revoked, /SCAN revocations/);
        assert.match(plan(selectAuditEvents(queries, { traceId: 't', limit: 10 }).compile()), /INDEX audit_events_trace_idx/);
        assert.match(plan(selectAuditEvents(queries, { callId: 'c', limit: 10 }).compile()), /INDEX audit_events_call_idx/);
        assert.match(plan(selectAuditEvents(queries, { agent: 'a', limit: 10 }).compile()), /INDEX audit_events_agent_idx/);
      } finally {
        inspector.close();
      }
    })();
  });

  test('safe-execution lookups are answered from indexes', async () => {
    const path = freshPath();
    const store = new SqliteStore({ path, durability: 'relaxed' });
    await store.migrate();
    await store.close();
    const inspector = new BetterSqlite3(path, { readonly: true });
    const queries = createSqliteQueryBuilder();
    const plan = (compiled: { sql: string; parameters: readonly unknown[] }) =>
      inspector
        .prepare(`explain query plan ${compiled.sql}`)
        .all(...compiled.parameters)
        .map((row) => (row as { detail: string }).detail)
        .join('\n');
    try {
      const open = plan(selectOpenApproval(queries, 't', 'a', 'hash', 'key').compile());
      assert.match(open, /INDEX approvals_action_idx/);
      assert.match(open, /INDEX approvals_idempotency_idx/);
      assert.match(plan(selectOpenApproval(queries, 't', 'a', 'hash', null).compile()), /INDEX approvals_action_idx/);
      assert.match(plan(expirePendingApprovals(queries, 'now').compile()), /INDEX approvals_status_idx/);
      assert.match(plan(selectUnresolvedIdempotency(queries, undefined, 'now', 10).compile()), /INDEX idempotency_records_state_idx/);
      assert.match(plan(deleteExpiredIdempotency(queries, 'now').compile()), /INDEX idempotency_records_(expires|state)_idx/);
      assert.match(plan(selectActiveContainmentRules(queries).compile()), /INDEX containment_rules_lifted_idx/);
      assert.match(plan(selectCompensations(queries, { traceId: 't', limit: 10 }).compile()), /INDEX compensations_trace_idx/);
      assert.match(plan(selectCompensations(queries, { sessionId: 's', limit: 10 }).compile()), /INDEX compensations_session_idx/);
      assert.match(
        plan(selectCompensations(queries, { agentId: 'a', since: 'then', limit: 10 }).compile()),
        /INDEX compensations_agent_idx/,
      );
    } finally {
      inspector.close();
    }
  });

  test('SQLite has no change notifications: listeners get null and poll the containment version', async () => {
    const store = await openStore({ driver: 'sqlite', path: freshPath(), durability: 'relaxed' });
    try {
      let heard = 0;
      assert.equal(await store.listenForContainmentChanges(() => (heard += 1)), null);
      const before = await store.containmentVersion();
      await store.insertContainmentRule({
        id: 'r1',
        kind: 'kill',
        scope: 'fleet',
        target: '*',
        mode: null,
        reason: 'x',
        setBy: 'ops',
        setAt: '2026-01-01T00:00:00.000Z',
        liftedAt: null,
        liftedBy: null,
      });
      assert.equal(await store.containmentVersion(), before + 1);
      assert.equal(heard, 0);
    } finally {
      await store.close();
    }
  });

  test('appends from several processes on one file form one contiguous chain', async () => {
    const path = freshPath();
    const store = await openStore({ driver: 'sqlite', path, durability: 'durable' });
    try {
      const parentAppends = (async () => {
        for (let batch = 0; batch < 40; batch += 1) {
          await store.appendAuditEvents(
            [
              {
                id: `parent-${batch}`,
                type: 'call.received',
                at: new Date().toISOString(),
                tenant: 'parent',
                agent: null,
                traceId: null,
                callId: null,
                body: `{"b":${batch}}`,
              },
            ],
            testLink,
          );
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      })();
      await Promise.all([runWorker(path, 'one', 40), runWorker(path, 'two', 40), parentAppends]);
      const chain = await store.readAuditRange(1, 10_000);
      const perWorker = 10 * (1 + 2 + 3 + 4);
      assert.equal(chain.length, 40 + 2 * perWorker);
      let previousHash = '0'.repeat(64);
      chain.forEach((event, index) => {
        assert.equal(event.seq, index + 1);
        assert.equal(event.prevHash, previousHash);
        assert.equal(event.hash, testLink(event.prevHash, event.body));
        previousHash = event.hash;
      });
      assert.equal(new Set(chain.map((event) => event.id)).size, chain.length);
      const labels = new Set(chain.map((event) => event.tenant));
      assert.deepEqual([...labels].sort(), ['one', 'parent', 'two']);
    } finally {
      await store.close();
    }
  });

  test('a path that cannot hold a database fails with STORE_UNAVAILABLE', async () => {
    const blocker = join(root, 'not-a-directory');
    writeFileSync(blocker, 'plain file');
    assert.throws(
      () => new SqliteStore({ path: join(blocker, 'interlock.db'), durability: 'durable' }),
      (error: unknown) => isInterlockError(error) && error.code === 'STORE_UNAVAILABLE',
    );
    const garbage = join(root, 'garbage.db');
    writeFileSync(garbage, 'this is not an SQLite database, just enough bytes to be read as a header '.repeat(20));
    await assert.rejects(
      openStore({ driver: 'sqlite', path: garbage, durability: 'durable' }),
      (error: unknown) => isInterlockError(error) && error.code === 'STORE_UNAVAILABLE',
    );
  });

  test('a database written by a newer schema version is refused', async () => {
    const path = freshPath();
    const store = await openStore({ driver: 'sqlite', path, durability: 'relaxed' });
    await store.close();
    const editor = new BetterSqlite3(path);
    editor.prepare(`insert into schema_migrations (version, applied_at) values (99, '2030-01-01T00:00:00.000Z')`).run();
    editor.close();
    await assert.rejects(
      openStore({ driver: 'sqlite', path, durability: 'relaxed' }),
      (error: unknown) => isInterlockError(error) && error.code === 'STORE_UNAVAILABLE' && /version 99/.test(error.message),
    );
  });
});
