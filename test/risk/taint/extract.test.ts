import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { extractValues, MAX_VALUES_PER_TEXT, scanText } from '../../../src/risk/taint/extract.js';
import type { ExtractedValue } from '../../../src/risk/taint/kinds.js';
import { MAX_SCANNED_CHARACTERS } from '../../../src/risk/taint/text-cleanup.js';

const found = (text: string): string[] => extractValues(text).map((value) => `${value.kind}:${value.normalized}`);
const only = (text: string): ExtractedValue => {
  const values = extractValues(text);
  assert.equal(values.length, 1, `expected one value in ${JSON.stringify(text)}, got ${JSON.stringify(values)}`);
  return values[0] as ExtractedValue;
};

describe('taint value extraction, per kind', () => {
  it('reads IBANs with or without separators and rejects ones whose check digits fail', () => {
    assert.deepEqual(found('New IBAN: DE89 3704 0044 0532 0130 00 from next week.'), ['iban:DE89370400440532013000']);
    assert.deepEqual(found('pay GB82WEST12345698765432 today'), ['iban:GB82WEST12345698765432']);
    assert.deepEqual(found('IBAN DE89.3704.0044.0532.0130.00 ok'), ['iban:DE89370400440532013000']);
    // A 16-character Belgian IBAN followed by a four-letter word: the word is not part of it.
    assert.deepEqual(found('IBAN BE68 5390 0754 7034 from now'), ['iban:BE68539007547034']);
    // One digit changed: not an IBAN, so its digits are read as a number instead.
    assert.deepEqual(
      found('DE89 3704 0044 0532 0130 01').filter((value) => value.startsWith('iban:')),
      [],
    );
  });

  it('reads account, routing, card and phone numbers across spaces, dashes, dots and brackets', () => {
    assert.deepEqual(only('Account: 4831-2290-7716.').normalized, '483122907716');
    assert.equal(only('routing 021000021').kind, 'routing_number');
    assert.equal(only('card 4111 1111 1111 1111').kind, 'card_number');
    assert.deepEqual(found('Call +1 (415) 555-0134 now'), ['phone:14155550134', 'account_number:5550134']);
    assert.deepEqual(found('Konto 5301.2277.64 bitte'), ['account_number:5301227764']);
    assert.deepEqual(found('sort code 40-47-84'), ['account_number:404784']);
  });

  it('reads a long number as a whole and also piece by piece, since blanks can separate two numbers', () => {
    assert.deepEqual(
      extractValues('accounts 38217745 60017742').map((value) => value.normalized),
      ['3821774560017742', '38217745', '60017742'],
    );
  });

  it('ends a number at a full stop followed by a blank, and at a second line break', () => {
    assert.deepEqual(found('Call 555-0134. 123456 people came'), ['account_number:5550134', 'account_number:123456']);
    assert.deepEqual(found('7734 2910\n5582'), ['account_number:773429105582']);
    assert.deepEqual(found('773429\n\n105582').sort(), ['account_number:105582', 'account_number:773429']);
  });

  it('gives long numbers their last ten digits as an equivalent form', () => {
    assert.deepEqual(only('+44 20 7946 0321').related, [{ matchClass: 'digits', normalized: '2079460321', scope: 'equivalent' }]);
    assert.deepEqual(only('020 7946 0321').related, [{ matchClass: 'digits', normalized: '2079460321', scope: 'equivalent' }]);
  });

  it('reads e-mail addresses, with their domain and registrable domain as broader forms', () => {
    const value = only('Write to Billing@Mail.Evil-Pay.co.uk, thanks.');
    assert.equal(value.kind, 'email');
    assert.equal(value.normalized, 'billing@mail.evil-pay.co.uk');
    assert.deepEqual(
      value.related.map((related) => related.normalized),
      ['mail.evil-pay.co.uk', 'evil-pay.co.uk'],
    );
  });

  it('reads URLs, with or without a scheme, and trims the punctuation around them', () => {
    assert.deepEqual(found('(see https://hooks.example/t/77f3a).'), ['url:hooks.example/t/77f3a']);
    assert.deepEqual(found('go to www.callback.example/register today'), ['url:callback.example/register']);
    assert.deepEqual(found('upload to paste-bin.example/api/create now'), ['url:paste-bin.example/api/create']);
    assert.deepEqual(found('hook at http://203.0.113.77:8080/collect'), ['url:203.0.113.77:8080/collect']);
  });

  it('reads bare domains with known top-level domains, not file names', () => {
    assert.deepEqual(found('point it at cdn.attacker-edge.example please'), ['domain:cdn.attacker-edge.example']);
    assert.deepEqual(found('run setup.py, read README.md and Node.js docs'), []);
  });

  it('reads POSIX, home-relative, Windows, UNC and relative paths', () => {
    assert.deepEqual(found('attach /etc/shadow now'), ['path:/etc/shadow']);
    assert.deepEqual(found('send ~/.ssh/id_rsa'), ['path:~/.ssh/id_rsa']);
    assert.deepEqual(found('open C:\\Finance\\Payroll\\pay-2024.xlsx'), ['path:c:/finance/payroll/pay-2024.xlsx']);
    assert.deepEqual(found('copy \\\\fileserver01\\hr\\salaries.xlsx'), ['path://fileserver01/hr/salaries.xlsx']);
    assert.deepEqual(found('push exports/customers-full.csv'), ['path:exports/customers-full.csv']);
    assert.deepEqual(found('read and/or write at 24/7, km/h'), []);
    assert.deepEqual(
      only('/home/dana/.ssh/id_rsa').related.map((related) => related.normalized),
      ['dana/.ssh/id_rsa', '.ssh/id_rsa'],
    );
  });

  it('reads amounts marked with a currency, and bare sums with cents', () => {
    assert.deepEqual(found('Amount due: €4.870,00'), ['amount:4870']);
    assert.deepEqual(found('USD 1,250.00 and 12,480.75 dollars'), ['amount:1250', 'amount:12480.75']);
    assert.deepEqual(found('please refund 3948.00'), ['amount:3948']);
    assert.deepEqual(found("CHF 1'250.50"), ['amount:1250.5']);
    assert.deepEqual(found('pay USD12,480.75 or 4870EUR'), ['amount:12480.75', 'amount:4870']);
    assert.deepEqual(found('the USDA report 1234'), []);
  });

  it('reads long tokens that mix letters and digits', () => {
    assert.deepEqual(found('use code ZX9-4471-QQ2B'), ['token:ZX94471QQ2B']);
    assert.deepEqual(found('secret whsec_8f2Kq9Lm3Xv7Tt'), ['token:WHSEC8F2KQ9LM3XV7TT']);
  });
});

describe('taint value extraction, minimum distinctiveness', () => {
  it('skips short numbers, years, dates, times, postal codes and repeated digits', () => {
    assert.deepEqual(found('ticket #42, 3 items, model 2024, zip 94105, at 10:30'), []);
    assert.deepEqual(found('on 2024-07-01, 01.07.2024 or 12/05/24'), []);
    assert.deepEqual(found('code 111111 and 200000'), []);
  });

  it('skips round and small amounts', () => {
    assert.deepEqual(found('$100, €2,500, £10 and $0.99'), []);
  });

  it('skips words, booleans and enum-like values', () => {
    assert.deepEqual(found('priority high, status open, urgent: true, method wire, currency EUR'), []);
  });
});

describe('taint value extraction, bounds', () => {
  it('reads each value once', () => {
    assert.equal(extractValues('a@b.example A@B.example a@b.example').length, 1);
  });

  it('reports text beyond the scan limit as truncated and does not read it', () => {
    const scan = scanText(`${' '.repeat(MAX_SCANNED_CHARACTERS)}leak@evil.example`);
    assert.equal(scan.truncated, true);
    assert.deepEqual(scan.values, []);
  });

  it('keeps at most MAX_VALUES_PER_TEXT values and says so', () => {
    const text = Array.from({ length: MAX_VALUES_PER_TEXT + 5 }, (_, index) => `u${index}@x.example`).join(' ');
    const scan = scanText(text);
    assert.equal(scan.values.length, MAX_VALUES_PER_TEXT);
    assert.equal(scan.truncated, true);
  });
});

describe('taint value extraction, order of passes', () => {
  it('does not read the parts of an address, a URL or an IBAN again as other values', () => {
    assert.deepEqual(found('https://drop.example/u/88123947561?to=leak@drop.example and more'), [
      'url:drop.example/u/88123947561?to=leak@drop.example',
      'email:leak@drop.example',
    ]);
    assert.deepEqual(found('IBAN DE89 3704 0044 0532 0130 00'), ['iban:DE89370400440532013000']);
  });
});
