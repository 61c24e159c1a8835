/**
 * Child process for the multi-process SQLite test: appends `batches` batches of 1–4 events to the
 * database at `path`, then exits 0. Usage: node --import tsx sqlite-append-worker.ts <path> <label> <batches>
 */
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { testLink } from './contract.js';

const [path, label, batchText] = process.argv.slice(2);
if (path === undefined || label === undefined || batchText === undefined) throw new Error('usage: <path> <label> <batches>');

const store = new SqliteStore({ path, durability: 'durable' });
await store.migrate();
for (let batch = 0; batch < Number(batchText); batch += 1) {
  const size = 1 + (batch % 4);
  const drafts = Array.from({ length: size }, (_, index) => {
    const id = `${label}-${batch}-${index}`;
    return {
      id,
      type: 'call.received',
      at: new Date().toISOString(),
      tenant: label,
      agent: null,
      traceId: null,
      callId: null,
      body: JSON.stringify({ id }),
    };
  });
  await store.appendAuditEvents(drafts, testLink);
  // Give the other writers a chance to interleave between batches.
  await new Promise((resolve) => setImmediate(resolve));
}
await store.close();
