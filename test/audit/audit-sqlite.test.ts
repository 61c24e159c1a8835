import { strict as assert } from 'node:assert';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { AuditLog } from '../../src/audit/audit-log.js';
import { canonicalJson } from '../../src/audit/canonical-json.js';
import { chainLink } from '../../src/audit/chain.js';
import { storeVerificationSource, verifyChain, type VerificationFinding, type VerificationReport } from '../../src/audit/verify.js';
import { loadOrCreateSigningKey } from '../../src/keys/keystore.js';
import { Redactor } from '../../src/redaction/redactor.js';
import { openStore } from '../../src/store/open-store.js';

const root = mkdtempSync(join(tmpdir(), 'interlock-audit-sqlite-'));
after(() => rmSync(root, { recursive: true, force: true }));
const key = loadOrCreateSigningKey(root, 'audit');
const SECRET = 'sqlite-test-upstream-secret';
let counter = 0;

/** A fresh SQLite store holding 40 events written by the audit log, with checkpoints at 10, 20, 30, 40. */
async function writtenChain(): Promise<string> {
  counter += 1;
  const path = join(root, `audit-${counter}.db`);
  const store = await openStore({ driver: 'sqlite', path, durability: 'durable' });
  const log = new AuditLog({
    store,
    redactor: new Redactor({ knownSecrets: new Set([SECRET]) }),
    mode: 'durable',
    signingKey: key,
    checkpointEvery: 10,
  });
  for (let round = 0; round < 4; round += 1) {
    await Promise.all(
      Array.from({ length: 10 }, async (_, index) => {
        log.record({
          type: 'tool.executed',
          tenant: 'acme',
          agent: 'refund-bot',
          traceId: `trace-${round}`,
          callId: `call-${round}-${index}`,
          data: { round, index, note: `token ${SECRET}` },
        });
        await log.flush();
      }),
    );
  }
  await log.close();
  await store.close();
  return path;
}

async function verifyFile(path: string): Promise<VerificationReport> {
  const store = await openStore({ driver: 'sqlite', path, durability: 'durable' });
  try {
    return await verifyChain(storeVerificationSource(store), [key.publicKey], { pageSize: 7 });
  } finally {
    await store.close();
  }
}

function tamper(path: string, change: (database: Database.Database) => void): void {
  const database = new Database(path);
  try {
    change(database);
  } finally {
    database.close();
  }
}

function summary(findings: readonly VerificationFinding[]): string[] {
  return findings.map((finding) => `${finding.kind}/${finding.reason}@${finding.seq}`);
}

interface Row {
  seq: number;
  id: string;
  body: string;
  prev_hash: string;
  hash: string;
}

function row(database: Database.Database, seq: number): Row {
  const found = database.prepare('select seq, id, body, prev_hash, hash from audit_events where seq = ?').get(seq) as Row | undefined;
  assert.ok(found);
  return found;
}

function rewrittenBody(body: string): string {
  return canonicalJson({ ...(JSON.parse(body) as Record<string, unknown>), data: { refund: 'to attacker' } });
}

describe('audit log and verification against real SQLite', () => {
  it('writes a verifiable chain with signed checkpoints and no secret in any row', async () => {
    const path = await writtenChain();
    const report = await verifyFile(path);
    assert.deepEqual(report.findings, []);
    assert.equal(report.eventCount, 40);
    assert.deepEqual(report.checkpoints, { total: 4, verified: 4, lastVerifiedSeq: 40 });
    tamper(path, (database) => {
      const bodies = database.prepare('select body from audit_events').all() as Array<{ body: string }>;
      assert.equal(bodies.length, 40);
      assert.ok(bodies.every((entry) => !entry.body.includes(SECRET)));
    });
  });

  it('UPDATE of a body: modified at that seq', async () => {
    const path = await writtenChain();
    tamper(path, (database) =>
      database.prepare('update audit_events set body = ? where seq = 15').run(rewrittenBody(row(database, 15).body)),
    );
    assert.deepEqual(summary((await verifyFile(path)).findings), ['modified/hash_mismatch@15']);
  });

  it('UPDATE of a body and its hash: modified at that seq', async () => {
    const path = await writtenChain();
    tamper(path, (database) => {
      const original = row(database, 15);
      const body = rewrittenBody(original.body);
      database.prepare('update audit_events set body = ?, hash = ? where seq = 15').run(body, chainLink(original.prev_hash, body));
    });
    assert.deepEqual(summary((await verifyFile(path)).findings), ['modified/successor_link_broken@15']);
  });

  it('DELETE of a middle event: removed at that seq', async () => {
    const path = await writtenChain();
    tamper(path, (database) => database.prepare('delete from audit_events where seq = 15').run());
    assert.deepEqual(summary((await verifyFile(path)).findings), ['removed/seq_gap@15']);
  });

  it('DELETE of the tail covered by a checkpoint: removed for each missing seq', async () => {
    const path = await writtenChain();
    tamper(path, (database) => database.prepare('delete from audit_events where seq >= 39').run());
    assert.deepEqual(summary((await verifyFile(path)).findings), ['removed/tail_truncated@39', 'removed/tail_truncated@40']);
  });

  it('INSERT of a forged event with later seqs renumbered: inserted at its seq, and the shift shows at the checkpoints', async () => {
    const path = await writtenChain();
    tamper(path, (database) => {
      const before = row(database, 14);
      const template = JSON.parse(before.body) as Record<string, unknown>;
      const body = canonicalJson({ ...template, id: 'forged-event', data: { refund: 'to attacker' } });
      database.exec('update audit_events set seq = seq + 1000 where seq >= 15');
      database.exec('update audit_events set seq = seq - 999 where seq >= 1000');
      database
        .prepare(
          'insert into audit_events (seq, id, type, at, tenant, agent, trace_id, call_id, body, prev_hash, hash) select 15, ?, type, at, tenant, agent, trace_id, call_id, ?, ?, ? from audit_events where seq = 14',
        )
        .run('forged-event', body, before.hash, chainLink(before.hash, body));
    });
    const report = await verifyFile(path);
    assert.deepEqual(summary(report.findings), [
      'inserted/skipped_by_successor@15',
      'checkpoint_mismatch/shifted@20',
      'checkpoint_mismatch/shifted@30',
      'checkpoint_mismatch/shifted@40',
      'inserted/beyond_head@41',
    ]);
    assert.equal(report.findings[0]?.eventId, 'forged-event');
  });

  it('UPDATE swapping two events: reordered at the first of them', async () => {
    const path = await writtenChain();
    let movedId = '';
    tamper(path, (database) => {
      movedId = row(database, 16).id;
      database.exec('update audit_events set seq = -1 where seq = 15');
      database.exec('update audit_events set seq = 15 where seq = 16');
      database.exec('update audit_events set seq = 16 where seq = -1');
    });
    const report = await verifyFile(path);
    assert.deepEqual(summary(report.findings), ['reordered/predecessor_appears_later@15']);
    assert.equal(report.findings[0]?.eventId, movedId);
  });

  it('UPDATE of a checkpoint signature or its hash: the checkpoint no longer verifies', async () => {
    const path = await writtenChain();
    const otherKey = generateKeyPairSync('ed25519').privateKey;
    tamper(path, (database) => {
      database
        .prepare('update audit_checkpoints set signature = ? where seq = 20')
        .run(sign(null, Buffer.from('forged'), otherKey).toString('base64url'));
      database.prepare('update audit_checkpoints set hash = ? where seq = 30').run(row(database, 29).hash);
    });
    const report = await verifyFile(path);
    assert.deepEqual(summary(report.findings), [
      'checkpoint_signature_invalid/signature_invalid@20',
      'checkpoint_signature_invalid/signature_invalid@30',
    ]);
    assert.equal(report.checkpoints.verified, 2);
  });

  it('UPDATE of a redundant column: column_mismatch naming it', async () => {
    const path = await writtenChain();
    tamper(path, (database) => database.exec("update audit_events set tenant = 'other-tenant', call_id = null where seq = 7"));
    const report = await verifyFile(path);
    assert.deepEqual(
      report.findings.map((finding) => `${finding.kind}@${finding.seq}:${finding.column ?? ''}`),
      ['column_mismatch@7:tenant', 'column_mismatch@7:callId'],
    );
  });
});
