/**
 * `interlock kill`, `unkill` and `mode` in their own processes while `interlock serve` runs on the
 * same SQLite store: the server refuses the agent's next calls once its view of the store has
 * refreshed (polled here until it answers, never timed), and lifting restores it.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  assertExampleUser,
  copyRefundsExample,
  ensureBuilt,
  LOOKUP,
  mintAgentToken,
  mintOperatorToken,
  postCall,
  removeDirectory,
  runCli,
  smallRefund,
  startServer,
  type CallAnswer,
  type CommandResult,
  type ServerProcess,
} from './interlock-process.js';

const GLOBEX_LOOKUP = { tool: 'orders', operation: 'lookup', arguments: { order_id: 'o-2001' } } as const;
/** How long the server gets to see a change made by another process before the test fails. */
const PROPAGATION_DEADLINE_MS = 10_000;

before(() => ensureBuilt());

/** Calls until the answer satisfies `done` or the deadline passes; returns the last answer. */
async function pollUntil(call: () => Promise<CallAnswer>, done: (answer: CallAnswer) => boolean): Promise<CallAnswer> {
  const deadline = Date.now() + PROPAGATION_DEADLINE_MS;
  let answer = await call();
  while (!done(answer) && Date.now() < deadline) {
    await sleep(25);
    answer = await call();
  }
  return answer;
}

const codeOf = (answer: CallAnswer): string | undefined => answer.body.error?.code;

function assertUsage(result: CommandResult, pattern: RegExp): void {
  assert.equal(result.code, 2, `expected exit 2: ${result.stderr}`);
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, 'no stack trace');
}

describe('interlock kill, unkill and mode against a running server (sqlite)', () => {
  const project = copyRefundsExample('kill');
  let server: ServerProcess;
  let supportBot: string;
  let globexAssistant: string;
  const cli = (...args: string[]): Promise<CommandResult> => runCli([...args, '--project', project]);

  before(async () => {
    server = await startServer(project);
    supportBot = await mintAgentToken(project, 'support-bot');
    globexAssistant = await mintAgentToken(project, 'globex-assistant');
  });
  after(async () => {
    await server?.stop();
    removeDirectory(project);
  });

  test('kill --agent in another process: the server refuses that agent, serves another, and unkill restores it', async () => {
    assert.equal((await postCall(server.url, supportBot, LOOKUP)).httpStatus, 200);

    const killed = await cli('kill', '--agent', 'acme/support-bot', '--reason', 'refund loop, ticket 4711', '--by', 'dana');
    assert.equal(killed.code, 0, killed.stderr);
    assert.match(killed.stdout, /^kill switch set on agent acme\/support-bot by dana: refund loop, ticket 4711 \(rule [0-9a-f-]{36}\)\n$/);

    const refused = await pollUntil(
      () => postCall(server.url, supportBot, LOOKUP),
      (answer) => answer.httpStatus !== 200,
    );
    assert.equal(refused.httpStatus, 503, JSON.stringify(refused.body));
    assert.equal(codeOf(refused), 'KILL_SWITCH_ACTIVE');
    assert.equal((await postCall(server.url, globexAssistant, GLOBEX_LOOKUP)).httpStatus, 200, 'another agent was stopped');

    const listed = await cli('kill', '--list');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^kill\s+agent acme\/support-bot\s+set by dana at \S+: refund loop, ticket 4711$/m);
    const listedJson = JSON.parse((await cli('kill', '--list', '--json')).stdout) as { killSwitches: Array<{ target: string }> };
    assert.deepEqual(
      listedJson.killSwitches.map((rule) => rule.target),
      ['acme/support-bot'],
    );

    const lifted = await cli('unkill', '--agent', 'support-bot', '--reason', 'loop fixed in 1.4.2', '--by', 'dana');
    assert.equal(lifted.code, 0, lifted.stderr);
    assert.equal(lifted.stdout, 'lifted 1 kill switch on agent acme/support-bot by dana: loop fixed in 1.4.2\n');
    const restored = await pollUntil(
      () => postCall(server.url, supportBot, LOOKUP),
      (answer) => answer.httpStatus === 200,
    );
    assert.equal(restored.httpStatus, 200, JSON.stringify(restored.body));

    const again = await cli('unkill', '--agent', 'acme/support-bot', '--reason', 'twice', '--json');
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { lifted: number }).lifted, 0);
    assert.equal((await cli('kill', '--list')).stdout, 'no kill switches or modes in force\n');
  });

  test('kill --tool */TOOL stops that tool in every tenant and nothing else', async () => {
    const killed = await cli('kill', '--tool', '*/orders', '--reason', 'back office outage', '--json');
    assert.equal(killed.code, 0, killed.stderr);
    const rule = (JSON.parse(killed.stdout) as { rule: { scope: string; target: string } }).rule;
    assert.deepEqual([rule.scope, rule.target], ['tool', '*/orders']);
    try {
      const refused = await pollUntil(
        () => postCall(server.url, globexAssistant, GLOBEX_LOOKUP),
        (answer) => answer.httpStatus !== 200,
      );
      assert.equal(codeOf(refused), 'KILL_SWITCH_ACTIVE');
      assert.equal(codeOf(await postCall(server.url, supportBot, LOOKUP)), 'KILL_SWITCH_ACTIVE');
      const alice = await assertExampleUser(project, 'alice', ['support']);
      const refund = await postCall(server.url, supportBot, { ...smallRefund(alice), idempotencyKey: `key-${randomUUID()}` });
      assert.equal(refund.httpStatus, 200, `the refunds tool was stopped too: ${JSON.stringify(refund.body)}`);
    } finally {
      assert.equal((await cli('unkill', '--tool', '*/orders', '--reason', 'outage over')).code, 0);
    }
    const restored = await pollUntil(
      () => postCall(server.url, globexAssistant, GLOBEX_LOOKUP),
      (answer) => answer.httpStatus === 200,
    );
    assert.equal(restored.httpStatus, 200);
  });

  test('mode --agent read_only: reads run, writes are refused; --set normal lifts it', async () => {
    const alice = await assertExampleUser(project, 'alice', ['support']);
    const refund = () => postCall(server.url, supportBot, { ...smallRefund(alice), idempotencyKey: `key-${randomUUID()}` });
    const set = await cli('mode', '--agent', 'acme/support-bot', '--set', 'read_only', '--reason', 'injection spike', '--by', 'dana');
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /^agent acme\/support-bot is now read_only \(by dana: injection spike; rule [0-9a-f-]{36}\)\n$/);
    try {
      const refused = await pollUntil(refund, (answer) => answer.httpStatus !== 200);
      assert.equal(codeOf(refused), 'SESSION_READ_ONLY', JSON.stringify(refused.body));
      assert.equal((await postCall(server.url, supportBot, LOOKUP)).httpStatus, 200, 'a read was refused in read_only');
      assert.match((await cli('kill', '--list')).stdout, /^mode read_only\s+agent acme\/support-bot\s+set by dana/m);
    } finally {
      const normal = await cli('mode', '--agent', 'acme/support-bot', '--set', 'normal', '--reason', 'spike over', '--by', 'dana');
      assert.equal(normal.code, 0, normal.stderr);
      assert.equal(normal.stdout, 'agent acme/support-bot is back to normal (by dana: spike over)\n');
    }
    const restored = await pollUntil(refund, (answer) => answer.httpStatus === 200);
    assert.equal(restored.httpStatus, 200, JSON.stringify(restored.body));
  });

  test('kill --agent --revoke also revokes its tokens: they stay refused after unkill', async () => {
    const token = await mintAgentToken(project, 'globex-assistant');
    const killed = await cli('kill', '--agent', 'globex/globex-assistant', '--revoke', '--reason', 'token leaked', '--by', 'dana');
    assert.equal(killed.code, 0, killed.stderr);
    assert.match(killed.stdout, /; every token it holds is revoked\n$/);
    assert.equal((await cli('unkill', '--agent', 'globex/globex-assistant', '--reason', 'rotated', '--by', 'dana')).code, 0);
    const answer = await postCall(server.url, token, GLOBEX_LOOKUP);
    assert.equal(answer.httpStatus, 401);
    assert.equal(codeOf(answer), 'AUTH_REVOKED');
  });

  test('usage mistakes exit 2 with a message and set nothing', async () => {
    const reason = ['--reason', 'x'];
    assertUsage(await cli('kill', ...reason), /kill needs exactly one of --fleet, --tenant T, --agent T\/A/);
    assertUsage(await cli('kill', '--fleet', '--tenant', 'acme', ...reason), /exactly one of/);
    assertUsage(await cli('kill', '--agent', 'acme/support-bot'), /--reason is required/);
    assertUsage(await cli('kill', '--tenant', 'initech', ...reason), /tenant "initech" is not in the project \(tenants: acme, globex\)/);
    assertUsage(
      await cli('kill', '--agent', 'acme/globex-assistant', ...reason),
      /agent "globex-assistant" is not configured in tenant "acme"/,
    );
    assertUsage(await cli('kill', '--agent', 'nobody', ...reason), /--agent "nobody" is not a configured agent/);
    assertUsage(
      await cli('kill', '--tenant', 'acme', '--revoke', ...reason),
      /credentials can be revoked together with an agent kill switch only/,
    );
    assertUsage(await cli('kill', '--operation', 'acme/orders', ...reason), /REQUEST_INVALID: "acme\/orders" is not a operation target/);
    assertUsage(await cli('kill', '--list', '--fleet'), /--list takes no selector/);
    assertUsage(await cli('unkill', '--session', 'acme/s-1', ...reason), /unknown option '--session'/);
    assertUsage(
      await cli('mode', '--agent', 'acme/support-bot', '--set', 'paused', ...reason),
      /Allowed choices are normal, elevated, read_only, locked/,
    );
    assertUsage(await cli('mode', '--agent', 'acme/support-bot', ...reason), /required option '--set <mode>' not specified/);
    assertUsage(await cli('mode', '--tool', 'acme/orders', '--set', 'locked', ...reason), /unknown option '--tool'/);
    assert.equal((await cli('kill', '--list')).stdout, 'no kill switches or modes in force\n');
  });

  test('the audit chain written by the server and the commands verifies, and names who acted and why', async () => {
    const verified = await cli('audit', 'verify', '--json');
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    const token = await mintOperatorToken(project, 'auditor');
    const response = await fetch(`${server.url}/v1/audit?type=containment.set&limit=1000`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const page = (await response.json()) as { events: Array<{ event: { data: Record<string, unknown> } }> };
    const killEvent = page.events
      .map((entry) => entry.event.data)
      .find((data) => data['target'] === 'acme/support-bot' && data['kind'] === 'kill');
    assert.equal(killEvent?.['by'], 'dana');
    assert.equal(killEvent?.['reason'], 'refund loop, ticket 4711');
  });

  test('--help explains each command with examples', async () => {
    const expectations: Array<[string[], string[]]> = [
      [
        ['kill'],
        [
          '--fleet',
          '--tenant',
          '--agent',
          '--tool',
          '--operation',
          '--reason',
          '--by',
          '--revoke',
          '--list',
          '--json',
          'Examples:',
          'KILL_SWITCH_ACTIVE',
        ],
      ],
      [['unkill'], ['--fleet', '--tenant', '--agent', '--tool', '--operation', '--reason', '--by', 'kill --list']],
      [['mode'], ['--tenant', '--agent', '--session', '--set', 'read_only', 'locked', 'elevated', '--reason', '--by', 'Examples:']],
    ];
    for (const [args, mentions] of expectations) {
      const help = await runCli([...args, '--help']);
      assert.equal(help.code, 0, help.stderr);
      for (const mention of mentions) assert.ok(help.stdout.includes(mention), `interlock ${args.join(' ')} --help mentions ${mention}`);
    }
  });
});
