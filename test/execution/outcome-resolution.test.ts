import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { PROCESS_DIED_AFTER_MS, processDiedAfterMs } from '../../src/execution/outcome-resolution.js';

type Bounds = Parameters<typeof processDiedAfterMs>[0];

function project(operationTimeout: string | undefined, mcpTimeout = '30s', maxAttempts = 3): Bounds {
  return {
    tools: [
      {
        upstream: { kind: 'http', timeout: '10s' },
        operations: [{ timeout: operationTimeout }, { timeout: undefined }],
      },
    ],
    mcp: { servers: [{ timeout: mcpTimeout }] },
    execution: { retries: { maxAttempts, baseDelay: '100ms', maxDelay: '2s' } },
  } as unknown as Bounds;
}

test('a running call is taken for dead no sooner than ten minutes after its claim', () => {
  assert.equal(processDiedAfterMs(project(undefined)), PROCESS_DIED_AFTER_MS);
  assert.equal(processDiedAfterMs(project('1m')), PROCESS_DIED_AFTER_MS);
});

test('an operation that may run longer pushes the bound past its deadline, retries included', () => {
  // (10 min + 2 s backoff) × 3 attempts + 1 s, doubled.
  assert.equal(processDiedAfterMs(project('10m')), 2 * ((600_000 + 2_000) * 3 + 1_000));
  assert.ok(processDiedAfterMs(project(undefined, '5m', 10)) > 10 * (300_000 + 2_000));
});
