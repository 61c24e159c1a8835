import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { ToolDefinition } from '../../../src/drift/tool-definition.js';
import type { ProgressUpdate } from '../../../src/execution/mcp/upstream.js';
import {
  firstText,
  fixtureLog,
  httpConfig,
  neverAborted,
  startHttpFixture,
  startUpstream,
  tempDir,
  waitFor,
  waitForStatus,
  failOnUnhandledRejections,
} from './helpers.js';

failOnUnhandledRejections();

const TOKEN = 'Bearer http-upstream-token-93a1f0c2e7';

describe('Streamable HTTP upstream against the fixture server', () => {
  test('connects with a header credential from a secret reference; calls, progress and list_changed work', async (t) => {
    const dir = tempDir(t);
    const descriptionFile = join(dir, 'description.txt');
    writeFileSync(descriptionFile, 'Echoes over HTTP.');
    const fixture = await startHttpFixture(t, { FIXTURE_REQUIRE_AUTH: TOKEN, FIXTURE_DESCRIPTION_FILE: descriptionFile });
    const { upstream, log } = startUpstream(t, httpConfig('remote', fixture.url, { Authorization: 'env:REMOTE_TOKEN' }), {
      env: { REMOTE_TOKEN: TOKEN },
    });
    const listings: Array<readonly ToolDefinition[]> = [];
    upstream.on('tools', (tools) => listings.push(tools));
    await waitForStatus(upstream, 'ready');
    assert.equal(upstream.tools?.find((tool) => tool.name === 'echo')?.description, 'Echoes over HTTP.');

    const echo = await upstream.callTool('echo', { text: 'over http' }, { signal: neverAborted(), timeoutMs: 10_000 });
    assert.deepEqual(echo, { ok: true, result: { content: [{ type: 'text', text: 'over http' }] } });

    const updates: ProgressUpdate[] = [];
    const progress = await upstream.callTool(
      'progress',
      { steps: 3, delayMs: 50 },
      { signal: neverAborted(), timeoutMs: 10_000, onProgress: (update) => updates.push(update) },
    );
    assert.equal(progress.ok && firstText(progress.result), '3 steps done');
    assert.deepEqual(
      updates.map((update) => update.progress),
      [1, 2, 3],
    );

    const failed = await upstream.callTool('fail', { message: 'no luck' }, { signal: neverAborted(), timeoutMs: 10_000 });
    assert.equal(!failed.ok && failed.outcome, 'failed');
    assert.equal(!failed.ok && failed.error.message, 'tools/call fail on upstream remote failed: no luck');

    writeFileSync(descriptionFile, 'Echoes over HTTP, changed.');
    await waitFor(() => listings.length >= 2, 'a listing after tools/list_changed');
    assert.equal(listings.at(-1)?.find((tool) => tool.name === 'echo')?.description, 'Echoes over HTTP, changed.');
    assert.ok(!log.text().includes(TOKEN));
  });

  test('a wrong credential is refused: the upstream keeps retrying and the credential appears nowhere', async (t) => {
    const fixture = await startHttpFixture(t, { FIXTURE_REQUIRE_AUTH: TOKEN });
    const wrong = 'Bearer wrong-token-value-5d8e1b';
    const { upstream, log } = startUpstream(t, httpConfig('refused', fixture.url, { Authorization: 'env:REMOTE_TOKEN' }), {
      env: { REMOTE_TOKEN: wrong },
    });
    const reasons: string[] = [];
    upstream.on('status', (_status, detail) => reasons.push(detail.reason ?? ''));
    await waitFor(() => reasons.length >= 2, 'two failed attempts');
    assert.equal(upstream.status, 'restarting');
    assert.match(reasons[0] ?? '', /401/);
    const result = await upstream.callTool('echo', { text: 'x' }, { signal: neverAborted(), timeoutMs: 10_000 });
    assert.equal(!result.ok && result.error.code, 'UPSTREAM_UNAVAILABLE');
    for (const text of [log.text(), reasons.join('\n'), JSON.stringify(result)]) {
      assert.ok(!text.includes('wrong-token-value'), 'the credential is never shown');
    }
  });

  test('cancellation over HTTP reaches the upstream', async (t) => {
    const dir = tempDir(t);
    const logPath = join(dir, 'calls.jsonl');
    const fixture = await startHttpFixture(t, { FIXTURE_LOG: logPath });
    const { upstream } = startUpstream(t, httpConfig('cancel-http', fixture.url));
    await waitForStatus(upstream, 'ready');
    const controller = new AbortController();
    const pending = upstream.callTool('slow', { ms: 20_000 }, { signal: controller.signal, timeoutMs: 30_000 });
    await waitFor(() => fixtureLog(logPath).some((entry) => entry['tool'] === 'slow'), 'the call to reach the upstream');
    controller.abort(new Error('cancelled by the client'));
    const result = await pending;
    assert.equal(!result.ok && result.outcome, 'unknown');
    assert.deepEqual(!result.ok && result.error.details, { cancelled: true });
    await waitFor(() => fixtureLog(logPath).some((entry) => entry['event'] === 'cancelled'), 'the upstream to see the cancellation');
  });

  test('a server that dies mid-call leaves the outcome unknown; the upstream reconnects when it is back', async (t) => {
    const first = await startHttpFixture(t, {});
    const { upstream, statuses } = startUpstream(t, httpConfig('flaky', first.url));
    await waitForStatus(upstream, 'ready');

    const pending = upstream.callTool('slow', { ms: 20_000 }, { signal: neverAborted(), timeoutMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await first.stop();
    const result = await pending;
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.outcome, 'unknown');
    assert.equal(result.error.code, 'UPSTREAM_FAILED');
    assert.match(result.error.message, /connection to upstream flaky lost during the call/);
    await waitFor(() => statuses.includes('restarting'), 'the upstream to notice');

    await startHttpFixture(t, {}, first.port);
    await waitForStatus(upstream, 'ready');
    const later = await upstream.callTool('echo', { text: 'reconnected' }, { signal: neverAborted(), timeoutMs: 10_000 });
    assert.equal(later.ok && firstText(later.result), 'reconnected');
  });
});
