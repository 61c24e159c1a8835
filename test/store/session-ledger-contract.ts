/**
 * The session ledger half of the Store contract, run by storeContract (contract.ts) on every
 * engine: entries are kept per tenant and session, read back oldest first, bounded to the newest.
 */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { isInterlockError } from '../../src/errors/interlock-error.js';
import type { SessionContentRecord } from '../../src/store/store.js';
import type { MakeStore } from './contract.js';

function entry(id: string, overrides: Partial<SessionContentRecord> = {}): SessionContentRecord {
  return {
    id,
    tenant: 'acme',
    sessionId: 'session-1',
    origin: 'email',
    trust: 'untrusted',
    sourceId: 'msg-1',
    label: 'inbound e-mail',
    at: `2026-03-01T00:00:0${id.slice(-1)}.000Z`,
    values: '["account:abc"]',
    injectionScore: 40,
    signals: '["override"]',
    ...overrides,
  };
}

export function sessionLedgerContract(name: string, makeStore: MakeStore): void {
  describe(`${name}: session ledger`, () => {
    test('entries come back per tenant and session, oldest first, and the limit keeps the newest', async () => {
      const subject = await makeStore('durable');
      try {
        await subject.store.migrate();
        const { store } = subject;
        await store.appendSessionContents([entry('e1', { origin: 'user', trust: 'trusted', injectionScore: 0 })]);
        await store.appendSessionContents([entry('e2'), entry('e3', { sourceId: 'page-7', origin: 'web' })]);
        await store.appendSessionContents([entry('e4', { tenant: 'globex' }), entry('e5', { sessionId: 'session-2' })]);
        await store.appendSessionContents([]);

        const all = await store.listSessionContent('acme', 'session-1', 10);
        assert.deepEqual(
          all.map((record) => record.id),
          ['e1', 'e2', 'e3'],
        );
        assert.deepEqual(all[0], entry('e1', { origin: 'user', trust: 'trusted', injectionScore: 0 }));
        assert.deepEqual(
          (await store.listSessionContent('acme', 'session-1', 2)).map((record) => record.id),
          ['e2', 'e3'],
        );
        assert.deepEqual(await store.listSessionContent('globex', 'session-1', 10), [entry('e4', { tenant: 'globex' })]);
        assert.deepEqual(await store.listSessionContent('acme', 'nobody', 10), []);
      } finally {
        await subject.cleanup();
      }
    });

    test('the entries of one call are stored together: all of them, or none when one is refused', async () => {
      const subject = await makeStore('durable');
      try {
        await subject.store.migrate();
        const { store } = subject;
        await store.appendSessionContents([entry('e1')]);
        await assert.rejects(
          store.appendSessionContents([entry('e2'), entry('e3', { injectionScore: 101 })]),
          (error: unknown) => isInterlockError(error) && error.code === 'REQUEST_INVALID',
        );
        // The second id is taken: the first entry, inserted before it in the same transaction, is rolled back.
        await assert.rejects(
          store.appendSessionContents([entry('e4'), entry('e1')]),
          (error: unknown) => isInterlockError(error) && error.code === 'STORE_UNAVAILABLE',
          'ids are unique',
        );
        assert.deepEqual(
          (await store.listSessionContent('acme', 'session-1', 10)).map((record) => record.id),
          ['e1'],
        );
        const many = Array.from({ length: 20 }, (_, index) =>
          entry(`m${index}`, { at: `2026-03-01T00:01:${String(index).padStart(2, '0')}.000Z` }),
        );
        await store.appendSessionContents(many);
        assert.deepEqual(await store.listSessionContent('acme', 'session-1', 20), many);
      } finally {
        await subject.cleanup();
      }
    });
  });
}
