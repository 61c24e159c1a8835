/**
 * `interlock plans propose | show | execute` in child processes, in-process as a configured agent
 * on the refunds example (SQLite). What ran is read back from the audit log the commands wrote.
 */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../../src/store/open-store.js';
import { assertExampleUser, copyRefundsExample, ensureBuilt, removeDirectory, runCli } from '../cli/interlock-process.js';

before(() => ensureBuilt());

const email = (subject: string) => ({
  tool: 'email',
  operation: 'send',
  arguments: { to: 'dana@example.com', subject, body: 'hello' },
});

interface PlanJson {
  id: string;
  status: string;
  traceId: string;
  ready: boolean;
  pendingApprovals: string[];
  blocked: null | { reason: string; caps?: Array<{ limit: string; max: number; planned: number }> };
  execution: null | { steps: Array<{ index: number; status: string }> };
}

describe('interlock plans', () => {
  const project = copyRefundsExample('plans-cli');
  after(() => removeDirectory(project));

  const actionsFile = (name: string, content: unknown): string => {
    const path = join(project, name);
    writeFileSync(path, JSON.stringify(content));
    return path;
  };
  /** Events the commands recorded for one trace, by type. */
  const eventTypes = async (traceId: string): Promise<string[]> => {
    const store = await openStore({ driver: 'sqlite', path: join(project, '.interlock', 'interlock.db'), durability: 'durable' });
    try {
      return (await store.listAuditEvents({ traceId, limit: 1000 })).map((event) => event.type);
    } finally {
      await store.close();
    }
  };

  test('four e-mails exceed perRequest.writes (3) as a plan: propose exits 1 naming the cap, execute refuses, nothing runs', async () => {
    const file = actionsFile('four.json', ['one', 'two', 'three', 'four'].map(email));
    const proposed = await runCli(['plans', 'propose', '--project', project, '--file', file, '--agent', 'support-bot', '--json']);
    assert.equal(proposed.code, 1, proposed.stderr);
    const plan = JSON.parse(proposed.stdout) as PlanJson;
    assert.equal(plan.status, 'blocked');
    assert.deepEqual(plan.blocked?.caps, [{ limit: 'perRequest.writes', max: 3, planned: 4 }]);

    const executed = await runCli(['plans', 'execute', plan.id, '--project', project, '--agent', 'support-bot']);
    assert.equal(executed.code, 1, executed.stderr);
    assert.match(executed.stderr, /PLAN_BLOCKED: .*perRequest\.writes/);
    assert.deepEqual(await eventTypes(plan.traceId), ['plan.proposed', 'plan.executed']);
  });

  test('a plan within the caps is shown, then executed once; executing it again is PLAN_CLOSED', async () => {
    const file = actionsFile('two.json', { actions: [email('first'), email('second')], sessionId: 'cli-session' });
    const proposed = await runCli(['plans', 'propose', '--project', project, '--file', file, '--agent', 'support-bot']);
    assert.equal(proposed.code, 0, proposed.stderr);
    assert.match(proposed.stdout, /^Plan [0-9a-f-]{36}: PROPOSED, ready to run/);
    assert.match(proposed.stdout, /email\.send\s+write\s+allow/);
    assert.match(proposed.stdout, /Totals: 2 tool calls, 2 writes, 2 entities \(1 distinct\)/);
    const id = /^Plan ([0-9a-f-]{36})/.exec(proposed.stdout)?.[1] ?? '';
    assert.match(proposed.stdout, new RegExp(`interlock plans execute ${id} --agent support-bot`));

    const shown = await runCli(['plans', 'show', id, '--project', project, '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    const plan = JSON.parse(shown.stdout) as PlanJson;
    assert.equal(plan.status, 'proposed');
    assert.equal(plan.ready, true);

    const executed = await runCli(['plans', 'execute', id, '--project', project, '--agent', 'support-bot', '--json']);
    assert.equal(executed.code, 0, executed.stderr);
    const done = JSON.parse(executed.stdout) as PlanJson;
    assert.equal(done.status, 'executed');
    assert.deepEqual(
      done.execution?.steps.map((step) => [step.index, step.status]),
      [
        [0, 'executed'],
        [1, 'executed'],
      ],
    );

    const again = await runCli(['plans', 'execute', id, '--project', project, '--agent', 'support-bot']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /PLAN_CLOSED/);
    const types = await eventTypes(plan.traceId);
    assert.equal(types.filter((type) => type === 'tool.executed').length, 2, 'each step ran once');
    assert.equal(types.filter((type) => type === 'plan.executed').length, 2);

    const shownAfter = await runCli(['plans', 'show', id, '--project', project]);
    assert.match(shownAfter.stdout, /EXECUTED, every step ran/);
  });

  test('another agent cannot execute the plan; a step waiting for approval holds it (PLAN_NOT_READY)', async () => {
    const alice = await assertExampleUser(project, 'alice', ['support']);
    const file = actionsFile('refund.json', [
      { tool: 'refunds', operation: 'create', arguments: { order_id: 'o-1001', amount_cents: 9000, reason: 'damaged' } },
    ]);
    const env = { INTERLOCK_ACTING_FOR: alice };
    const proposed = await runCli(['plans', 'propose', '--project', project, '--file', file, '--agent', 'support-bot', '--json'], { env });
    assert.equal(proposed.code, 0, proposed.stderr);
    const plan = JSON.parse(proposed.stdout) as PlanJson;
    assert.equal(plan.pendingApprovals.length, 1);

    const stranger = await runCli(['plans', 'execute', plan.id, '--project', project, '--agent', 'globex-assistant']);
    assert.equal(stranger.code, 2, stranger.stderr);
    assert.match(stranger.stderr, /NOT_FOUND: no such plan/);

    const early = await runCli(['plans', 'execute', plan.id, '--project', project, '--agent', 'support-bot'], { env });
    assert.equal(early.code, 1, early.stderr);
    assert.match(early.stderr, new RegExp(`PLAN_NOT_READY: .*${plan.pendingApprovals[0] ?? ''}`));
    assert.equal((await eventTypes(plan.traceId)).filter((type) => type === 'tool.executed').length, 0);
  });

  test('usage: a missing or malformed file, an assertion inside the file, and --help', async () => {
    const missing = await runCli([
      'plans',
      'propose',
      '--project',
      project,
      '--file',
      join(project, 'none.json'),
      '--agent',
      'support-bot',
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /REQUEST_INVALID: --file .* cannot be read/);
    const malformed = await runCli([
      'plans',
      'propose',
      '--project',
      project,
      '--file',
      actionsFile('bad.json', { actions: 'x' }),
      '--agent',
      'support-bot',
    ]);
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /REQUEST_INVALID: actions must be a list/);
    const inline = await runCli([
      'plans',
      'propose',
      '--project',
      project,
      '--file',
      actionsFile('inline.json', { actions: [email('x')], actingFor: 'eyJ' }),
      '--agent',
      'support-bot',
    ]);
    assert.equal(inline.code, 2);
    assert.match(inline.stderr, /INTERLOCK_ACTING_FOR/);
    for (const [args, mentions] of [
      [['plans'], ['propose', 'show', 'execute']],
      [
        ['plans', 'propose'],
        ['--file', '--agent', '--project', '--json', 'INTERLOCK_ACTING_FOR'],
      ],
      [
        ['plans', 'execute'],
        ['--agent', '--project', '--json', 'PLAN_NOT_READY'],
      ],
      [
        ['plans', 'show'],
        ['--project', '--json'],
      ],
    ] as const) {
      const help = await runCli([...args, '--help']);
      assert.equal(help.code, 0, help.stderr);
      for (const mention of mentions) assert.ok(help.stdout.includes(mention), `${args.join(' ')} --help mentions ${mention}`);
    }
  });
});
