/**
 * `interlock audit verify` on a real log written by `interlock serve`, then tampered with directly
 * in the SQLite file: each kind of tampering is found, named with its seq, and exits 1.
 */
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import {
  assertExampleUser,
  copyRefundsExample,
  ensureBuilt,
  LOOKUP,
  mintAgentToken,
  postCall,
  removeDirectory,
  runCli,
  smallRefund,
  startServer,
  temporaryDirectory,
} from './interlock-process.js';

before(() => ensureBuilt());

describe('interlock audit verify', () => {
  const pristine = copyRefundsExample('verify');
  const copies: string[] = [];
  let eventCount = 0;
  after(() => [pristine, ...copies].forEach(removeDirectory));

  before(async () => {
    const [token, assertion] = await Promise.all([
      mintAgentToken(pristine, 'support-bot'),
      assertExampleUser(pristine, 'alice', ['support']),
    ]);
    const server = await startServer(pristine);
    try {
      for (let index = 0; index < 4; index += 1)
        assert.equal((await postCall(server.url, token, { ...LOOKUP, traceId: `verify-${index}` })).body.status, 'executed');
      assert.equal(
        (await postCall(server.url, token, { ...smallRefund(assertion), idempotencyKey: 'verify-refund' })).body.status,
        'executed',
      );
      const deletion = { tool: 'orders', operation: 'delete', arguments: { order_id: 'o-1' }, idempotencyKey: 'verify-delete' };
      assert.equal((await postCall(server.url, token, deletion)).body.status, 'denied');
    } finally {
      assert.equal((await server.stop('SIGTERM')).code, 0);
    }
  });

  /** A copy of the pristine project whose database `tamper` then edits. */
  function tamperedCopy(tamper: (database: BetterSqlite3.Database) => void): string {
    const copy = temporaryDirectory('verify-tampered');
    copies.push(copy);
    cpSync(pristine, copy, { recursive: true });
    const database = new BetterSqlite3(join(copy, '.interlock', 'interlock.db'));
    try {
      tamper(database);
    } finally {
      database.close();
    }
    return copy;
  }

  test('a clean log verifies: exit 0, OK with the event count and verified checkpoints', async () => {
    const result = await runCli(['audit', 'verify', '--project', pristine]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const match = /^OK: (\d+) events, head seq (\d+) [0-9a-f]{16}…; (\d+)\/(\d+) signed checkpoints verified/.exec(result.stdout);
    assert.ok(match !== null, result.stdout);
    eventCount = Number(match[1]);
    // server.started, 5 executed calls x4 events (the refund also registers its compensation), 1 denied call x3 events.
    assert.equal(eventCount, 1 + 5 * 4 + 1 + 3);
    assert.equal(match[2], String(eventCount));
    assert.ok(Number(match[4]) >= 1, 'a clean shutdown signs a checkpoint');
    assert.equal(match[3], match[4]);
  });

  test('--json prints a parseable report', async () => {
    const result = await runCli(['audit', 'verify', '--project', pristine, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      eventCount: number;
      findings: unknown[];
      head: { seq: number; hash: string };
      checkpoints: { total: number; verified: number };
    };
    assert.equal(report.ok, true);
    assert.equal(report.eventCount, eventCount);
    assert.deepEqual(report.findings, []);
    assert.equal(report.head.seq, eventCount);
    assert.match(report.head.hash, /^[0-9a-f]{64}$/);
    assert.equal(report.checkpoints.verified, report.checkpoints.total);
  });

  test('an edited body is MODIFIED at its seq (exit 1)', async () => {
    const copy = tamperedCopy((database) => {
      const changed = database
        .prepare(`update audit_events set body = replace(body, '"amount_cents":1500', '"amount_cents":150000') where seq = ?`)
        .run(
          (
            database.prepare(`select seq from audit_events where type = 'call.received' and body like '%"amount_cents":1500%'`).get() as {
              seq: number;
            }
          ).seq,
        );
      assert.equal(changed.changes, 1);
    });
    const seq = await seqWhere(copy, `type = 'call.received' and body like '%"amount_cents":150000%'`);
    const result = await runCli(['audit', 'verify', '--project', copy]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /^TAMPERED: \d+ finding\(s\)/);
    assert.match(result.stdout, new RegExp(`MODIFIED seq ${seq} \\(event [0-9a-f-]+\\)`));

    const json = await runCli(['audit', 'verify', '--project', copy, '--json']);
    assert.equal(json.code, 1);
    const report = JSON.parse(json.stdout) as { ok: boolean; findings: Array<{ kind: string; seq: number }> };
    assert.equal(report.ok, false);
    assert.ok(
      report.findings.some((finding) => finding.kind === 'modified' && finding.seq === seq),
      json.stdout,
    );
  });

  test('a chain whose signed checkpoints were all deleted is UNATTESTED (exit 1): it could have been rewritten whole', async () => {
    const copy = tamperedCopy((database) => assert.ok(database.prepare('delete from audit_checkpoints').run().changes > 0));
    const result = await runCli(['audit', 'verify', '--project', copy]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /UNATTESTED seq \d+/);
  });

  test('a deleted row is REMOVED at its seq (exit 1)', async () => {
    const copy = tamperedCopy((database) => assert.equal(database.prepare('delete from audit_events where seq = 7').run().changes, 1));
    const result = await runCli(['audit', 'verify', '--project', copy]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /REMOVED seq 7\b/);
  });

  test('the last row deleted (tail truncation) is REMOVED (exit 1)', async () => {
    const copy = tamperedCopy((database) =>
      assert.equal(database.prepare('delete from audit_events where seq = (select max(seq) from audit_events)').run().changes, 1),
    );
    const result = await runCli(['audit', 'verify', '--project', copy]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`REMOVED seq ${eventCount}\\b`));
  });

  test('two rows with swapped seqs are REORDERED (exit 1)', async () => {
    const copy = tamperedCopy((database) => {
      database.transaction(() => {
        database.prepare('update audit_events set seq = -1 where seq = 10').run();
        database.prepare('update audit_events set seq = 10 where seq = 11').run();
        database.prepare('update audit_events set seq = 11 where seq = -1').run();
      })();
    });
    const result = await runCli(['audit', 'verify', '--project', copy]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /REORDERED seq 1[01]\b/);
  });

  test('a checkpoint signed by another key is CHECKPOINT_KEY_UNKNOWN (exit 1)', async () => {
    const directory = temporaryDirectory('verify-other-key');
    copies.push(directory);
    const otherKey = join(directory, 'other.pub.pem');
    writeFileSync(otherKey, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    const wrongKey = await runCli(['audit', 'verify', '--project', pristine, '--public-key', otherKey]);
    assert.equal(wrongKey.code, 1, wrongKey.stdout + wrongKey.stderr);
    assert.match(wrongKey.stdout, /CHECKPOINT_KEY_UNKNOWN seq \d+/);
  });

  // Exit 1 means "tampering found"; a key file that is not there is a usage problem, said plainly.
  test('a missing --public-key file is a usage error (exit 2) naming the path, not an unexpected error', async () => {
    const absent = join(temporaryDirectory('verify-no-key'), 'absent.pem');
    copies.push(dirname(absent));
    const result = await runCli(['audit', 'verify', '--project', pristine, '--public-key', absent]);
    assert.doesNotMatch(result.stderr, /unexpected error/, result.stderr);
    assert.ok(result.stderr.includes(absent), result.stderr);
    assert.equal(result.code, 2, result.stderr);
  });

  test('a project that never ran (no audit key yet) does not report tampering or an unexpected error', async () => {
    const fresh = copyRefundsExample('verify-fresh');
    copies.push(fresh);
    const result = await runCli(['audit', 'verify', '--project', fresh]);
    assert.doesNotMatch(result.stderr, /unexpected error/, result.stderr);
    assert.notEqual(result.code, 1, `exit 1 means tampering: ${result.stdout}${result.stderr}`);
  });
});

async function seqWhere(project: string, condition: string): Promise<number> {
  const database = new BetterSqlite3(join(project, '.interlock', 'interlock.db'), { readonly: true });
  try {
    return (database.prepare(`select seq from audit_events where ${condition}`).get() as { seq: number }).seq;
  } finally {
    database.close();
  }
}
