import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { deadline } from '../../../src/execution/deadline.js';
import { HttpExecutor } from '../../../src/execution/http-executor.js';
import { startUpstream } from '../../support/upstream.js';
import { context, contract, httpBinding } from './support.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

describe('deadlines', () => {
  test('an HTTP write to an upstream that never answers times out even while the heap is collected', async (t) => {
    // A deadline held only weakly can be collected while the request waits; the request then hangs
    // until the upstream closes the socket. Collecting every few milliseconds makes that certain.
    const upstream = await startUpstream(() => undefined);
    t.after(() => upstream.close());
    const collector = setInterval(collectGarbage, 5);
    t.after(() => clearInterval(collector));
    const write = contract(httpBinding(upstream.baseUrl, 'PUT', '/items/{id}'), { operation: 'put', effect: 'write', timeoutMs: 200 });
    const guard = new AbortController();
    // Fails the test instead of hanging it if the deadline is lost.
    const hang = setTimeout(() => guard.abort(new Error('the deadline never fired')), 10_000);
    t.after(() => clearTimeout(hang));
    const result = await Promise.race([
      new HttpExecutor(() => 'unused').execute(write, { id: 'a' }, context()),
      new Promise<never>((_resolve, reject) => guard.signal.addEventListener('abort', () => reject(guard.signal.reason as Error))),
    ]);
    assert.equal(result.ok, false);
    assert.equal(result.ok ? null : result.error.code, 'UPSTREAM_TIMEOUT');
    assert.equal(result.ok ? null : result.outcome, 'unknown');
    assert.equal(upstream.requests.length, 1);
  });

  test('a deadline follows its parent, keeps the parent reason, and stops its timer when disposed', async () => {
    const parent = new AbortController();
    const limit = deadline(parent.signal, 60_000);
    parent.abort(new Error('client cancelled'));
    assert.equal(limit.signal.aborted, true);
    assert.equal((limit.signal.reason as Error).message, 'client cancelled');
    limit.dispose();

    const already = deadline(AbortSignal.abort('gone'), 60_000);
    assert.equal(already.signal.reason, 'gone');
    already.dispose();

    const expiring = deadline(new AbortController().signal, 1);
    await new Promise((resolve) => expiring.signal.addEventListener('abort', resolve, { once: true }));
    assert.equal((expiring.signal.reason as DOMException).name, 'TimeoutError');
    expiring.dispose();

    const disposed = deadline(new AbortController().signal, 1);
    disposed.dispose();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(disposed.signal.aborted, false);
  });
});
