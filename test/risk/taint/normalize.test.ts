import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { normalizeValue, registrableDomain } from '../../../src/risk/taint/normalize.js';
import { cleanText } from '../../../src/risk/taint/text-cleanup.js';

const fullWidth = (value: string): string => value.replace(/[!-~]/g, (character) => String.fromCharCode(character.charCodeAt(0) + 0xfee0));

describe('taint normalisation survives simple obfuscation', () => {
  it('account and phone numbers: case, blanks, dashes, dots, brackets, full-width digits and zero-width characters', () => {
    for (const written of [
      '4402 1187 3390',
      '4402-1187-3390',
      '4402.1187.3390',
      '４４０２ １１８７ ３３９０',
      '4402\u200b1187\u200d3390',
      '(4402) 1187\u00a03390',
    ]) {
      assert.equal(normalizeValue('account_number', written), '440211873390', written);
    }
    assert.equal(normalizeValue('phone', '+1 (415) 555\u2013 0134'), '14155550134');
  });

  it('IBANs: case and separators; a failed check is not an IBAN', () => {
    assert.equal(normalizeValue('iban', 'de89 3704-0044 0532 0130 00'), 'DE89370400440532013000');
    assert.equal(normalizeValue('iban', fullWidth('DE89 3704 0044 0532 0130 00')), 'DE89370400440532013000');
    assert.equal(normalizeValue('iban', 'DE89 3704 0044 0532 0130 01'), null);
  });

  it('e-mail addresses: case, mailto:, angle brackets, trailing punctuation, URL encoding and defanging', () => {
    for (const written of [
      'Billing@Evil-Pay.Example',
      'mailto:billing@evil-pay.example?subject=hi',
      '<billing@evil-pay.example>.',
      '<mailto:billing@evil-pay.example>',
      'billing%40evil-pay.example',
      'billing%2540evil-pay.example',
      'billing[at]evil-pay[.]example',
      'billing(at)evil-pay(dot)example',
      'billing at evil-pay dot example',
      'billing&#64;evil-pay.example',
      fullWidth('billing@evil-pay.example'),
      'bill\u200bing@evil\u00ad-pay.example',
    ]) {
      assert.equal(normalizeValue('email', written), 'billing@evil-pay.example', written);
    }
  });

  it('URLs: scheme, defanging, host case, credentials, default port, fragment and trailing slash', () => {
    for (const written of [
      'https://collect.evil.example/in?x=1',
      'http://collect.evil.example/in/?x=1',
      'hxxps://collect[.]evil[.]example/in?x=1',
      'hxxps[:]//collect.evil.example/in?x=1',
      'HTTPS://COLLECT.EVIL.EXAMPLE/in?x=1#top',
      'https://user:secret@collect.evil.example:443/in?x=1',
      'https://www.collect.evil.example/in?x=1).',
      'https://collect.evil.example%2Fin?x=1',
      'collect.evil.example/in?x=1',
    ]) {
      assert.equal(normalizeValue('url', written), 'collect.evil.example/in?x=1', written);
    }
    assert.equal(normalizeValue('url', 'https://collect.evil.example:8443/in'), 'collect.evil.example:8443/in');
    assert.equal(normalizeValue('url', 'https://Bücher.example/'), 'xn--bcher-kva.example');
  });

  it('domains: case, www, trailing dot, internationalised names; invalid labels are refused', () => {
    assert.equal(normalizeValue('domain', 'WWW.Evil.Example.'), 'evil.example');
    assert.equal(normalizeValue('domain', 'evil(dot)example'), 'evil.example');
    assert.equal(normalizeValue('domain', '-bad.example'), null);
    assert.equal(normalizeValue('domain', 'localhost'), null);
    assert.equal(registrableDomain('mx.leakbox.example'), 'leakbox.example');
    assert.equal(registrableDomain('shop.evil.co.uk'), 'evil.co.uk');
  });

  it('paths: separators, case, repeated slashes, dot segments and URL encoding', () => {
    assert.equal(normalizeValue('path', 'C:\\Finance\\\\Payroll\\pay.xlsx'), 'c:/finance/payroll/pay.xlsx');
    assert.equal(normalizeValue('path', '/srv/app/releases/../config/./secrets.yaml'), '/srv/app/config/secrets.yaml');
    assert.equal(normalizeValue('path', '%2Fvar%2Fbackups%2Fdb.sql.gz'), '/var/backups/db.sql.gz');
    assert.equal(normalizeValue('path', '\\\\server\\share\\x.txt'), '//server/share/x.txt');
    assert.equal(normalizeValue('path', '/'), null);
  });

  it('amounts: currency, grouping, decimal comma, leading and trailing zeros', () => {
    for (const written of ['€4.870,00', '4,870.00 EUR', 'USD 4870', '04870.0', "4'870", '4 870,00']) {
      assert.equal(normalizeValue('amount', written), '4870', written);
    }
    assert.equal(normalizeValue('amount', '0.125'), '0.125');
    assert.equal(normalizeValue('amount', '1250.500'), '1250.5');
    assert.equal(normalizeValue('amount', '12,50'), '12.5');
    assert.equal(normalizeValue('amount', '-42.10'), '-42.1');
    assert.equal(normalizeValue('amount', 'twelve'), null);
  });

  it('tokens: case, dashes, underscores and dots', () => {
    assert.equal(normalizeValue('token', 'zx9-4471_qq2b'), 'ZX94471QQ2B');
    assert.equal(normalizeValue('token', 'not a token'), null);
  });
});

describe('taint text clean-up', () => {
  it('leaves escapes that do not decode to printable ASCII as they are', () => {
    assert.equal(cleanText('100%0A and %ZZ and &#0; and &#x1F600;').text, '100%0A and %ZZ and &#0; and &#x1F600;');
  });

  it('undoes two layers of URL encoding, not three', () => {
    assert.equal(cleanText('a%252540b').text, 'a%40b');
  });
});
