import { strict as assert } from 'node:assert';
import type { ServerResponse } from 'node:http';
import { describe, test, type TestContext } from 'node:test';
import type { ExecutionResult } from '../../../src/execution/executor.js';
import { HttpExecutor } from '../../../src/execution/http-executor.js';
import { ResilientExecutor, sleepUnlessAborted, type ResilienceOptions } from '../../../src/execution/resilient-executor.js';
import { Metrics } from '../../../src/telemetry/metrics.js';
import { sendJson, startUpstream, type Upstream, type UpstreamRoute } from '../../support/upstream.js';
import { context, contract, httpBinding, manualClock, metricValue, until } from './support.js';

interface Harness {
  readonly upstream: Upstream;
  readonly executor: ResilientExecutor;
  readonly metrics: Metrics;
  readonly clock: ReturnType<typeof manualClock>;
  /** Every backoff the executor asked to wait, in order. */
  readonly sleeps: number[];
}

/** A real upstream on port 0 behind the real HttpExecutor, wrapped with an injected clock and instant sleeps. */
async function harness(t: TestContext, route: UpstreamRoute, options: ResilienceOptions = {}): Promise<Harness> {
  const upstream = await startUpstream(route);
  t.after(() => upstream.close());
  const metrics = new Metrics({ defaultMetrics: false });
  const clock = manualClock();
  const sleeps: number[] = [];
  const executor = new ResilientExecutor(new HttpExecutor(() => 'unused'), {
    now: clock.now,
    random: () => 0.5,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    observer: metrics,
    ...options,
  });
  return { upstream, executor, metrics, clock, sleeps };
}

/** Answers each request with the next status of the script, repeating the last one. */
function scripted(statuses: readonly number[]): UpstreamRoute {
  let served = 0;
  return (_request, response) => {
    const status = statuses[Math.min(served, statuses.length - 1)] ?? 200;
    served += 1;
    sendJson(response, status, status < 400 ? { items: ['a'] } : { error: `status ${status}` });
  };
}

function failureOf(result: ExecutionResult): Extract<ExecutionResult, { ok: false }> {
  assert.equal(result.ok, false, `expected a failure, got ${JSON.stringify(result)}`);
  return result as Extract<ExecutionResult, { ok: false }>;
}

describe('ResilientExecutor over a real HTTP upstream: retries', () => {
  test('a read that fails twice with 503 then succeeds returns the answer; the upstream saw 3 requests', async (t) => {
    const { upstream, executor, metrics, sleeps } = await harness(t, scripted([503, 503, 200]));
    const result = await executor.execute(contract(httpBinding(upstream.baseUrl)), {}, context());
    assert.deepEqual(result, { ok: true, result: { items: ['a'] } });
    assert.equal(upstream.requests.length, 3);
    // Full jitter with a draw of 0.5: half of 100 ms, then half of 200 ms.
    assert.deepEqual(sleeps, [50, 100]);
    assert.equal(await metricValue(metrics, 'interlock_execution_retries_total', { upstream: upstream.baseUrl }), 2);
    assert.deepEqual(executor.states(), [
      { upstream: upstream.baseUrl, state: 'closed', consecutiveFailures: 0, openedAt: null, probeAfter: null },
    ]);
  });

  test('a read that keeps failing stops after maxAttempts and says how many attempts it took', async (t) => {
    const { upstream, executor } = await harness(t, scripted([503]), { maxAttempts: 4 });
    const failure = failureOf(await executor.execute(contract(httpBinding(upstream.baseUrl)), {}, context()));
    assert.equal(upstream.requests.length, 4);
    assert.equal(failure.outcome, 'failed');
    assert.equal(failure.error.code, 'UPSTREAM_FAILED');
    assert.deepEqual(failure.error.details, { upstreamStatus: 503, attempts: 4 });
  });

  test('a non-idempotent write failing with 503 is sent exactly once', async (t) => {
    const { upstream, executor, sleeps } = await harness(t, scripted([503, 200]));
    const write = contract(httpBinding(upstream.baseUrl, 'POST'), { operation: 'create', effect: 'write', idempotent: false });
    const failure = failureOf(await executor.execute(write, { amount: 5 }, context()));
    assert.equal(upstream.requests.length, 1);
    assert.equal(failure.error.code, 'UPSTREAM_FAILED');
    assert.deepEqual(failure.error.details, { upstreamStatus: 503 });
    assert.deepEqual(sleeps, []);
  });

  test('a destructive operation is never retried, even when declared idempotent', async (t) => {
    const { upstream, executor } = await harness(t, scripted([503, 200]));
    const destroy = contract(httpBinding(upstream.baseUrl, 'DELETE', '/items/{id}'), {
      operation: 'delete',
      effect: 'destructive',
      idempotent: true,
    });
    failureOf(await executor.execute(destroy, { id: 'a' }, context()));
    assert.equal(upstream.requests.length, 1);
  });

  test('an idempotent write is retried after a transient failure', async (t) => {
    const { upstream, executor } = await harness(t, scripted([503, 200]));
    const put = contract(httpBinding(upstream.baseUrl, 'PUT', '/items/{id}'), { operation: 'put', effect: 'write', idempotent: true });
    const result = await executor.execute(put, { id: 'a', name: 'A' }, context());
    assert.equal(result.ok, true);
    assert.equal(upstream.requests.length, 2);
    assert.deepEqual(
      upstream.requests.map((request) => [request.method, request.path, request.body]),
      [
        ['PUT', '/items/a', '{"name":"A"}'],
        ['PUT', '/items/a', '{"name":"A"}'],
      ],
    );
  });

  test('an idempotent write whose first attempt may have acted stays unknown even if a later attempt is refused cleanly', async (t) => {
    let served = 0;
    const { upstream, executor } = await harness(t, (_request, response) => {
      served += 1;
      // The first attempt is received and the connection dropped without an answer.
      if (served === 1) response.socket?.destroy();
      else sendJson(response, 503, { error: 'busy' });
    });
    const put = contract(httpBinding(upstream.baseUrl, 'PUT', '/items/{id}'), { operation: 'put', effect: 'write', idempotent: true });
    const failure = failureOf(await executor.execute(put, { id: 'a' }, context()));
    assert.equal(upstream.requests.length, 3);
    assert.equal(failure.outcome, 'unknown');
    assert.deepEqual(failure.error.details, { upstreamStatus: 503, attempts: 3 });
  });

  test('business answers (4xx) are neither retried nor counted against the upstream', async (t) => {
    const { upstream, executor } = await harness(t, scripted([404]), { failureThreshold: 2 });
    for (let call = 0; call < 6; call += 1) {
      const failure = failureOf(await executor.execute(contract(httpBinding(upstream.baseUrl)), {}, context()));
      assert.deepEqual(failure.error.details, { upstreamStatus: 404 });
    }
    assert.equal(upstream.requests.length, 6);
    assert.equal(executor.states()[0]?.state, 'closed');
    assert.equal(executor.states()[0]?.consecutiveFailures, 0);
  });

  test('a read that times out is retried; an idempotent write that times out is not', async (t) => {
    let reads = 0;
    const { upstream, executor } = await harness(t, (request, response) => {
      // Writes always hang past the contract's timeout; the first read does too, the next one answers.
      if (request.method !== 'GET') return;
      reads += 1;
      if (reads >= 2) sendJson(response, 200, { fine: true });
    });
    const read = await executor.execute(contract(httpBinding(upstream.baseUrl), { timeoutMs: 1_000 }), {}, context());
    assert.deepEqual(read, { ok: true, result: { fine: true } });
    assert.equal(upstream.requests.length, 2);

    const put = contract(httpBinding(upstream.baseUrl, 'PUT', '/items/{id}'), {
      operation: 'put',
      effect: 'write',
      idempotent: true,
      timeoutMs: 1_000,
    });
    const failure = failureOf(await executor.execute(put, { id: 'a' }, context()));
    assert.equal(failure.error.code, 'UPSTREAM_TIMEOUT');
    assert.equal(failure.outcome, 'unknown');
    assert.equal(upstream.requests.length, 3);
  });

  test('retries stop when the caller aborts during the backoff, and the wait ends with the abort', async (t) => {
    const caller = new AbortController();
    const waits: number[] = [];
    const { upstream, executor } = await harness(t, scripted([503]), {
      // The real timer-based sleep, with a backoff long enough that only the abort can end it.
      baseDelayMs: 600_000,
      maxDelayMs: 600_000,
      random: () => 0.99,
      sleep: (ms, signal) => {
        waits.push(ms);
        const waited = sleepUnlessAborted(ms, signal);
        caller.abort();
        return waited;
      },
    });
    const failure = failureOf(await executor.execute(contract(httpBinding(upstream.baseUrl)), {}, context(caller.signal)));
    assert.deepEqual(waits, [594_000]);
    assert.equal(upstream.requests.length, 1);
    assert.deepEqual(failure.error.details, { upstreamStatus: 503 });
  });

  test('the default sleep returns at once for an aborted signal and as soon as a live one aborts', async () => {
    const aborted = new AbortController();
    aborted.abort();
    await sleepUnlessAborted(600_000, aborted.signal);
    const later = new AbortController();
    const waiting = sleepUnlessAborted(600_000, later.signal);
    setTimeout(() => later.abort(), 10);
    await waiting;
    await sleepUnlessAborted(1, new AbortController().signal);
  });
});

describe('ResilientExecutor over a real HTTP upstream: circuit breaker', () => {
  test('opens after the threshold, fails fast without reaching the upstream, and lets one probe through after the cooldown', async (t) => {
    let status = 503;
    const { upstream, executor, metrics, clock } = await harness(
      t,
      (_request, response) => sendJson(response, status, status === 200 ? { items: [] } : { error: 'down' }),
      { failureThreshold: 3, cooldownMs: 10_000, maxAttempts: 3 },
    );
    const read = contract(httpBinding(`${upstream.baseUrl}/v1?region=eu`));
    const key = upstream.baseUrl;

    // Three attempts of one call, each through the breaker: the third failure opens it.
    const first = failureOf(await executor.execute(read, {}, context()));
    assert.deepEqual(first.error.details, { upstreamStatus: 503, attempts: 3 });
    assert.equal(upstream.requests.length, 3);
    assert.equal(await metricValue(metrics, 'interlock_circuit_state', { upstream: key }), 2);
    assert.equal(await metricValue(metrics, 'interlock_circuit_opened_total', { upstream: key }), 1);

    for (let call = 0; call < 5; call += 1) {
      const refused = failureOf(await executor.execute(read, {}, context()));
      assert.equal(refused.error.code, 'CIRCUIT_OPEN');
      assert.equal(refused.outcome, 'failed');
    }
    assert.equal(upstream.requests.length, 3, 'an open circuit sends nothing');
    const refused = failureOf(await executor.execute(read, {}, context()));
    assert.match(refused.error.message, new RegExp(`upstream ${key.replace(/[.]/g, '\\.')} is open`));
    assert.doesNotMatch(refused.error.message, /v1|region/);
    assert.deepEqual(refused.error.details, { upstream: key, state: 'open', retryAfterMs: 10_000 });
    assert.deepEqual(executor.states(), [
      { upstream: key, state: 'open', consecutiveFailures: 3, openedAt: clock.now(), probeAfter: clock.now() + 10_000 },
    ]);

    // Just before the cooldown ends: still refused. At its end: one probe, which fails and reopens.
    clock.advance(9_999);
    assert.equal(failureOf(await executor.execute(read, {}, context())).error.code, 'CIRCUIT_OPEN');
    clock.advance(1);
    const probe = failureOf(await executor.execute(read, {}, context()));
    assert.equal(probe.error.code, 'UPSTREAM_FAILED', 'the probe reaches the upstream and brings back its answer');
    assert.equal(upstream.requests.length, 4, 'a failed probe is not retried: the circuit it reopened refuses the retry');
    assert.equal(executor.states()[0]?.state, 'open');
    assert.equal(executor.states()[0]?.openedAt, clock.now(), 'the cooldown restarts from the failed probe');
    assert.equal(await metricValue(metrics, 'interlock_circuit_opened_total', { upstream: key }), 2);

    // The upstream recovers; the next probe after a full cooldown closes the circuit.
    status = 200;
    clock.advance(9_999);
    assert.equal(failureOf(await executor.execute(read, {}, context())).error.code, 'CIRCUIT_OPEN');
    clock.advance(1);
    assert.deepEqual(await executor.execute(read, {}, context()), { ok: true, result: { items: [] } });
    assert.equal(await metricValue(metrics, 'interlock_circuit_state', { upstream: key }), 0);
    assert.equal((await executor.execute(read, {}, context())).ok, true);
    assert.equal(upstream.requests.length, 6);
    assert.deepEqual(executor.states(), [{ upstream: key, state: 'closed', consecutiveFailures: 0, openedAt: null, probeAfter: null }]);
  });

  test('while half-open, concurrent calls fail fast and only the probe reaches the upstream', async (t) => {
    let mode: 'fail' | 'hold' = 'fail';
    const held: ServerResponse[] = [];
    const { upstream, executor, metrics, clock } = await harness(
      t,
      (_request, response) => {
        if (mode === 'fail') sendJson(response, 500, { error: 'broken' });
        else held.push(response);
      },
      { failureThreshold: 2, cooldownMs: 5_000 },
    );
    const read = contract(httpBinding(upstream.baseUrl));
    // 500 is counted but not transient: one request per call.
    failureOf(await executor.execute(read, {}, context()));
    failureOf(await executor.execute(read, {}, context()));
    assert.equal(executor.states()[0]?.state, 'open');
    assert.equal(upstream.requests.length, 2);

    mode = 'hold';
    clock.advance(5_000);
    const calls = Array.from({ length: 5 }, () => executor.execute(read, {}, context()));
    await until(() => held.length === 1, 'the probe to reach the upstream');
    assert.equal(await metricValue(metrics, 'interlock_circuit_state', { upstream: upstream.baseUrl }), 1);
    const [probe, ...others] = calls;
    for (const other of others) {
      const refused = failureOf(await other);
      assert.equal(refused.error.code, 'CIRCUIT_OPEN');
      assert.deepEqual(refused.error.details, { upstream: upstream.baseUrl, state: 'half_open' });
      assert.match(refused.error.message, /half-open/);
    }
    const answer = held[0];
    assert.ok(answer !== undefined);
    sendJson(answer, 200, { items: ['probe'] });
    assert.deepEqual(await probe, { ok: true, result: { items: ['probe'] } });
    assert.equal(upstream.requests.length, 3, 'exactly one of the concurrent calls reached the upstream');
    assert.equal(executor.states()[0]?.state, 'closed');
  });

  test('an unreachable upstream (connection refused) is counted and retried; the key is the origin only', async (t) => {
    const closed = await startUpstream((_request, response) => sendJson(response, 200, {}));
    const port = new URL(closed.baseUrl).port;
    await closed.close();
    const { executor } = await harness(t, scripted([200]), { failureThreshold: 3, maxAttempts: 3 });
    const read = contract(httpBinding(`http://127.0.0.1:${port}/api/v2?tenant=acme`));
    const failure = failureOf(await executor.execute(read, {}, context()));
    assert.equal(failure.error.code, 'UPSTREAM_FAILED');
    assert.deepEqual(failure.error.details, { attempts: 3 });
    const refused = failureOf(await executor.execute(read, {}, context()));
    assert.equal(refused.error.code, 'CIRCUIT_OPEN');
    assert.deepEqual(
      executor.states().map((circuit) => [circuit.upstream, circuit.state]),
      [[`http://127.0.0.1:${port}`, 'open']],
    );
  });

  test('credentials in a base URL never reach the circuit message, its details or the operator view', async (t) => {
    const { executor, upstream } = await harness(t, scripted([200]), { failureThreshold: 1, maxAttempts: 1 });
    const port = new URL(upstream.baseUrl).port;
    // fetch refuses a URL with user information before sending anything: a failure all the same.
    const read = contract(httpBinding(`http://ops:hunter2@127.0.0.1:${port}/v1?token=s3cr3t`));
    failureOf(await executor.execute(read, {}, context()));
    const refused = failureOf(await executor.execute(read, {}, context()));
    assert.equal(refused.error.code, 'CIRCUIT_OPEN');
    const exposed = JSON.stringify([refused.error.toData(), executor.states()]);
    assert.doesNotMatch(exposed, /hunter2|ops@|s3cr3t|token/);
    assert.match(refused.error.message, new RegExp(`http://127\\.0\\.0\\.1:${port} `));
    assert.equal(upstream.requests.length, 0);
  });

  test('a caller cancelling calls does not open the circuit; a deadline does', async (t) => {
    const { upstream, executor } = await harness(t, () => undefined, { failureThreshold: 2 });
    const read = contract(httpBinding(upstream.baseUrl));
    for (let call = 1; call <= 4; call += 1) {
      const caller = new AbortController();
      const running = executor.execute(read, {}, context(caller.signal));
      await until(() => upstream.requests.length === call, `request ${call}`);
      caller.abort();
      failureOf(await running);
    }
    assert.equal(upstream.requests.length, 4, 'a cancelled call is not retried');
    assert.deepEqual(
      executor.states().map((circuit) => [circuit.state, circuit.consecutiveFailures]),
      [['closed', 0]],
    );

    for (let call = 5; call <= 6; call += 1) {
      const deadline = new AbortController();
      const running = executor.execute(read, {}, context(deadline.signal));
      await until(() => upstream.requests.length === call, `request ${call}`);
      deadline.abort(new DOMException('the execution deadline passed', 'TimeoutError'));
      const failure = failureOf(await running);
      assert.equal(failure.error.code, 'UPSTREAM_TIMEOUT');
    }
    assert.equal(upstream.requests.length, 6, 'once the deadline passed, nothing is retried');
    assert.equal(executor.states()[0]?.state, 'open');
  });

  test('each upstream has its own circuit', async (t) => {
    const { upstream: broken, executor } = await harness(t, scripted([500]), { failureThreshold: 1 });
    const healthy = await startUpstream(scripted([200]));
    t.after(() => healthy.close());
    failureOf(await executor.execute(contract(httpBinding(broken.baseUrl)), {}, context()));
    assert.equal(failureOf(await executor.execute(contract(httpBinding(broken.baseUrl)), {}, context())).error.code, 'CIRCUIT_OPEN');
    assert.equal((await executor.execute(contract(httpBinding(healthy.baseUrl), { tool: 'other' }), {}, context())).ok, true);
    const states = new Map(executor.states().map((circuit) => [circuit.upstream, circuit.state]));
    assert.equal(states.size, 2);
    assert.equal(states.get(broken.baseUrl), 'open');
    assert.equal(states.get(healthy.baseUrl), 'closed');
  });

  test('options that cannot work are refused with CONFIG_INVALID', () => {
    const inner = new HttpExecutor(() => 'unused');
    for (const options of [{ failureThreshold: 0 }, { maxAttempts: 0 }, { cooldownMs: -1 }, { baseDelayMs: 500, maxDelayMs: 100 }]) {
      assert.throws(
        () => new ResilientExecutor(inner, options),
        (error: unknown) => error instanceof Error && 'code' in error && error.code === 'CONFIG_INVALID',
      );
    }
  });
});
