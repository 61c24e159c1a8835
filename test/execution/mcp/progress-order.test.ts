/**
 * Progress written back to back with the answer still reaches the caller: every notification of a
 * call is delivered, in order, before the call resolves, and none leaks into the next call.
 */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { ProgressUpdate } from '../../../src/execution/mcp/upstream.js';
import { firstText, fixtureConfig, neverAborted, startUpstream, waitForStatus } from './helpers.js';

describe('progress from an upstream that answers right after its last notification', () => {
  test('every notification of every call arrives before its answer', async (t) => {
    const { upstream } = startUpstream(t, fixtureConfig('fixture'));
    await waitForStatus(upstream, 'ready');
    for (let call = 0; call < 20; call += 1) {
      const updates: ProgressUpdate[] = [];
      const result = await upstream.callTool(
        'progress',
        { steps: 4, delayMs: 0 },
        { signal: neverAborted(), timeoutMs: 10_000, onProgress: (update) => updates.push(update) },
      );
      assert.equal(result.ok && firstText(result.result), '4 steps done');
      assert.deepEqual(
        updates.map((update) => update.progress),
        [1, 2, 3, 4],
        `call ${call} received every progress notification, in order`,
      );
    }
  });
});
