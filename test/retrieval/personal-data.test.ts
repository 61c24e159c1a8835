/** Personal data detection: what is found, what ordinary text is left alone, and linear time on hostile text. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ibanValid, luhnValid, redactPersonalData } from '../../src/retrieval/personal-data.js';

const kinds = (text: string) => Object.fromEntries(redactPersonalData(text).found.map((finding) => [finding.kind, finding.count]));

describe('personal data in retrieved text', () => {
  it('finds phone numbers in international, North American and national forms', () => {
    const { text, found } = redactPersonalData(
      'Call +1 (415) 555-0142, 415-555-0199, +44 20 7946 0958, +14155550142, 030 1234567 or 06 12 34 56 78.',
    );
    assert.equal(
      text,
      'Call [REDACTED:phone], [REDACTED:phone], [REDACTED:phone], [REDACTED:phone], [REDACTED:phone] or [REDACTED:phone].',
    );
    assert.deepEqual(found, [{ kind: 'phone', count: 6 }]);
  });

  it('finds e-mail addresses, valid card numbers, valid IBANs and social security numbers', () => {
    assert.deepEqual(kinds('Write to dana.smith+tag@example.co.uk or ops@acme.example.'), { email: 2 });
    assert.deepEqual(kinds('Card 4111 1111 1111 1111 on file.'), { card_number: 1 });
    assert.deepEqual(kinds('Pay to DE89 3704 0044 0532 0130 00 or GB82WEST12345698765432.'), { iban: 2 });
    assert.deepEqual(kinds('SSN 123-45-6789.'), { us_ssn: 1 });
  });

  it('leaves dates, versions, amounts, order numbers, failed checksums and plain prose alone', () => {
    for (const text of [
      'Released 2024-01-15, 05.03.2024 and 01/02/2024 as version 1.2.3 on 10.0.0.1.',
      'The refund of 1,234.56 EUR for order o-100234 was approved at 14:30.',
      'Card 4111-1111-1111-1112 fails its checksum; DE00370400440532013000 is no IBAN.',
      'Security teams write about prompt injection every week.',
    ]) {
      assert.deepEqual(redactPersonalData(text).found, [], text);
      assert.equal(redactPersonalData(text).text, text);
    }
  });

  it('checksums: Luhn and ISO 13616', () => {
    assert.equal(luhnValid('4111111111111111'), true);
    assert.equal(luhnValid('4111111111111112'), false);
    assert.equal(ibanValid('DE89370400440532013000'), true);
    assert.equal(ibanValid('DE89370400440532013001'), false);
  });

  // Quadratic backtracking on these inputs would run for minutes; the timeout only catches that.
  it('hostile text finishes (no catastrophic backtracking)', { timeout: 60_000 }, () => {
    const hostile = [
      `+1${' 1'.repeat(50_000)}`,
      `${'+'.concat('1'.repeat(30), ' ')}`.repeat(5000),
      `${'a'.repeat(100_000)}@`,
      `0${'1 '.repeat(10)}`.repeat(5000),
      '4'.repeat(100_000),
    ];
    for (const text of hostile) assert.equal(typeof redactPersonalData(text).text, 'string');
    assert.deepEqual(redactPersonalData('4'.repeat(100_000)).found, []);
  });
});
