/**
 * Two-phase plans through the HTTP door, against a real server and store: a plan is decided step by
 * step without running anything, held to the caps as a whole, and runs once, in order, only after
 * every approval is in. Handlers record what they ran, so every test can prove what did not.
 */
import { strict as assert } from 'node:assert';
import { after, before, beforeEach, describe, it } from 'node:test';
import { InterlockClient, InterlockRemoteError } from '../../src/sdk/remote-client.js';
import { appendTo } from '../server/main-project.js';
import { assertError, eventData } from '../server/assertions.js';
import { startProject, type HttpAnswer, type ProjectFixture, type StorageKind } from '../support/project-fixture.js';

/** What the handlers ran, in order: `tool.operation:detail`. */
const ran: string[] = [];

const email = (subject: string, to = 'dana@example.com') => ({
  tool: 'email',
  operation: 'send',
  arguments: { to, subject, body: 'hello' },
});
const lookup = (orderId: string) => ({ tool: 'orders', operation: 'lookup', arguments: { order_id: orderId } });
const refund = (amountCents: number) => ({
  tool: 'refunds',
  operation: 'create',
  arguments: { order_id: 'o-1001', amount_cents: amountCents, reason: 'damaged item' },
});

interface StepView {
  index: number;
  tool: string;
  operation: string;
  idempotencyKey: string | null;
  blastRadius: { write: boolean; entityCount: number; entities: string[]; costUsd: number };
  evaluation: null | {
    status: string;
    decision: { kind: string; policyIds: string[] } | null;
    approval: { id: string; approverRole: string; quorum: number; status: string } | null;
    error: { code: string } | null;
  };
  approvalStatus: string | null;
}
interface PlanBodyView {
  id: string;
  status: string;
  hash: string;
  traceId: string;
  ready: boolean;
  pendingApprovals: string[];
  steps: StepView[];
  totals: { toolCalls: number; writes: number; entities: number; distinctEntities: number; costUsd: number };
  blocked: null | { reason: string; message: string; caps?: Array<{ limit: string; max: number; planned: number }>; code?: string };
  execution: null | {
    steps: Array<{ index: number; status: string; callId: string; replayed: boolean; result?: unknown; error?: { code: string } }>;
  };
}

function plan(answer: HttpAnswer): PlanBodyView {
  return answer.body as unknown as PlanBodyView;
}

export function plansSuite(storage: StorageKind): void {
  describe(`two-phase plans (${storage})`, () => {
    let project: ProjectFixture;
    let supportBot: string;
    let otherBot: string;
    let globexBot: string;
    let alice: string;
    let bob: string;

    const propose = (body: unknown, token = supportBot) => project.request('POST', '/v1/plans', { token, json: body });
    const execute = (id: string, token = supportBot, body: unknown = undefined) =>
      project.request('POST', `/v1/plans/${id}/execute`, body === undefined ? { token } : { token, json: body });
    const show = (id: string, token = supportBot) => project.request('GET', `/v1/plans/${id}`, { token });
    const approve = async (approvalId: string, decision: 'approve' | 'deny' = 'approve') => {
      const answer = await project.request('POST', `/v1/approvals/${approvalId}/${decision}`, {
        token: await project.mintOperatorToken('finance'),
        json: { comment: 'checked' },
      });
      assert.equal(answer.status, 200, answer.text);
    };

    before(async () => {
      project = await startProject({
        storage,
        name: 'plans',
        handlers: {
          'email.send': (args) => {
            ran.push(`email.send:${String(args['subject'])}`);
            if (args['subject'] === 'fail') throw new Error('mail relay refused the message');
            return { queued: true };
          },
          'orders.lookup': (args) => {
            ran.push(`orders.lookup:${String(args['order_id'])}`);
            return { found: true, order_id: args['order_id'] };
          },
          'refunds.create': (args) => {
            ran.push(`refunds.create:${String(args['amount_cents'])}`);
            return { refund_id: 'r-1', status: 'issued' };
          },
        },
        edit(document) {
          document['limits'] = { perRequest: { toolCalls: 20, writes: 3, entities: 5 }, perSession: { writes: 50 } };
          appendTo(
            document,
            'agents',
            { id: 'other-bot', tenant: 'acme', owner: 'tests@acme.example', environment: 'prod', stage: 'governed' },
            { id: 'globex-bot', tenant: 'globex', owner: 'tests@globex.example', environment: 'prod', stage: 'governed' },
          );
          appendTo(
            document,
            'operators',
            { id: 'finance', tenants: ['acme'], roles: ['finance-approver'] },
            { id: 'acme-auditor', tenants: ['acme'], roles: ['auditor'] },
            { id: 'globex-auditor', tenants: ['globex'], roles: ['auditor'] },
          );
        },
      });
      supportBot = await project.mintAgentToken('support-bot');
      otherBot = await project.mintAgentToken('other-bot');
      globexBot = await project.mintAgentToken('globex-bot');
      alice = await project.userAssertion({ user: 'alice', tenant: 'acme', roles: ['support'] });
      bob = await project.userAssertion({ user: 'bob', tenant: 'acme', roles: ['support'] });
    });
    beforeEach(() => {
      ran.length = 0;
    });
    after(async () => {
      await project?.close();
    });

    it('the judged incident: four writes, each allowed, exceed perRequest.writes as a plan: blocked naming the cap, and nothing ever runs', async () => {
      // Each of these e-mails alone is allowed (a three-step plan of them is proposed below).
      const answer = await propose({ actions: ['one', 'two', 'three', 'four'].map((subject) => email(subject)) });
      assert.equal(answer.status, 201, answer.text);
      const blocked = plan(answer);
      assert.equal(blocked.status, 'blocked');
      assert.equal(blocked.blocked?.reason, 'cap');
      assert.deepEqual(blocked.blocked?.caps, [{ limit: 'perRequest.writes', max: 3, planned: 4 }]);
      assert.match(blocked.blocked?.message ?? '', /perRequest\.writes \(4 planned, at most 3\)/);
      assert.deepEqual(blocked.totals, { toolCalls: 4, writes: 4, entities: 4, distinctEntities: 1, costUsd: 0.002 });
      assert.ok(blocked.steps.every((step) => step.evaluation === null && step.blastRadius.write));
      assert.deepEqual(blocked.steps[0]?.blastRadius.entities, ['recipient:dana@example.com']);
      assert.equal(answer.headers.get('location'), `/v1/plans/${blocked.id}`);

      const refused = assertError(await execute(blocked.id), 409, 'PLAN_BLOCKED');
      assert.match(refused.message, /perRequest\.writes/);
      assert.deepEqual(ran, [], 'the handler saw no call');
      assert.equal(project.invocations('email.send'), 0);
      // Nothing was decided for the trace either: no step reached the kernel.
      const traceEvents = await project.auditEvents({ traceId: blocked.traceId });
      assert.deepEqual(
        traceEvents.map((event) => event.type),
        ['plan.proposed', 'plan.executed'],
      );
      const proposed = eventData(traceEvents[0]!);
      assert.equal(proposed['status'], 'blocked');
      assert.equal(proposed['hash'], blocked.hash);
      assert.doesNotMatch(JSON.stringify(proposed), /dana@example\.com/, 'no argument values in plan.proposed');
      assert.equal(eventData(traceEvents[1]!)['refused'], 'PLAN_BLOCKED');
      assert.equal(plan(await show(blocked.id)).status, 'blocked');
    });

    it('entities count across steps: six lookups of one entity each exceed perRequest.entities (5)', async () => {
      const answer = await propose({ actions: ['o-1', 'o-2', 'o-3', 'o-4', 'o-5', 'o-6'].map(lookup) });
      assert.equal(answer.status, 201, answer.text);
      assert.equal(plan(answer).status, 'blocked');
      assert.deepEqual(plan(answer).blocked?.caps, [{ limit: 'perRequest.entities', max: 5, planned: 6 }]);
      assertError(await execute(plan(answer).id), 409, 'PLAN_BLOCKED');
      assert.deepEqual(ran, []);
    });

    it('a plan within the caps runs its steps in order, once; a second execute is PLAN_CLOSED', async () => {
      const answer = await propose({ actions: [email('first'), lookup('o-1001'), email('second')], sessionId: `s-${storage}` });
      assert.equal(answer.status, 201, answer.text);
      const proposed = plan(answer);
      assert.equal(proposed.status, 'proposed');
      assert.equal(proposed.ready, true);
      assert.deepEqual(
        proposed.steps.map((step) => [step.evaluation?.status, step.evaluation?.decision?.kind]),
        [
          ['evaluated', 'allow'],
          ['evaluated', 'allow'],
          ['evaluated', 'allow'],
        ],
      );
      assert.deepEqual(
        proposed.steps.map((step) => step.idempotencyKey),
        [`plan:${proposed.id}:0`, null, `plan:${proposed.id}:2`],
      );
      assert.deepEqual(proposed.steps[0]?.evaluation?.decision?.policyIds, ['support-bot-emails-customers']);
      assert.deepEqual(ran, [], 'proposing runs nothing');

      const done = await execute(proposed.id);
      assert.equal(done.status, 200, done.text);
      assert.equal(plan(done).status, 'executed');
      assert.deepEqual(
        plan(done).execution?.steps.map((step) => [step.index, step.status]),
        [
          [0, 'executed'],
          [1, 'executed'],
          [2, 'executed'],
        ],
      );
      assert.deepEqual(ran, ['email.send:first', 'orders.lookup:o-1001', 'email.send:second']);

      assertError(await execute(proposed.id), 409, 'PLAN_CLOSED');
      assert.equal(ran.length, 3, 'nothing ran again');
      const events = await project.auditEvents({ traceId: proposed.traceId, type: 'plan.executed' });
      assert.deepEqual(
        events.map((event) => [eventData(event)['status'], eventData(event)['refused'] ?? null]),
        [
          ['executed', null],
          ['executed', 'PLAN_CLOSED'],
        ],
      );
    });

    it('two concurrent executes run the plan once', async () => {
      const proposed = plan(await propose({ actions: [email('race-1'), email('race-2')] }));
      const answers = await Promise.all([execute(proposed.id), execute(proposed.id)]);
      assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 409]);
      const loser = answers.find((answer) => answer.status === 409);
      assert.ok(loser !== undefined);
      assertError(loser, 409, 'PLAN_CLOSED');
      assert.deepEqual(ran, ['email.send:race-1', 'email.send:race-2']);
    });

    it('a step that needs approval holds the whole plan (PLAN_NOT_READY, nothing runs) until it is approved; then all steps run once, in order', async () => {
      const answer = await propose({
        actions: [lookup('o-1001'), { ...refund(9000), evidence: { ticket: 'T-1' } }, email('refund issued')],
        actingFor: alice,
      });
      assert.equal(answer.status, 201, answer.text);
      const proposed = plan(answer);
      assert.equal(proposed.status, 'proposed');
      const approval = proposed.steps[1]?.evaluation?.approval;
      assert.ok(approval !== null && approval !== undefined, answer.text);
      assert.equal(proposed.steps[1]?.evaluation?.status, 'approval_required');
      assert.equal(approval.approverRole, 'finance-approver');
      assert.equal(approval.quorum, 1);
      assert.equal(approval.status, 'pending');
      assert.deepEqual(proposed.pendingApprovals, [approval.id]);
      assert.equal(proposed.ready, false);
      assert.equal(proposed.steps[0]?.approvalStatus, null);

      const early = assertError(await execute(proposed.id, supportBot, { actingFor: alice }), 409, 'PLAN_NOT_READY');
      assert.deepEqual(early.details?.['pendingApprovals'], [approval.id]);
      assert.equal(early.retryable, true);
      assert.deepEqual(ran, [], 'nothing ran before the approval');

      // The approver sees what the plan will do, with the agent's evidence.
      const seen = await project.request('GET', `/v1/approvals/${approval.id}`, { token: await project.mintOperatorToken('finance') });
      assert.equal(seen.status, 200, seen.text);
      assert.deepEqual((seen.body['details'] as { evidence: unknown }).evidence, { ticket: 'T-1' });

      await approve(approval.id);
      const ready = plan(await show(proposed.id));
      assert.equal(ready.ready, true);
      assert.deepEqual(ready.pendingApprovals, []);
      assert.equal(ready.steps[1]?.approvalStatus, 'approved');

      // The plan runs as proposed: for the same user only.
      assertError(await execute(proposed.id, supportBot, { actingFor: bob }), 403, 'FORBIDDEN');
      assertError(await execute(proposed.id), 403, 'FORBIDDEN');
      assert.deepEqual(ran, []);

      const done = await execute(proposed.id, supportBot, { actingFor: alice });
      assert.equal(done.status, 200, done.text);
      assert.equal(plan(done).status, 'executed');
      assert.deepEqual(ran, ['orders.lookup:o-1001', 'refunds.create:9000', 'email.send:refund issued']);
      assert.equal(plan(done).steps[1]?.approvalStatus, 'consumed');

      assertError(await execute(proposed.id, supportBot, { actingFor: alice }), 409, 'PLAN_CLOSED');
      assert.equal(ran.length, 3, 'each step ran exactly once');
    });

    it('a denied approval closes the plan: PLAN_BLOCKED, nothing runs', async () => {
      const proposed = plan(await propose({ actions: [email('before refund'), refund(7000)], actingFor: alice }));
      const approvalId = proposed.steps[1]?.evaluation?.approval?.id;
      assert.ok(approvalId !== undefined);
      await approve(approvalId, 'deny');
      const refused = assertError(await execute(proposed.id, supportBot, { actingFor: alice }), 409, 'PLAN_BLOCKED');
      assert.match(refused.message, /denied/);
      assert.equal(plan(await show(proposed.id)).status, 'blocked');
      assert.equal(plan(await show(proposed.id)).blocked?.reason, 'approval');
      assert.deepEqual(ran, []);
    });

    it('execution stops at the first step that fails: step 3 never runs and the plan is failed', async () => {
      const proposed = plan(await propose({ actions: [email('ok'), email('fail'), email('never')] }));
      assert.equal(proposed.status, 'proposed');
      const done = await execute(proposed.id);
      assert.equal(done.status, 200, done.text);
      const failed = plan(done);
      assert.equal(failed.status, 'failed');
      assert.deepEqual(
        failed.execution?.steps.map((step) => step.status),
        ['executed', 'failed'],
      );
      assert.equal(typeof failed.execution?.steps[1]?.error?.code, 'string');
      assert.deepEqual(ran, ['email.send:ok', 'email.send:fail']);
      assertError(await execute(proposed.id), 409, 'PLAN_CLOSED');
      assert.deepEqual(ran, ['email.send:ok', 'email.send:fail']);
    });

    it('a step policy denies blocks the plan at proposal, naming the step and the code', async () => {
      const answer = await propose({ actions: [email('hi'), { tool: 'orders', operation: 'delete', arguments: { order_id: 'o-1' } }] });
      const blocked = plan(answer);
      assert.equal(blocked.status, 'blocked');
      assert.equal(blocked.blocked?.reason, 'step');
      assert.equal(blocked.blocked?.code, 'POLICY_DENIED');
      assert.equal(blocked.steps[1]?.evaluation?.status, 'denied');
      assert.deepEqual(blocked.steps[1]?.evaluation?.decision?.policyIds, ['no-destructive-actions-in-prod']);
      assertError(await execute(blocked.id), 409, 'PLAN_BLOCKED');
      assert.deepEqual(ran, []);
    });

    it('a plan changed in the store after proposal no longer matches its hash and is refused', async () => {
      const proposed = plan(await propose({ actions: [email('original subject')] }));
      await project.execute(`update plans set body = replace(body, 'original subject', 'changed subject') where id = '${proposed.id}'`);
      const refused = assertError(await execute(proposed.id), 409, 'PLAN_BLOCKED');
      assert.equal(refused.details?.['reason'], 'hash_mismatch');
      assert.deepEqual(ran, []);
    });

    it('another agent can neither read nor execute the plan; operators read it within their tenants only', async () => {
      const proposed = plan(await propose({ actions: [email('private')] }));
      assertError(await show(proposed.id, otherBot), 404, 'NOT_FOUND');
      assertError(await execute(proposed.id, otherBot), 404, 'NOT_FOUND');
      assertError(await execute(proposed.id, globexBot), 404, 'NOT_FOUND');
      assertError(await show(proposed.id, await project.mintOperatorToken('globex-auditor')), 404, 'NOT_FOUND');
      const auditor = await show(proposed.id, await project.mintOperatorToken('acme-auditor'));
      assert.equal(auditor.status, 200, auditor.text);
      assert.equal(plan(auditor).id, proposed.id);
      assert.deepEqual(ran, []);
      assert.equal(plan(await show(proposed.id)).status, 'proposed', 'still there for its own agent');
      assertError(await show('no-such-plan'), 404, 'NOT_FOUND');
    });

    it('bodies are strict: unknown fields, empty or oversized plans, bad ids and missing tokens are refused', async () => {
      assertError(await propose({ actions: [email('x')], extra: true }), 400, 'REQUEST_INVALID');
      assertError(await propose({ actions: [{ ...email('x'), approvalId: 'a' }] }), 400, 'REQUEST_INVALID');
      assertError(await propose({ actions: [] }), 400, 'REQUEST_INVALID');
      assertError(await propose({ actions: Array.from({ length: 51 }, () => lookup('o-1')) }), 400, 'REQUEST_INVALID');
      assertError(
        await propose({
          actions: [
            { ...email('a'), idempotencyKey: 'k1' },
            { ...email('b'), idempotencyKey: 'k1' },
          ],
        }),
        400,
        'REQUEST_INVALID',
      );
      assertError(await project.request('POST', '/v1/plans', { json: { actions: [email('x')] } }), 401, 'AUTH_MISSING');
      const proposed = plan(await propose({ actions: [email('strict')] }));
      assertError(await execute(proposed.id, supportBot, { actingFor: alice, extra: 1 }), 400, 'REQUEST_INVALID');
      assertError(await show('bad id!'), 400, 'REQUEST_INVALID');
      assert.deepEqual(ran, []);
    });

    it('/openapi.json describes the plan endpoints and the Plan schema', async () => {
      const answer = await project.request('GET', '/openapi.json');
      const paths = answer.body['paths'] as Record<string, Record<string, { responses: Record<string, unknown> }>>;
      assert.ok(paths['/v1/plans']?.['post']?.responses['201'] !== undefined);
      assert.ok(paths['/v1/plans/{id}']?.['get'] !== undefined);
      assert.ok(paths['/v1/plans/{id}/execute']?.['post']?.responses['409'] !== undefined);
      const schemas = (answer.body['components'] as { schemas: Record<string, { properties?: Record<string, unknown> }> }).schemas;
      assert.ok(schemas['Plan']?.properties?.['blocked'] !== undefined);
      assert.ok(schemas['PlanProposal']?.properties?.['actions'] !== undefined);
    });

    it('the remote client proposes, reads and executes plans; refusals are typed errors with details', async () => {
      const client = new InterlockClient({ baseUrl: project.baseUrl, token: supportBot });
      const proposed = await client.proposePlan({ actions: [lookup('o-1001'), refund(8000)], actingFor: alice });
      assert.equal(proposed.status, 'proposed');
      const approvalId = proposed.pendingApprovals[0];
      assert.ok(approvalId !== undefined);
      await assert.rejects(
        () => client.executePlan(proposed.id, { actingFor: alice }),
        (error: unknown) =>
          error instanceof InterlockRemoteError &&
          error.code === 'PLAN_NOT_READY' &&
          JSON.stringify(error.details?.['pendingApprovals']) === JSON.stringify([approvalId]),
      );
      await approve(approvalId);
      assert.equal((await client.getPlan(proposed.id)).ready, true);
      const done = await client.executePlan(proposed.id, { actingFor: alice });
      assert.equal(done.status, 'executed');
      assert.deepEqual(ran, ['orders.lookup:o-1001', 'refunds.create:8000']);
      const blocked = await client.proposePlan({ actions: ['a', 'b', 'c', 'd'].map((subject) => email(subject)) });
      assert.equal(blocked.status, 'blocked');
      await assert.rejects(
        () => client.executePlan(blocked.id),
        (error: unknown) => error instanceof InterlockRemoteError && error.code === 'PLAN_BLOCKED',
      );
    });
  });
}
