import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { InterlockError } from '../../src/errors/interlock-error.js';
import { REDACTED, Redactor, TRUNCATED } from '../../src/redaction/redactor.js';
import { findSecretPattern, SECRET_PATTERNS } from '../../src/redaction/secret-patterns.js';

const KNOWN = 'pa55-Word-very-secret-value';

/** One sample per pattern id; built by concatenation so no literal credential sits in the source. */
const PATTERN_SAMPLES: Record<string, string> = {
  private_key_block: `key: -----BEGIN ${'RSA '}PRIVATE KEY-----\nMIIEowIBAAKCAQEA${'x'.repeat(40)}\n-----END RSA PRIVATE KEY----- done`,
  aws_access_key_id: `id=${'AKIA'}${'ABCDEFGHIJKLMNOP'} ok`,
  github_token: `token ${'ghp_'}${'a1B2c3D4e5'.repeat(4)} ok`,
  slack_token: `slack ${'xoxb-'}123456789012-abcdefABCDEF ok`,
  slack_webhook: `post to https://hooks.slack.com/services/${'T0000/B0000/'}${'XXXXXXXXXXXXXXXXXXXXXXXX'} now`,
  stripe_key: `stripe ${'sk_live_'}${'4eC39HqLyjWDarjtT1zdp7dc'} ok`,
  google_api_key: `maps ${'AIza'}${'SyA-1234567890abcdefghijklmnopqrstu'} ok`,
  sk_key: `openai ${'sk-'}proj-${'abcdefghijklmnopqrstuvwx'} ok`,
  json_web_token: `jwt ${'eyJ'}hbGciOiJIUzI1NiJ9.${'eyJ'}zdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U ok`,
  bearer_credential: `Authorization: Bearer ${'abcdefghijklmnop0123456789'}`,
  basic_credential: `Authorization: Basic ${'dXNlcjpwYXNzd29yZDEyMw=='}`,
  url_password: `connect postgres://admin:${'hunter2hunter2'}@db.internal:5432/app`,
  credential_assignment: `db_password=${'correct-horse-battery'} next`,
};

/** The part of each sample that is the secret and must not survive. */
const SECRET_PARTS: Record<string, string> = {
  private_key_block: 'MIIEowIBAAKCAQEA',
  aws_access_key_id: 'ABCDEFGHIJKLMNOP',
  github_token: 'a1B2c3D4e5a1B2c3D4e5',
  slack_token: '123456789012-abcdefABCDEF',
  slack_webhook: 'XXXXXXXXXXXXXXXXXXXXXXXX',
  stripe_key: '4eC39HqLyjWDarjtT1zdp7dc',
  google_api_key: 'SyA-1234567890abcdefghijklmnopqrstu',
  sk_key: 'abcdefghijklmnopqrstuvwx',
  json_web_token: 'dozjgNryP4J3jVmNHl0w5N',
  bearer_credential: 'abcdefghijklmnop0123456789',
  basic_credential: 'dXNlcjpwYXNzd29yZDEyMw',
  url_password: 'hunter2hunter2',
  credential_assignment: 'correct-horse-battery',
};

describe('Redactor', () => {
  it('has a sample for every pattern, and each sample is caught by its own pattern', () => {
    assert.deepEqual(Object.keys(PATTERN_SAMPLES).sort(), SECRET_PATTERNS.map((pattern) => pattern.id).sort());
    const redactor = new Redactor();
    for (const [id, sample] of Object.entries(PATTERN_SAMPLES)) {
      const secret = SECRET_PARTS[id] ?? '';
      const { value, redactions } = redactor.redact({ text: sample });
      const text = (value as { text: string }).text;
      assert.ok(!text.includes(secret), `${id}: ${text}`);
      assert.ok(text.includes(REDACTED), id);
      assert.ok(
        redactions.some((redaction) => redaction.detail === id && redaction.reason === 'secret_pattern' && redaction.path === 'text'),
        `${id}: ${JSON.stringify(redactions)}`,
      );
      assert.ok(!JSON.stringify(redactions).includes(secret), id);
      assert.equal(findSecretPattern(sample)?.id !== undefined, true, id);
    }
  });

  it('keeps the non-secret part of a match: key names, URL users, the auth scheme', () => {
    const redactor = new Redactor();
    assert.equal(redactor.redactText(PATTERN_SAMPLES['url_password'] ?? ''), `connect postgres://admin:${REDACTED}@db.internal:5432/app`);
    assert.equal(redactor.redactText(PATTERN_SAMPLES['credential_assignment'] ?? ''), `db_password=${REDACTED} next`);
    assert.equal(redactor.redactText('{"client_secret": "two words"}'), `{"client_secret": "${REDACTED}"}`);
    assert.equal(redactor.redactText(PATTERN_SAMPLES['bearer_credential'] ?? ''), `Authorization: Bearer ${REDACTED}`);
    assert.equal(redactor.redactText('api_key: abcd1234 and token=xyz987'), `api_key: ${REDACTED} and token=${REDACTED}`);
  });

  it('leaves ordinary prose and near misses alone', () => {
    const redactor = new Redactor();
    for (const text of [
      'max_tokens: 1024 and input_tokens=12',
      'please reset my password tomorrow',
      'password_hint=blue',
      'the sk-short key',
      'https://example.com/path?q=1',
      'Basic plan costs 10',
      'refund 42.50 EUR to order 1234',
    ]) {
      assert.equal(redactor.redactText(text), text, text);
    }
    const { value, redactions } = redactor.redact({ usage: { tokens: 12, token_count: 3 }, note: 'ok' });
    assert.deepEqual(value, { usage: { tokens: 12, token_count: 3 }, note: 'ok' });
    assert.deepEqual(redactions, []);
  });

  it('replaces known secret values anywhere, at any depth, inside longer strings', () => {
    const redactor = new Redactor({ knownSecrets: new Set([KNOWN]) });
    const input = {
      list: [['deep', { inner: `prefix ${KNOWN} middle ${KNOWN} suffix` }]],
      url: `https://x.test/?k=${encodeURIComponent(KNOWN)}`,
      plain: 'nothing here',
    };
    const { value, redactions } = redactor.redact(input);
    assert.deepEqual(value, {
      list: [['deep', { inner: `prefix ${REDACTED} middle ${REDACTED} suffix` }]],
      url: `https://x.test/?k=${REDACTED}`,
      plain: 'nothing here',
    });
    assert.deepEqual(redactions, [
      { path: 'list.0.1.inner', reason: 'secret_value', detail: 'known_secret_value' },
      { path: 'url', reason: 'secret_value', detail: 'known_secret_value' },
    ]);
    assert.ok(!JSON.stringify(redactions).includes(KNOWN));
    assert.equal(redactor.redactText(`error: login failed with ${KNOWN}`), `error: login failed with ${REDACTED}`);
  });

  it('picks up secrets resolved after it was built, and ignores values too short to scrub', () => {
    const live = new Set<string>(['short']);
    const redactor = new Redactor({ knownSecrets: live });
    assert.equal(redactor.redactText('a short note'), 'a short note');
    live.add('late-resolved-secret');
    assert.equal(redactor.redactText('x late-resolved-secret y'), `x ${REDACTED} y`);
  });

  it('redacts configured field paths, with * matching one segment or index', () => {
    const redactor = new Redactor({ fieldPaths: ['arguments.card_number', 'result.*.email', 'result.*.address.*'] });
    const input = {
      arguments: { card_number: 4111111111111111, amount: 10, nested: { card_number: 'kept: not at the path' } },
      result: [
        { email: 'a@example.com', name: 'A', address: { street: 'Main', city: 'X' } },
        { email: { primary: 'b@example.com' }, name: 'B' },
      ],
    };
    const { value, redactions } = redactor.redact(input);
    assert.deepEqual(value, {
      arguments: { card_number: REDACTED, amount: 10, nested: { card_number: 'kept: not at the path' } },
      result: [
        { email: REDACTED, name: 'A', address: { street: REDACTED, city: REDACTED } },
        { email: REDACTED, name: 'B' },
      ],
    });
    assert.deepEqual(
      redactions.map((redaction) => `${redaction.path}|${redaction.reason}|${redaction.detail ?? ''}`),
      [
        'arguments.card_number|configured_field|arguments.card_number',
        'result.0.email|configured_field|result.*.email',
        'result.0.address.street|configured_field|result.*.address.*',
        'result.0.address.city|configured_field|result.*.address.*',
        'result.1.email|configured_field|result.*.email',
      ],
    );
  });

  it('rejects malformed field paths with a typed error', () => {
    assert.throws(
      () => new Redactor({ fieldPaths: ['a..b'] }),
      (error: unknown) => error instanceof InterlockError && error.code === 'CONFIG_INVALID',
    );
    assert.throws(() => new Redactor({ fieldPaths: ['.a'] }), InterlockError);
  });

  it('redacts string values under credential-named keys, and can be told not to', () => {
    const input = {
      password: 'hunter2',
      apiKey: 'plain-looking',
      Authorization: 'whatever',
      tokens: 'ok',
      nested: [{ clientSecret: 'abc' }],
    };
    const { value, redactions } = new Redactor().redact(input);
    assert.deepEqual(value, {
      password: REDACTED,
      apiKey: REDACTED,
      Authorization: REDACTED,
      tokens: 'ok',
      nested: [{ clientSecret: REDACTED }],
    });
    assert.deepEqual(
      redactions.map((redaction) => redaction.path),
      ['password', 'apiKey', 'Authorization', 'nested.0.clientSecret'],
    );
    assert.ok(redactions.every((redaction) => redaction.reason === 'secret_pattern' && redaction.detail === 'credential_field_name'));
    assert.deepEqual(new Redactor({ redactCredentialFields: false }).redact({ password: 'hunter2' }).value, { password: 'hunter2' });
  });

  it('scrubs secrets used as object keys', () => {
    const redactor = new Redactor({ knownSecrets: new Set([KNOWN]) });
    const { value, redactions } = redactor.redact({ [KNOWN]: 1, [`x-${KNOWN}`]: 2 });
    assert.ok(!JSON.stringify(value).includes(KNOWN));
    assert.deepEqual(Object.values(value as object), [1, 2]);
    assert.equal(redactions.length, 2);
    assert.ok(!JSON.stringify(redactions).includes(KNOWN));
  });

  it('never mutates its input and returns a deep copy', () => {
    const input = { a: { password: 'hunter2', list: [{ text: PATTERN_SAMPLES['stripe_key'] }] } };
    const snapshot = structuredClone(input);
    const { value } = new Redactor().redact(input);
    assert.deepEqual(input, snapshot);
    assert.notEqual((value as typeof input).a, input.a);
    assert.notEqual((value as typeof input).a.list, input.a.list);
  });

  it('bounds depth, keeps hostile keys as plain data, and converts Dates', () => {
    let deep: unknown = { leaf: 'x' };
    for (let level = 0; level < 100; level += 1) deep = { next: deep };
    const { value, redactions } = new Redactor({ maxDepth: 10 }).redact(deep);
    let cursor = value as Record<string, unknown>;
    for (let level = 0; level < 9; level += 1) cursor = cursor['next'] as Record<string, unknown>;
    assert.equal(cursor['next'], TRUNCATED);
    assert.deepEqual(redactions, [
      { path: 'next.next.next.next.next.next.next.next.next.next', reason: 'configured_field', detail: 'max_depth' },
    ]);

    const hostile = JSON.parse('{"__proto__": {"polluted": true}}') as object;
    const copy = new Redactor().redact(hostile).value as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.deepEqual(Object.keys(copy), ['__proto__']);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);

    assert.deepEqual(new Redactor().redact({ at: new Date('2024-01-01T00:00:00.000Z') }).value, { at: '2024-01-01T00:00:00.000Z' });
  });

  it('does not record a redaction twice when text is already redacted', () => {
    const redactor = new Redactor();
    const once = redactor.redactText('password=hunter2hunter2');
    assert.equal(redactor.redactText(once), once);
    assert.deepEqual(redactor.redact({ log: once }).redactions, []);
  });
});
