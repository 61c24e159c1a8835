import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { Effect } from '../../../src/config/schema.js';
import { assessFailure, backoffDelay, operationMayBeRetried, type ExecutionFailure } from '../../../src/execution/retry-policy.js';
import { InterlockError } from '../../../src/errors/interlock-error.js';
import type { ErrorCode } from '../../../src/errors/catalogue.js';
import type { UpstreamBinding } from '../../../src/registry/contract.js';

const HTTP: UpstreamBinding = { kind: 'http', baseUrl: 'http://upstream.test', headerRefs: {}, method: 'GET', pathTemplate: '/x' };
const MCP: UpstreamBinding = { kind: 'mcp', server: 'files', tool: 'read' };
const IN_PROCESS: UpstreamBinding = { kind: 'in_process' };

function failure(code: ErrorCode, outcome: 'failed' | 'unknown' = 'failed', details?: Record<string, unknown>): ExecutionFailure {
  return { ok: false, outcome, error: new InterlockError(code, `${code} for the test`, details) };
}

const live = new AbortController().signal;

function assess(effect: Effect, upstream: UpstreamBinding, result: ExecutionFailure, signal = live) {
  return assessFailure({ effect, upstream }, result, signal);
}

describe('backoffDelay: exponential ceiling, full jitter', () => {
  const options = { baseDelayMs: 100, maxDelayMs: 2_000 };

  test('a draw of 0 waits nothing; a draw just under 1 reaches just under the ceiling, which doubles up to the cap', () => {
    const justUnderOne = () => 1 - Number.EPSILON;
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 30, 2_000].map((attempt) => backoffDelay(attempt, options, justUnderOne)),
      [99, 199, 399, 799, 1_599, 1_999, 1_999, 1_999, 1_999],
    );
    assert.deepEqual(
      [1, 5, 2_000].map((attempt) => backoffDelay(attempt, options, () => 0)),
      [0, 0, 0],
    );
    assert.equal(
      backoffDelay(3, options, () => 0.5),
      200,
    );
  });

  test('every draw of a seeded sequence stays within [0, ceiling] and the draws spread across it', () => {
    let state = 42;
    const random = () => {
      // mulberry32: reproducible, well-spread draws in [0, 1).
      state = (state + 0x6d2b79f5) | 0;
      let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
      mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
      return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
    };
    for (const attempt of [1, 2, 3, 4, 5, 6]) {
      const ceiling = Math.min(2_000, 100 * 2 ** (attempt - 1));
      const delays = Array.from({ length: 500 }, () => backoffDelay(attempt, options, random));
      assert.ok(
        delays.every((delay) => Number.isInteger(delay) && delay >= 0 && delay <= ceiling),
        `attempt ${attempt}: out of bounds`,
      );
      assert.ok(Math.min(...delays) < ceiling * 0.1, `attempt ${attempt}: no short waits drawn`);
      assert.ok(Math.max(...delays) > ceiling * 0.9, `attempt ${attempt}: no long waits drawn`);
    }
  });

  test('a random source outside [0, 1) cannot stretch the wait past the ceiling or below zero', () => {
    assert.equal(
      backoffDelay(1, options, () => 7),
      100,
    );
    assert.equal(
      backoffDelay(1, options, () => -3),
      0,
    );
    assert.equal(
      backoffDelay(1, options, () => Number.NaN),
      0,
    );
  });
});

describe('operationMayBeRetried', () => {
  test('reads and idempotent writes may be sent again; non-idempotent writes and destructive operations never', () => {
    assert.equal(operationMayBeRetried({ effect: 'read', idempotent: false }), true);
    assert.equal(operationMayBeRetried({ effect: 'read', idempotent: true }), true);
    assert.equal(operationMayBeRetried({ effect: 'write', idempotent: true }), true);
    assert.equal(operationMayBeRetried({ effect: 'write', idempotent: false }), false);
    assert.equal(operationMayBeRetried({ effect: 'destructive', idempotent: false }), false);
    assert.equal(operationMayBeRetried({ effect: 'destructive', idempotent: true }), false);
  });
});

describe('assessFailure', () => {
  test('no answer and unavailability are upstream failures', () => {
    assert.deepEqual(assess('read', HTTP, failure('UPSTREAM_UNAVAILABLE')), { health: 'unhealthy', transient: true });
    assert.deepEqual(assess('read', HTTP, failure('UPSTREAM_TIMEOUT')), { health: 'unhealthy', transient: true });
    assert.deepEqual(assess('write', HTTP, failure('UPSTREAM_TIMEOUT', 'unknown')), { health: 'unhealthy', transient: false });
    assert.deepEqual(assess('write', MCP, failure('UPSTREAM_FAILED', 'unknown')), { health: 'unhealthy', transient: true });
    assert.deepEqual(assess('read', IN_PROCESS, failure('UPSTREAM_TIMEOUT', 'unknown')), { health: 'unhealthy', transient: true });
    assert.deepEqual(assess('read', HTTP, failure('INTERNAL', 'unknown')), { health: 'unhealthy', transient: false });
  });

  test('HTTP 5xx are failures, and only 502, 503 and 504 are transient; 4xx are business answers', () => {
    for (const status of [502, 503, 504]) {
      assert.deepEqual(assess('read', HTTP, failure('UPSTREAM_FAILED', 'failed', { upstreamStatus: status })), {
        health: 'unhealthy',
        transient: true,
      });
    }
    for (const status of [500, 501, 507]) {
      assert.deepEqual(assess('read', HTTP, failure('UPSTREAM_FAILED', 'failed', { upstreamStatus: status })), {
        health: 'unhealthy',
        transient: false,
      });
    }
    for (const status of [301, 400, 404, 409, 422, 429]) {
      assert.deepEqual(assess('read', HTTP, failure('UPSTREAM_FAILED', 'failed', { upstreamStatus: status })), {
        health: 'healthy',
        transient: false,
      });
    }
  });

  test('a JSON-RPC error and a throwing in-process handler are answers; a detail-less HTTP or MCP failure is not', () => {
    assert.deepEqual(assess('read', MCP, failure('UPSTREAM_FAILED', 'failed', { upstreamCode: -32603 })), {
      health: 'healthy',
      transient: false,
    });
    assert.deepEqual(assess('read', IN_PROCESS, failure('UPSTREAM_FAILED')), { health: 'healthy', transient: false });
    assert.deepEqual(assess('read', HTTP, failure('UPSTREAM_FAILED')), { health: 'unhealthy', transient: true });
    assert.deepEqual(assess('read', MCP, failure('UPSTREAM_FAILED')), { health: 'unhealthy', transient: true });
  });

  test('cancellation by the caller tells nothing, while a deadline does', () => {
    const cancelled = new AbortController();
    cancelled.abort();
    assert.deepEqual(assess('read', HTTP, failure('UPSTREAM_TIMEOUT'), cancelled.signal), { health: 'no_signal', transient: false });
    const byReason = new AbortController();
    byReason.abort(new Error('client went away'));
    assert.deepEqual(assess('read', HTTP, failure('UPSTREAM_FAILED', 'unknown'), byReason.signal), {
      health: 'no_signal',
      transient: false,
    });
    assert.deepEqual(assess('read', MCP, failure('UPSTREAM_FAILED', 'unknown', { cancelled: true })), {
      health: 'no_signal',
      transient: false,
    });
    const deadline = new AbortController();
    deadline.abort(new DOMException('the execution deadline passed', 'TimeoutError'));
    assert.deepEqual(assess('read', HTTP, failure('UPSTREAM_TIMEOUT'), deadline.signal), { health: 'unhealthy', transient: true });
  });

  test('failures raised before anything was sent tell nothing and are not retried', () => {
    for (const code of ['HANDLER_MISSING', 'ARGUMENTS_INVALID', 'CIRCUIT_OPEN', 'INTERNAL', 'SECRET_UNRESOLVED'] as const) {
      assert.deepEqual(assess('read', HTTP, failure(code)), { health: 'no_signal', transient: false }, code);
    }
  });
});
