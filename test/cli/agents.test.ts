/**
 * `interlock agents token` and `agents revoke` against a running server: revocation written by one
 * process is enforced by another on its very next call, and is itself evidence in the audit log.
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { openStore } from '../../src/store/open-store.js';
import {
  cliOutput,
  copyRefundsExample,
  ensureBuilt,
  LOOKUP,
  mintAgentToken,
  postCall,
  removeDirectory,
  runCli,
  startServer,
  type ServerProcess,
} from './interlock-process.js';

before(() => ensureBuilt());

describe('interlock agents token', () => {
  const project = copyRefundsExample('agents-token');
  after(() => removeDirectory(project));

  test('mints a token for the agent in its own environment; --json prints id, expiry and token', async () => {
    const minted = await runCli(['agents', 'token', '--project', project, '--agent', 'support-bot', '--ttl', '5m', '--json']);
    assert.equal(minted.code, 0, minted.stderr);
    const parsed = JSON.parse(minted.stdout) as { token: string; tokenId: string; expiresAt: number; subject: string; environment: string };
    assert.equal(parsed.subject, 'support-bot');
    assert.equal(parsed.environment, 'prod');
    const claims = decodeJwt(parsed.token);
    assert.equal(claims.jti, parsed.tokenId);
    assert.equal(claims.exp, parsed.expiresAt);
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 300, '--ttl 5m');
    assert.match(minted.stderr, new RegExp(`token ${parsed.tokenId} for agent support-bot in prod, expires `));
  });

  test('an unknown agent is refused with AGENT_UNKNOWN (exit 2)', async () => {
    const result = await runCli(['agents', 'token', '--project', project, '--agent', 'nobody']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /AGENT_UNKNOWN/);
    assert.equal(result.stdout, '', 'no token printed');
  });

  test('a token for another environment than the agent is configured for is refused (exit 2)', async () => {
    const result = await runCli(['agents', 'token', '--project', project, '--agent', 'support-bot', '--env', 'staging']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /AUTH_WRONG_ENVIRONMENT: agent "support-bot" is configured for environment "prod"/);
    assert.equal(result.stdout, '');
  });

  test('a malformed --ttl is a usage error naming the value (exit 2)', async () => {
    const result = await runCli(['agents', 'token', '--project', project, '--agent', 'support-bot', '--ttl', 'soon']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /REQUEST_INVALID: --ttl "soon" is not a duration/);
  });

  test('revoke needs exactly one of --agent or --token, and a configured agent', async () => {
    const [neither, both, unknown] = await Promise.all([
      runCli(['agents', 'revoke', '--project', project, '--reason', 'test']),
      runCli(['agents', 'revoke', '--project', project, '--reason', 'test', '--agent', 'support-bot', '--token', 'x']),
      runCli(['agents', 'revoke', '--project', project, '--reason', 'test', '--agent', 'nobody']),
    ]);
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /REQUEST_INVALID: give exactly one of --agent/);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /REQUEST_INVALID: give exactly one of --agent/);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /AGENT_UNKNOWN/);
  });
});

describe('interlock agents revoke against a running server', () => {
  const project = copyRefundsExample('agents-revoke');
  let server: ServerProcess;
  before(async () => {
    server = await startServer(project);
  });
  after(async () => {
    await server.stop('SIGTERM');
    removeDirectory(project);
  });

  const lookup = (token: string) => postCall(server.url, token, { ...LOOKUP });

  test('revoking an agent refuses its earlier tokens on the very next call; others and later tokens work; every revocation is audited', async () => {
    const [earlier, otherAgent] = await Promise.all([mintAgentToken(project, 'support-bot'), mintAgentToken(project, 'globex-assistant')]);
    assert.equal((await lookup(earlier)).body.status, 'executed', 'valid before the revocation');

    const revoked = await runCli([
      'agents',
      'revoke',
      '--project',
      project,
      '--agent',
      'support-bot',
      '--reason',
      'test',
      '--by',
      'on-call',
    ]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const upTo = /issued up to (\S+Z)/.exec(revoked.stdout)?.[1];
    assert.ok(upTo !== undefined, revoked.stdout);

    const refused = await lookup(earlier);
    assert.equal(refused.httpStatus, 401, JSON.stringify(refused.body));
    assert.equal(refused.body.error?.code, 'AUTH_REVOKED');
    assert.equal(refused.body.status, 'refused');
    assert.equal((await lookup(otherAgent)).body.status, 'executed', 'another agent is unaffected');

    // Tokens issued in the same second as the revocation are revoked too (iat has one-second precision).
    const waitMs = Date.parse(upTo) + 1000 - Date.now() + 50;
    if (waitMs > 0) await sleep(waitMs);
    const later = await mintAgentToken(project, 'support-bot');
    const afterRevocation = await lookup(later);
    assert.equal(afterRevocation.httpStatus, 200, JSON.stringify(afterRevocation.body));

    // Revoking one token by value leaves its siblings valid.
    const sibling = await mintAgentToken(project, 'support-bot');
    const oneToken = await runCli(['agents', 'revoke', '--project', project, '--token', later, '--reason', 'leaked in a log']);
    assert.equal(oneToken.code, 0, oneToken.stderr);
    const laterId = String(decodeJwt(later).jti);
    assert.match(oneToken.stdout, new RegExp(`revoked token ${laterId} of support-bot`));
    assert.equal((await lookup(later)).body.error?.code, 'AUTH_REVOKED');
    assert.equal((await lookup(sibling)).body.status, 'executed', 'the sibling token still works');

    // Both revocations are in the chain, interleaved with the server's own events, and the chain verifies.
    const verify = await runCli(['audit', 'verify', '--project', project]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const store = await openStore({ driver: 'sqlite', path: join(project, '.interlock', 'interlock.db'), durability: 'durable' });
    try {
      const events = await store.listAuditEvents({ type: 'token.revoked', limit: 10 });
      const bodies = events.map((event) => JSON.parse(event.body) as { agent: string; tenant: string; data: Record<string, unknown> });
      assert.equal(bodies.length, 2);
      assert.deepEqual(
        bodies.map((body) => ({
          agent: body.agent,
          tenant: body.tenant,
          tokenId: body.data['tokenId'],
          by: body.data['by'],
          reason: body.data['reason'],
        })),
        [
          { agent: 'support-bot', tenant: 'acme', tokenId: null, by: 'on-call', reason: 'test' },
          { agent: 'support-bot', tenant: 'acme', tokenId: laterId, by: process.env['USER'] ?? 'operator', reason: 'leaked in a log' },
        ],
      );
      assert.equal(typeof bodies[0]?.data['before'], 'number');
      const refusals = await store.listAuditEvents({ type: 'call.refused', limit: 10 });
      assert.equal(
        refusals.filter((event) => (JSON.parse(event.body) as { data: { code: string } }).data.code === 'AUTH_REVOKED').length,
        2,
      );
    } finally {
      await store.close();
    }
  });

  test('an operator token reads the revocation through the HTTP API', async () => {
    const operator = await cliOutput(['operators', 'token', '--project', project, '--operator', 'auditor']);
    const response = await fetch(`${server.url}/v1/audit?type=token.revoked`, { headers: { authorization: `Bearer ${operator}` } });
    assert.equal(response.status, 200);
    const page = (await response.json()) as { events: Array<{ seq: number; event: { type: string; agent: string } }> };
    assert.equal(page.events.length, 2, JSON.stringify(page));
    assert.ok(page.events.every((entry) => entry.event.type === 'token.revoked' && entry.event.agent === 'support-bot'));
  });
});
