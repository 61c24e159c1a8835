import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { revokeAgent, revokeOperator, revokeToken } from '../../src/identity/revocation.js';
import { TokenIssuer, TokenVerifier, type RevocationReader } from '../../src/identity/tokens.js';
import type { Store } from '../../src/store/store.js';
import {
  makeConfig,
  makeKey,
  MemoryRevocations,
  openPostgresStore,
  openSqliteStore,
  rejectsWithCode,
  TestClock,
  temporaryDirectory,
} from './fixtures.js';

const POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

function setup(revocations: RevocationReader) {
  const config = makeConfig();
  const key = makeKey();
  const clock = new TestClock();
  const issuer = new TokenIssuer({ config, signingKey: key, now: clock.now });
  const verifier = new TokenVerifier({ config, publicKey: key, revocations, now: clock.now });
  return { config, key, clock, issuer, verifier };
}

describe('revocation', () => {
  it('revokes one token by id from the very next call, even with its signature cached', async () => {
    const store = new MemoryRevocations();
    const { issuer, verifier, clock } = setup(store);
    const revoked = await issuer.mintAgentToken({ agentId: 'refund-bot' });
    const sibling = await issuer.mintAgentToken({ agentId: 'refund-bot' });
    await verifier.verifyAgentToken(revoked.token);
    const record = await revokeToken(store, { tokenId: revoked.tokenId, agentId: 'refund-bot' }, 'oncall@acme', 'leaked in a log', {
      now: clock.now,
    });
    assert.deepEqual(record, {
      tokenId: revoked.tokenId,
      agentId: 'refund-bot',
      before: null,
      at: new Date(clock.now()).toISOString(),
      by: 'oncall@acme',
      reason: 'leaked in a log',
    });
    await rejectsWithCode(verifier.verifyAgentToken(revoked.token), 'AUTH_REVOKED');
    assert.equal((await verifier.verifyAgentToken(sibling.token)).tokenId, sibling.tokenId);
  });

  it('revokes every token of an agent issued up to now, and only that agent', async () => {
    const store = new MemoryRevocations();
    const { issuer, verifier, clock } = setup(store);
    const first = await issuer.mintAgentToken({ agentId: 'refund-bot' });
    clock.advanceSeconds(10);
    const second = await issuer.mintAgentToken({ agentId: 'refund-bot' });
    const otherAgent = await issuer.mintAgentToken({ agentId: 'report-bot' });
    await verifier.verifyAgentToken(first.token);
    await verifier.verifyAgentToken(second.token);
    const record = await revokeAgent(store, 'refund-bot', 'oncall@acme', 'agent compromised', { now: clock.now });
    assert.equal(record.tokenId, null);
    assert.equal(record.before, Math.floor(clock.now() / 1000));
    await rejectsWithCode(verifier.verifyAgentToken(first.token), 'AUTH_REVOKED');
    await rejectsWithCode(verifier.verifyAgentToken(second.token), 'AUTH_REVOKED');
    await verifier.verifyAgentToken(otherAgent.token);
    clock.advanceSeconds(1);
    const fresh = await issuer.mintAgentToken({ agentId: 'refund-bot' });
    assert.equal((await verifier.verifyAgentToken(fresh.token)).tokenId, fresh.tokenId);
  });

  it('revokes given only the token string, including an expired one', async () => {
    const store = new MemoryRevocations();
    const { issuer, verifier, clock } = setup(store);
    const minted = await issuer.mintAgentToken({ agentId: 'refund-bot', ttlSeconds: 60 });
    await verifier.verifyAgentToken(minted.token);
    const record = await revokeToken(store, { token: minted.token, verifier }, 'oncall@acme', 'found in a ticket', { now: clock.now });
    assert.deepEqual([record.tokenId, record.agentId], [minted.tokenId, 'refund-bot']);
    await rejectsWithCode(verifier.verifyAgentToken(minted.token), 'AUTH_REVOKED');

    const expiring = await issuer.mintAgentToken({ agentId: 'report-bot', ttlSeconds: 60 });
    clock.advanceSeconds(3600);
    await rejectsWithCode(verifier.verifyAgentToken(expiring.token), 'AUTH_EXPIRED');
    const late = await revokeToken(store, { token: expiring.token, verifier }, 'oncall@acme', 'belt and braces');
    assert.deepEqual([late.tokenId, late.agentId], [expiring.tokenId, 'report-bot']);
  });

  it('refuses to revoke from a token string whose signature does not verify, and records nothing', async () => {
    const store = new MemoryRevocations();
    const { verifier, config, clock } = setup(store);
    const forger = new TokenIssuer({ config, signingKey: makeKey(), now: clock.now });
    const forged = await forger.mintAgentToken({ agentId: 'refund-bot' });
    await rejectsWithCode(revokeToken(store, { token: forged.token, verifier }, 'oncall@acme', 'x'), 'AUTH_INVALID');
    await rejectsWithCode(revokeToken(store, { token: 'garbage', verifier }, 'oncall@acme', 'x'), 'AUTH_INVALID');
    assert.equal(store.revocations.length, 0);
  });

  it('validates its inputs', async () => {
    const store = new MemoryRevocations();
    await rejectsWithCode(revokeToken(store, { tokenId: 'short', agentId: 'refund-bot' }, 'me', 'why'), 'REQUEST_INVALID');
    await rejectsWithCode(revokeToken(store, { tokenId: 'A'.repeat(22), agentId: 'Not An Id' }, 'me', 'why'), 'REQUEST_INVALID');
    await rejectsWithCode(revokeAgent(store, 'refund-bot', '', 'why'), 'REQUEST_INVALID');
    await rejectsWithCode(revokeAgent(store, 'refund-bot', 'me', '   '), 'REQUEST_INVALID');
    await rejectsWithCode(revokeAgent(store, 'refund-bot', 'me', 'x'.repeat(1001)), 'REQUEST_INVALID');
    await rejectsWithCode(revokeAgent(store, 'operator:alice', 'me', 'why'), 'REQUEST_INVALID');
    assert.equal(store.revocations.length, 0);
  });

  it('keeps agent and operator revocations apart even when their ids are equal', async () => {
    const store = new MemoryRevocations();
    const { issuer, verifier, clock } = setup(store);
    const agentToken = await issuer.mintAgentToken({ agentId: 'alice' });
    const operatorToken = await issuer.mintOperatorToken({ operatorId: 'alice' });
    await revokeAgent(store, 'alice', 'oncall@acme', 'agent compromised', { now: clock.now });
    await rejectsWithCode(verifier.verifyAgentToken(agentToken.token), 'AUTH_REVOKED');
    assert.equal((await verifier.verifyOperatorToken(operatorToken.token)).operatorId, 'alice');
    await revokeOperator(store, 'alice', 'security@acme', 'left the company', { now: clock.now });
    await rejectsWithCode(verifier.verifyOperatorToken(operatorToken.token), 'AUTH_REVOKED');

    const another = await issuer.mintOperatorToken({ operatorId: 'root' });
    const byString = await revokeToken(store, { token: another.token, verifier }, 'security@acme', 'rotated');
    assert.equal(byString.agentId, 'operator:root');
    await rejectsWithCode(verifier.verifyOperatorToken(another.token), 'AUTH_REVOKED');
    const third = await issuer.mintOperatorToken({ operatorId: 'root' });
    await revokeToken(store, { tokenId: third.tokenId, operatorId: 'root' }, 'security@acme', 'rotated');
    await rejectsWithCode(verifier.verifyOperatorToken(third.token), 'AUTH_REVOKED');
  });
});

describe('revocation across processes sharing one database', () => {
  const opened: Store[] = [];
  after(async () => {
    for (const store of opened) await store.close();
  });

  async function revokedThroughSecondStore(serverStore: Store, cliStore: Store): Promise<void> {
    const { issuer, verifier, clock } = setup(serverStore);
    const byId = await issuer.mintAgentToken({ agentId: 'refund-bot' });
    const other = await issuer.mintAgentToken({ agentId: 'report-bot' });
    await verifier.verifyAgentToken(byId.token);
    await verifier.verifyAgentToken(other.token);
    await revokeToken(cliStore, { tokenId: byId.tokenId, agentId: 'refund-bot' }, 'cli:oncall', 'leaked');
    await rejectsWithCode(verifier.verifyAgentToken(byId.token), 'AUTH_REVOKED');
    await verifier.verifyAgentToken(other.token);
    await revokeAgent(cliStore, 'report-bot', 'cli:oncall', 'compromised', { now: clock.now });
    await rejectsWithCode(verifier.verifyAgentToken(other.token), 'AUTH_REVOKED');
  }

  it('SQLite: a revocation written by a second store instance on the same file applies on the next call', async () => {
    const path = join(temporaryDirectory(), 'interlock.db');
    const serverStore = await openSqliteStore(path);
    const cliStore = await openSqliteStore(path);
    opened.push(serverStore, cliStore);
    await revokedThroughSecondStore(serverStore, cliStore);
  });

  it('PostgreSQL: a revocation written by another replica applies on the next call', async () => {
    const schema = `identity_test_${randomBytes(6).toString('hex')}`;
    const serverStore = await openPostgresStore(POSTGRES_URL, schema);
    const cliStore = await openPostgresStore(POSTGRES_URL, schema);
    opened.push(serverStore, cliStore);
    try {
      await revokedThroughSecondStore(serverStore, cliStore);
    } finally {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });
});
