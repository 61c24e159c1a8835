import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { InterlockError } from '../../../src/errors/interlock-error.js';
import type { ExecutionResult, Executor } from '../../../src/execution/executor.js';
import { InProcessExecutor } from '../../../src/execution/in-process-executor.js';
import { McpExecutor } from '../../../src/execution/mcp/mcp-executor.js';
import { UpstreamPool } from '../../../src/execution/mcp/upstream-pool.js';
import { ResilientExecutor, upstreamKey } from '../../../src/execution/resilient-executor.js';
import { Metrics } from '../../../src/telemetry/metrics.js';
import { failOnUnhandledRejections, firstText, fixtureConfig, fixtureLog, REPO_DIR, tempDir } from '../mcp/helpers.js';
import { context, contract, manualClock, metricValue } from './support.js';

failOnUnhandledRejections();

const instantSleep = (): Promise<void> => Promise.resolve();

function failureOf(result: ExecutionResult): Extract<ExecutionResult, { ok: false }> {
  assert.equal(result.ok, false, `expected a failure, got ${JSON.stringify(result)}`);
  return result as Extract<ExecutionResult, { ok: false }>;
}

describe('upstreamKey', () => {
  test('http is the origin of the base URL; mcp and in-process name the server and the tool', () => {
    const http = (baseUrl: string) =>
      upstreamKey({ tool: 'billing', upstream: { kind: 'http', baseUrl, headerRefs: {}, method: 'GET', pathTemplate: '/' } });
    assert.equal(http('https://billing.example.com/api/v1?key=abc#frag'), 'https://billing.example.com');
    assert.equal(http('https://user:pass@billing.example.com:8443/api'), 'https://billing.example.com:8443');
    assert.equal(http('http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
    assert.equal(http('not a url'), 'http:billing');
    assert.equal(http('file:///etc/passwd'), 'http:billing');
    assert.equal(upstreamKey({ tool: 'fs', upstream: { kind: 'mcp', server: 'files', tool: 'read_file' } }), 'mcp:files');
    assert.equal(upstreamKey({ tool: 'ledger', upstream: { kind: 'in_process' } }), 'in_process:ledger');
  });
});

describe('ResilientExecutor over in-process handlers', () => {
  test('a handler that throws is an answer: not retried, not counted; one that hangs past its timeout is both', async () => {
    const inProcess = new InProcessExecutor();
    let thrown = 0;
    let hung = 0;
    inProcess.register('ledger.get', () => {
      thrown += 1;
      throw new RangeError('no such entry');
    });
    inProcess.register('ledger.scan', () => {
      hung += 1;
      return new Promise(() => undefined);
    });
    const metrics = new Metrics({ defaultMetrics: false });
    const executor = new ResilientExecutor(inProcess, { failureThreshold: 3, sleep: instantSleep, observer: metrics });
    const get = contract({ kind: 'in_process' }, { tool: 'ledger', operation: 'get' });
    const scan = contract({ kind: 'in_process' }, { tool: 'ledger', operation: 'scan', timeoutMs: 30 });

    for (let call = 0; call < 5; call += 1) {
      assert.equal(failureOf(await executor.execute(get, {}, context())).error.code, 'UPSTREAM_FAILED');
    }
    assert.equal(thrown, 5);
    assert.deepEqual(executor.states(), [
      { upstream: 'in_process:ledger', state: 'closed', consecutiveFailures: 0, openedAt: null, probeAfter: null },
    ]);

    const timedOut = failureOf(await executor.execute(scan, {}, context()));
    assert.equal(timedOut.error.code, 'UPSTREAM_TIMEOUT');
    assert.equal(timedOut.outcome, 'unknown');
    assert.deepEqual(timedOut.error.details, { attempts: 3 });
    assert.equal(hung, 3);
    assert.equal(executor.states()[0]?.state, 'open');
    assert.equal(await metricValue(metrics, 'interlock_execution_retries_total', { upstream: 'in_process:ledger' }), 2);

    // The circuit is per tool: both operations of the ledger now fail fast, and nothing runs.
    assert.equal(failureOf(await executor.execute(get, {}, context())).error.code, 'CIRCUIT_OPEN');
    assert.equal(thrown, 5);
  });

  test('a missing handler says nothing about the upstream', async () => {
    const executor = new ResilientExecutor(new InProcessExecutor(), { failureThreshold: 1, sleep: instantSleep });
    const orphan = contract({ kind: 'in_process' }, { tool: 'orphan' });
    for (let call = 0; call < 3; call += 1) {
      const failure = failureOf(await executor.execute(orphan, {}, context()));
      assert.equal(failure.error.code, 'HANDLER_MISSING');
      assert.equal(failure.error.details, undefined);
    }
    assert.equal(executor.states()[0]?.state, 'closed');
  });

  test('an adapter that throws frees the probe slot, and its error reaches the caller', async () => {
    // Adapters report failures as results; this one breaks that contract on purpose.
    let mode: 'timeout' | 'throw' | 'answer' = 'timeout';
    const adapter: Executor = {
      execute: () => {
        if (mode === 'throw') return Promise.reject(new Error('adapter bug'));
        if (mode === 'answer') return Promise.resolve({ ok: true, result: 'fine' });
        return Promise.resolve({ ok: false, outcome: 'unknown', error: new InterlockError('UPSTREAM_TIMEOUT', 'no answer') });
      },
    };
    const clock = manualClock();
    const executor = new ResilientExecutor(adapter, { failureThreshold: 1, cooldownMs: 1_000, now: clock.now, sleep: instantSleep });
    const flaky = contract({ kind: 'in_process' }, { tool: 'flaky' });
    failureOf(await executor.execute(flaky, {}, context()));
    assert.equal(executor.states()[0]?.state, 'open');

    clock.advance(1_000);
    mode = 'throw';
    await assert.rejects(executor.execute(flaky, {}, context()), /adapter bug/);
    assert.equal(executor.states()[0]?.state, 'half_open');
    mode = 'answer';
    assert.deepEqual(await executor.execute(flaky, {}, context()), { ok: true, result: 'fine' });
    assert.equal(executor.states()[0]?.state, 'closed');
  });
});

describe('ResilientExecutor over a real MCP upstream', () => {
  test('a JSON-RPC error is an answer; an unconfigured server is unavailable, retried, and its circuit opens', async (t) => {
    const logPath = join(tempDir(t), 'fixture.log');
    const pool = new UpstreamPool([fixtureConfig('fixture', { FIXTURE_LOG: logPath })], {
      projectDir: REPO_DIR,
      resolveSecret: (reference) => reference,
    });
    t.after(() => pool.close());
    pool.start();
    await pool.waitUntilSettled(30_000);
    const metrics = new Metrics({ defaultMetrics: false });
    const executor = new ResilientExecutor(new McpExecutor(pool), { failureThreshold: 2, sleep: instantSleep, observer: metrics });

    const fail = contract({ kind: 'mcp', server: 'fixture', tool: 'fail' }, { tool: 'fixture', operation: 'fail' });
    for (let call = 0; call < 4; call += 1) {
      const failure = failureOf(await executor.execute(fail, { message: 'refused by the tool' }, context()));
      assert.equal(failure.error.code, 'UPSTREAM_FAILED');
      assert.equal(typeof failure.error.details?.['upstreamCode'], 'number');
      assert.equal(failure.error.details?.['attempts'], undefined);
    }
    assert.equal(fixtureLog(logPath).filter((entry) => entry['tool'] === 'fail').length, 4, 'each call reached the server once');

    const echo = contract({ kind: 'mcp', server: 'fixture', tool: 'echo' }, { tool: 'fixture', operation: 'echo' });
    const answer = await executor.execute(echo, { text: 'still here' }, context());
    assert.equal(answer.ok && firstText(answer.result), 'still here');

    const ghost = contract({ kind: 'mcp', server: 'ghost', tool: 'echo' }, { tool: 'ghost' });
    const unavailable = failureOf(await executor.execute(ghost, {}, context()));
    assert.equal(unavailable.error.code, 'UPSTREAM_UNAVAILABLE');
    assert.deepEqual(unavailable.error.details, { attempts: 2 }, 'the second failure opened the circuit, which ends the retries');
    const refused = failureOf(await executor.execute(ghost, {}, context()));
    assert.equal(refused.error.code, 'CIRCUIT_OPEN');
    assert.match(refused.error.message, /upstream mcp:ghost /);

    assert.deepEqual(
      executor.states().map((circuit) => [circuit.upstream, circuit.state, circuit.consecutiveFailures]),
      [
        ['mcp:fixture', 'closed', 0],
        ['mcp:ghost', 'open', 2],
      ],
    );
    assert.equal(await metricValue(metrics, 'interlock_circuit_state', { upstream: 'mcp:fixture' }), 0);
    assert.equal(await metricValue(metrics, 'interlock_circuit_state', { upstream: 'mcp:ghost' }), 2);
    assert.equal(await metricValue(metrics, 'interlock_circuit_opened_total', { upstream: 'mcp:ghost' }), 1);
    assert.equal(await metricValue(metrics, 'interlock_circuit_opened_total', { upstream: 'mcp:fixture' }), undefined);
    assert.equal(await metricValue(metrics, 'interlock_execution_retries_total', { upstream: 'mcp:ghost' }), 1);
  });
});
