import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SecretResolver } from '../../../src/config/secrets.js';
import { UpstreamPool } from '../../../src/execution/mcp/upstream-pool.js';
import type { McpUpstream, UpstreamStatus } from '../../../src/execution/mcp/upstream.js';
import {
  capturingLogger,
  firstText,
  fixtureConfig,
  neverAborted,
  REPO_DIR,
  startUpstream,
  stdioConfig,
  tempDir,
  waitFor,
  waitForStatus,
  failOnUnhandledRejections,
} from './helpers.js';

failOnUnhandledRejections();

const SECRET = 'fixture-secret-value-4f9d2c71';

describe('upstream faults', () => {
  test('a server that never answers initialize is never ready, and another upstream in the same pool works', async (t) => {
    const log = capturingLogger();
    const pool = new UpstreamPool(
      [
        fixtureConfig('hangs', { FIXTURE_HANG_INIT: '1' }, { startupTimeout: '500ms', restart: { initialDelay: '200ms', maxDelay: '1s' } }),
        fixtureConfig('healthy'),
      ],
      { projectDir: REPO_DIR, resolveSecret: () => assert.fail('no secrets configured'), logger: log.logger },
    );
    t.after(() => pool.close());
    const hangs = pool.get('hangs');
    const healthy = pool.get('healthy');
    assert.ok(hangs !== undefined && healthy !== undefined);
    const hangStatuses: UpstreamStatus[] = [];
    hangs.on('status', (status) => hangStatuses.push(status));

    pool.start();
    await pool.waitUntilSettled(30_000);
    assert.equal(healthy.status, 'ready');
    assert.equal(hangs.status, 'restarting', 'the hanging upstream failed its first attempt');

    const startedAt = Date.now();
    const refused = await hangs.callTool('echo', { text: 'x' }, { signal: neverAborted(), timeoutMs: 10_000 });
    assert.equal(!refused.ok && refused.error.code, 'UPSTREAM_UNAVAILABLE');
    assert.ok(Date.now() - startedAt < 1000, 'refused at once, not after a timeout');

    const result = await healthy.callTool('echo', { text: 'unaffected' }, { signal: neverAborted(), timeoutMs: 10_000 });
    assert.equal(result.ok && firstText(result.result), 'unaffected');

    // It keeps trying, and never becomes ready.
    await waitFor(() => hangStatuses.filter((status) => status === 'restarting').length >= 2, 'a second failed attempt');
    assert.ok(!hangStatuses.includes('ready'));
    assert.match(log.text(), /no answer to initialize and tools\/list within 500 ms/);
  });

  test('waitUntilSettled returns at its timeout when an upstream is still starting', async (t) => {
    const pool = new UpstreamPool([fixtureConfig('slowpoke', { FIXTURE_HANG_INIT: '1' }, { startupTimeout: '30s' })], {
      projectDir: REPO_DIR,
      resolveSecret: (reference) => reference,
    });
    t.after(() => pool.close());
    pool.start();
    await pool.waitUntilSettled(300);
    assert.equal(pool.get('slowpoke')?.status, 'starting');
    assert.equal(pool.get('missing'), undefined);
    assert.deepEqual(
      pool.all().map((upstream) => upstream.name),
      ['slowpoke'],
    );
  });

  test('the pool builds upstreams through an injected factory and rejects duplicate names', async () => {
    const made: string[] = [];
    const fake = (name: string): McpUpstream => ({
      name,
      status: 'ready',
      tools: [],
      capabilities: {},
      callTool: () => Promise.resolve({ ok: true, result: { content: [] } }),
      request: () => Promise.resolve({}),
      on: () => undefined,
      start: () => void made.push(`start ${name}`),
      close: () => Promise.resolve(void made.push(`close ${name}`)),
    });
    const pool = new UpstreamPool([fixtureConfig('a'), fixtureConfig('b')], {
      projectDir: REPO_DIR,
      resolveSecret: (reference) => reference,
      createUpstream: (config) => fake(config.name),
    });
    pool.start();
    await pool.waitUntilSettled(10_000);
    await pool.close();
    assert.deepEqual(made, ['start a', 'start b', 'close a', 'close b']);
    assert.throws(
      () => new UpstreamPool([fixtureConfig('a'), fixtureConfig('a')], { projectDir: REPO_DIR, resolveSecret: (reference) => reference }),
      /configured twice/,
    );
  });

  test('a command that does not exist keeps restarting without crashing anything', async (t) => {
    const config = stdioConfig('missing-binary', '/nonexistent/mcp-server', [], {
      overrides: { restart: { initialDelay: '50ms', maxDelay: '200ms' } },
    });
    const details: Array<{ status: UpstreamStatus; attempt: number | undefined }> = [];
    const { upstream } = startUpstream(t, config);
    upstream.on('status', (status, detail) => details.push({ status, attempt: detail.attempt }));
    await waitFor(() => details.length >= 3, 'three failed attempts');
    assert.deepEqual(
      details.slice(0, 3).map((detail) => detail.attempt),
      [1, 2, 3],
    );
    assert.ok(details.every((detail) => detail.status === 'restarting'));
    const result = await upstream.callTool('echo', {}, { signal: neverAborted(), timeoutMs: 1000 });
    assert.equal(!result.ok && result.error.code, 'UPSTREAM_UNAVAILABLE');
  });

  test('consecutive crashes back off further; a connection that stayed up for 30 s starts the backoff afresh', async (t) => {
    let clock = 1_000_000;
    const { upstream } = startUpstream(t, fixtureConfig('backoff', {}, { restart: { initialDelay: '50ms', maxDelay: '400ms' } }), {
      now: () => clock,
    });
    const attempts: number[] = [];
    upstream.on('status', (status, detail) => {
      if (status === 'restarting') attempts.push(detail.attempt ?? -1);
    });
    /** Crashes the upstream once it is ready, after it has been up for `upMs` by the clock. */
    const crashAfter = async (upMs: number): Promise<void> => {
      await waitForStatus(upstream, 'ready');
      clock += upMs;
      const result = await upstream.callTool('crash', {}, { signal: neverAborted(), timeoutMs: 10_000 });
      assert.equal(!result.ok && result.outcome, 'unknown');
    };
    await crashAfter(1_000);
    await crashAfter(5_000);
    assert.deepEqual(attempts, [1, 2], 'a connection that was up briefly does not reset the backoff');
    await crashAfter(31_000);
    assert.deepEqual(attempts, [1, 2, 1]);
    await waitForStatus(upstream, 'ready');
  });

  test('closing the upstream under an in-flight call leaves that call unknown, not failed', async (t) => {
    const { upstream } = startUpstream(t, fixtureConfig('shutdown'));
    await waitForStatus(upstream, 'ready');
    const pending = upstream.callTool('slow', { ms: 20_000 }, { signal: neverAborted(), timeoutMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await upstream.close();
    const result = await pending;
    assert.equal(!result.ok && result.outcome, 'unknown');
    assert.equal(!result.ok && result.error.code, 'UPSTREAM_FAILED');
  });

  test('secrets reach the child environment only; never an error, a status or a log line', async (t) => {
    const dir = tempDir(t);
    const secretFile = join(dir, 'token.txt');
    writeFileSync(secretFile, `${SECRET}-from-file\n`);
    const config = fixtureConfig('secretive', {
      FIXTURE_SECRET: 'env:UPSTREAM_SECRET',
      FIXTURE_OTHER: `file:${secretFile}`,
      FIXTURE_LEAK_SECRET: '1',
      FIXTURE_GARBAGE: '1',
    });
    const statusDetails: string[] = [];
    const { upstream, log } = startUpstream(t, config, { env: { UPSTREAM_SECRET: SECRET } });
    upstream.on('status', (status, detail) => statusDetails.push(`${status} ${detail.reason ?? ''}`));
    await waitForStatus(upstream, 'ready');

    const seen = await upstream.callTool('secret_env', {}, { signal: neverAborted(), timeoutMs: 10_000 });
    assert.equal(seen.ok && firstText(seen.result), 'set');

    // An upstream that echoes the secret back in an error has it scrubbed.
    const echoed = await upstream.callTool('fail', { message: `cannot use ${SECRET}` }, { signal: neverAborted(), timeoutMs: 10_000 });
    assert.equal(echoed.ok, false);
    if (echoed.ok) return;
    assert.equal(echoed.error.message, 'tools/call fail on upstream secretive failed: cannot use [REDACTED]');

    const crashed = await upstream.callTool('crash', {}, { signal: neverAborted(), timeoutMs: 10_000 });
    assert.equal(!crashed.ok && crashed.outcome, 'unknown');
    await waitForStatus(upstream, 'ready');

    // The child wrote the secret to its stderr: the debug log has the line, with the value scrubbed.
    const logged = log.text();
    assert.match(logged, /starting with secret \[REDACTED\]/);
    assert.ok(!logged.includes(SECRET), 'no log line holds the secret');
    assert.ok(!statusDetails.join('\n').includes(SECRET));
    assert.ok(!JSON.stringify(crashed).includes(SECRET));
  });

  test('the child does not inherit Interlock’s own environment', async (t) => {
    process.env['FIXTURE_SECRET'] = SECRET;
    t.after(() => delete process.env['FIXTURE_SECRET']);
    const { upstream } = startUpstream(t, fixtureConfig('isolated'));
    await waitForStatus(upstream, 'ready');
    const seen = await upstream.callTool('secret_env', {}, { signal: neverAborted(), timeoutMs: 10_000 });
    assert.equal(seen.ok && firstText(seen.result), 'unset');
  });

  test('an unresolvable secret reference keeps the upstream restarting, with a reason that names the reference only', async (t) => {
    const log = capturingLogger();
    const resolver = new SecretResolver(REPO_DIR, {});
    const pool = new UpstreamPool(
      [fixtureConfig('unresolved', { FIXTURE_SECRET: 'env:NOT_SET_ANYWHERE' }, { restart: { initialDelay: '50ms', maxDelay: '100ms' } })],
      { projectDir: REPO_DIR, resolveSecret: (reference) => resolver.resolve(reference), logger: log.logger },
    );
    t.after(() => pool.close());
    const reasons: string[] = [];
    pool.get('unresolved')?.on('status', (_status, detail) => reasons.push(detail.reason ?? ''));
    pool.start();
    await pool.waitUntilSettled(10_000);
    assert.equal(pool.get('unresolved')?.status, 'restarting');
    assert.match(reasons[0] ?? '', /secret reference env:NOT_SET_ANYWHERE: environment variable NOT_SET_ANYWHERE is not set/);
  });
});
