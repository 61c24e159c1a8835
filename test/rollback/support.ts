/**
 * Rollback tests drive the real doors: writes go over HTTP to a served runtime (with idempotency
 * keys), `interlock rollback` runs as a separate process on the same store, and the upstream is the
 * fixture's ledger file, which every process appends to.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompensationRecord } from '../../src/store/store.js';
import { runCli, type CommandResult } from '../cli/interlock-process.js';
import { postgresTestUrl } from '../support/postgres.js';
import { DATABASE_URL_VARIABLE, REFUNDS_EXAMPLE, startProject, type ProjectFixture, type StorageKind } from '../support/project-fixture.js';

export const LEDGER_FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'ledger');

/** One effect the fixture's upstream saw. */
export interface LedgerEntry {
  readonly op: string;
  /** Refund or hold id (absent for e-mail). */
  readonly id?: string;
  readonly agentId: string;
  readonly tenant: string;
  readonly callId: string;
}

export interface WriteRequest {
  readonly tool: string;
  readonly operation: string;
  readonly arguments: Record<string, unknown>;
  readonly idempotencyKey: string;
  readonly sessionId?: string;
  readonly traceId?: string;
}

export interface LedgerProject {
  readonly fixture: ProjectFixture;
  readonly dir: string;
  /** Sends a write over HTTP as this agent; fails the test unless it executed. Returns its call id. */
  write(agentId: string, request: WriteRequest): Promise<string>;
  /** Everything the upstream saw, in order. */
  ledger(): LedgerEntry[];
  /** Ids cancelled, released or clawed back upstream, in order. */
  undone(): string[];
  /** Runs `interlock rollback --project DIR ...args` in its own process. */
  rollback(args: readonly string[]): Promise<CommandResult>;
  /** Runs it with --json and parses stdout; fails the test on another exit code than expected. */
  rollbackJson(args: readonly string[], expectedExit?: number): Promise<Record<string, unknown>>;
  /** Compensation records of a session, newest first. */
  compensations(filter: { sessionId?: string; traceId?: string }): Promise<CompensationRecord[]>;
  close(): Promise<void>;
}

export async function openLedgerProject(storage: StorageKind = 'sqlite'): Promise<LedgerProject> {
  // The fixture acts for no user, but the project fixture reads a demo issuer key all the same.
  const demoIssuerKey = readFileSync(join(REFUNDS_EXAMPLE, 'demo-issuer', 'private.pem'), 'utf8');
  const fixture = await startProject({
    source: LEDGER_FIXTURE,
    storage,
    name: 'rollback',
    files: { 'demo-issuer/private.pem': demoIssuerKey },
  });
  const tokens = new Map<string, string>();
  const env = { [DATABASE_URL_VARIABLE]: postgresTestUrl() };
  const ledgerPath = join(fixture.dir, 'ledger.jsonl');
  const ledger = (): LedgerEntry[] =>
    existsSync(ledgerPath)
      ? readFileSync(ledgerPath, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as LedgerEntry)
      : [];
  const rollback = (args: readonly string[]) => runCli(['rollback', '--project', fixture.dir, ...args], { env, timeoutMs: 60_000 });
  return {
    fixture,
    dir: fixture.dir,
    async write(agentId, request) {
      let token = tokens.get(agentId);
      if (token === undefined) {
        token = await fixture.mintAgentToken(agentId);
        tokens.set(agentId, token);
      }
      const answer = await fixture.call(request, token);
      assert.equal(answer.body.status, 'executed', `${request.tool}.${request.operation} did not execute: ${answer.text}`);
      assert.equal(typeof answer.body.callId, 'string');
      return answer.body.callId ?? '';
    },
    ledger,
    undone: () =>
      ledger()
        .filter((entry) => ['refunds.cancel', 'holds.release', 'payouts.claw_back'].includes(entry.op))
        .map((entry) => entry.id ?? ''),
    rollback,
    async rollbackJson(args, expectedExit = 0) {
      const result = await rollback([...args, '--json']);
      assert.equal(result.code, expectedExit, `rollback ${args.join(' ')} exited ${String(result.code)}: ${result.stdout}${result.stderr}`);
      return JSON.parse(result.stdout) as Record<string, unknown>;
    },
    compensations: (filter) => fixture.runtime.store.listCompensations({ ...filter, limit: 1000 }),
    close: () => fixture.close(),
  };
}

/** A refund of `amount` cents for order o-<n>. */
export function refund(n: number, sessionId: string, extra: Partial<WriteRequest> = {}): WriteRequest {
  return {
    tool: 'refunds',
    operation: 'create',
    arguments: { order_id: `o-${n}`, amount_cents: 100 * n },
    idempotencyKey: `refund-${sessionId}-${n}`,
    sessionId,
    ...extra,
  };
}

/** The judged incident, shared by the SQLite and PostgreSQL suites. */
export async function threeWritesRolledBackTwice(project: LedgerProject): Promise<void> {
  const session = 'incident-7';
  const originals = [
    await project.write('ops-bot', refund(1, session)),
    await project.write('ops-bot', refund(2, session)),
    await project.write('ops-bot', refund(3, session)),
  ];
  // A retry of a write with the same key is the first outcome again: still three refunds.
  assert.equal(await project.write('ops-bot', refund(2, session)), originals[1]);
  assert.deepEqual(
    project
      .ledger()
      .filter((entry) => entry.op === 'refunds.create')
      .map((entry) => entry.id),
    ['r-1', 'r-2', 'r-3'],
  );

  // Dry run: the plan, newest first; nothing changes anywhere.
  const dryRun = await project.rollback(['--session', session]);
  assert.equal(dryRun.code, 0, dryRun.stderr);
  const planRows = dryRun.stdout.split('\n').filter((line) => /^\s+\d+\s+refunds\.create/.test(line));
  assert.deepEqual(
    planRows.map((line) => /"refund_id":"(r-\d)"/.exec(line)?.[1]),
    ['r-3', 'r-2', 'r-1'],
  );
  assert.ok(planRows.every((line) => line.includes('pending')));
  assert.match(dryRun.stdout, /Dry run: nothing was changed/);
  assert.match(dryRun.stdout, /--execute/);
  assert.deepEqual(project.undone(), []);
  assert.deepEqual(
    (await project.compensations({ sessionId: session })).map((record) => record.status),
    ['pending', 'pending', 'pending'],
  );
  assert.equal((await project.fixture.auditEvents({ type: 'rollback.planned' })).length, 0);

  // Execute: three cancels, newest first, each as the agent that made the refund.
  const first = await project.rollback(['--session', session, '--execute', '--by', 'alice', '--reason', 'incident 7: wrong refunds']);
  assert.equal(first.code, 0, `${first.stdout}${first.stderr}`);
  assert.equal((first.stdout.match(/compensated by [0-9a-f-]{36}/g) ?? []).length, 3, first.stdout);
  assert.deepEqual(project.undone(), ['r-3', 'r-2', 'r-1']);
  const cancels = project.ledger().filter((entry) => entry.op === 'refunds.cancel');
  assert.ok(cancels.every((entry) => entry.agentId === 'ops-bot' && entry.tenant === 'acme'));
  const records = await project.compensations({ sessionId: session });
  assert.deepEqual(
    records.map((record) => record.callId),
    [...originals].reverse(),
  );
  assert.deepEqual(
    records.map((record) => record.status),
    ['compensated', 'compensated', 'compensated'],
  );
  assert.deepEqual(
    records.map((record) => record.compensatedByCall),
    cancels.map((entry) => entry.callId),
  );

  // Again: everything is already compensated; nothing runs.
  const second = await project.rollbackJson(['--session', session, '--execute', '--by', 'alice', '--reason', 'incident 7, once more']);
  assert.equal(second['ok'], true);
  assert.deepEqual(second['counts'], { compensated: 0, alreadyCompensated: 3, irreversible: 0, quarantined: 0, failed: 0, notRun: 0 });
  assert.deepEqual(project.undone(), ['r-3', 'r-2', 'r-1']);

  // The evidence: who and why for each run, and each compensation names the call it undoes.
  const planned = await project.fixture.auditEvents({ type: 'rollback.planned' });
  assert.equal(planned.length, 2);
  const firstPlan = JSON.parse(planned[0]?.body ?? '{}') as { data: Record<string, unknown> };
  assert.equal(firstPlan.data['by'], 'alice');
  assert.equal(firstPlan.data['reason'], 'incident 7: wrong refunds');
  assert.deepEqual(firstPlan.data['filter'], { sessionId: session });
  assert.deepEqual(firstPlan.data['order'], [...originals].reverse());
  const received = (await project.fixture.auditEvents({ type: 'call.received' }))
    .map((event) => JSON.parse(event.body) as { callId: string; data: Record<string, unknown> })
    .filter((event) => event.data['compensationOf'] !== undefined);
  assert.deepEqual(
    received.map((event) => event.data['compensationOf']),
    [...originals].reverse(),
  );
  const verify = await runCli(['audit', 'verify', '--project', project.dir], { env: { [DATABASE_URL_VARIABLE]: postgresTestUrl() } });
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
}
