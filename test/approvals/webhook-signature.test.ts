import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { isInterlockError } from '../../src/errors/interlock-error.js';
import { signWebhook, verifyWebhook } from '../../src/approvals/webhook-signature.js';

const SECRET = 'interlock-test-secret';
const BODY = '{"schemaVersion":1,"type":"approval.requested"}';
const SIGNED_AT = 1_700_000_000;
/** HMAC-SHA256 of `1700000000.<BODY>` keyed with SECRET, computed outside this code base. */
const EXPECTED_HEX = '9b024e598a4019778b4e0085e56445e184d1e48698f3bb7602c7c1e27fe9fd1b';
const at = (seconds: number) => () => seconds * 1000;

describe('webhook signatures', () => {
  test('signWebhook gives t=<seconds>,v1=<HMAC-SHA256 of "<t>.<body>"> in hex', () => {
    assert.equal(signWebhook(BODY, SECRET, SIGNED_AT), `t=${SIGNED_AT},v1=${EXPECTED_HEX}`);
  });

  test('a fresh signature verifies, with the body as a string or as raw bytes', () => {
    const header = signWebhook(BODY, SECRET, SIGNED_AT);
    assert.equal(verifyWebhook(BODY, header, SECRET, { now: at(SIGNED_AT + 10) }), true);
    assert.equal(verifyWebhook(new TextEncoder().encode(BODY), header, SECRET, { now: at(SIGNED_AT) }), true);
  });

  test('a tampered body, a wrong secret or an edited timestamp does not verify', () => {
    const header = signWebhook(BODY, SECRET, SIGNED_AT);
    const now = at(SIGNED_AT);
    assert.equal(verifyWebhook(BODY.replace('requested', 'granted'), header, SECRET, { now }), false);
    assert.equal(verifyWebhook(`${BODY} `, header, SECRET, { now }), false);
    assert.equal(verifyWebhook(BODY, header, 'another-secret', { now }), false);
    assert.equal(verifyWebhook(BODY, header, '', { now }), false);
    assert.equal(verifyWebhook(BODY, header.replace(`t=${SIGNED_AT}`, `t=${SIGNED_AT + 1}`), SECRET, { now }), false);
  });

  test('a timestamp outside the tolerance, in the past or the future, does not verify', () => {
    const header = signWebhook(BODY, SECRET, SIGNED_AT);
    assert.equal(verifyWebhook(BODY, header, SECRET, { now: at(SIGNED_AT + 300) }), true);
    assert.equal(verifyWebhook(BODY, header, SECRET, { now: at(SIGNED_AT + 301) }), false);
    assert.equal(verifyWebhook(BODY, header, SECRET, { now: at(SIGNED_AT - 301) }), false);
    assert.equal(verifyWebhook(BODY, header, SECRET, { now: at(SIGNED_AT + 3600) }), false);
    assert.equal(verifyWebhook(BODY, header, SECRET, { now: at(SIGNED_AT + 3600), toleranceSeconds: 3600 }), true);
    assert.equal(verifyWebhook(BODY, header, SECRET, { now: at(SIGNED_AT + 1), toleranceSeconds: 0 }), false);
  });

  test('with no clock given, the current time is used', () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    assert.equal(verifyWebhook(BODY, signWebhook(BODY, SECRET, nowSeconds), SECRET), true);
    assert.equal(verifyWebhook(BODY, signWebhook(BODY, SECRET, nowSeconds - 3600), SECRET), false);
  });

  test('malformed, missing or repeated headers do not verify, and never throw', () => {
    const now = at(SIGNED_AT);
    const valid = `v1=${EXPECTED_HEX}`;
    const malformed: Array<string | string[] | undefined> = [
      undefined,
      '',
      'garbage',
      `${EXPECTED_HEX}`,
      `t=${SIGNED_AT}`,
      valid,
      `t=${SIGNED_AT},v1=`,
      `t=${SIGNED_AT},v1=${EXPECTED_HEX.slice(0, 62)}`,
      `t=${SIGNED_AT},v1=${EXPECTED_HEX.toUpperCase()}`,
      `t=${SIGNED_AT},v1=${EXPECTED_HEX}00`,
      `t=${SIGNED_AT},v1=${'z'.repeat(64)}`,
      `t=abc,${valid}`,
      `t=-${SIGNED_AT},${valid}`,
      `t=${SIGNED_AT}.5,${valid}`,
      `t=${SIGNED_AT},t=${SIGNED_AT},${valid}`,
      `t=${SIGNED_AT};${valid}`,
      `t=${SIGNED_AT},,${valid}`,
      `=${SIGNED_AT},${valid}`,
      `t=${SIGNED_AT},${valid},x=${'a'.repeat(4096)}`,
      [`t=${SIGNED_AT},${valid}`, `t=${SIGNED_AT},${valid}`],
    ];
    for (const header of malformed) {
      assert.equal(verifyWebhook(BODY, header, SECRET, { now }), false, `header ${JSON.stringify(header)?.slice(0, 80)}`);
    }
    // The same pieces, well formed, do verify: the cases above fail for their form alone.
    assert.equal(verifyWebhook(BODY, `t=${SIGNED_AT},${valid}`, SECRET, { now }), true);
  });

  test('any matching v1 among several verifies; entries of other schemes are ignored', () => {
    const now = at(SIGNED_AT);
    const other = signWebhook(BODY, 'previous-secret', SIGNED_AT).split(',')[1] ?? '';
    assert.equal(verifyWebhook(BODY, `t=${SIGNED_AT},${other},v1=${EXPECTED_HEX}`, SECRET, { now }), true);
    assert.equal(verifyWebhook(BODY, `t=${SIGNED_AT}, v1=${EXPECTED_HEX}, v2=future-scheme`, SECRET, { now }), true);
    assert.equal(verifyWebhook(BODY, `t=${SIGNED_AT},${other}`, SECRET, { now }), false);
    assert.equal(verifyWebhook(BODY, `t=${SIGNED_AT},v0=${EXPECTED_HEX}`, SECRET, { now }), false);
  });

  test('signWebhook refuses an empty secret and a timestamp that is not whole seconds', () => {
    for (const [secret, seconds] of [
      ['', SIGNED_AT],
      [SECRET, 1.5],
      [SECRET, -1],
      [SECRET, Number.NaN],
    ] as const) {
      assert.throws(
        () => signWebhook(BODY, secret, seconds),
        (error: unknown) => isInterlockError(error) && !error.message.includes(SECRET),
      );
    }
  });
});
