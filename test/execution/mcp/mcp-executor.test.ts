import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { classifyCallFailure, isCancellation } from '../../../src/execution/mcp/call-failure.js';
import { McpExecutor } from '../../../src/execution/mcp/mcp-executor.js';
import { restartDelay } from '../../../src/execution/mcp/restart-delay.js';
import { UpstreamPool } from '../../../src/execution/mcp/upstream-pool.js';
import type { McpUpstream, ProgressUpdate } from '../../../src/execution/mcp/upstream.js';
import type { ExecutionContext } from '../../../src/execution/executor.js';
import type { OperationContract, UpstreamBinding } from '../../../src/registry/contract.js';
import { firstText, fixtureConfig, REPO_DIR } from './helpers.js';

function contract(upstream: UpstreamBinding, timeoutMs = 10_000): OperationContract {
  return {
    tool: 'fixture',
    operation: 'echo',
    qualifiedName: 'fixture.echo',
    mcpName: 'fixture__echo',
    description: undefined,
    effect: 'read',
    idempotent: true,
    argumentsSchema: { type: 'object' },
    entities: [],
    costUsd: 0,
    timeoutMs,
    tenants: null,
    upstream,

    compensation: null,
    dryRun: null,
    statusCheck: null,
    contentTrust: 'untrusted',
    citations: 'optional',
  };
}

function context(overrides: Partial<ExecutionContext> = {}): ExecutionContext {
  return {
    callId: 'call-1',
    traceId: 'trace-1',
    agentId: 'agent-1',
    tenant: 'default',
    actingForUserId: null,
    signal: new AbortController().signal,
    ...overrides,
  };
}

describe('McpExecutor', () => {
  test('runs a bound tool on the pool’s upstream, with the contract’s timeout and the context’s progress listener', async (t) => {
    const pool = new UpstreamPool([fixtureConfig('fixture')], { projectDir: REPO_DIR, resolveSecret: (reference) => reference });
    t.after(() => pool.close());
    pool.start();
    await pool.waitUntilSettled(30_000);
    const executor = new McpExecutor(pool);

    const echo = await executor.execute(contract({ kind: 'mcp', server: 'fixture', tool: 'echo' }), { text: 'via executor' }, context());
    assert.equal(echo.ok && firstText(echo.result), 'via executor');

    const updates: ProgressUpdate[] = [];
    const progress = await executor.execute(
      contract({ kind: 'mcp', server: 'fixture', tool: 'progress' }),
      { steps: 2, delayMs: 30 },
      context({ onProgress: (update) => updates.push(update) }),
    );
    assert.ok(progress.ok);
    assert.deepEqual(
      updates.map((update) => update.progress),
      [1, 2],
    );

    const slow = await executor.execute(contract({ kind: 'mcp', server: 'fixture', tool: 'slow' }, 200), { ms: 20_000 }, context());
    assert.equal(!slow.ok && slow.error.code, 'UPSTREAM_TIMEOUT');
    assert.equal(!slow.ok && slow.outcome, 'unknown');
  });

  test('an unknown server is UPSTREAM_UNAVAILABLE; another binding kind is an internal error; a throwing upstream is unknown', async () => {
    const throwing: McpUpstream = {
      name: 'broken',
      status: 'ready',
      tools: [],
      capabilities: {},
      callTool: () => Promise.reject(new Error('contract broken')),
      request: () => Promise.resolve({}),
      on: () => undefined,
      start: () => undefined,
      close: () => Promise.resolve(),
    };
    const executor = new McpExecutor({ get: (name) => (name === 'broken' ? throwing : undefined) });

    const unknownServer = await executor.execute(contract({ kind: 'mcp', server: 'nope', tool: 'echo' }), {}, context());
    assert.equal(!unknownServer.ok && unknownServer.error.code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(!unknownServer.ok && unknownServer.outcome, 'failed');

    const wrongKind = await executor.execute(contract({ kind: 'in_process' }), {}, context());
    assert.equal(!wrongKind.ok && wrongKind.error.code, 'INTERNAL');

    const broken = await executor.execute(contract({ kind: 'mcp', server: 'broken', tool: 'echo' }), {}, context());
    assert.equal(!broken.ok && broken.outcome, 'unknown');
  });
});

describe('restart delay', () => {
  const policy = { initialDelayMs: 500, maxDelayMs: 30_000 };

  test('grows exponentially, stays within the initial and maximum delay, and jitters in the upper half', () => {
    assert.equal(
      restartDelay(policy, 1, () => 0),
      500,
    );
    assert.equal(
      restartDelay(policy, 1, () => 0.999),
      500,
    );
    assert.equal(
      restartDelay(policy, 4, () => 0),
      2000,
    );
    assert.equal(
      restartDelay(policy, 4, () => 1),
      4000,
    );
    assert.equal(
      restartDelay(policy, 20, () => 1),
      30_000,
    );
    assert.equal(
      restartDelay(policy, 20, () => 0),
      15_000,
    );
    assert.equal(
      restartDelay(policy, 1000, () => 0.5),
      22_500,
    );
    assert.equal(
      restartDelay({ initialDelayMs: 5000, maxDelayMs: 1000 }, 3, () => 0.5),
      1000,
    );
  });
});

describe('call failure classification', () => {
  const base = { server: 'up', what: 'tools/call t', timeoutMs: 100, abortedWith: null, connectionLost: false, secrets: ['s3cret-value'] };

  test('abort reasons: deadlines are timeouts, everything naming cancellation is a cancellation', () => {
    assert.equal(isCancellation(new DOMException('x', 'TimeoutError')), false);
    assert.equal(isCancellation(new DOMException('x', 'AbortError')), true);
    assert.equal(isCancellation(new Error('cancelled by the client')), true);
    assert.equal(isCancellation('cancelled'), true);
    assert.equal(isCancellation(new Error('deadline')), false);
    assert.equal(isCancellation(undefined), false);
  });

  test('each error maps to one outcome', () => {
    const timeout = classifyCallFailure(new McpError(ErrorCode.RequestTimeout, 'Request timed out'), base);
    assert.deepEqual([timeout.outcome, timeout.error.code], ['unknown', 'UPSTREAM_TIMEOUT']);

    const rejected = classifyCallFailure(new McpError(-32000, 'MCP error -32000: bad s3cret-value'), base);
    assert.deepEqual([rejected.outcome, rejected.error.code, rejected.connectionBroken], ['failed', 'UPSTREAM_FAILED', false]);
    assert.equal(rejected.error.message, 'tools/call t on upstream up failed: bad [REDACTED]');

    const lost = classifyCallFailure(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'), { ...base, connectionLost: true });
    assert.deepEqual([lost.outcome, lost.error.code], ['unknown', 'UPSTREAM_FAILED']);

    const notConnected = classifyCallFailure(new Error('Not connected'), base);
    assert.deepEqual([notConnected.outcome, notConnected.error.code], ['failed', 'UPSTREAM_UNAVAILABLE']);

    const network = classifyCallFailure(new TypeError('fetch failed'), base);
    assert.deepEqual([network.outcome, network.connectionBroken], ['unknown', true]);

    const cancelled = classifyCallFailure(new McpError(ErrorCode.RequestTimeout, 'AbortError'), {
      ...base,
      abortedWith: { reason: new DOMException('x', 'AbortError') },
    });
    assert.deepEqual(
      [cancelled.outcome, cancelled.error.code, cancelled.error.details],
      ['unknown', 'UPSTREAM_FAILED', { cancelled: true }],
    );
  });
});
