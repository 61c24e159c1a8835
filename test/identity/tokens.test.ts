import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { CompactSign, decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { TokenIssuer, TokenVerifier } from '../../src/identity/tokens.js';
import type { IdentityConfig } from '../../src/identity/identity-config.js';
import { makeConfig, makeKey, MemoryRevocations, rejectsWithCode, TestClock, type TestKey } from './fixtures.js';

interface Setup {
  readonly config: IdentityConfig;
  readonly key: TestKey;
  readonly clock: TestClock;
  readonly revocations: MemoryRevocations;
  readonly issuer: TokenIssuer;
  readonly verifier: TokenVerifier;
}

function setup(config: IdentityConfig = makeConfig()): Setup {
  const key = makeKey();
  const clock = new TestClock();
  const revocations = new MemoryRevocations();
  const issuer = new TokenIssuer({ config, signingKey: key, now: clock.now });
  const verifier = new TokenVerifier({ config, publicKey: key, revocations, now: clock.now });
  return { config, key, clock, revocations, issuer, verifier };
}

function encodeSegment(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** Signs any payload with the real identity key, to test claim checks that only run after the signature. */
async function signRaw(key: TestKey, payload: unknown, header: Record<string, unknown> = {}): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.keyId, ...header })
    .sign(key.privateKey);
}

function validClaims(clock: TestClock, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(clock.now() / 1000);
  return {
    iss: 'interlock:refunds',
    sub: 'refund-bot',
    aud: 'interlock:prod',
    env: 'prod',
    kind: 'agent',
    tenant: 'acme',
    jti: 'AAAAAAAAAAAAAAAAAAAAAA',
    iat: now,
    nbf: now,
    exp: now + 600,
    ...overrides,
  };
}

describe('agent tokens: minting', () => {
  it('mints an EdDSA JWT with the documented header and claims', async () => {
    const { issuer, key, clock } = setup();
    const minted = await issuer.mintAgentToken({ agentId: 'refund-bot' });
    const header = decodeProtectedHeader(minted.token);
    assert.deepEqual(header, { alg: 'EdDSA', typ: 'JWT', kid: key.keyId });
    const claims = decodeJwt(minted.token);
    const now = Math.floor(clock.now() / 1000);
    assert.deepEqual(
      { ...claims, jti: undefined },
      {
        iss: 'interlock:refunds',
        sub: 'refund-bot',
        aud: 'interlock:prod',
        env: 'prod',
        kind: 'agent',
        tenant: 'acme',
        jti: undefined,
        iat: now,
        nbf: now,
        exp: now + 15 * 60,
      },
    );
    assert.match(String(claims.jti), /^[A-Za-z0-9_-]{22,}$/);
    assert.equal(minted.tokenId, claims.jti);
    assert.deepEqual(
      [minted.kind, minted.subject, minted.environment, minted.issuedAt, minted.expiresAt],
      ['agent', 'refund-bot', 'prod', now, now + 900],
    );
  });

  it('gives every token a different id', async () => {
    const { issuer } = setup();
    const ids = new Set<string>();
    for (let index = 0; index < 50; index += 1) ids.add((await issuer.mintAgentToken({ agentId: 'refund-bot' })).tokenId);
    assert.equal(ids.size, 50);
  });

  it('honours an explicit lifetime up to identity.maxTokenTtl and refuses more', async () => {
    const { issuer } = setup(makeConfig({ identity: { tokenTtl: '5m', maxTokenTtl: '1h' } }));
    const minted = await issuer.mintAgentToken({ agentId: 'refund-bot', ttlSeconds: 3600 });
    assert.equal(minted.expiresAt - minted.issuedAt, 3600);
    const byDefault = await issuer.mintAgentToken({ agentId: 'refund-bot' });
    assert.equal(byDefault.expiresAt - byDefault.issuedAt, 300);
    await rejectsWithCode(issuer.mintAgentToken({ agentId: 'refund-bot', ttlSeconds: 3601 }), 'REQUEST_INVALID', /maxTokenTtl/);
    await rejectsWithCode(issuer.mintAgentToken({ agentId: 'refund-bot', ttlSeconds: 0 }), 'REQUEST_INVALID');
    await rejectsWithCode(issuer.mintAgentToken({ agentId: 'refund-bot', ttlSeconds: 1.5 }), 'REQUEST_INVALID');
  });

  it('refuses a default lifetime above the maximum at construction', () => {
    const config = makeConfig({ identity: { tokenTtl: '2h', maxTokenTtl: '1h' } });
    assert.throws(() => new TokenIssuer({ config, signingKey: makeKey() }), { code: 'CONFIG_INVALID' });
  });

  it('refuses unknown agents and environments other than the agent’s own', async () => {
    const { issuer } = setup();
    await rejectsWithCode(issuer.mintAgentToken({ agentId: 'ghost' }), 'AGENT_UNKNOWN');
    await rejectsWithCode(issuer.mintAgentToken({ agentId: '__proto__' }), 'AGENT_UNKNOWN');
    await rejectsWithCode(issuer.mintAgentToken({ agentId: 'refund-bot', environment: 'staging' }), 'AUTH_WRONG_ENVIRONMENT');
    const staging = await issuer.mintAgentToken({ agentId: 'staging-bot' });
    assert.equal(decodeJwt(staging.token).aud, 'interlock:staging');
  });
});

describe('agent tokens: verification', () => {
  it('round-trips a minted token', async () => {
    const { issuer, verifier } = setup();
    const minted = await issuer.mintAgentToken({ agentId: 'refund-bot' });
    const verified = await verifier.verifyAgentToken(minted.token);
    assert.equal(verified.kind, 'agent');
    assert.equal(verified.tokenId, minted.tokenId);
    assert.equal(verified.agent.id, 'refund-bot');
    assert.equal(verified.agent.tenant, 'acme');
    assert.equal(verified.environment, 'prod');
    assert.deepEqual([verified.issuedAt, verified.expiresAt], [minted.issuedAt, minted.expiresAt]);
  });

  it('refuses an expired token, allowing at most 5 seconds of clock skew, even from the cache', async () => {
    const { issuer, verifier, clock } = setup();
    const minted = await issuer.mintAgentToken({ agentId: 'refund-bot', ttlSeconds: 60 });
    await verifier.verifyAgentToken(minted.token);
    clock.advanceSeconds(64);
    await verifier.verifyAgentToken(minted.token);
    clock.advanceSeconds(1);
    const error = await rejectsWithCode(verifier.verifyAgentToken(minted.token), 'AUTH_EXPIRED');
    assert.deepEqual(error.details, { reason: 'expired' });
  });

  it('refuses a token that is not valid yet', async () => {
    const { config, key, clock, revocations } = setup();
    const futureClock = new TestClock();
    futureClock.advanceSeconds(30);
    const issuer = new TokenIssuer({ config, signingKey: key, now: futureClock.now });
    const verifier = new TokenVerifier({ config, publicKey: key, revocations, now: clock.now });
    const minted = await issuer.mintAgentToken({ agentId: 'refund-bot' });
    const error = await rejectsWithCode(verifier.verifyAgentToken(minted.token), 'AUTH_EXPIRED', /not valid yet/);
    assert.deepEqual(error.details, { reason: 'not_yet_valid' });
    clock.advanceSeconds(26);
    await verifier.verifyAgentToken(minted.token);
  });

  it('refuses a staging token at a prod deployment as AUTH_WRONG_ENVIRONMENT', async () => {
    const { issuer, verifier } = setup();
    const staging = await issuer.mintAgentToken({ agentId: 'staging-bot' });
    await rejectsWithCode(verifier.verifyAgentToken(staging.token), 'AUTH_WRONG_ENVIRONMENT', /"staging".*"prod"/);
  });

  it('accepts the same staging token at a staging deployment', async () => {
    const { issuer, key, revocations, clock } = setup();
    const staging = await issuer.mintAgentToken({ agentId: 'staging-bot' });
    const stagingVerifier = new TokenVerifier({
      config: makeConfig({ environment: 'staging' }),
      publicKey: key,
      revocations,
      now: clock.now,
    });
    assert.equal((await stagingVerifier.verifyAgentToken(staging.token)).agent.id, 'staging-bot');
  });

  it('refuses a token signed by another Ed25519 key, under our key id or its own', async () => {
    const { config, key, clock, verifier } = setup();
    const intruder = makeKey();
    const underOurKeyId = new TokenIssuer({ config, signingKey: { keyId: key.keyId, privateKey: intruder.privateKey }, now: clock.now });
    await rejectsWithCode(
      verifier.verifyAgentToken((await underOurKeyId.mintAgentToken({ agentId: 'refund-bot' })).token),
      'AUTH_INVALID',
      /signature/,
    );
    const underItsOwnKeyId = new TokenIssuer({ config, signingKey: intruder, now: clock.now });
    await rejectsWithCode(
      verifier.verifyAgentToken((await underItsOwnKeyId.mintAgentToken({ agentId: 'refund-bot' })).token),
      'AUTH_INVALID',
      /known identity key/,
    );
  });

  it('refuses alg none and HS256 keyed with the public key', async () => {
    const { key, clock, verifier } = setup();
    const claims = validClaims(clock);
    const unsigned = `${encodeSegment({ alg: 'none', kid: key.keyId })}.${encodeSegment(claims)}.`;
    await rejectsWithCode(verifier.verifyAgentToken(unsigned), 'AUTH_INVALID');
    const unsignedWithJunk = `${encodeSegment({ alg: 'none', kid: key.keyId })}.${encodeSegment(claims)}.AAAA`;
    await rejectsWithCode(verifier.verifyAgentToken(unsignedWithJunk), 'AUTH_INVALID', /algorithm/);
    const pem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const der = key.publicKey.export({ type: 'spki', format: 'der' });
    for (const secret of [new TextEncoder().encode(pem), new Uint8Array(der)]) {
      const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: key.keyId }).sign(secret);
      await rejectsWithCode(verifier.verifyAgentToken(hmac), 'AUTH_INVALID', /algorithm/);
    }
  });

  it('refuses a tampered payload, also when the original is in the cache', async () => {
    const { issuer, verifier } = setup();
    const minted = await issuer.mintAgentToken({ agentId: 'refund-bot' });
    await verifier.verifyAgentToken(minted.token);
    const [header, payload, signature] = minted.token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    const tampered = `${header}.${encodeSegment({ ...claims, tenant: 'globex' })}.${signature}`;
    await rejectsWithCode(verifier.verifyAgentToken(tampered), 'AUTH_INVALID', /signature/);
    const resigned = `${header}.${payload}.${(signature ?? '').slice(0, -2)}AA`;
    if (resigned !== minted.token) await rejectsWithCode(verifier.verifyAgentToken(resigned), 'AUTH_INVALID');
  });

  it('refuses a token for an agent that is not configured at the verifier', async () => {
    const { key, clock, revocations } = setup();
    const issuingConfig = makeConfig();
    const servingConfig = makeConfig({
      agents: [{ id: 'report-bot', tenant: 'globex', owner: 'data-team', environment: 'prod', stage: 'pilot' }],
    });
    const issuer = new TokenIssuer({ config: issuingConfig, signingKey: key, now: clock.now });
    const verifier = new TokenVerifier({ config: servingConfig, publicKey: key, revocations, now: clock.now });
    await rejectsWithCode(verifier.verifyAgentToken((await issuer.mintAgentToken({ agentId: 'refund-bot' })).token), 'AGENT_UNKNOWN');
  });

  it('refuses a token whose agent moved to another tenant after minting', async () => {
    const { issuer, key, clock, revocations } = setup();
    const minted = await issuer.mintAgentToken({ agentId: 'refund-bot' });
    const moved = makeConfig({
      agents: [{ id: 'refund-bot', tenant: 'globex', owner: 'payments-team', environment: 'prod', stage: 'governed' }],
    });
    const verifier = new TokenVerifier({ config: moved, publicKey: key, revocations, now: clock.now });
    await rejectsWithCode(verifier.verifyAgentToken(minted.token), 'AUTH_INVALID', /tenant/);
  });

  it('refuses a token from another project signed with the same key', async () => {
    const { key, clock, verifier, revocations } = setup();
    const other = new TokenIssuer({ config: makeConfig({ project: 'billing' }), signingKey: key, now: clock.now });
    await rejectsWithCode(
      verifier.verifyAgentToken((await other.mintAgentToken({ agentId: 'refund-bot' })).token),
      'AUTH_INVALID',
      /another project/,
    );
    assert.equal(revocations.isRevokedCalls, 0);
  });

  it('refuses garbage of every kind with AUTH_INVALID and nothing else', async () => {
    const { key, verifier } = setup();
    const garbage: unknown[] = [
      '',
      'abc',
      'a.b',
      'a.b.c',
      '...',
      'a..c',
      '!!!.@@@.###',
      'eyJ.eyJ.eyJ',
      `${encodeSegment('not json')}.${encodeSegment('{}')}.AAAA`,
      `${encodeSegment([1, 2])}.${encodeSegment('{}')}.AAAA`,
      `${encodeSegment({ alg: 'EdDSA', kid: 42 })}.${encodeSegment('{}')}.AAAA`,
      `${encodeSegment({ alg: 'EdDSA' })}.${encodeSegment('{}')}.AAAA`,
      `${encodeSegment({ alg: 'EdDSA', kid: key.keyId })}.${encodeSegment('{}')}.AAAA`,
      `${encodeSegment({ alg: 'EdDSA', kid: key.keyId, crit: ['b64'], b64: false })}.x.AAAA`,
      `${encodeSegment({ alg: 'EdDSA', kid: 'x'.repeat(7000) })}.e30.AAAA`,
      `${'A'.repeat(100 * 1024)}.${'B'.repeat(10)}.${'C'.repeat(10)}`,
      'x'.repeat(100 * 1024),
      'Bearer abc.def.ghi',
      ' a.b.c',
      42,
      null,
      undefined,
      { token: 'a.b.c' },
      ['a', 'b', 'c'],
    ];
    for (const value of garbage) {
      await rejectsWithCode(verifier.verifyAgentToken(value as string), 'AUTH_INVALID');
      await rejectsWithCode(verifier.verifyOperatorToken(value as string), 'AUTH_INVALID');
      await rejectsWithCode(verifier.readSignedClaims(value as string), 'AUTH_INVALID');
    }
  });

  it('refuses a 100 KB token before decoding it', async () => {
    const { key, clock, verifier } = setup();
    const huge = await signRaw(key, { ...validClaims(clock), padding: 'x'.repeat(100 * 1024) });
    await rejectsWithCode(verifier.verifyAgentToken(huge), 'AUTH_INVALID', /longer than 8192/);
  });

  it('refuses correctly signed claims of the wrong types or shape', async () => {
    const { key, clock, verifier } = setup();
    const now = Math.floor(clock.now() / 1000);
    const variants: Array<Record<string, unknown>> = [
      { exp: String(now + 600) },
      { exp: now + 600.5 },
      { iat: -1 },
      { sub: 42 },
      { sub: 'Refund Bot' },
      { tenant: ['acme'] },
      { tenant: null },
      { kind: 'admin' },
      { env: 'production' },
      { aud: ['interlock:prod'] },
      { jti: 'short' },
      { jti: 7 },
      { jti: undefined },
      { extra: true },
      { __proto__: { kind: 'operator' }, roles: ['admin'] },
    ];
    for (const variant of variants) {
      const claims = { ...validClaims(clock), ...variant };
      for (const [name, value] of Object.entries(variant)) if (value === undefined) delete claims[name];
      await rejectsWithCode(verifier.verifyAgentToken(await signRaw(key, claims)), 'AUTH_INVALID', /malformed/);
    }
    const notJson = await new CompactSign(new TextEncoder().encode('not json'))
      .setProtectedHeader({ alg: 'EdDSA', kid: key.keyId })
      .sign(key.privateKey);
    await rejectsWithCode(verifier.verifyAgentToken(notJson), 'AUTH_INVALID', /not JSON/);
    const arrayPayload = await signRaw(key, [validClaims(clock)]);
    await rejectsWithCode(verifier.verifyAgentToken(arrayPayload), 'AUTH_INVALID');
  });

  it('refuses signed claims whose audience contradicts the environment or whose lifetime is too long', async () => {
    const { key, clock, verifier } = setup();
    const now = Math.floor(clock.now() / 1000);
    await rejectsWithCode(
      verifier.verifyAgentToken(await signRaw(key, validClaims(clock, { aud: 'interlock:staging' }))),
      'AUTH_INVALID',
      /audience/,
    );
    await rejectsWithCode(
      verifier.verifyAgentToken(await signRaw(key, validClaims(clock, { exp: now + 25 * 3600 }))),
      'AUTH_INVALID',
      /lifetime/,
    );
    await rejectsWithCode(verifier.verifyAgentToken(await signRaw(key, validClaims(clock, { exp: now }))), 'AUTH_INVALID', /lifetime/);
  });

  it('accepts tokens of a rotated-out key only while that key is listed as a previous key', async () => {
    const { config, clock, revocations } = setup();
    const oldKey = makeKey();
    const newKey = makeKey();
    const oldIssuer = new TokenIssuer({ config, signingKey: oldKey, now: clock.now });
    const minted = await oldIssuer.mintAgentToken({ agentId: 'refund-bot' });
    const withPrevious = new TokenVerifier({ config, publicKey: newKey, previousPublicKeys: [oldKey], revocations, now: clock.now });
    assert.equal((await withPrevious.verifyAgentToken(minted.token)).agent.id, 'refund-bot');
    const withoutPrevious = new TokenVerifier({ config, publicKey: newKey, revocations, now: clock.now });
    await rejectsWithCode(withoutPrevious.verifyAgentToken(minted.token), 'AUTH_INVALID');
  });

  it('refuses a verification key that is not an Ed25519 public key', () => {
    const key = makeKey();
    assert.throws(
      () =>
        new TokenVerifier({
          config: makeConfig(),
          publicKey: { keyId: key.keyId, publicKey: key.privateKey },
          revocations: new MemoryRevocations(),
        }),
      {
        code: 'CONFIG_INVALID',
      },
    );
  });

  it('checks revocation on every call, cached or not, and fails closed when the store is down', async () => {
    const { config, key, clock, issuer } = setup();
    const revocations = new MemoryRevocations();
    const verifier = new TokenVerifier({ config, publicKey: key, revocations, now: clock.now });
    const minted = await issuer.mintAgentToken({ agentId: 'refund-bot' });
    await verifier.verifyAgentToken(minted.token);
    await verifier.verifyAgentToken(minted.token);
    await verifier.verifyAgentToken(minted.token);
    assert.equal(revocations.isRevokedCalls, 3);
    const broken = new TokenVerifier({
      config,
      publicKey: key,
      now: clock.now,
      revocations: {
        isRevoked: async () => {
          throw new Error('connection refused to db.internal:5432 with password hunter2');
        },
      },
    });
    const error = await rejectsWithCode(broken.verifyAgentToken(minted.token), 'STORE_UNAVAILABLE');
    assert.doesNotMatch(error.message, /hunter2|db\.internal/);
  });

  it('verifies identically with the cache disabled', async () => {
    const { config, key, clock, issuer, revocations } = setup();
    const uncached = new TokenVerifier({ config, publicKey: key, revocations, now: clock.now, cacheSize: 0 });
    const minted = await issuer.mintAgentToken({ agentId: 'refund-bot' });
    assert.equal((await uncached.verifyAgentToken(minted.token)).tokenId, minted.tokenId);
    assert.equal((await uncached.verifyAgentToken(minted.token)).tokenId, minted.tokenId);
  });
});

describe('operator tokens', () => {
  it('round-trips roles and tenants', async () => {
    const { issuer, verifier } = setup();
    const minted = await issuer.mintOperatorToken({ operatorId: 'alice' });
    const claims = decodeJwt(minted.token);
    assert.deepEqual(
      [claims.kind, claims.sub, claims.roles, claims.tenants, claims.aud],
      ['operator', 'alice', ['auditor', 'admin'], ['acme'], 'interlock:prod'],
    );
    const verified = await verifier.verifyOperatorToken(minted.token);
    assert.deepEqual(
      { ...verified },
      {
        kind: 'operator',
        tokenId: minted.tokenId,
        operatorId: 'alice',
        roles: ['auditor', 'admin'],
        tenants: ['acme'],
        issuedAt: minted.issuedAt,
        expiresAt: minted.expiresAt,
      },
    );
    const root = await verifier.verifyOperatorToken((await issuer.mintOperatorToken({ operatorId: 'root' })).token);
    assert.equal(root.tenants, '*');
  });

  it('never grants more than the current configuration grants', async () => {
    const { issuer, key, clock, revocations } = setup();
    const minted = await issuer.mintOperatorToken({ operatorId: 'alice' });
    const demoted = makeConfig({ operators: [{ id: 'alice', tenants: ['globex'], roles: ['auditor'] }] });
    const verifier = new TokenVerifier({ config: demoted, publicKey: key, revocations, now: clock.now });
    const verified = await verifier.verifyOperatorToken(minted.token);
    assert.deepEqual([verified.roles, verified.tenants], [['auditor'], []]);
    const removed = new TokenVerifier({ config: makeConfig({ operators: [] }), publicKey: key, revocations, now: clock.now });
    await rejectsWithCode(removed.verifyOperatorToken(minted.token), 'AUTH_INVALID', /operator/);
  });

  it('refuses an unknown operator at minting', async () => {
    const { issuer } = setup();
    await rejectsWithCode(issuer.mintOperatorToken({ operatorId: 'mallory' }), 'REQUEST_INVALID');
  });

  it('is refused as an agent token, and an agent token is refused as an operator token', async () => {
    const { issuer, verifier } = setup();
    const operator = await issuer.mintOperatorToken({ operatorId: 'alice' });
    const agent = await issuer.mintAgentToken({ agentId: 'alice' });
    await rejectsWithCode(verifier.verifyAgentToken(operator.token), 'AUTH_INVALID', /operator tokens/);
    await rejectsWithCode(verifier.verifyOperatorToken(agent.token), 'AUTH_INVALID', /agent tokens/);
  });
});
