/**
 * Load-then-kill rounds against a real `interlock serve`: concurrent reads and writes, SIGKILL at a
 * chosen moment while requests are in flight, then the evidence is read straight from the store.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store, StoredAuditEvent } from '../../src/store/store.js';
import { LOOKUP, postCall, smallRefund, startServer, type CallAnswer, type ServerProcess } from '../cli/interlock-process.js';

/** A call the server answered: by design its evidence was committed before the answer left. */
export interface AcknowledgedCall {
  readonly httpStatus: number;
  readonly status: string;
  readonly callId: string;
  readonly auditEventId: string;
  readonly hadDecision: boolean;
  readonly tool: string;
}

export interface LoadRound {
  readonly acknowledged: AcknowledgedCall[];
  /** Requests that never got an answer because the server died under them. */
  readonly lostInFlight: number;
  readonly killedAfterMs: number;
}

const READ_LOOPS = 6;
const WRITE_LOOPS = 2;
const WRITE_WAIT_LIMIT_MS = 5000;
/** Answers a round needs before its kill means anything; the test asserts it was reached. */
export const MIN_ACKNOWLEDGED = 10;

/** Refund amounts cycling through executed (small), approval required (large) and denied (over the ceiling). */
const REFUND_AMOUNTS = [1500, 12000, 90000] as const;

/**
 * Starts READ_LOOPS lookup loops and WRITE_LOOPS refund loops against the server, kills it with
 * SIGKILL after `killAfterMs`, and returns every answered call. Each loop stops at its first
 * transport failure, which only happens once the server is gone. The kill waits, if need be, until
 * at least one write has been acknowledged.
 */
export async function loadThenKill(server: ServerProcess, token: string, assertion: string, killAfterMs: number): Promise<LoadRound> {
  const acknowledged: AcknowledgedCall[] = [];
  let lostInFlight = 0;
  let killed = false;
  const record = (answer: CallAnswer, tool: string): void => {
    const { body } = answer;
    assert.equal(typeof body.callId, 'string', `answer without callId: ${JSON.stringify(body)}`);
    assert.equal(typeof body.auditEventId, 'string', `answer without auditEventId: ${JSON.stringify(body)}`);
    acknowledged.push({
      httpStatus: answer.httpStatus,
      status: String(body.status),
      callId: String(body.callId),
      auditEventId: String(body.auditEventId),
      hadDecision: body['decision'] !== null && body['decision'] !== undefined,
      tool,
    });
  };
  const loop = async (next: (iteration: number) => Record<string, unknown>): Promise<void> => {
    for (let iteration = 0; ; iteration += 1) {
      const request = next(iteration);
      let answer: CallAnswer;
      try {
        answer = await postCall(server.url, token, request);
      } catch (error) {
        if (!killed) throw error;
        lostInFlight += 1;
        return;
      }
      record(answer, String(request['tool']));
    }
  };
  const loops: Array<Promise<void>> = [];
  for (let index = 0; index < READ_LOOPS; index += 1) loops.push(loop(() => ({ ...LOOKUP })));
  for (let index = 0; index < WRITE_LOOPS; index += 1) {
    loops.push(
      loop((iteration) => {
        const refund = smallRefund(assertion);
        const amount = REFUND_AMOUNTS[iteration % REFUND_AMOUNTS.length] ?? 1500;
        // Each iteration is a new refund, so it carries a new idempotency key.
        return {
          ...refund,
          arguments: { ...(refund['arguments'] as Record<string, unknown>), amount_cents: amount },
          idempotencyKey: `crash-refund-${randomUUID()}`,
        };
      }),
    );
  }
  const started = performance.now();
  await sleep(killAfterMs);
  // On a busy machine the first calls may not have completed yet: a round without an executed
  // write, or with only a handful of answers, would prove little, so the kill waits for them (bounded).
  const executedWrite = (): boolean => acknowledged.some((call) => call.tool === 'refunds' && call.status === 'executed');
  const enough = (): boolean => executedWrite() && acknowledged.length >= MIN_ACKNOWLEDGED;
  while (!enough() && performance.now() - started < killAfterMs + WRITE_WAIT_LIMIT_MS) await sleep(10);
  killed = true;
  server.child.kill('SIGKILL');
  const killedAfterMs = Math.round(performance.now() - started);
  const exit = await server.exited;
  assert.equal(exit.signal, 'SIGKILL', 'the server was killed, not stopped');
  await Promise.all(loops);
  return { acknowledged, lostInFlight, killedAfterMs };
}

/** Every event in the chain, in seq order. */
export async function readWholeChain(store: Store): Promise<StoredAuditEvent[]> {
  const events: StoredAuditEvent[] = [];
  for (let from = 1; ;) {
    const page = await store.readAuditRange(from, 5000);
    events.push(...page);
    if (page.length < 5000) return events;
    from = (page[page.length - 1]?.seq ?? from) + 1;
  }
}

/** Statuses closed by call.completed; every other answer is closed by call.refused. */
const COMPLETED_STATUSES = new Set(['executed', 'denied', 'approval_required', 'failed']);

/**
 * The durability promise: for every answered call, the events that explain it are in the store —
 * received, decided (when a decision was made), executed (when it ran), and the closing event
 * whose id the answer carried.
 */
export function assertEvidenceForEveryAcknowledgedCall(
  events: readonly StoredAuditEvent[],
  acknowledged: readonly AcknowledgedCall[],
): void {
  const byCall = new Map<string, StoredAuditEvent[]>();
  const byId = new Map<string, StoredAuditEvent>();
  for (const event of events) {
    byId.set(event.id, event);
    if (event.callId === null) continue;
    const list = byCall.get(event.callId) ?? [];
    list.push(event);
    byCall.set(event.callId, list);
  }
  const missing: string[] = [];
  for (const call of acknowledged) {
    const types = (byCall.get(call.callId) ?? []).map((event) => event.type);
    const closing = byId.get(call.auditEventId);
    const expectedClosing = COMPLETED_STATUSES.has(call.status) ? 'call.completed' : 'call.refused';
    const problems: string[] = [];
    if (!types.includes('call.received')) problems.push('call.received');
    if (call.hadDecision && !types.includes('decision.made')) problems.push('decision.made');
    if (call.status === 'executed' && !types.includes('tool.executed')) problems.push('tool.executed');
    if (closing === undefined) problems.push(`closing event ${call.auditEventId}`);
    else {
      if (closing.type !== expectedClosing) problems.push(`closing event of type ${expectedClosing} (found ${closing.type})`);
      if (closing.callId !== call.callId) problems.push('closing event of this call');
    }
    if (problems.length > 0) missing.push(`${call.tool} ${call.status} ${call.callId}: missing ${problems.join(', ')}`);
  }
  assert.deepEqual(missing, [], `acknowledged calls whose evidence is not in the store (${missing.length} of ${acknowledged.length})`);
}

/** No call is closed twice, and nothing is closed that was never received. */
export function assertNoDoubleClosing(events: readonly StoredAuditEvent[]): void {
  const closings = new Map<string, number>();
  const received = new Set<string>();
  for (const event of events) {
    if (event.callId === null) continue;
    if (event.type === 'call.received') received.add(event.callId);
    if (event.type === 'call.completed' || event.type === 'call.refused') closings.set(event.callId, (closings.get(event.callId) ?? 0) + 1);
  }
  for (const [callId, count] of closings) {
    assert.equal(count, 1, `call ${callId} is closed ${count} times`);
    assert.ok(received.has(callId), `call ${callId} is closed but was never received`);
  }
}

/** Starts a server, waits until a lookup executes, and returns both. */
export async function startAndWarm(project: string, token: string, env?: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const server = await startServer(project, env === undefined ? {} : { env });
  const health = await fetch(`${server.url}/healthz`);
  assert.equal(health.status, 200);
  const warm = await postCall(server.url, token, { ...LOOKUP });
  assert.equal(warm.body.status, 'executed', JSON.stringify(warm.body));
  return server;
}
