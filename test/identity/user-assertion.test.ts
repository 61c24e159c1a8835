import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { projectSchema, type TrustedIssuerConfig } from '../../src/config/schema.js';
import { UserAssertionVerifier } from '../../src/identity/user-assertion.js';
import { rejectsWithCode, TestClock, temporaryDirectory } from './fixtures.js';

type Algorithm = 'EdDSA' | 'ES256' | 'RS256';

interface IssuerKeys {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

const refundBot = { agentId: 'refund-bot', tenant: 'acme' };

function issuerConfig(fields: Record<string, unknown>): TrustedIssuerConfig {
  const parsed = projectSchema.parse({
    version: 1,
    project: 'refunds',
    environment: 'prod',
    tenants: [{ id: 'acme' }],
    policy: { bundle: 'policies' },
    identity: { trustedIssuers: [fields] },
  });
  const [issuer] = parsed.identity.trustedIssuers;
  assert.ok(issuer);
  return issuer;
}

async function keys(algorithm: Algorithm): Promise<IssuerKeys> {
  return generateKeyPair(algorithm, { extractable: true });
}

/** Signs a user assertion the way an identity provider would. */
async function assertion(
  key: CryptoKey,
  algorithm: Algorithm,
  claims: JWTPayload,
  options: { kid?: string; lifetime?: number | null; now: number },
): Promise<string> {
  const nowSeconds = Math.floor(options.now / 1000);
  const jwt = new SignJWT({ tenant: 'acme', roles: ['support'], ...claims })
    .setProtectedHeader({ alg: algorithm, ...(options.kid === undefined ? {} : { kid: options.kid }) })
    .setIssuedAt(nowSeconds);
  if (options.lifetime !== null) jwt.setExpirationTime(nowSeconds + (options.lifetime ?? 600));
  return jwt.sign(key);
}

describe('user assertions', () => {
  const clock = new TestClock();
  const projectDir = temporaryDirectory();
  const issued: Partial<Record<Algorithm, IssuerKeys>> = {};
  let jwksKeys: IssuerKeys;
  let jwksSecondKey: IssuerKeys;
  let verifier: UserAssertionVerifier;

  before(async () => {
    mkdirSync(join(projectDir, 'keys'));
    const issuers: TrustedIssuerConfig[] = [];
    for (const algorithm of ['EdDSA', 'ES256', 'RS256'] as const) {
      const pair = await keys(algorithm);
      issued[algorithm] = pair;
      writeFileSync(join(projectDir, 'keys', `${algorithm}.pub.pem`), await exportSPKI(pair.publicKey));
      issuers.push(
        issuerConfig({
          id: `sso-${algorithm.toLowerCase()}`,
          issuer: `https://sso-${algorithm.toLowerCase()}.example`,
          publicKey: `file:keys/${algorithm}.pub.pem`,
        }),
      );
    }
    jwksKeys = await keys('ES256');
    jwksSecondKey = await keys('EdDSA');
    const jwks = {
      keys: [
        { ...(await exportJWK(jwksKeys.publicKey)), kid: 'es-1', alg: 'ES256', use: 'sig' },
        { ...(await exportJWK(jwksSecondKey.publicKey)), kid: 'ed-1', alg: 'EdDSA', use: 'sig' },
      ],
    };
    writeFileSync(join(projectDir, 'keys', 'idp.jwks.json'), JSON.stringify(jwks));
    issuers.push(
      issuerConfig({ id: 'corporate-idp', issuer: 'https://idp.example', audience: 'interlock-refunds', jwks: 'file:keys/idp.jwks.json' }),
    );
    verifier = await UserAssertionVerifier.load({ issuers, projectDir, now: clock.now });
  });

  function pemKey(algorithm: Algorithm): CryptoKey {
    const pair = issued[algorithm];
    assert.ok(pair);
    return pair.privateKey;
  }

  it('accepts assertions from PEM issuers of each key type', async () => {
    for (const algorithm of ['EdDSA', 'ES256', 'RS256'] as const) {
      const name = algorithm.toLowerCase();
      const token = await assertion(
        pemKey(algorithm),
        algorithm,
        { iss: `https://sso-${name}.example`, aud: 'interlock', sub: 'user-42' },
        { now: clock.now() },
      );
      const user = await verifier.verify(token, refundBot);
      assert.deepEqual({ ...user }, { userId: 'user-42', tenant: 'acme', roles: ['support'], issuer: `sso-${name}` });
    }
  });

  it('accepts assertions from a JWKS issuer, picking the key by kid', async () => {
    const es = await assertion(
      jwksKeys.privateKey,
      'ES256',
      { iss: 'https://idp.example', aud: 'interlock-refunds', sub: 'user-7', roles: undefined },
      { kid: 'es-1', now: clock.now() },
    );
    assert.deepEqual(
      { ...(await verifier.verify(es, refundBot)) },
      { userId: 'user-7', tenant: 'acme', roles: [], issuer: 'corporate-idp' },
    );
    const ed = await assertion(
      jwksSecondKey.privateKey,
      'EdDSA',
      { iss: 'https://idp.example', aud: ['interlock-refunds', 'other'], sub: 'user-8' },
      { kid: 'ed-1', now: clock.now() },
    );
    assert.equal((await verifier.verify(ed, refundBot)).userId, 'user-8');
    const wrongKid = await assertion(
      jwksKeys.privateKey,
      'ES256',
      { iss: 'https://idp.example', aud: 'interlock-refunds', sub: 'user-7' },
      { kid: 'ed-1', now: clock.now() },
    );
    await rejectsWithCode(verifier.verify(wrongKid, refundBot), 'USER_ASSERTION_INVALID');
  });

  it('refuses expired assertions, assertions without exp, and lifetimes above one hour', async () => {
    const claims = { iss: 'https://sso-eddsa.example', aud: 'interlock', sub: 'user-42' };
    const past = clock.now() - 3600 * 1000;
    await rejectsWithCode(
      verifier.verify(await assertion(pemKey('EdDSA'), 'EdDSA', claims, { now: past, lifetime: 600 }), refundBot),
      'USER_ASSERTION_INVALID',
      /expired/,
    );
    await rejectsWithCode(
      verifier.verify(await assertion(pemKey('EdDSA'), 'EdDSA', claims, { now: clock.now(), lifetime: null }), refundBot),
      'USER_ASSERTION_INVALID',
      /"exp" is missing/,
    );
    await rejectsWithCode(
      verifier.verify(await assertion(pemKey('EdDSA'), 'EdDSA', claims, { now: clock.now(), lifetime: 2 * 3600 }), refundBot),
      'USER_ASSERTION_INVALID',
      /lifetime/,
    );
    const future = clock.now() + 120 * 1000;
    await rejectsWithCode(
      verifier.verify(
        await assertion(pemKey('EdDSA'), 'EdDSA', { ...claims, nbf: Math.floor(future / 1000) }, { now: clock.now() }),
        refundBot,
      ),
      'USER_ASSERTION_INVALID',
      /not valid yet/,
    );
  });

  it('refuses untrusted issuers, including a trusted issuer name signed by an unknown key', async () => {
    const stranger = await keys('EdDSA');
    await rejectsWithCode(
      verifier.verify(
        await assertion(
          stranger.privateKey,
          'EdDSA',
          { iss: 'https://evil.example', aud: 'interlock', sub: 'user-42' },
          { now: clock.now() },
        ),
        refundBot,
      ),
      'USER_ASSERTION_INVALID',
      /issuer is not trusted/,
    );
    await rejectsWithCode(
      verifier.verify(
        await assertion(
          stranger.privateKey,
          'EdDSA',
          { iss: 'https://sso-eddsa.example', aud: 'interlock', sub: 'user-42' },
          { now: clock.now() },
        ),
        refundBot,
      ),
      'USER_ASSERTION_INVALID',
      /signature/,
    );
    await rejectsWithCode(
      verifier.verify(await assertion(pemKey('EdDSA'), 'EdDSA', { aud: 'interlock', sub: 'user-42' }, { now: clock.now() }), refundBot),
      'USER_ASSERTION_INVALID',
      /issuer is not trusted/,
    );
  });

  it('pins the algorithm to the issuer key type', async () => {
    const pem = await exportSPKI(issued.ES256?.publicKey ?? assert.fail('missing key'));
    const hmac = await new SignJWT({ iss: 'https://sso-es256.example', aud: 'interlock', sub: 'user-42', tenant: 'acme' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(clock.now() / 1000) + 600)
      .sign(new TextEncoder().encode(pem));
    await rejectsWithCode(verifier.verify(hmac, refundBot), 'USER_ASSERTION_INVALID', /algorithm/);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: 'https://sso-es256.example', aud: 'interlock', sub: 'u', tenant: 'acme', exp: 9999999999 })).toString('base64url')}.AAAA`;
    await rejectsWithCode(verifier.verify(unsigned, refundBot), 'USER_ASSERTION_INVALID');
  });

  it('refuses the wrong audience', async () => {
    await rejectsWithCode(
      verifier.verify(
        await assertion(
          pemKey('EdDSA'),
          'EdDSA',
          { iss: 'https://sso-eddsa.example', aud: 'some-other-app', sub: 'user-42' },
          { now: clock.now() },
        ),
        refundBot,
      ),
      'USER_ASSERTION_INVALID',
      /audience/,
    );
    await rejectsWithCode(
      verifier.verify(
        await assertion(
          jwksKeys.privateKey,
          'ES256',
          { iss: 'https://idp.example', aud: 'interlock', sub: 'user-42' },
          { kid: 'es-1', now: clock.now() },
        ),
        refundBot,
      ),
      'USER_ASSERTION_INVALID',
      /audience/,
    );
  });

  it('refuses a user of another tenant as TENANT_MISMATCH', async () => {
    const token = await assertion(
      pemKey('EdDSA'),
      'EdDSA',
      { iss: 'https://sso-eddsa.example', aud: 'interlock', sub: 'user-42', tenant: 'globex' },
      { now: clock.now() },
    );
    await rejectsWithCode(verifier.verify(token, refundBot), 'TENANT_MISMATCH');
    assert.equal((await verifier.verify(token, { agentId: 'report-bot', tenant: 'globex' })).tenant, 'globex');
  });

  it('binds an assertion naming an agent (azp or act) to that agent', async () => {
    const base = { iss: 'https://sso-eddsa.example', aud: 'interlock', sub: 'user-42' };
    const forRefundBot = await assertion(pemKey('EdDSA'), 'EdDSA', { ...base, azp: 'refund-bot' }, { now: clock.now() });
    assert.equal((await verifier.verify(forRefundBot, refundBot)).userId, 'user-42');
    await rejectsWithCode(verifier.verify(forRefundBot, { agentId: 'alice', tenant: 'acme' }), 'USER_ASSERTION_INVALID', /another agent/);
    const actor = await assertion(pemKey('EdDSA'), 'EdDSA', { ...base, act: { sub: 'report-bot' } }, { now: clock.now() });
    await rejectsWithCode(verifier.verify(actor, refundBot), 'USER_ASSERTION_INVALID', /another agent/);
    const actorString = await assertion(pemKey('EdDSA'), 'EdDSA', { ...base, act: 'refund-bot' }, { now: clock.now() });
    assert.equal((await verifier.verify(actorString, refundBot)).userId, 'user-42');
    const malformedActor = await assertion(pemKey('EdDSA'), 'EdDSA', { ...base, act: { sub: 7 } }, { now: clock.now() });
    await rejectsWithCode(verifier.verify(malformedActor, refundBot), 'USER_ASSERTION_INVALID', /act/);
  });

  it('refuses claims of the wrong types, without echoing them', async () => {
    const base = { iss: 'https://sso-eddsa.example', aud: 'interlock', sub: 'user-42' };
    const variants: JWTPayload[] = [
      { roles: 'admin' },
      { roles: [1] },
      { roles: Array.from({ length: 65 }, (_, index) => `r${index}`) },
      { tenant: 'ACME secret' },
      { tenant: ['acme'] },
      { sub: '' },
      { sub: 'x'.repeat(300) },
    ];
    for (const variant of variants) {
      const error = await rejectsWithCode(
        verifier.verify(await assertion(pemKey('EdDSA'), 'EdDSA', { ...base, ...variant }, { now: clock.now() }), refundBot),
        'USER_ASSERTION_INVALID',
      );
      assert.doesNotMatch(error.message, /secret|xxxx/);
    }
    const noTenant = await new SignJWT({ ...base })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setExpirationTime(Math.floor(clock.now() / 1000) + 60)
      .sign(pemKey('EdDSA'));
    await rejectsWithCode(verifier.verify(noTenant, refundBot), 'USER_ASSERTION_INVALID', /"tenant" is missing/);
  });

  it('refuses garbage and oversized input', async () => {
    for (const value of ['', 'abc', 'a.b.c', '!!.!!.!!', 'x'.repeat(100 * 1024), 42, null]) {
      await rejectsWithCode(verifier.verify(value as string, refundBot), 'USER_ASSERTION_INVALID');
    }
  });
});

describe('trusted issuer configuration', () => {
  it('reports unreadable or unsafe key files as CONFIG_INVALID', async () => {
    const projectDir = temporaryDirectory();
    const load = (fields: Record<string, unknown>) =>
      UserAssertionVerifier.load({ issuers: [issuerConfig({ id: 'sso', issuer: 'https://sso.example', ...fields })], projectDir });
    await rejectsWithCode(load({ publicKey: 'file:missing.pem' }), 'CONFIG_INVALID', /cannot be read/);
    writeFileSync(join(projectDir, 'not-a-key.pem'), 'hello');
    await rejectsWithCode(load({ publicKey: 'file:not-a-key.pem' }), 'CONFIG_INVALID', /PEM/);
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    writeFileSync(join(projectDir, 'weak.pem'), weak.publicKey.export({ type: 'spki', format: 'pem' }));
    await rejectsWithCode(load({ publicKey: 'file:weak.pem' }), 'CONFIG_INVALID', /2048/);
    const pair = await generateKeyPair('ES256', { extractable: true });
    writeFileSync(join(projectDir, 'private.jwks.json'), JSON.stringify({ keys: [await exportJWK(pair.privateKey)] }));
    await rejectsWithCode(load({ jwks: 'file:private.jwks.json' }), 'CONFIG_INVALID', /private/);
    writeFileSync(join(projectDir, 'empty.jwks.json'), '{"keys": []}');
    await rejectsWithCode(load({ jwks: 'file:empty.jwks.json' }), 'CONFIG_INVALID', /no keys/);
    writeFileSync(join(projectDir, 'broken.jwks.json'), '{');
    await rejectsWithCode(load({ jwks: 'file:broken.jwks.json' }), 'CONFIG_INVALID', /not JSON/);
  });
});

describe('issuer scope', () => {
  const clock = new TestClock();
  const projectDir = temporaryDirectory();
  let pair: IssuerKeys;

  before(async () => {
    pair = await keys('EdDSA');
    writeFileSync(join(projectDir, 'scoped.pub.pem'), await exportSPKI(pair.publicKey));
  });

  const load = (fields: Record<string, unknown>) =>
    UserAssertionVerifier.load({
      issuers: [issuerConfig({ id: 'globex-sso', issuer: 'https://sso.globex.example', publicKey: 'file:scoped.pub.pem', ...fields })],
      projectDir,
      now: clock.now,
    });
  const sign = (claims: JWTPayload) =>
    assertion(
      pair.privateKey,
      'EdDSA',
      { iss: 'https://sso.globex.example', aud: 'interlock', sub: 'mallory', ...claims },
      { now: clock.now() },
    );

  it("an issuer limited to some tenants cannot assert another tenant's users", async () => {
    const verifier = await load({ tenants: ['globex'] });
    await rejectsWithCode(verifier.verify(await sign({ tenant: 'acme', roles: ['support'] }), refundBot), 'TENANT_MISMATCH');
  });

  it('an issuer that requires agent binding refuses assertions any agent could replay', async () => {
    const verifier = await load({ requireAgentBinding: true });
    await rejectsWithCode(verifier.verify(await sign({}), refundBot), 'USER_ASSERTION_INVALID');
    const bound = await verifier.verify(await sign({ azp: 'refund-bot' }), refundBot);
    assert.equal(bound.userId, 'mallory');
  });
});
