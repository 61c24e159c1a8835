import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { canonicalJson } from '../../src/audit/canonical-json.js';
import { chainLink } from '../../src/audit/chain.js';
import { signCheckpoint, verifyCheckpointSignature, publicKeysById } from '../../src/audit/checkpoint.js';
import { verifyChain, type VerificationFinding } from '../../src/audit/verify.js';
import { loadOrCreateSigningKey } from '../../src/keys/keystore.js';
import type { StoredAuditEvent } from '../../src/store/store.js';
import { bodyFor, buildChain, memorySource, place, renumber } from './chain-fixture.js';

const dataDir = mkdtempSync(join(tmpdir(), 'interlock-verify-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));
const key = loadOrCreateSigningKey(dataDir, 'audit');
const at = new Date('2024-02-01T00:00:00.000Z');

function summary(findings: readonly VerificationFinding[]): string[] {
  return findings.map((finding) => `${finding.kind}/${finding.reason}@${finding.seq}:${finding.eventId ?? '-'}`);
}

function checkpointAt(events: readonly StoredAuditEvent[], seq: number) {
  const event = events.find((candidate) => candidate.seq === seq);
  assert.ok(event);
  return signCheckpoint({ seq: event.seq, hash: event.hash }, key, at);
}

/** Rewrites the body of the event at `index` (0-based) and optionally recomputes its hash. */
function rewrite(events: StoredAuditEvent[], index: number, recomputeHash: boolean): void {
  const original = events[index];
  assert.ok(original);
  const body = { ...(JSON.parse(original.body) as Record<string, unknown>), data: { amount: 1_000_000 } };
  const text = canonicalJson(body);
  events[index] = { ...original, body: text, hash: recomputeHash ? chainLink(original.prevHash, text) : original.hash };
}

describe('verifyChain', () => {
  it('accepts an intact chain read in pages, with verified checkpoints', async () => {
    const events = buildChain(50);
    const source = memorySource(events, [checkpointAt(events, 20), checkpointAt(events, 50)]);
    const report = await verifyChain(source, [key.publicKey], { pageSize: 7 });
    assert.deepEqual(report.findings, []);
    assert.equal(report.ok, true);
    assert.equal(report.eventCount, 50);
    assert.deepEqual(report.head, { seq: 50, hash: events[49]?.hash });
    assert.deepEqual(report.checkpoints, { total: 2, verified: 2, lastVerifiedSeq: 50 });
    assert.equal(report.unattestedEvents, 0);
    assert.ok(source.pagesRead >= 8);
  });

  it('accepts an empty chain and counts unattested events', async () => {
    assert.equal((await verifyChain(memorySource([]), [key.publicKey])).ok, true);
    const events = buildChain(12);
    const report = await verifyChain(memorySource(events, [checkpointAt(events, 5)]), [key.publicKey]);
    assert.equal(report.unattestedEvents, 7);
  });

  it('modified body, hash left alone: modified at that seq', async () => {
    const events = buildChain(20);
    rewrite(events, 9, false);
    const report = await verifyChain(memorySource(events), [key.publicKey]);
    assert.deepEqual(summary(report.findings), ['modified/hash_mismatch@10:event-10']);
    assert.equal(report.ok, false);
  });

  it('modified body with its hash recomputed: modified at that seq, exposed by the successor', async () => {
    const events = buildChain(20);
    rewrite(events, 9, true);
    const report = await verifyChain(memorySource(events), [key.publicKey]);
    assert.deepEqual(summary(report.findings), ['modified/successor_link_broken@10:event-10']);
    assert.equal(report.findings[0]?.relatedSeq, 11);
  });

  it('middle event deleted: removed at the missing seq', async () => {
    const events = buildChain(20).filter((event) => event.seq !== 10);
    const report = await verifyChain(memorySource(events), [key.publicKey]);
    assert.deepEqual(summary(report.findings), ['removed/seq_gap@10:-']);
  });

  it('several consecutive events deleted: one removed finding per missing seq', async () => {
    const events = buildChain(20).filter((event) => event.seq < 5 || event.seq > 7);
    const report = await verifyChain(memorySource(events), [key.publicKey]);
    assert.deepEqual(summary(report.findings), ['removed/seq_gap@5:-', 'removed/seq_gap@6:-', 'removed/seq_gap@7:-']);
  });

  it('first events deleted: removed from seq 1', async () => {
    const events = buildChain(10).filter((event) => event.seq > 2);
    const report = await verifyChain(memorySource(events), [key.publicKey]);
    assert.deepEqual(summary(report.findings), ['removed/head_truncated@1:-', 'removed/head_truncated@2:-']);
  });

  it('tail deleted after a signed checkpoint: removed for each missing seq', async () => {
    const full = buildChain(30);
    const checkpoints = [checkpointAt(full, 10), checkpointAt(full, 30)];
    const report = await verifyChain(memorySource(full.slice(0, 28), checkpoints), [key.publicKey]);
    assert.deepEqual(summary(report.findings), ['removed/tail_truncated@29:-', 'removed/tail_truncated@30:-']);
    assert.equal(report.checkpoints.verified, 1);
  });

  it('forged event inserted and later seqs renumbered: inserted at its seq', async () => {
    const events = buildChain(20);
    const checkpoints = [checkpointAt(events, 5), checkpointAt(events, 15)];
    const forged = place(bodyFor(999, { refund: 'to attacker' }), 0, events[8]?.hash ?? '');
    const tampered = renumber([...events.slice(0, 9), forged, ...events.slice(9)]);
    const report = await verifyChain(memorySource(tampered, checkpoints), [key.publicKey]);
    assert.deepEqual(summary(report.findings), ['inserted/skipped_by_successor@10:event-999', 'checkpoint_mismatch/shifted@15:event-14']);
    assert.equal(report.findings[1]?.relatedSeq, 16);
  });

  it('forged event with an invented previous hash: inserted at its seq', async () => {
    const events = buildChain(20);
    const forged = place(bodyFor(999), 0, 'f'.repeat(64));
    const report = await verifyChain(memorySource(renumber([...events.slice(0, 9), forged, ...events.slice(9)])), [key.publicKey]);
    assert.deepEqual(summary(report.findings), ['inserted/orphan@10:event-999']);
  });

  it('forged event inserted before the first: inserted at seq 1', async () => {
    const events = buildChain(10);
    const forged = place(bodyFor(999), 0, '0'.repeat(64));
    const report = await verifyChain(memorySource(renumber([forged, ...events])), [key.publicKey]);
    assert.deepEqual(summary(report.findings), ['inserted/skipped_by_successor@1:event-999']);
  });

  it('copy of an existing event inserted: inserted as a duplicate', async () => {
    const events = buildChain(10);
    const copy = { ...(events[3] as StoredAuditEvent), seq: 11 };
    const report = await verifyChain(memorySource([...events, copy]), [key.publicKey]);
    assert.deepEqual(summary(report.findings), ['inserted/duplicate@11:event-4']);
  });

  it('two adjacent events swapped: reordered at the first swapped seq', async () => {
    const events = buildChain(20);
    const swapped = renumber([...events.slice(0, 9), events[10] as StoredAuditEvent, events[9] as StoredAuditEvent, ...events.slice(11)]);
    const report = await verifyChain(memorySource(swapped), [key.publicKey]);
    assert.deepEqual(summary(report.findings), ['reordered/predecessor_appears_later@10:event-11']);
    assert.equal(report.findings[0]?.relatedSeq, 11);
  });

  it('swaps at the start and at the end of the chain: one reordered finding each', async () => {
    const events = buildChain(10);
    const atStart = renumber([events[1] as StoredAuditEvent, events[0] as StoredAuditEvent, ...events.slice(2)]);
    assert.deepEqual(summary((await verifyChain(memorySource(atStart), [key.publicKey])).findings), [
      'reordered/predecessor_appears_later@1:event-2',
    ]);
    const atEnd = renumber([...events.slice(0, 8), events[9] as StoredAuditEvent, events[8] as StoredAuditEvent]);
    assert.deepEqual(summary((await verifyChain(memorySource(atEnd), [key.publicKey])).findings), [
      'reordered/predecessor_appears_later@9:event-10',
    ]);
  });

  it('events moved further apart: reordered on each event whose predecessor now comes later', async () => {
    const events = buildChain(20);
    const moved = renumber([
      ...events.slice(0, 9),
      events[12],
      events[10],
      events[11],
      events[9],
      ...events.slice(13),
    ] as StoredAuditEvent[]);
    const report = await verifyChain(memorySource(moved), [key.publicKey]);
    assert.deepEqual(summary(report.findings), [
      'reordered/predecessor_appears_later@10:event-13',
      'reordered/predecessor_appears_later@11:event-11',
    ]);
  });

  it('detects tampering beyond the classification window, even if it cannot name the kind', async () => {
    const events = buildChain(300);
    const moved = renumber([
      ...events.slice(0, 9),
      events[250],
      ...events.slice(10, 250),
      events[9],
      ...events.slice(251),
    ] as StoredAuditEvent[]);
    const report = await verifyChain(memorySource(moved), [key.publicKey], { window: 16, pageSize: 10 });
    assert.equal(report.ok, false);
    assert.ok(report.findings.length >= 1);
  });

  it('forged checkpoint signature: checkpoint_signature_invalid, and the checkpoint attests nothing', async () => {
    const events = buildChain(10);
    const genuine = checkpointAt(events, 10);
    const otherKey = generateKeyPairSync('ed25519');
    const forgedSignature = signCheckpoint({ seq: 10, hash: events[9]?.hash ?? '' }, { ...key, privateKey: otherKey.privateKey }, at);
    const altered = { ...genuine, hash: events[8]?.hash ?? '' };
    const report = await verifyChain(memorySource(events, [forgedSignature]), [key.publicKey]);
    assert.deepEqual(summary(report.findings), ['checkpoint_signature_invalid/signature_invalid@10:-']);
    assert.equal(report.checkpoints.verified, 0);
    assert.equal(verifyCheckpointSignature(altered, publicKeysById([key.publicKey])), 'invalid');
    assert.equal(verifyCheckpointSignature({ ...genuine, signature: 'not base64' }, publicKeysById([key.publicKey])), 'invalid');
    assert.equal(verifyCheckpointSignature(genuine, publicKeysById([key.publicKey])), 'valid');
  });

  it('checkpoint signed by a key the verifier does not know: checkpoint_key_unknown', async () => {
    const events = buildChain(5);
    const report = await verifyChain(memorySource(events, [checkpointAt(events, 5)]), [generateKeyPairSync('ed25519').publicKey]);
    assert.deepEqual(summary(report.findings), ['checkpoint_key_unknown/key_unknown@5:-']);
  });

  it('validly signed checkpoint whose hash is not the event at its seq: checkpoint_mismatch', async () => {
    const events = buildChain(5);
    const wrong = signCheckpoint({ seq: 3, hash: 'a'.repeat(64) }, key, at);
    const report = await verifyChain(memorySource(events, [wrong]), [key.publicKey]);
    assert.deepEqual(summary(report.findings), ['checkpoint_mismatch/hash_differs@3:event-3']);
  });

  it('unknown body schema version: schema_version_unknown', async () => {
    const events = buildChain(4);
    const future = place({ ...bodyFor(5), schemaVersion: 2 } as unknown as ReturnType<typeof bodyFor>, 5, events[3]?.hash ?? '');
    const report = await verifyChain(memorySource([...events, future]), [key.publicKey]);
    assert.deepEqual(summary(report.findings), ['schema_version_unknown/schema_version_unknown@5:event-5']);
  });

  it('redundant column changed: column_mismatch naming the column', async () => {
    const events = buildChain(6);
    events[2] = { ...(events[2] as StoredAuditEvent), tenant: 'other-tenant' };
    events[4] = { ...(events[4] as StoredAuditEvent), type: 'call.refused', traceId: null };
    const report = await verifyChain(memorySource(events), [key.publicKey]);
    assert.deepEqual(
      report.findings.map((finding) => `${finding.seq}:${finding.column ?? ''}`),
      ['3:tenant', '5:type', '5:traceId'],
    );
    assert.ok(report.findings.every((finding) => finding.kind === 'column_mismatch'));
  });

  it('non-canonical or malformed body with a recomputed hash at the tail: modified', async () => {
    const events = buildChain(4);
    const tail = events[3] as StoredAuditEvent;
    const spaced = tail.body.replace('{', '{ ');
    events[3] = { ...tail, body: spaced, hash: chainLink(tail.prevHash, spaced) };
    assert.deepEqual(summary((await verifyChain(memorySource(events), [key.publicKey])).findings), [
      'modified/body_not_canonical@4:event-4',
    ]);
    events[3] = { ...tail, body: 'not json', hash: chainLink(tail.prevHash, 'not json') };
    assert.deepEqual(summary((await verifyChain(memorySource(events), [key.publicKey])).findings), ['modified/body_malformed@4:event-4']);
    events[3] = { ...tail, hash: 'XYZ' };
    assert.deepEqual(summary((await verifyChain(memorySource(events), [key.publicKey])).findings), ['modified/hash_malformed@4:event-4']);
  });

  it('uses the store-recorded head to catch a truncated tail and events beyond the head', async () => {
    const events = buildChain(10);
    const truncated = { ...memorySource(events.slice(0, 8)), head: async () => ({ seq: 10, hash: events[9]?.hash ?? '' }) };
    assert.deepEqual(summary((await verifyChain(truncated, [key.publicKey])).findings), [
      'removed/tail_truncated@9:-',
      'removed/tail_truncated@10:-',
    ]);
    const extra = place(bodyFor(11), 11, events[9]?.hash ?? '');
    const appended = { ...memorySource([...events, extra]), head: async () => ({ seq: 10, hash: events[9]?.hash ?? '' }) };
    assert.deepEqual(summary((await verifyChain(appended, [key.publicKey])).findings), ['inserted/beyond_head@11:event-11']);
    const rehashedTail = [...events];
    rewrite(rehashedTail, 9, true);
    const rewritten = { ...memorySource(rehashedTail), head: async () => ({ seq: 10, hash: events[9]?.hash ?? '' }) };
    assert.deepEqual(summary((await verifyChain(rewritten, [key.publicKey])).findings), ['modified/head_differs@10:event-10']);
  });

  it('streams a long chain in bounded pages', async () => {
    const events = buildChain(5000);
    const source = memorySource(events, [checkpointAt(events, 5000)]);
    const report = await verifyChain(source, [key.publicKey], { pageSize: 250, window: 64 });
    assert.equal(report.ok, true);
    assert.equal(report.eventCount, 5000);
    assert.equal(source.pagesRead, 21);
  });

  it('caps the findings it keeps', async () => {
    const events = buildChain(50).map((event) => ({ ...event, hash: 'b'.repeat(64) }));
    const report = await verifyChain(memorySource(events), [key.publicKey], { maxFindings: 5 });
    assert.equal(report.findings.length, 5);
    assert.equal(report.findingsTruncated, true);
  });
});
