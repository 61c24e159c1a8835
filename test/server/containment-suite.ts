/**
 * Kill switches and session modes over HTTP: set by an operator, they change what the next call
 * of the agent does, and lifting them restores it. Operators act only within their tenants.
 * Every test lifts what it set, so the tests stay independent on the one shared project.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startProject, type HttpAnswer, type ProjectFixture, type StorageKind } from '../support/project-fixture.js';
import { assertError, eventData } from './assertions.js';
import { OPERATORS, safeExecutionProjectOptions } from './safe-execution-project.js';

const LOOKUP = { tool: 'orders', operation: 'lookup', arguments: { order_id: 'o-1001' } } as const;
const GLOBEX_LOOKUP = { tool: 'orders', operation: 'lookup', arguments: { order_id: 'o-2001' } } as const;
const email = (): Record<string, unknown> => ({
  tool: 'email',
  operation: 'send',
  arguments: { to: 'dana@example.com', subject: 'Your order', body: 'It is on its way.' },
  idempotencyKey: `key-${randomUUID()}`,
});

interface RuleBody {
  id: string;
  kind: string;
  scope: string;
  target: string;
  mode: string | null;
  reason: string;
  setBy: string;
}

export function containmentSuite(storage: StorageKind): void {
  describe(`kill switches and modes over HTTP (${storage})`, () => {
    let project: ProjectFixture;
    let supportBot: string;
    let globexAssistant: string;
    let fleetOperator: string;
    let acmeOncall: string;

    const kill = (token: string, body: Record<string, unknown>): Promise<HttpAnswer> =>
      project.request('POST', '/v1/kill-switches', { token, json: body });
    const lift = (token: string, body: Record<string, unknown>): Promise<HttpAnswer> =>
      project.request('POST', '/v1/kill-switches/lift', { token, json: body });
    const setMode = (token: string, body: Record<string, unknown>): Promise<HttpAnswer> =>
      project.request('PUT', '/v1/modes', { token, json: body });
    const listing = async (token: string): Promise<{ killSwitches: RuleBody[]; modes: RuleBody[] }> => {
      const answer = await project.request('GET', '/v1/kill-switches', { token });
      assert.equal(answer.status, 200, answer.text);
      return answer.body as unknown as { killSwitches: RuleBody[]; modes: RuleBody[] };
    };
    /** Sets a mode, runs the body, and always puts the target back to normal. */
    const inMode = async (token: string, scope: string, target: string, mode: string, body: () => Promise<void>): Promise<void> => {
      const set = await setMode(token, { scope, target, mode, reason: `test ${mode}` });
      assert.equal(set.status, 200, set.text);
      try {
        await body();
      } finally {
        const normal = await setMode(token, { scope, target, mode: 'normal', reason: 'test done' });
        assert.equal(normal.status, 200, normal.text);
      }
    };

    before(async () => {
      project = await startProject(safeExecutionProjectOptions(storage, 'containment'));
      supportBot = await project.mintAgentToken('support-bot');
      globexAssistant = await project.mintAgentToken('globex-assistant');
      fleetOperator = await project.mintOperatorToken(OPERATORS.all);
      acmeOncall = await project.mintOperatorToken(OPERATORS.acmeOncall);
    });
    after(async () => {
      await project?.close();
    });

    it('an operator kills an agent: its next call is refused, another agent still works; lifting restores it', async () => {
      assert.equal((await project.call(LOOKUP, supportBot)).status, 200);
      const killed = await kill(acmeOncall, { scope: 'agent', target: 'acme/support-bot', reason: 'runaway loop in ticket 4711' });
      assert.equal(killed.status, 201, killed.text);
      const rule = killed.body['rule'] as RuleBody;
      assert.deepEqual([rule.kind, rule.scope, rule.target, rule.setBy], ['kill', 'agent', 'acme/support-bot', OPERATORS.acmeOncall]);
      try {
        const before = project.invocations('orders.lookup');
        const refused = assertError(await project.call(LOOKUP, supportBot), 503, 'KILL_SWITCH_ACTIVE');
        assert.match(refused.message, /kill switch/i);
        assert.equal(project.invocations('orders.lookup'), before, 'the killed agent reached its tool');
        assert.equal((await project.call(GLOBEX_LOOKUP, globexAssistant)).status, 200);

        const listed = await listing(acmeOncall);
        assert.ok(listed.killSwitches.some((active) => active.id === rule.id));
      } finally {
        const lifted = await lift(acmeOncall, { scope: 'agent', target: 'acme/support-bot', reason: 'loop fixed' });
        assert.equal(lifted.status, 200, lifted.text);
        assert.equal(lifted.body['lifted'], 1);
        assert.deepEqual(
          (lifted.body['rules'] as RuleBody[]).map((active) => active.id),
          [rule.id],
        );
      }
      assert.equal((await project.call(LOOKUP, supportBot)).status, 200);
      assert.ok(!(await listing(acmeOncall)).killSwitches.some((active) => active.id === rule.id));

      const events = (await project.auditEvents({ type: 'containment.set' })).map(eventData);
      const set = events.find((data) => data['ruleId'] === rule.id);
      assert.equal(set?.['by'], OPERATORS.acmeOncall);
      assert.equal(set?.['reason'], 'runaway loop in ticket 4711');
      const liftedEvents = (await project.auditEvents({ type: 'containment.lifted' })).map(eventData);
      assert.ok(liftedEvents.some((data) => data['target'] === 'acme/support-bot' && data['by'] === OPERATORS.acmeOncall));

      const again = await lift(acmeOncall, { scope: 'agent', target: 'acme/support-bot', reason: 'nothing left' });
      assert.equal(again.status, 200, again.text);
      assert.equal(again.body['lifted'], 0);
    });

    it('a tenant-scoped operator cannot reach the fleet, all tenants or another tenant; an agent token cannot act at all', async () => {
      const reason = 'should not happen';
      const forbidden = [
        { scope: 'fleet', target: '*', reason },
        { scope: 'tenant', target: 'globex', reason },
        { scope: 'agent', target: 'globex/globex-assistant', reason },
        { scope: 'tool', target: '*/orders', reason },
        { scope: 'operation', target: '*/orders.lookup', reason },
      ];
      for (const body of forbidden) assertError(await kill(acmeOncall, body), 403, 'FORBIDDEN');
      assertError(await lift(acmeOncall, { scope: 'fleet', target: '*', reason }), 403, 'FORBIDDEN');
      assertError(await setMode(acmeOncall, { scope: 'tenant', target: 'globex', mode: 'locked', reason }), 403, 'FORBIDDEN');
      assertError(await kill(supportBot, { scope: 'agent', target: 'acme/support-bot', reason }), 403, 'FORBIDDEN');
      assertError(await setMode(supportBot, { scope: 'agent', target: 'acme/support-bot', mode: 'normal', reason }), 403, 'FORBIDDEN');
      assertError(await project.request('GET', '/v1/kill-switches', { token: supportBot }), 403, 'FORBIDDEN');
      assertError(await project.request('GET', '/v1/kill-switches'), 401, 'AUTH_MISSING');
      assert.deepEqual((await listing(fleetOperator)).killSwitches, [], 'a refused request set a kill switch');
      assert.equal((await project.call(GLOBEX_LOOKUP, globexAssistant)).status, 200);
    });

    it('fleet-wide kill by an operator of every tenant stops every agent; operators of one tenant see it but cannot lift it', async () => {
      const killed = await kill(fleetOperator, { scope: 'fleet', target: '*', reason: 'incident 12: stop everything' });
      assert.equal(killed.status, 201, killed.text);
      try {
        assertError(await project.call(LOOKUP, supportBot), 503, 'KILL_SWITCH_ACTIVE');
        assertError(await project.call(GLOBEX_LOOKUP, globexAssistant), 503, 'KILL_SWITCH_ACTIVE');
        assert.ok((await listing(acmeOncall)).killSwitches.some((rule) => rule.scope === 'fleet'));
        assertError(await lift(acmeOncall, { scope: 'fleet', target: '*', reason: 'not mine' }), 403, 'FORBIDDEN');
      } finally {
        assert.equal((await lift(fleetOperator, { scope: 'fleet', target: '*', reason: 'incident 12 resolved' })).body['lifted'], 1);
      }
      assert.equal((await project.call(LOOKUP, supportBot)).status, 200);
    });

    it('tool and tenant kill switches: acme/orders stops acme only; a globex tenant kill is hidden from acme operators', async () => {
      const tool = await kill(acmeOncall, { scope: 'tool', target: 'acme/orders', reason: 'back office migration' });
      assert.equal(tool.status, 201, tool.text);
      const tenant = await kill(fleetOperator, { scope: 'tenant', target: 'globex', reason: 'globex contract paused' });
      assert.equal(tenant.status, 201, tenant.text);
      try {
        assertError(await project.call(LOOKUP, supportBot), 503, 'KILL_SWITCH_ACTIVE');
        assert.equal((await project.call(email(), supportBot)).status, 200, 'another tool of the same tenant was stopped');
        assertError(await project.call(GLOBEX_LOOKUP, globexAssistant), 503, 'KILL_SWITCH_ACTIVE');
        const acmeView = await listing(acmeOncall);
        assert.deepEqual(
          acmeView.killSwitches.map((rule) => rule.target),
          ['acme/orders'],
        );
        const fleetView = await listing(fleetOperator);
        assert.deepEqual(fleetView.killSwitches.map((rule) => rule.target).sort(), ['acme/orders', 'globex']);
      } finally {
        await lift(acmeOncall, { scope: 'tool', target: 'acme/orders', reason: 'migration done' });
        await lift(fleetOperator, { scope: 'tenant', target: 'globex', reason: 'contract resumed' });
      }
      assert.equal((await project.call(LOOKUP, supportBot)).status, 200);
      assert.equal((await project.call(GLOBEX_LOOKUP, globexAssistant)).status, 200);
    });

    it('an agent kill can revoke its credentials too: the old token stays refused after the kill is lifted', async () => {
      const token = await project.mintAgentToken('revocable-two');
      assert.equal((await project.call(LOOKUP, token)).status, 200);
      assertError(
        await kill(acmeOncall, { scope: 'tenant', target: 'acme', reason: 'x', revokeCredentials: true }),
        400,
        'REQUEST_INVALID',
      );
      const killed = await kill(acmeOncall, {
        scope: 'agent',
        target: 'acme/revocable-two',
        reason: 'token leaked in a log',
        revokeCredentials: true,
      });
      assert.equal(killed.status, 201, killed.text);
      const lifted = await lift(acmeOncall, { scope: 'agent', target: 'acme/revocable-two', reason: 'kill no longer needed' });
      assert.equal(lifted.body['lifted'], 1, lifted.text);
      assertError(await project.call(LOOKUP, token), 401, 'AUTH_REVOKED');
      const revoked = (await project.auditEvents({ type: 'token.revoked' })).map(eventData);
      assert.ok(revoked.some((data) => data['agentId'] === 'revocable-two' && data['by'] === OPERATORS.acmeOncall));
    });

    it('bodies are checked strictly: unknown fields, session kills, malformed targets and missing reasons are 400', async () => {
      const bad: Array<Record<string, unknown>> = [
        { scope: 'agent', target: 'acme/support-bot', reason: 'x', by: 'someone-else' },
        { scope: 'session', target: 'acme/s-1', reason: 'x' },
        { scope: 'agent', target: 'support-bot', reason: 'x' },
        { scope: 'fleet', target: 'acme', reason: 'x' },
        { scope: 'operation', target: 'acme/orders', reason: 'x' },
        { scope: 'agent', target: 'acme/support-bot' },
        { scope: 'agent', target: 'acme/support-bot', reason: '' },
        { scope: 'agent', target: 'acme/support-bot', reason: 'x', revokeCredentials: 'yes' },
      ];
      for (const body of bad) assertError(await kill(fleetOperator, body), 400, 'REQUEST_INVALID');
      const malformed = assertError(
        await kill(fleetOperator, { scope: 'agent', target: 'support-bot', reason: 'x' }),
        400,
        'REQUEST_INVALID',
      );
      assert.equal(malformed.details?.['expected'], 'TENANT/AGENT');
      assertError(
        await setMode(fleetOperator, { scope: 'agent', target: 'acme/support-bot', mode: 'paused', reason: 'x' }),
        400,
        'REQUEST_INVALID',
      );
      assertError(await setMode(fleetOperator, { scope: 'fleet', target: '*', mode: 'locked', reason: 'x' }), 400, 'REQUEST_INVALID');
      assertError(await lift(fleetOperator, { scope: 'agent', target: 'acme/support-bot' }), 400, 'REQUEST_INVALID');
      const listed = await listing(fleetOperator);
      assert.deepEqual([listed.killSwitches, listed.modes], [[], []], 'a refused request changed containment');
    });

    it('read_only: reads run, writes are refused SESSION_READ_ONLY and never reach the tool', async () => {
      await inMode(acmeOncall, 'agent', 'acme/support-bot', 'read_only', async () => {
        assert.equal((await project.call(LOOKUP, supportBot)).status, 200);
        const before = project.invocations('email.send');
        assertError(await project.call(email(), supportBot), 403, 'SESSION_READ_ONLY');
        assert.equal(project.invocations('email.send'), before);
        const modes = (await listing(acmeOncall)).modes;
        assert.deepEqual(
          modes.map((rule) => [rule.scope, rule.target, rule.mode, rule.setBy]),
          [['agent', 'acme/support-bot', 'read_only', OPERATORS.acmeOncall]],
        );
      });
      assert.equal((await project.call(email(), supportBot)).status, 200);
      assert.deepEqual((await listing(acmeOncall)).modes, []);
    });

    it('a session mode applies to that session only', async () => {
      await inMode(acmeOncall, 'session', 'acme/ticket-4711', 'read_only', async () => {
        assertError(await project.call({ ...email(), sessionId: 'ticket-4711' }, supportBot), 403, 'SESSION_READ_ONLY');
        assert.equal((await project.call({ ...email(), sessionId: 'ticket-4712' }, supportBot)).status, 200);
      });
    });

    it('locked refuses reads too', async () => {
      await inMode(fleetOperator, 'tenant', 'acme', 'locked', async () => {
        const before = project.invocations('orders.lookup');
        assertError(await project.call(LOOKUP, supportBot), 403, 'SESSION_LOCKED');
        assert.equal(project.invocations('orders.lookup'), before);
        assert.equal((await project.call(GLOBEX_LOOKUP, globexAssistant)).status, 200);
      });
      assert.equal((await project.call(LOOKUP, supportBot)).status, 200);
    });

    it('elevated turns an allowed write into a pending approval for the elevated role; reads still run', async () => {
      await inMode(acmeOncall, 'agent', 'acme/support-bot', 'elevated', async () => {
        assert.equal((await project.call(LOOKUP, supportBot)).status, 200);
        const before = project.invocations('email.send');
        const pending = assertError(await project.call(email(), supportBot), 202, 'APPROVAL_REQUIRED');
        assert.equal(pending.details?.['approverRole'], 'approver');
        assert.equal(project.invocations('email.send'), before);
      });
      const answer = await setMode(acmeOncall, { scope: 'agent', target: 'acme/support-bot', mode: 'normal', reason: 'already normal' });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body['rule'], null);
      assert.equal(answer.body['mode'], 'normal');
    });

    it('/openapi.json describes every kill switch and mode route the server answers', async () => {
      const paths = (await project.request('GET', '/openapi.json')).body['paths'] as Record<string, Record<string, unknown>>;
      const routes: Array<[string, string]> = [
        ['get', '/v1/kill-switches'],
        ['post', '/v1/kill-switches'],
        ['post', '/v1/kill-switches/lift'],
        ['put', '/v1/modes'],
      ];
      for (const [method, path] of routes) {
        assert.ok(paths[path]?.[method], `${method.toUpperCase()} ${path} is not described`);
        assert.ok(
          project.app.hasRoute({ method: method.toUpperCase() as 'GET', url: path }),
          `${method.toUpperCase()} ${path} is not served`,
        );
      }
    });
  });
}
