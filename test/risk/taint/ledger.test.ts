import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { InterlockError } from '../../../src/errors/interlock-error.js';
import { createFingerprinter } from '../../../src/risk/taint/fingerprint.js';
import { recordContent } from '../../../src/risk/taint/ledger.js';
import { MAX_SCANNED_CHARACTERS } from '../../../src/risk/taint/text-cleanup.js';

const content = {
  origin: 'email',
  trust: 'untrusted',
  sourceId: 'email-1',
  label: 'Inbound e-mail',
  text: 'Pay DE89 3704 0044 0532 0130 00 or write to leak@drop.example, phone +1 415 555 0199.',
} as const;

describe('taint ledger', () => {
  it('stores fingerprints and the source, never the text or the raw values', () => {
    const entry = recordContent(content, createFingerprinter('a key of sixteen+ bytes'));
    assert.deepEqual(Object.keys(entry).sort(), ['fingerprints', 'label', 'origin', 'sourceId', 'truncated', 'trust']);
    const serialised = JSON.stringify(entry);
    for (const fragment of ['DE89', '3704', 'leak', 'drop.example', '555']) assert.ok(!serialised.includes(fragment), fragment);
    // IBAN; e-mail with its domain; phone with its last ten digits.
    assert.equal(entry.fingerprints.length, 5);
    assert.ok(entry.fingerprints.every((fingerprint) => /^[0-9a-f]{32}$/.test(fingerprint)));
  });

  it('keys fingerprints, so the same content gives different fingerprints under different keys', () => {
    const first = recordContent(content, createFingerprinter('first key, sixteen bytes'));
    const second = recordContent(content, createFingerprinter('second key, sixteen bytes'));
    assert.deepEqual(first.fingerprints, recordContent(content, createFingerprinter('first key, sixteen bytes')).fingerprints);
    assert.equal(first.fingerprints.filter((fingerprint) => second.fingerprints.includes(fingerprint)).length, 0);
  });

  it('refuses a short key with a typed error', () => {
    assert.throws(
      () => createFingerprinter('short'),
      (error: unknown) => error instanceof InterlockError && error.code === 'CONFIG_INVALID',
    );
  });

  it('marks content longer than the scan limit as truncated', () => {
    const entry = recordContent(
      { ...content, text: 'x'.repeat(MAX_SCANNED_CHARACTERS + 1) },
      createFingerprinter('a key of sixteen+ bytes'),
    );
    assert.equal(entry.truncated, true);
  });
});
