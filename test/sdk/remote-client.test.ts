/**
 * InterlockClient against a real server on port 0: calls return outcomes as data, the evidence
 * endpoints read traces, the audit log and its verification, and transport problems are typed.
 */
import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { openRuntime, type Runtime } from '../../src/runtime/open-runtime.js';
import { InterlockClient, InterlockRemoteError } from '../../src/sdk/remote-client.js';
import { buildServer } from '../../src/server/app.js';
import { copyRefundsExample, removeDirectory } from '../cli/interlock-process.js';
import { demoUserAssertion } from './demo-user.js';

interface AuditEntry {
  readonly seq: number;
  readonly event: { readonly type: string; readonly agent: string | null; readonly tenant: string | null; readonly traceId: string | null };
}

async function remoteError(promise: Promise<unknown>): Promise<InterlockRemoteError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof InterlockRemoteError, `expected an InterlockRemoteError, got ${String(error)}`);
    return error;
  }
  assert.fail('the request succeeded');
}

describe('SDK: InterlockClient against a served runtime', () => {
  const project = copyRefundsExample('remote-client');
  let runtime: Runtime;
  let app: FastifyInstance;
  let baseUrl: string;
  let agent: InterlockClient;
  let globex: InterlockClient;
  let operator: InterlockClient;

  before(async () => {
    runtime = await openRuntime(project, {
      loadHandlers: true,
      processMetrics: false,
      logStream: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
    });
    app = buildServer(runtime.serverServices());
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    const issuer = runtime.identity.issuer;
    agent = new InterlockClient({ baseUrl: `${baseUrl}/`, token: (await issuer.mintAgentToken({ agentId: 'support-bot' })).token });
    globex = new InterlockClient({ baseUrl, token: (await issuer.mintAgentToken({ agentId: 'globex-assistant' })).token });
    operator = new InterlockClient({ baseUrl, token: (await issuer.mintOperatorToken({ operatorId: 'auditor' })).token });
  });
  after(async () => {
    await app.close();
    await runtime.close();
    removeDirectory(project);
  });

  test('an allowed call executes and returns the governed result', async () => {
    const outcome = await agent.call({ tool: 'orders', operation: 'lookup', arguments: { order_id: 'o-1001' }, traceId: 'remote-1' });
    assert.equal(outcome.status, 'executed');
    assert.equal(outcome.traceId, 'remote-1');
    assert.match(outcome.callId ?? '', /^[0-9a-f-]{36}$/);
    const result = outcome.result as { customer: { phone: string; email: string } };
    assert.equal(result.customer.phone, '[REDACTED]');
    assert.equal(result.customer.email, 'dana@example.com');
  });

  test('policy outcomes come back as data, not exceptions', async () => {
    const alice = await demoUserAssertion(project, 'alice', ['support']);
    const denied = await agent.call({
      tool: 'orders',
      operation: 'delete',
      arguments: { order_id: 'o-1001' },
      traceId: 'remote-1',
      idempotencyKey: 'remote-delete-1',
    });
    assert.equal(denied.status, 'denied');
    assert.equal(denied.error?.code, 'POLICY_DENIED');
    assert.equal(denied.error?.status, 403);
    assert.equal(denied.error?.retryable, false);
    assert.equal(typeof denied.callId, 'string');

    const approval = await agent.call({
      tool: 'refunds',
      operation: 'create',
      arguments: { order_id: 'o-1001', amount_cents: 12000, reason: 'lost' },
      actingFor: alice,
      traceId: 'remote-1',
      idempotencyKey: 'remote-refund-large',
    });
    assert.equal(approval.status, 'approval_required');
    assert.equal(approval.error?.code, 'APPROVAL_REQUIRED');
    assert.equal(approval.error?.details?.['approverRole'], 'finance-approver');

    const refundRequest = {
      tool: 'refunds',
      operation: 'create',
      arguments: { order_id: 'o-1001', amount_cents: 1200, reason: 'damaged' },
      actingFor: alice,
      traceId: 'remote-1',
      idempotencyKey: 'remote-refund-small',
    };
    const refund = await agent.call(refundRequest);
    assert.equal(refund.status, 'executed');
    assert.equal(refund.idempotencyKey, 'remote-refund-small');
    // A retry (say, after a lost response, from a fresh trace) is answered from the first outcome: one refund.
    const retry = await agent.call({ ...refundRequest, traceId: 'remote-1-retry' });
    assert.equal(retry.status, 'executed');
    assert.equal(retry.replayed, true);
    assert.equal(retry.callId, refund.callId);
  });

  test('authentication failures are refusals with a stable code', async () => {
    const stranger = new InterlockClient({ baseUrl, token: 'not-a-token' });
    const refused = await stranger.call({ tool: 'orders', operation: 'lookup', arguments: { order_id: 'o-1001' } });
    assert.equal(refused.status, 'refused');
    assert.equal(refused.error?.code, 'AUTH_INVALID');
    assert.equal(refused.error?.status, 401);
    const invalid = await agent.call({ tool: 'orders', operation: 'lookup', arguments: { order_id: 'DROP TABLE' } });
    assert.equal(invalid.status, 'refused');
    assert.equal(invalid.error?.code, 'ARGUMENTS_INVALID');
  });

  test('trace() tells the story of every call in the trace, in order', async () => {
    const story = (await operator.trace('remote-1')) as {
      traceId: string;
      eventCount: number;
      calls: Array<{ tool: string; operation: string; status: string; decision: { kind: string } | null; steps: Array<{ type: string }> }>;
    };
    assert.equal(story.traceId, 'remote-1');
    assert.deepEqual(
      story.calls.map((call) => `${call.tool}.${call.operation}:${call.status}:${call.decision?.kind ?? '-'}`),
      [
        'orders.lookup:executed:allow',
        'orders.delete:denied:deny',
        'refunds.create:approval_required:require_approval',
        'refunds.create:executed:allow',
      ],
    );
    assert.deepEqual(
      story.calls[0]?.steps.map((step) => step.type),
      ['call.received', 'decision.made', 'tool.executed', 'call.completed'],
    );
    // The approval request and the executed write's compensation record are steps of their calls.
    assert.equal(story.eventCount, 4 + 3 + 4 + 5);
    // The agent may read its own trace too; another tenant's agent may not see it.
    assert.equal(((await agent.trace('remote-1')) as { calls: unknown[] }).calls.length, 4);
    const hidden = await remoteError(globex.trace('remote-1'));
    assert.equal(hidden.code, 'NOT_FOUND');
    assert.equal(hidden.status, 404);
  });

  test('audit() reads events with filters, scoped to what the token may see', async () => {
    const completed = await operator.audit({ type: 'call.completed', traceId: 'remote-1' });
    assert.equal(completed.events.length, 4);
    assert.ok(
      (completed.events as AuditEntry[]).every((entry) => entry.event.type === 'call.completed' && entry.event.traceId === 'remote-1'),
    );

    await globex.call({ tool: 'orders', operation: 'lookup', arguments: { order_id: 'o-1002' }, traceId: 'remote-globex' });
    const ownOnly = (await globex.audit()).events as AuditEntry[];
    assert.ok(ownOnly.length >= 4);
    assert.ok(
      ownOnly.every((entry) => entry.event.agent === 'globex-assistant' && entry.event.tenant === 'globex'),
      'an agent sees only its own events',
    );
    const crossing = await remoteError(globex.audit({ tenant: 'acme' }));
    assert.equal(crossing.code, 'FORBIDDEN');
    assert.equal(crossing.status, 403);
  });

  test('audit() pages with limit and the returned cursor', async () => {
    const first = await operator.audit({ limit: 3 });
    assert.equal(first.events.length, 3);
    assert.equal(typeof first.nextCursor, 'number');
    const second = await operator.audit({ limit: 3, after: first.nextCursor ?? 0 });
    const seqs = [...(first.events as AuditEntry[]), ...(second.events as AuditEntry[])].map((entry) => entry.seq);
    assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6]);
  });

  test('verify() reports an intact chain to an all-tenant operator and refuses agents', async () => {
    const report = await operator.verify();
    assert.equal(report.ok, true);
    assert.deepEqual(report['findings'], []);
    assert.ok(Number(report['eventCount']) >= 15);
    const refused = await remoteError(agent.verify());
    assert.equal(refused.code, 'FORBIDDEN');
  });

  test('an unreachable server is a typed, retryable transport error', async () => {
    const probe = buildServer(runtime.serverServices());
    const address = await probe.listen({ host: '127.0.0.1', port: 0 });
    await probe.close();
    const gone = new InterlockClient({ baseUrl: address, token: 'x', timeoutMs: 2000 });
    const error = await remoteError(gone.call({ tool: 'orders', operation: 'lookup', arguments: {} }));
    assert.equal(error.code, 'UNREACHABLE');
    assert.equal(error.status, 0);
    assert.equal(error.retryable, true);
    assert.ok(error.message.includes(address), `names the address: ${error.message}`);
  });
});
