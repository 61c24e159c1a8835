import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { IdentityConfig } from '../../src/identity/identity-config.js';
import { createIdentityServices, type IdentityServices } from '../../src/identity/identity-services.js';
import type { Credential } from '../../src/identity/principal.js';
import { revokeAgent } from '../../src/identity/revocation.js';
import { makeConfig, MemoryRevocations, rejectsWithCode, TestClock, temporaryDirectory } from './fixtures.js';

interface World {
  readonly services: IdentityServices;
  readonly ssoKey: CryptoKey;
  readonly clock: TestClock;
  readonly revocations: MemoryRevocations;
  readonly projectDir: string;
}

async function world(config: IdentityConfig = makeConfig()): Promise<World> {
  const projectDir = temporaryDirectory();
  const sso = await generateKeyPair('ES256', { extractable: true });
  mkdirSync(join(projectDir, 'trust'));
  writeFileSync(join(projectDir, 'trust', 'sso.pub.pem'), await exportSPKI(sso.publicKey));
  const clock = new TestClock();
  const revocations = new MemoryRevocations();
  const services = await createIdentityServices({
    config: {
      ...config,
      dataDir: '.interlock',
      identity: {
        ...config.identity,
        trustedIssuers: [
          {
            id: 'sso',
            issuer: 'https://sso.example',
            audience: 'interlock',
            requireAgentBinding: false,
            publicKey: 'file:trust/sso.pub.pem',
          },
        ],
      },
    },
    projectDir,
    revocations,
    now: clock.now,
  });
  return { services, ssoKey: sso.privateKey, clock, revocations, projectDir };
}

async function userAssertion(world: World, claims: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(world.clock.now() / 1000);
  return new SignJWT({ iss: 'https://sso.example', aud: 'interlock', sub: 'user-42', tenant: 'acme', roles: ['support'], ...claims })
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(world.ssoKey);
}

describe('authenticator', () => {
  it('creates and reuses the identity key under the data directory', async () => {
    const first = await world();
    assert.ok(existsSync(join(first.projectDir, '.interlock', 'keys', 'identity.key.pem')));
    const again = await createIdentityServices({
      config: { ...makeConfig(), dataDir: '.interlock' },
      projectDir: first.projectDir,
      revocations: first.revocations,
    });
    assert.equal(again.signingKey.keyId, first.services.signingKey.keyId);
  });

  it('turns an agent token into a principal with the agent’s configured stage and owner', async () => {
    const { services } = await world();
    const minted = await services.issuer.mintAgentToken({ agentId: 'refund-bot' });
    const principal = await services.authenticator.authenticate({ kind: 'token', token: minted.token }, undefined);
    assert.deepEqual(principal, {
      agent: {
        agentId: 'refund-bot',
        tenant: 'acme',
        environment: 'prod',
        stage: 'governed',
        owner: 'payments-team',
        tokenId: minted.tokenId,
      },
      actingFor: null,
    });
  });

  it('adds the verified user the agent acts for', async () => {
    const setup = await world();
    const minted = await setup.services.issuer.mintAgentToken({ agentId: 'refund-bot' });
    const principal = await setup.services.authenticator.authenticate({ kind: 'token', token: minted.token }, await userAssertion(setup));
    assert.deepEqual(principal.actingFor, { userId: 'user-42', tenant: 'acme', roles: ['support'], issuer: 'sso' });
    await rejectsWithCode(
      setup.services.authenticator.authenticate({ kind: 'token', token: minted.token }, await userAssertion(setup, { tenant: 'globex' })),
      'TENANT_MISMATCH',
    );
    await rejectsWithCode(setup.services.authenticator.authenticate({ kind: 'token', token: minted.token }, ''), 'USER_ASSERTION_INVALID');
    await rejectsWithCode(
      setup.services.authenticator.authenticate({ kind: 'token', token: minted.token }, 'user-42'),
      'USER_ASSERTION_INVALID',
    );
  });

  it('trusts in-process callers for configured agents of this environment only', async () => {
    const setup = await world();
    const principal = await setup.services.authenticator.authenticate(
      { kind: 'in_process', agentId: 'report-bot' },
      await userAssertion(setup, { tenant: 'globex' }),
    );
    assert.deepEqual(principal.agent, {
      agentId: 'report-bot',
      tenant: 'globex',
      environment: 'prod',
      stage: 'pilot',
      owner: 'data-team',
      tokenId: null,
    });
    assert.equal(principal.actingFor?.tenant, 'globex');
    await rejectsWithCode(setup.services.authenticator.authenticate({ kind: 'in_process', agentId: 'ghost' }, undefined), 'AGENT_UNKNOWN');
    await rejectsWithCode(
      setup.services.authenticator.authenticate({ kind: 'in_process', agentId: 'constructor' }, undefined),
      'AGENT_UNKNOWN',
    );
    await rejectsWithCode(
      setup.services.authenticator.authenticate({ kind: 'in_process', agentId: 'staging-bot' }, undefined),
      'AUTH_WRONG_ENVIRONMENT',
    );
  });

  it('refuses missing and malformed credentials with typed errors', async () => {
    const { services } = await world();
    await rejectsWithCode(services.authenticator.authenticate({ kind: 'token', token: '' }, undefined), 'AUTH_MISSING');
    await rejectsWithCode(services.authenticator.authenticate(null as unknown as Credential, undefined), 'AUTH_MISSING');
    await rejectsWithCode(
      services.authenticator.authenticate({ kind: 'password', secret: 'x' } as unknown as Credential, undefined),
      'AUTH_INVALID',
    );
    await rejectsWithCode(services.authenticator.authenticate({ kind: 'token', token: 'not-a-jwt' }, undefined), 'AUTH_INVALID');
    await rejectsWithCode(services.authenticator.authenticateOperator(''), 'AUTH_MISSING');
  });

  it('never accepts an operator token for tool calls, nor an agent token for operator endpoints', async () => {
    const { services } = await world();
    const operator = await services.issuer.mintOperatorToken({ operatorId: 'alice' });
    const agent = await services.issuer.mintAgentToken({ agentId: 'alice' });
    await rejectsWithCode(services.authenticator.authenticate({ kind: 'token', token: operator.token }, undefined), 'AUTH_INVALID');
    await rejectsWithCode(services.authenticator.authenticateOperator(agent.token), 'AUTH_INVALID');
    assert.deepEqual(await services.authenticator.authenticateOperator(operator.token), {
      operatorId: 'alice',
      roles: ['auditor', 'admin'],
      tenants: ['acme'],
      tokenId: operator.tokenId,
    });
  });

  it('stops authenticating a revoked agent on the next call', async () => {
    const { services, revocations, clock } = await world();
    const minted = await services.issuer.mintAgentToken({ agentId: 'refund-bot' });
    await services.authenticator.authenticate({ kind: 'token', token: minted.token }, undefined);
    await revokeAgent(revocations, 'refund-bot', 'oncall@acme', 'compromised', { now: clock.now });
    await rejectsWithCode(services.authenticator.authenticate({ kind: 'token', token: minted.token }, undefined), 'AUTH_REVOKED');
  });
});
