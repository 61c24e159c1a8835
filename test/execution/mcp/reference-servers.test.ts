import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { ProgressUpdate } from '../../../src/execution/mcp/upstream.js';
import {
  firstText,
  neverAborted,
  REPO_DIR,
  startUpstream,
  stdioConfig,
  tempDir,
  waitForStatus,
  failOnUnhandledRejections,
} from './helpers.js';

failOnUnhandledRejections();

const EVERYTHING = join(REPO_DIR, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const MEMORY = join(REPO_DIR, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js');

describe('reference MCP servers', () => {
  test('server-everything: listing, echo, progress, structured content, passthrough requests and cancellation', async (t) => {
    const { upstream, statuses } = startUpstream(t, stdioConfig('everything', process.execPath, [EVERYTHING, 'stdio']));
    await waitForStatus(upstream, 'ready');
    const names = (upstream.tools ?? []).map((tool) => tool.name);
    for (const name of ['echo', 'get-sum', 'trigger-long-running-operation', 'get-structured-content'])
      assert.ok(names.includes(name), name);
    const echoTool = upstream.tools?.find((tool) => tool.name === 'echo');
    assert.equal(echoTool?.title, 'Echo Tool');
    assert.deepEqual(echoTool?.annotations, { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false });
    assert.ok(upstream.capabilities !== null && 'resources' in upstream.capabilities && 'prompts' in upstream.capabilities);

    const echo = await upstream.callTool('echo', { message: 'hi everything' }, { signal: neverAborted(), timeoutMs: 10_000 });
    assert.equal(echo.ok && firstText(echo.result), 'Echo: hi everything');

    const invalid = await upstream.callTool('get-sum', { a: 'not a number' }, { signal: neverAborted(), timeoutMs: 10_000 });
    // The SDK server reports invalid arguments as a tool error result.
    assert.ok(invalid.ok ? (invalid.result as { isError?: boolean }).isError === true : invalid.outcome === 'failed');

    const updates: ProgressUpdate[] = [];
    const longRunning = await upstream.callTool(
      'trigger-long-running-operation',
      { duration: 1, steps: 4 },
      { signal: neverAborted(), timeoutMs: 20_000, onProgress: (update) => updates.push(update) },
    );
    assert.ok(longRunning.ok);
    assert.ok(updates.length >= 2, `progress was forwarded (${updates.length} updates)`);
    assert.deepEqual(
      updates.map((update) => update.total),
      updates.map(() => 4),
    );
    const progressValues = updates.map((update) => update.progress);
    assert.deepEqual(
      progressValues,
      [...progressValues].sort((a, b) => a - b),
    );

    const structured = await upstream.callTool(
      'get-structured-content',
      { location: 'Chicago' },
      { signal: neverAborted(), timeoutMs: 10_000 },
    );
    assert.ok(structured.ok);
    const structuredContent = (structured.result as { structuredContent?: Record<string, unknown> }).structuredContent;
    assert.equal(typeof structuredContent?.['temperature'], 'number');

    const resources = (await upstream.request('resources/list', {}, { signal: neverAborted(), timeoutMs: 10_000 })) as {
      resources: Array<{ uri: string }>;
    };
    assert.ok(resources.resources.length > 0);
    const prompts = (await upstream.request('prompts/list', undefined, { signal: neverAborted(), timeoutMs: 10_000 })) as {
      prompts: unknown[];
    };
    assert.ok(prompts.prompts.length > 0);

    const controller = new AbortController();
    const pending = upstream.callTool(
      'trigger-long-running-operation',
      { duration: 30, steps: 3 },
      { signal: controller.signal, timeoutMs: 60_000 },
    );
    setTimeout(() => controller.abort(), 200);
    const cancelled = await pending;
    assert.equal(!cancelled.ok && cancelled.outcome, 'unknown');
    assert.deepEqual(!cancelled.ok && cancelled.error.details, { cancelled: true });

    const timedOut = await upstream.callTool(
      'trigger-long-running-operation',
      { duration: 30, steps: 3 },
      { signal: neverAborted(), timeoutMs: 300 },
    );
    assert.equal(!timedOut.ok && timedOut.error.code, 'UPSTREAM_TIMEOUT');
    assert.equal(!timedOut.ok && timedOut.outcome, 'unknown');

    const after = await upstream.callTool('echo', { message: 'still fine' }, { signal: neverAborted(), timeoutMs: 10_000 });
    assert.equal(after.ok && firstText(after.result), 'Echo: still fine');
    assert.deepEqual(statuses, ['ready']);
  });

  test('server-memory: a write through the upstream lands in its file, configured by a plain env setting', async (t) => {
    const dir = tempDir(t);
    const memoryFile = join(dir, 'memory.jsonl');
    const { upstream } = startUpstream(t, stdioConfig('memory', process.execPath, [MEMORY], { env: { MEMORY_FILE_PATH: memoryFile } }));
    await waitForStatus(upstream, 'ready');
    const names = (upstream.tools ?? []).map((tool) => tool.name);
    assert.ok(names.includes('create_entities') && names.includes('read_graph'));

    const created = await upstream.callTool(
      'create_entities',
      { entities: [{ name: 'interlock', entityType: 'project', observations: ['governs tool calls'] }] },
      { signal: neverAborted(), timeoutMs: 10_000 },
    );
    assert.ok(created.ok, JSON.stringify(created));
    assert.ok(existsSync(memoryFile));
    assert.match(readFileSync(memoryFile, 'utf8'), /"name":"interlock"/);

    const graph = await upstream.callTool('read_graph', {}, { signal: neverAborted(), timeoutMs: 10_000 });
    assert.ok(graph.ok);
    assert.match(firstText(graph.result), /governs tool calls/);
  });
});
