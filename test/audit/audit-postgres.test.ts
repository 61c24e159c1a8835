import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { AuditLog } from '../../src/audit/audit-log.js';
import { storeVerificationSource, verifyChain } from '../../src/audit/verify.js';
import { loadOrCreateSigningKey } from '../../src/keys/keystore.js';
import { Redactor } from '../../src/redaction/redactor.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { dropSchema, freshSchemaName, postgresTestUrl, requirePostgres } from '../support/postgres.js';

const url = postgresTestUrl();
const dataDir = mkdtempSync(join(tmpdir(), 'interlock-audit-pg-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));
const key = loadOrCreateSigningKey(dataDir, 'audit');

describe('audit log and verification against real PostgreSQL', async () => {
  const requirement = await requirePostgres(url);

  it('two replicas writing one chain concurrently produce a verifiable chain; an UPDATE is then found', requirement, async () => {
    const schema = freshSchemaName('audit');
    const stores: Store[] = [];
    try {
      for (let replica = 0; replica < 2; replica += 1) {
        stores.push(await openStore({ driver: 'postgres', url, schema, durability: 'durable', poolSize: 4 }));
      }
      const logs = stores.map(
        (store) => new AuditLog({ store, redactor: new Redactor(), mode: 'durable', signingKey: key, checkpointEvery: 25 }),
      );
      await Promise.all(
        logs.flatMap((log, replica) =>
          Array.from({ length: 60 }, async (_, index) => {
            await new Promise((resolve) => setImmediate(resolve));
            log.record({
              type: 'tool.executed',
              tenant: 'acme',
              agent: `replica-${replica}`,
              traceId: null,
              callId: `call-${replica}-${index}`,
              data: { index },
            });
            await log.flush();
          }),
        ),
      );
      for (const log of logs) await log.close();
      const [first] = stores;
      assert.ok(first);
      const report = await verifyChain(storeVerificationSource(first), [key.publicKey], { pageSize: 16 });
      assert.deepEqual(report.findings, []);
      assert.equal(report.eventCount, 120);
      // Replicas group-commit large batches, so checkpoints are few; the head must be attested.
      assert.equal(report.checkpoints.verified, report.checkpoints.total);
      assert.equal(report.checkpoints.lastVerifiedSeq, 120);

      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`update "${schema}".audit_events set body = body || ' ' where seq = 30`);
      } finally {
        await client.end();
      }
      const tampered = await verifyChain(storeVerificationSource(first), [key.publicKey]);
      assert.deepEqual(
        tampered.findings.map((finding) => `${finding.kind}/${finding.reason}@${finding.seq}`),
        ['modified/hash_mismatch@30'],
      );
    } finally {
      for (const store of stores) await store.close();
      await dropSchema(url, schema);
    }
  });
});
