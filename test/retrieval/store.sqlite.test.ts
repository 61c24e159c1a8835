/** The retrieval store contract on SQLite (FTS5), each run on a fresh database file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { retrievalStoreContract } from './store-contract.js';

const root = mkdtempSync(join(tmpdir(), 'interlock-retrieval-store-'));
after(() => rmSync(root, { recursive: true, force: true }));

retrievalStoreContract('sqlite', async () => {
  const store = new SqliteStore({ path: join(root, 'interlock.db'), durability: 'durable' });
  return { store, cleanup: () => store.close() };
});
