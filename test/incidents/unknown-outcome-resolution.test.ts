/**
 * Incident follow-up: a refund whose outcome is unknown (the provider committed it, or lost it,
 * and Interlock's deadline passed first) is resolved by an operator who checked the provider.
 * Through the public doors, on SQLite and PostgreSQL: the agent calls POST /v1/calls; operators
 * resolve with `interlock calls resolve` (a child process on the same store) or with
 * POST /v1/calls/resolve and their own token.
 *
 * - resolved as executed, the agent's retry gets an executed outcome, replayed, naming who resolved
 *   it, and the provider still holds one refund;
 * - resolved as not_executed, the key is free and the retry runs the refund, once;
 * - an outcome is resolved once; an operator of another tenant cannot resolve it at all.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureBuilt, runCli, type CommandResult } from '../cli/interlock-process.js';
import { postgresTestUrl, requirePostgres } from '../support/postgres.js';
import { DATABASE_URL_VARIABLE, startProject, type HttpAnswer, type ProjectFixture, type StorageKind } from '../support/project-fixture.js';
import { appendTo } from '../server/main-project.js';
import { assertError, eventData } from '../server/assertions.js';
import { newKey, PAYMENTS_POLICY, paymentsTool } from './incident-project.js';
import { startPaymentsApi, type PaymentsApi } from './payments-api.js';

before(() => ensureBuilt());

/** Interlock gives up on the provider after this long, while it answers (having committed) after 1.5 s. */
const UPSTREAM_TIMEOUT = '400ms';
const LATE_ANSWER_MS = 1500;

const GLOBEX_OPERATOR = { id: 'globex-lead', tenants: ['globex'], roles: ['finance-approver'] };

function refundCall(tool: string, key: string): Record<string, unknown> {
  return {
    tool,
    operation: 'create_refund',
    arguments: { order_id: 'o-1001', amount_cents: 2500, client_reference: key },
    idempotencyKey: key,
  };
}

function assertCliRefused(result: CommandResult, pattern: RegExp): void {
  assert.equal(result.code, 2, `expected exit 2: ${result.stdout}${result.stderr}`);
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, 'no stack trace');
}

function resolutionSuite(storage: StorageKind): void {
  describe(`resolving unknown outcomes (${storage})`, () => {
    let late: PaymentsApi;
    let quick: PaymentsApi;
    let project: ProjectFixture;
    let agent: string;
    let financeLead: string;
    let globexLead: string;
    const cli = (...args: string[]) => runCli([...args, '--project', project.dir], { env: { [DATABASE_URL_VARIABLE]: postgresTestUrl() } });

    before(async () => {
      late = await startPaymentsApi({ answerAfterMs: LATE_ANSWER_MS });
      quick = await startPaymentsApi({ answerAfterMs: 20 });
      project = await startProject({
        storage,
        name: 'resolve_unknown',
        files: { 'policies/payments.cedar': PAYMENTS_POLICY },
        edit(document) {
          appendTo(document, 'operators', GLOBEX_OPERATOR);
          appendTo(
            document,
            'tools',
            paymentsTool({ name: 'payments', baseUrl: late.baseUrl, timeout: UPSTREAM_TIMEOUT }),
            paymentsTool({ name: 'payments_slow', baseUrl: quick.baseUrl, timeout: UPSTREAM_TIMEOUT }),
            // Unused here; the shared policy names it.
            paymentsTool({ name: 'payments_checked', baseUrl: quick.baseUrl, timeout: UPSTREAM_TIMEOUT, statusCheck: true }),
          );
        },
      });
      agent = await project.mintAgentToken('support-bot');
      financeLead = await project.mintOperatorToken('finance-lead');
      globexLead = await project.mintOperatorToken('globex-lead');
    });

    after(async () => {
      await project?.close();
      await Promise.all([late?.close(), quick?.close()]);
    });

    /** A create the deadline cut off: 504, and from then on OUTCOME_UNKNOWN for its key. */
    async function unknownRefund(tool: string, key: string): Promise<string> {
      const first = await project.call(refundCall(tool, key), agent);
      assertError(first, 504, 'UPSTREAM_TIMEOUT');
      assertError(await project.call(refundCall(tool, key), agent), 409, 'OUTCOME_UNKNOWN');
      return String(first.body.callId);
    }

    const resolveOverHttp = (token: string, body: Record<string, unknown>): Promise<HttpAnswer> =>
      project.request('POST', '/v1/calls/resolve', { token, json: body });

    it('resolve --as executed on the CLI: the retry answers executed, replayed, and the provider saw one create', async () => {
      const key = newKey('refund');
      const callId = await unknownRefund('payments', key);
      assert.equal(late.createRequests(), 1);

      const listed = JSON.parse((await cli('calls', 'unresolved', '--json')).stdout) as Array<{ callId: string; idempotencyKey: string }>;
      assert.equal(listed.find((entry) => entry.callId === callId)?.idempotencyKey, key, 'the listing names the key');

      const resolved = await cli(
        'calls',
        'resolve',
        callId,
        '--as',
        'executed',
        '--reason',
        `refund ${late.refunds[0]?.id ?? '?'} exists at the provider`,
        '--by',
        'finance-lead',
        '--json',
      );
      assert.equal(resolved.code, 0, resolved.stderr);
      const resolution = JSON.parse(resolved.stdout) as Record<string, unknown>;
      assert.equal(resolution['callId'], callId);
      assert.equal(resolution['resolvedAs'], 'executed');
      assert.equal(resolution['resolvedBy'], 'finance-lead');
      assert.equal(resolution['idempotencyKey'], key);

      for (let attempt = 0; attempt < 2; attempt += 1) {
        const retry = await project.call(refundCall('payments', key), agent);
        assert.equal(retry.status, 200, retry.text);
        assert.equal(retry.body.status, 'executed');
        assert.equal(retry.body['replayed'], true);
        assert.equal(retry.body.callId, callId, 'the answer is the first call’s');
        assert.equal(retry.body.result, null, 'what the provider answered is not known');
        assert.deepEqual(retry.body['resolution'], {
          resolvedAs: 'executed',
          resolvedBy: 'finance-lead',
          reason: `refund ${late.refunds[0]?.id ?? '?'} exists at the provider`,
          resolvedAt: resolution['resolvedAt'],
        });
      }

      const events = (await project.auditEvents({ callId, type: 'call.resolved' })).map(eventData);
      assert.deepEqual(
        events.map((data) => [data['resolvedAs'], data['resolvedBy'], data['previousState']]),
        [['executed', 'finance-lead', 'unknown']],
      );
      assert.doesNotMatch((await cli('calls', 'unresolved')).stdout, new RegExp(callId));
      const story = await project.request('GET', `/v1/traces/${String(resolution['traceId'])}`, { token: financeLead });
      assert.equal(story.status, 200, story.text);
      assert.match(story.text, /unknown outcome resolved as executed by finance-lead: refund re_\d+ exists at the provider/);

      // Resolving it again, on either door, is a typed error; nothing changes.
      assertCliRefused(
        await cli('calls', 'resolve', callId, '--as', 'not_executed', '--reason', 'second thoughts', '--by', 'finance-lead'),
        /OUTCOME_NOT_UNKNOWN/,
      );
      const again = await resolveOverHttp(financeLead, { callId, as: 'not_executed', reason: 'second thoughts' });
      assert.equal(assertError(again, 409, 'OUTCOME_NOT_UNKNOWN').details?.['callId'], callId);
      assert.equal((await project.call(refundCall('payments', key), agent)).body['replayed'], true);
      assert.equal((await project.auditEvents({ callId, type: 'call.resolved' })).length, 1);

      // Every late answer has had its chance to arrive: still one create, one refund.
      await sleep(LATE_ANSWER_MS);
      assert.equal(late.createRequests(), 1, 'the provider received the create once');
      assert.deepEqual(
        late.refunds.map((refund) => refund.reference),
        [key],
      );
    });

    it('POST /v1/calls/resolve by key as not_executed: the key is free and the retry runs the refund once', async () => {
      const key = newKey('refund');
      quick.loseNextCreate();
      const callId = await unknownRefund('payments_slow', key);
      assert.equal(quick.refunds.length, 0, 'the provider lost the create: nothing was committed');

      const answer = await resolveOverHttp(financeLead, {
        agent: 'acme/support-bot',
        idempotencyKey: key,
        as: 'not_executed',
        reason: 'no refund with this reference at the provider',
      });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body.callId, callId);
      assert.equal(answer.body['resolvedAs'], 'not_executed');
      assert.equal(answer.body['resolvedBy'], 'finance-lead');
      const [event] = await project.auditEvents({ callId, type: 'call.resolved' });
      assert.ok(event !== undefined);
      assert.equal(event.id, answer.body.auditEventId);
      assert.equal(eventData(event)['reason'], 'no refund with this reference at the provider');

      const retries = await Promise.all([
        project.call(refundCall('payments_slow', key), agent),
        project.call(refundCall('payments_slow', key), agent),
      ]);
      for (const retry of retries) {
        assert.equal(retry.status, 200, retry.text);
        assert.equal(retry.body.status, 'executed');
      }
      assert.notEqual(retries[0]?.body.callId, callId, 'a new call ran');
      assert.equal(new Set(retries.map((retry) => retry.body.callId)).size, 1, 'and only one');
      assert.deepEqual(
        quick.refunds.map((refund) => refund.reference),
        [key],
        'exactly one refund',
      );
      assert.equal(quick.createRequests(), 2, 'the lost create and the one retry');

      assertError(await resolveOverHttp(financeLead, { callId, as: 'executed', reason: 'again' }), 409, 'OUTCOME_NOT_UNKNOWN');
      const settled = await resolveOverHttp(financeLead, { callId: retries[0]?.body.callId, as: 'not_executed', reason: 'it ran' });
      assertError(settled, 409, 'OUTCOME_NOT_UNKNOWN');
    });

    it("GET /v1/calls/unresolved lists an unknown write to its tenant's operators until it is resolved", async () => {
      const key = newKey('refund');
      const callId = await unknownRefund('payments', key);
      const listed = (answer: HttpAnswer): Record<string, unknown>[] => {
        assert.equal(answer.status, 200, answer.text);
        return answer.body['calls'] as Record<string, unknown>[];
      };
      const unresolved = (token: string, query = ''): Promise<HttpAnswer> =>
        project.request('GET', `/v1/calls/unresolved${query}`, { token });

      const mine = listed(await unresolved(financeLead)).find((call) => call['callId'] === callId);
      assert.deepEqual(mine === undefined ? undefined : { ...mine, createdAt: typeof mine['createdAt'] }, {
        tenant: 'acme',
        agentId: 'support-bot',
        tool: 'payments',
        operation: 'create_refund',
        state: 'unknown',
        callId,
        traceId: mine?.['traceId'],
        idempotencyKey: key,
        createdAt: 'string',
      });
      assert.equal(JSON.stringify(mine).includes('2500'), false, 'no arguments in the listing');
      assert.ok(listed(await unresolved(financeLead, '?tenant=acme&limit=1000')).some((call) => call['callId'] === callId));
      assert.deepEqual(listed(await unresolved(globexLead)), [], "another tenant's operator sees none of acme's calls");
      assertError(await unresolved(globexLead, '?tenant=acme'), 403, 'FORBIDDEN');
      assertError(await unresolved(agent), 403, 'FORBIDDEN');
      assertError(await project.request('GET', '/v1/calls/unresolved'), 401, 'AUTH_MISSING');
      assertError(await unresolved(financeLead, '?limit=0'), 400, 'REQUEST_INVALID');

      const resolved = await resolveOverHttp(financeLead, { callId, as: 'executed', reason: 'refund found at the provider' });
      assert.equal(resolved.status, 200, resolved.text);
      assert.equal(
        listed(await unresolved(financeLead)).some((call) => call['callId'] === callId),
        false,
        'a resolved call is no longer listed',
      );
    });

    it('an operator of another tenant, or an agent, cannot resolve; malformed orders are refused; nothing changes', async () => {
      const key = newKey('refund');
      const callId = await unknownRefund('payments', key);

      assertError(await resolveOverHttp(globexLead, { callId, as: 'not_executed', reason: 'not mine' }), 404, 'NOT_FOUND');
      const byKey = await resolveOverHttp(globexLead, { agent: 'acme/support-bot', idempotencyKey: key, as: 'not_executed', reason: 'x' });
      assertError(byKey, 403, 'FORBIDDEN');
      assertCliRefused(
        await cli('calls', 'resolve', callId, '--as', 'not_executed', '--reason', 'not mine', '--by', 'globex-lead'),
        /NOT_FOUND/,
      );
      assertError(await resolveOverHttp(agent, { callId, as: 'executed', reason: 'I did it' }), 403, 'FORBIDDEN');
      assertError(
        await project.request('POST', '/v1/calls/resolve', { json: { callId, as: 'executed', reason: 'x' } }),
        401,
        'AUTH_MISSING',
      );

      assertError(await resolveOverHttp(financeLead, { callId, as: 'executed' }), 400, 'REQUEST_INVALID');
      assertError(await resolveOverHttp(financeLead, { callId, as: 'maybe', reason: 'x' }), 400, 'REQUEST_INVALID');
      const both = { callId, agent: 'acme/support-bot', idempotencyKey: key, as: 'executed', reason: 'x' };
      assertError(await resolveOverHttp(financeLead, both), 400, 'REQUEST_INVALID');
      assertError(await resolveOverHttp(financeLead, { callId: 'no-such-call', as: 'executed', reason: 'x' }), 404, 'NOT_FOUND');
      assertError(
        await resolveOverHttp(financeLead, { agent: 'acme/support-bot', idempotencyKey: 'no-such-key', as: 'executed', reason: 'x' }),
        404,
        'NOT_FOUND',
      );
      assertCliRefused(await cli('calls', 'resolve', callId, '--as', 'executed', '--by', 'finance-lead'), /--reason is required/);
      assertCliRefused(
        await cli('calls', 'resolve', callId, '--as', 'executed', '--reason', 'x', '--by', 'nobody'),
        /--by "nobody" is not an operator/,
      );
      assertCliRefused(
        await cli('calls', 'resolve', '--key', key, '--as', 'executed', '--reason', 'x', '--by', 'finance-lead'),
        /--key KEY with --agent/,
      );

      assertError(await project.call(refundCall('payments', key), agent), 409, 'OUTCOME_UNKNOWN');
      assert.deepEqual(await project.auditEvents({ callId, type: 'call.resolved' }), []);

      // The operator of the tenant resolves it by key on the CLI, naming the agent by its id alone.
      const resolved = await cli(
        'calls',
        'resolve',
        '--key',
        key,
        '--agent',
        'support-bot',
        '--as',
        'executed',
        '--reason',
        'seen at the provider',
        '--by',
        'finance-lead',
      );
      assert.equal(resolved.code, 0, resolved.stderr);
      assert.match(resolved.stdout, new RegExp(`call ${callId} .* resolved as executed by finance-lead`));
      assert.equal((await project.call(refundCall('payments', key), agent)).body['replayed'], true);
    });
  });
}

resolutionSuite('sqlite');

const postgres = await requirePostgres();
describe('resolving unknown outcomes on postgres', postgres, () => {
  resolutionSuite('postgres');
});
