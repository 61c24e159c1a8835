/**
 * Safe-execution benchmarks (`npm run bench -- --only kill,approval`):
 *
 * - kill: two `interlock serve` processes on one PostgreSQL schema. A kill switch on an agent is
 *   set through replica A (`POST /v1/kill-switches`, operator token); from the moment A
 *   acknowledges it, replica B is polled with that agent's calls, one at a time, until one is
 *   refused with KILL_SWITCH_ACTIVE. The figure is acknowledgement → arrival of that refusal, so
 *   it includes one call's round trip on B. Then the switch is lifted (also measured) and the next
 *   trial starts after a random pause, so trials do not lock onto the replicas' polling phase.
 *   Skipped, saying why, when PostgreSQL does not answer.
 * - approval: an approval round trip over HTTP against `interlock serve` on SQLite (durable): the
 *   agent's call answered 202 APPROVAL_REQUIRED → an operator's POST /v1/approvals/:id/approve →
 *   the agent's retry with the same idempotency key answered 200 executed. Each phase is timed,
 *   and so is the whole.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { parseDocument } from 'yaml';
import { openRuntime } from '../src/runtime/open-runtime.js';
import type { ResultRow } from './result.js';
import { summarise, type LatencySummary } from './statistics.js';
import { createBenchProject, type BenchProject } from './support/bench-project.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';
import { mintSupportUserAssertion } from './support/user-assertion.js';

const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const PROPAGATION_TARGET_MS = 1000;
const POLL_LIMIT_MS = 10_000;
const LOOKUP = JSON.stringify({ tool: 'orders', operation: 'lookup', arguments: { order_id: 'o-1001' } });
/** An operator of tenant acme who may approve refunds (the example has none). */
const APPROVER = { id: 'finance-bench', tenants: ['acme'], roles: ['finance-approver'] };

export interface KillPlan {
  readonly trials: number;
  readonly keep: boolean;
}

export interface ApprovalPlan {
  readonly warmUp: number;
  readonly samples: number;
  readonly keep: boolean;
}

export const DEFAULT_KILL_PLAN: KillPlan = { trials: 30, keep: false };
export const DEFAULT_APPROVAL_PLAN: ApprovalPlan = { warmUp: 20, samples: 200, keep: false };

type ScenarioResult = { rows: ResultRow[]; details: Record<string, unknown> };

// --- kill switch propagation ---------------------------------------------------------------------

/** INTERLOCK_BENCH_PG_URL, INTERLOCK_TEST_PG_URL, or the local development server. */
function postgresUrl(): string {
  for (const name of ['INTERLOCK_BENCH_PG_URL', 'INTERLOCK_TEST_PG_URL']) {
    const value = process.env[name];
    if (value !== undefined && value !== '') return value;
  }
  return DEFAULT_PG_URL;
}

/** Null when PostgreSQL answers; otherwise why it does not (without the password). */
async function postgresProblem(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (error) {
    return `PostgreSQL at ${withoutPassword(url)} does not answer (${error instanceof Error ? error.message : String(error)}); set INTERLOCK_BENCH_PG_URL`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured URL';
  }
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`drop schema if exists ${client.escapeIdentifier(schema)} cascade`);
  } finally {
    await client.end();
  }
}

export async function runKillPropagation(plan: KillPlan = DEFAULT_KILL_PLAN): Promise<ScenarioResult> {
  const url = postgresUrl();
  const problem = await postgresProblem(url);
  if (problem !== null) {
    process.stderr.write(` skipped: ${problem} ...`);
    return {
      rows: [
        {
          scenario: 'kill on replica A → first refusal on replica B (postgres)',
          p50Micros: null,
          p99Micros: null,
          meanMicros: null,
          throughputPerSecond: null,
          target: 'skipped: PostgreSQL does not answer (reason above and in the JSON)',
          met: null,
        },
      ],
      details: { skipped: problem },
    };
  }

  const schema = `bench_kill_${process.pid}_${randomUUID().slice(0, 8)}`;
  const project = createBenchProject({ durability: 'durable', keep: plan.keep });
  const servers: ServerProcess[] = [];
  try {
    // The URL is read from a file next to interlock.yaml, so it never appears on a command line.
    writeFileSync(join(project.dir, 'postgres-url.txt'), `${url}\n`, { mode: 0o600 });
    editConfig(project, (document) => {
      document.setIn(['storage'], { driver: 'postgres', url: 'file:postgres-url.txt', schema, durability: 'durable', poolSize: 4 });
    });
    const { agent, operator } = await mintTokens(project, { agent: 'support-bot', operator: 'auditor' });
    const replicaA = await startServerProcess({ projectDir: project.dir });
    servers.push(replicaA);
    const replicaB = await startServerProcess({ projectDir: project.dir });
    servers.push(replicaB);
    for (const replica of [replicaA, replicaB]) {
      if ((await lookup(replica.address, agent)).outcome !== 'executed')
        throw new Error(`replica ${replica.address} does not execute lookups`);
    }

    const killedAfter: number[] = [];
    const liftedAfter: number[] = [];
    const callsBeforeRefusal: number[] = [];
    for (let trial = 0; trial < plan.trials; trial += 1) {
      await pause(Math.random() * 100);
      const order = { scope: 'agent', target: 'acme/support-bot', reason: `bench trial ${trial + 1}` };
      await operatorPost(replicaA.address, operator, '/v1/kill-switches', order, 201);
      const killAcknowledgedAt = performance.now();
      const refused = await pollReplica(replicaB.address, agent, 'refused', killAcknowledgedAt);
      killedAfter.push(refused.afterMs);
      callsBeforeRefusal.push(refused.calls - 1);

      await pause(Math.random() * 100);
      await operatorPost(replicaA.address, operator, '/v1/kill-switches/lift', order, 200);
      const liftAcknowledgedAt = performance.now();
      liftedAfter.push((await pollReplica(replicaB.address, agent, 'executed', liftAcknowledgedAt)).afterMs);
    }

    const kill = summarise(killedAfter.map((ms) => ms * 1000));
    const lift = summarise(liftedAfter.map((ms) => ms * 1000));
    return {
      rows: [
        {
          scenario: `kill on replica A → first refusal on replica B (postgres, ${plan.trials} trials)`,
          p50Micros: kill.p50Micros,
          p99Micros: kill.p99Micros,
          meanMicros: kill.meanMicros,
          throughputPerSecond: null,
          target: `p99 < ${PROPAGATION_TARGET_MS} ms`,
          met: kill.p99Micros < PROPAGATION_TARGET_MS * 1000,
        },
        {
          scenario: `unkill on replica A → first executed call on replica B (postgres, ${plan.trials} trials)`,
          p50Micros: lift.p50Micros,
          p99Micros: lift.p99Micros,
          meanMicros: lift.meanMicros,
          throughputPerSecond: null,
          target: null,
          met: null,
        },
      ],
      details: {
        storage: 'postgres',
        replicas: 2,
        method:
          'POST /v1/kill-switches on replica A; from its answer, POST /v1/calls orders.lookup on replica B one at a time until KILL_SWITCH_ACTIVE',
        killToRefusal: kill,
        unkillToExecuted: lift,
        killedAfterMs: killedAfter.map(roundMs),
        liftedAfterMs: liftedAfter.map(roundMs),
        callsExecutedOnBAfterTheKill: callsBeforeRefusal,
      },
    };
  } catch (error) {
    for (const server of servers) process.stderr.write(`server output:\n${server.recentOutput()}\n`);
    throw error;
  } finally {
    for (const server of servers) await server.stop();
    project.remove();
    if (!plan.keep) await dropSchema(url, schema).catch(() => undefined);
  }
}

async function pollReplica(
  address: string,
  token: string,
  awaited: 'refused' | 'executed',
  since: number,
): Promise<{ afterMs: number; calls: number }> {
  for (let calls = 1; ; calls += 1) {
    const answer = await lookup(address, token);
    const now = performance.now();
    if (answer.outcome === awaited) return { afterMs: now - since, calls };
    if (answer.outcome === 'other') throw new Error(`replica ${address} answered neither executed nor KILL_SWITCH_ACTIVE: ${answer.text}`);
    if (now - since > POLL_LIMIT_MS) throw new Error(`replica ${address} was still not ${awaited} after ${POLL_LIMIT_MS} ms`);
  }
}

async function lookup(address: string, token: string): Promise<{ outcome: 'executed' | 'refused' | 'other'; text: string }> {
  const response = await fetch(`${address}/v1/calls`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: LOOKUP,
  });
  const text = await response.text();
  const body = JSON.parse(text) as { status?: string; error?: { code?: string } };
  if (response.status === 200 && body.status === 'executed') return { outcome: 'executed', text };
  if (body.error?.code === 'KILL_SWITCH_ACTIVE') return { outcome: 'refused', text };
  return { outcome: 'other', text };
}

// --- approval round trip -------------------------------------------------------------------------

export async function runApprovalRoundTrip(plan: ApprovalPlan = DEFAULT_APPROVAL_PLAN): Promise<ScenarioResult> {
  const project = createBenchProject({ durability: 'durable', keep: plan.keep });
  let server: ServerProcess | null = null;
  try {
    editConfig(project, (document) => {
      const operators = document.get('operators') as { add(value: unknown): void } | undefined;
      if (operators === undefined) throw new Error('examples/refunds/interlock.yaml has no operators list');
      operators.add(document.createNode(APPROVER));
    });
    const [{ agent, operator }, assertion] = await Promise.all([
      mintTokens(project, { agent: 'support-bot', operator: APPROVER.id }),
      mintSupportUserAssertion(),
    ]);
    server = await startServerProcess({ projectDir: project.dir });
    const address = server.address;

    const request: number[] = [];
    const approve: number[] = [];
    const execute: number[] = [];
    const total: number[] = [];
    for (let iteration = 0; iteration < plan.warmUp + plan.samples; iteration += 1) {
      // 120.00 is above the example's routine limit: policy asks a finance approver.
      const call = JSON.stringify({
        tool: 'refunds',
        operation: 'create',
        arguments: { order_id: 'o-1001', amount_cents: 12000, reason: `bench approval ${iteration}` },
        actingFor: assertion,
        idempotencyKey: `bench-approval-${randomUUID()}`,
      });
      const started = performance.now();
      const pending = await agentCall(address, agent, call, 202, 'approval_required');
      const requested = performance.now();
      const approvalId = (pending as { approval?: { id?: string } }).approval?.id;
      if (approvalId === undefined) throw new Error(`no approval id in ${JSON.stringify(pending)}`);
      await operatorPost(address, operator, `/v1/approvals/${approvalId}/approve`, { comment: 'bench' }, 200);
      const approved = performance.now();
      await agentCall(address, agent, call, 200, 'executed');
      const executed = performance.now();
      if (iteration < plan.warmUp) continue;
      request.push((requested - started) * 1000);
      approve.push((approved - requested) * 1000);
      execute.push((executed - approved) * 1000);
      total.push((executed - started) * 1000);
    }

    const phases: Array<[string, LatencySummary]> = [
      ['approval round trip: request → approve → executed (http, sqlite durable)', summarise(total)],
      ['  agent call → 202 approval_required', summarise(request)],
      ['  operator POST /v1/approvals/:id/approve', summarise(approve)],
      ['  agent retry (same key) → 200 executed', summarise(execute)],
    ];
    return {
      rows: phases.map(([scenario, summary]) => ({
        scenario,
        p50Micros: summary.p50Micros,
        p99Micros: summary.p99Micros,
        meanMicros: summary.meanMicros,
        throughputPerSecond: null,
        target: null,
        met: null,
      })),
      details: {
        storage: 'sqlite',
        durability: 'durable',
        door: 'HTTP: interlock serve in a child process; agent and operator tokens',
        plan: { warmUp: plan.warmUp, samples: plan.samples },
        total: phases[0]?.[1],
        request: phases[1]?.[1],
        approve: phases[2]?.[1],
        execute: phases[3]?.[1],
      },
    };
  } catch (error) {
    if (server !== null) process.stderr.write(`server output:\n${server.recentOutput()}\n`);
    throw error;
  } finally {
    await server?.stop();
    project.remove();
  }
}

async function agentCall(address: string, token: string, body: string, status: number, outcome: string): Promise<unknown> {
  const response = await fetch(`${address}/v1/calls`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  });
  const answer = (await response.json()) as { status?: string };
  if (response.status !== status || answer.status !== outcome) {
    throw new Error(`expected HTTP ${status} ${outcome}, got HTTP ${response.status}: ${JSON.stringify(answer)}`);
  }
  return answer;
}

// --- shared --------------------------------------------------------------------------------------

async function operatorPost(address: string, token: string, path: string, body: unknown, status: number): Promise<void> {
  const response = await fetch(`${address}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== status) throw new Error(`POST ${path}: expected HTTP ${status}, got ${response.status}: ${text}`);
}

function editConfig(project: BenchProject, change: (document: ReturnType<typeof parseDocument>) => void): void {
  const path = join(project.dir, 'interlock.yaml');
  const document = parseDocument(readFileSync(path, 'utf8'));
  change(document);
  writeFileSync(path, document.toString());
}

/**
 * Mints tokens before any server starts (the first open creates the keys and the schema), the
 * way the other HTTP benchmarks do.
 */
async function mintTokens(project: BenchProject, who: { agent: string; operator: string }): Promise<{ agent: string; operator: string }> {
  const runtime = await openRuntime(project.dir, { logLevel: 'silent', processMetrics: false });
  try {
    const agent = (await runtime.identity.issuer.mintAgentToken({ agentId: who.agent, ttlSeconds: 3600 })).token;
    const operator = (await runtime.identity.issuer.mintOperatorToken({ operatorId: who.operator, ttlSeconds: 3600 })).token;
    return { agent, operator };
  } finally {
    await runtime.close();
  }
}

function pause(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

function roundMs(value: number): number {
  return Math.round(value * 10) / 10;
}
