/**
 * `interlock rollback` on SQLite: writes made over HTTP, the command run as its own process, the
 * upstream observed through the fixture's ledger file.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureBuilt } from '../cli/interlock-process.js';
import { openLedgerProject, refund, threeWritesRolledBackTwice, type LedgerProject } from './support.js';

before(() => ensureBuilt());

interface JsonStep {
  readonly order: number;
  readonly callId: string;
  readonly result: string;
  readonly compensatingCallId: string | null;
  readonly replayed: boolean;
  readonly note: string;
}

interface JsonEntry {
  readonly callId: string;
  readonly status: string;
  readonly tenant: string;
  readonly agentId: string;
  readonly compensation: { tool: string; operation: string; arguments: Record<string, unknown> } | null;
}

const EXECUTE = ['--execute', '--by', 'oncall', '--reason', 'test incident'];

function entriesOf(plan: Record<string, unknown>): JsonEntry[] {
  return plan['entries'] as JsonEntry[];
}

function stepsOf(report: Record<string, unknown>): JsonStep[] {
  return report['steps'] as JsonStep[];
}

describe('interlock rollback on sqlite', () => {
  let project: LedgerProject;
  before(async () => {
    project = await openLedgerProject('sqlite');
  });
  after(() => project.close());

  test('a session with three writes: three compensations in reverse order, once each, even when the rollback runs twice', async () => {
    await threeWritesRolledBackTwice(project);
  });

  test('a crash between a compensation and its record: the next run repeats the first outcome and runs nothing again', async () => {
    const session = 'crash-1';
    const originals = [
      await project.write('ops-bot', refund(1, session)),
      await project.write('ops-bot', refund(2, session)),
      await project.write('ops-bot', refund(3, session)),
    ];
    const before = project.undone().length;
    const first = await project.rollbackJson(['--session', session, ...EXECUTE]);
    const firstSteps = stepsOf(first);
    assert.deepEqual(
      firstSteps.map((step) => step.result),
      ['compensated', 'compensated', 'compensated'],
    );
    assert.equal(project.undone().length, before + 3);

    // The process died after the kernel ran the middle compensation, before it was marked.
    await project.fixture.execute(
      `update compensations set status = 'pending', compensated_by_call = null where call_id = '${originals[1] ?? ''}'`,
    );
    const plan = await project.rollbackJson(['--session', session]);
    assert.deepEqual(
      entriesOf(plan).map((entry) => entry.status),
      ['compensated', 'pending', 'compensated'],
    );

    const second = await project.rollbackJson(['--session', session, ...EXECUTE]);
    const middle = stepsOf(second)[1];
    assert.equal(middle?.result, 'compensated');
    assert.equal(middle?.replayed, true, 'the kernel repeated the first outcome');
    assert.equal(middle?.compensatingCallId, firstSteps[1]?.compensatingCallId, 'marked with the call that really ran');
    assert.equal(project.undone().length, before + 3, 'no second cancellation upstream');
    const records = await project.compensations({ sessionId: session });
    assert.deepEqual(
      records.map((record) => record.status),
      ['compensated', 'compensated', 'compensated'],
    );
    assert.equal(records[1]?.compensatedByCall, firstSteps[1]?.compensatingCallId);
  });

  test('an irreversible write is listed as IRREVERSIBLE; --quarantine marks it for review, with who and why', async () => {
    const session = 'irreversible-1';
    const refundCall = await project.write('ops-bot', refund(4, session));
    const emailCall = await project.write('ops-bot', {
      tool: 'email',
      operation: 'send',
      arguments: { to: 'customer@example.com' },
      idempotencyKey: 'email-1',
      sessionId: session,
    });

    const dryRun = await project.rollback(['--session', session, '--quarantine']);
    assert.equal(dryRun.code, 0, dryRun.stderr);
    const emailRow = dryRun.stdout.split('\n').find((line) => line.includes(emailCall));
    assert.match(emailRow ?? '', /email\.send .*IRREVERSIBLE .*irreversible: will be quarantined/);
    assert.deepEqual(
      (await project.compensations({ sessionId: session })).map((record) => record.status),
      ['irreversible', 'pending'],
      'a dry run quarantines nothing',
    );

    const without = await project.rollbackJson(['--session', session, ...EXECUTE]);
    assert.deepEqual(
      stepsOf(without).map((step) => [step.callId, step.result]),
      [
        [emailCall, 'irreversible'],
        [refundCall, 'compensated'],
      ],
    );
    assert.equal((await project.fixture.auditEvents({ type: 'compensation.quarantined' })).length, 0);

    const quarantined = await project.rollback([
      '--session',
      session,
      '--execute',
      '--quarantine',
      '--by',
      'bob',
      '--reason',
      'mail went out',
    ]);
    assert.equal(quarantined.code, 0, quarantined.stderr);
    assert.match(quarantined.stdout.split('\n').find((line) => line.includes(emailCall)) ?? '', /quarantined for review/);
    assert.deepEqual(
      (await project.compensations({ sessionId: session })).map((record) => record.status),
      ['quarantined', 'compensated'],
    );
    const events = await project.fixture.auditEvents({ type: 'compensation.quarantined' });
    assert.equal(events.length, 1);
    const event = JSON.parse(events[0]?.body ?? '{}') as { callId: string; data: Record<string, unknown> };
    assert.equal(event.callId, emailCall);
    assert.equal(event.data['by'], 'bob');
    assert.equal(event.data['reason'], 'mail went out');

    // Listed as quarantined from now on; a second --quarantine changes nothing.
    const again = await project.rollbackJson(['--session', session, '--execute', '--quarantine', '--by', 'bob', '--reason', 'again']);
    assert.deepEqual(
      stepsOf(again).map((step) => step.result),
      ['quarantined', 'already_compensated'],
    );
    assert.equal((await project.fixture.auditEvents({ type: 'compensation.quarantined' })).length, 1);
  });

  test('a compensation denied by policy stops the rollback with exit 1 and leaves the rest pending', async () => {
    const session = 'denied-1';
    const early = await project.write('ops-bot', refund(5, session));
    const hold = await project.write('ops-bot', {
      tool: 'holds',
      operation: 'place',
      arguments: { account: 'acct-9' },
      idempotencyKey: 'hold-1',
      sessionId: session,
    });
    const late = await project.write('ops-bot', refund(6, session));
    const lateId = project.ledger().find((entry) => entry.callId === late)?.id;
    const earlyId = project.ledger().find((entry) => entry.callId === early)?.id;
    const undoneBefore = project.undone();

    const run = await project.rollback(['--session', session, ...EXECUTE]);
    assert.equal(run.code, 1, `${run.stdout}${run.stderr}`);
    assert.match(run.stdout, /Stopped at #2 \([0-9a-f-]+\): POLICY_DENIED/);
    assert.match(run.stdout, /not run \(left pending\)/);
    assert.deepEqual(project.undone(), [...undoneBefore, lateId]);
    assert.ok(!project.undone().includes(earlyId ?? ''));
    const records = await project.compensations({ sessionId: session });
    assert.deepEqual(
      records.map((record) => [record.callId, record.status]),
      [
        [late, 'compensated'],
        [hold, 'pending'],
        [early, 'pending'],
      ],
    );

    // Running it again stops at the same place and repeats nothing.
    const report = await project.rollbackJson(['--session', session, ...EXECUTE], 1);
    assert.deepEqual(
      stepsOf(report).map((step) => step.result),
      ['already_compensated', 'failed', 'not_run'],
    );
    const stop = report['stoppedAt'] as { callId: string; callStatus: string; code: string };
    assert.deepEqual([stop.callId, stop.callStatus, stop.code], [hold, 'denied', 'POLICY_DENIED']);
    assert.deepEqual(project.undone(), [...undoneBefore, lateId]);
  });

  test('a compensation that needs approval stops the rollback; once approved, the next run executes it once', async () => {
    const session = 'approval-1';
    const payout = await project.write('ops-bot', {
      tool: 'payouts',
      operation: 'send',
      arguments: { account: 'acct-3', amount_cents: 2500 },
      idempotencyKey: 'payout-1',
      sessionId: session,
    });
    const late = await project.write('ops-bot', refund(16, session));
    const payoutId = project.ledger().find((entry) => entry.callId === payout)?.id ?? '';
    const lateId = project.ledger().find((entry) => entry.callId === late)?.id ?? '';
    const undoneBefore = project.undone();

    const waiting = await project.rollback(['--session', session, ...EXECUTE]);
    assert.equal(waiting.code, 1, `${waiting.stdout}${waiting.stderr}`);
    const approvalId = /Once approval ([0-9a-f-]{36}) is granted, run the rollback again/.exec(waiting.stdout)?.[1] ?? '';
    assert.notEqual(approvalId, '', waiting.stdout);
    assert.deepEqual(project.undone(), [...undoneBefore, lateId]);

    // Still waiting: a second run asks for the same approval and runs nothing.
    const stillWaiting = await project.rollbackJson(['--session', session, ...EXECUTE], 1);
    const stop = stillWaiting['stoppedAt'] as { approvalId: string; callStatus: string; code: string };
    assert.deepEqual([stop.approvalId, stop.callStatus, stop.code], [approvalId, 'approval_required', 'APPROVAL_REQUIRED']);

    await project.fixture.runtime.approvals.decide(
      approvalId,
      { operatorId: 'finance-lead', roles: ['finance'], tenants: '*' },
      'approve',
      'claw back the payout',
    );
    const approved = await project.rollbackJson(['--session', session, ...EXECUTE]);
    assert.deepEqual(
      stepsOf(approved).map((step) => step.result),
      ['already_compensated', 'compensated'],
    );
    const again = await project.rollbackJson(['--session', session, ...EXECUTE]);
    assert.deepEqual(
      stepsOf(again).map((step) => step.result),
      ['already_compensated', 'already_compensated'],
    );
    assert.deepEqual(project.undone(), [...undoneBefore, lateId, payoutId]);
  });

  test('--trace selects the writes of that trace only', async () => {
    const session = 'traces-1';
    const inTrace = [
      await project.write('ops-bot', refund(7, session, { traceId: 'trace-a' })),
      await project.write('ops-bot', refund(8, session, { traceId: 'trace-a' })),
    ];
    const other = await project.write('ops-bot', refund(9, session, { traceId: 'trace-b' }));
    const plan = await project.rollbackJson(['--trace', 'trace-a']);
    assert.deepEqual(
      entriesOf(plan).map((entry) => entry.callId),
      [...inTrace].reverse(),
    );
    const report = await project.rollbackJson(['--trace', 'trace-a', ...EXECUTE]);
    assert.deepEqual(
      stepsOf(report).map((step) => [step.callId, step.result]),
      [
        [inTrace[1], 'compensated'],
        [inTrace[0], 'compensated'],
      ],
    );
    assert.deepEqual(
      (await project.compensations({ traceId: 'trace-b' })).map((record) => [record.callId, record.status]),
      [[other, 'pending']],
    );
  });

  test('--agent with --since selects that agent’s writes from that time on (ISO time or a duration back from now)', async () => {
    const session = 'agent-since-1';
    const earlier = await project.write('helper-bot', refund(10, session));
    const before = (await project.compensations({ sessionId: session }))[0]?.executedAt ?? '';
    // The clock moves past the first write, so the start time falls strictly between the two.
    while (new Date().toISOString() <= before) await sleep(2);
    const since = new Date().toISOString();
    await sleep(2);
    const later = [await project.write('helper-bot', refund(11, session)), await project.write('helper-bot', refund(12, session))];
    const otherAgent = await project.write('ops-bot', refund(13, session));

    const fromIso = await project.rollbackJson(['--agent', 'helper-bot', '--since', since]);
    assert.deepEqual(
      entriesOf(fromIso).map((entry) => entry.callId),
      [...later].reverse(),
    );
    const fromDuration = await project.rollbackJson(['--agent', 'helper-bot', '--since', '1h']);
    const helperCalls = entriesOf(fromDuration).map((entry) => entry.callId);
    assert.deepEqual(helperCalls.slice(0, 3), [later[1], later[0], earlier]);
    assert.ok(!helperCalls.includes(otherAgent));
    assert.ok(entriesOf(fromDuration).every((entry) => entry.agentId === 'helper-bot'));

    const report = await project.rollbackJson(['--agent', 'helper-bot', '--since', since, ...EXECUTE]);
    assert.deepEqual(
      stepsOf(report).map((step) => step.callId),
      [...later].reverse(),
    );
    const statuses = new Map((await project.compensations({ sessionId: session })).map((record) => [record.callId, record.status]));
    assert.equal(statuses.get(earlier), 'pending');
    assert.equal(statuses.get(otherAgent), 'pending');
    assert.equal(statuses.get(later[0] ?? ''), 'compensated');
  });

  test('--tenant leaves out the writes of another tenant in a session with the same id', async () => {
    const session = 'shared-session';
    const acme = await project.write('ops-bot', refund(14, session));
    const globex = await project.write('globex-bot', refund(15, session));
    const globexRefund = project.ledger().find((entry) => entry.callId === globex)?.id;

    const everyone = await project.rollbackJson(['--session', session]);
    assert.deepEqual(
      entriesOf(everyone).map((entry) => entry.tenant),
      ['globex', 'acme'],
    );
    const onlyAcme = await project.rollbackJson(['--session', session, '--tenant', 'acme', ...EXECUTE]);
    assert.deepEqual(
      stepsOf(onlyAcme).map((step) => [step.callId, step.result]),
      [[acme, 'compensated']],
    );
    assert.ok(!project.undone().includes(globexRefund ?? ''));
    const records = await project.compensations({ sessionId: session });
    assert.deepEqual(
      records.map((record) => [record.tenant, record.status]),
      [
        ['globex', 'pending'],
        ['acme', 'compensated'],
      ],
    );
  });

  test('usage mistakes exit 2 and change nothing', async () => {
    const undone = project.undone();
    const cases: Array<[readonly string[], RegExp]> = [
      [[], /exactly one of --trace/],
      [['--trace', 'a', '--session', 'b'], /exactly one of --trace/],
      [['--agent', 'ops-bot'], /--agent needs --since/],
      [['--session', 's', '--since', '2h'], /--since goes with --agent/],
      [['--agent', 'ops-bot', '--since', 'yesterday-ish'], /neither an ISO time nor a duration/],
      [['--session', 'has spaces'], /session id must be/],
      [['--session', 'incident-7', '--execute', '--by', 'oncall'], /--execute needs --reason/],
      [['--session', 'incident-7', '--bogus'], /unknown option/],
    ];
    for (const [args, message] of cases) {
      const result = await project.rollback(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, message);
    }
    assert.deepEqual(project.undone(), undone);
  });
});
