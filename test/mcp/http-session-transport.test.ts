/**
 * HttpSessionTransport behind a real HTTP server on port 0, driven by the official SDK client: a
 * request that can only receive its result is answered with one JSON body, anything that may
 * receive more (progress) over an event stream, and both reach the same MCP server.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  ResultSchema,
  ToolListChangedNotificationSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import { HttpSessionTransport } from '../../src/mcp/http-session-transport.js';

interface Session {
  readonly transport: HttpSessionTransport;
  readonly server: Server;
}

/** What the server saw: calls that started, and calls whose signal was aborted. */
const started: string[] = [];
const aborted: string[] = [];
const sessions = new Map<string, Session>();
let httpServer: HttpServer;
let url: URL;

function mcpServer(): Server {
  const server = new Server({ name: 'transport-test', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [
      { name: 'echo', inputSchema: { type: 'object' } },
      { name: 'slow', inputSchema: { type: 'object' } },
    ],
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const args = request.params.arguments ?? {};
    const label = String(args['label'] ?? '');
    started.push(label);
    if (request.params.name === 'echo') return { content: [{ type: 'text', text: label }] };
    const progressToken = request.params._meta?.progressToken;
    if (progressToken !== undefined) {
      for (let step = 1; step <= 3; step += 1) {
        await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: step, total: 3 } });
      }
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Number(args['ms'] ?? 0));
      extra.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        aborted.push(label);
        resolve();
      });
    });
    return { content: [{ type: 'text', text: label }] };
  });
  return server;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return chunks.length === 0 ? undefined : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
}

before(async () => {
  httpServer = createServer((request, response) => {
    void (async () => {
      const body = request.method === 'POST' ? await readJson(request) : undefined;
      const header = request.headers['mcp-session-id'];
      let session = typeof header === 'string' ? sessions.get(header) : undefined;
      if (session === undefined && header === undefined && (body as { method?: unknown } | undefined)?.method === 'initialize') {
        const id = randomUUID();
        session = { transport: new HttpSessionTransport(id), server: mcpServer() };
        sessions.set(id, session);
        await session.server.connect(session.transport);
      }
      if (session === undefined) {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32001}}');
        return;
      }
      // Closed sessions stay in the map: the transport itself must refuse them.
      await session.transport.handleRequest(request, response, body);
    })().catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  url = new URL(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/mcp`);
});

after(async () => {
  for (const session of sessions.values()) await session.server.close();
  httpServer.closeAllConnections();
  await new Promise((resolve) => httpServer.close(resolve));
});

interface Connected {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
  /** The JSON-RPC method of every POST the client made, with the content type of its answer. */
  readonly answers: Array<{ method: string; contentType: string }>;
}

async function connect(t: { after(fn: () => Promise<void>): void }): Promise<Connected> {
  const answers: Array<{ method: string; contentType: string }> = [];
  const recordingFetch = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const response = await fetch(input, init);
    if (init?.method === 'POST' && typeof init.body === 'string') {
      const sent = JSON.parse(init.body) as { method?: string };
      answers.push({ method: sent.method ?? '(response)', contentType: response.headers.get('content-type') ?? '' });
    }
    return response;
  };
  const transport = new StreamableHTTPClientTransport(url, { fetch: recordingFetch });
  const client = new Client({ name: 'transport-test-client', version: '1.0.0' });
  await client.connect(transport);
  t.after(() => client.close());
  return { client, transport, answers };
}

function textOf(result: Record<string, unknown>): string {
  const content = result['content'];
  const first = Array.isArray(content) ? (content[0] as { text?: unknown } | undefined) : undefined;
  return typeof first?.text === 'string' ? first.text : '';
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('HttpSessionTransport', { timeout: 60_000 }, () => {
  test('a call without a progress token gets one JSON body; with one, an event stream that carries the progress', async (t) => {
    const { client, answers } = await connect(t);
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { label: 'plain' } })), 'plain');
    const updates: number[] = [];
    const streamed = await client.callTool({ name: 'slow', arguments: { label: 'streamed', ms: 10 } }, undefined, {
      onprogress: (update) => void updates.push(update.progress),
    });
    assert.equal(textOf(streamed), 'streamed');
    assert.deepEqual(updates, [1, 2, 3]);
    assert.deepEqual(
      answers.map((answer) => `${answer.method} ${answer.contentType.split(';')[0] ?? ''}`),
      ['initialize text/event-stream', 'notifications/initialized ', 'tools/call application/json', 'tools/call text/event-stream'],
    );
  });

  test('concurrent plain calls each get their own result', async (t) => {
    const { client } = await connect(t);
    const results = await Promise.all([
      client.callTool({ name: 'slow', arguments: { label: 'first', ms: 150 } }),
      client.callTool({ name: 'echo', arguments: { label: 'second' } }),
      client.callTool({ name: 'slow', arguments: { label: 'third', ms: 50 } }),
      client.ping(),
    ]);
    assert.deepEqual(results.slice(0, 3).map(textOf), ['first', 'second', 'third']);
  });

  test('a plain call the client cancels is aborted on the server, and the session goes on', async (t) => {
    const { client } = await connect(t);
    const label = `cancel-${randomUUID()}`;
    const controller = new AbortController();
    const call = client.callTool({ name: 'slow', arguments: { label, ms: 60_000 } }, undefined, { signal: controller.signal });
    await waitFor(() => started.includes(label), 'the server to start the call');
    controller.abort(new Error('the user cancelled'));
    await assert.rejects(call, /cancelled/);
    await waitFor(() => aborted.includes(label), 'the server-side handler to be aborted');
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { label: 'after' } })), 'after');
  });

  test('an unknown method on the plain path is a JSON-RPC error, and the server can still notify the client', async (t) => {
    const { client, transport, answers } = await connect(t);
    const changed = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
    await assert.rejects(
      client.request({ method: 'no/such-method' }, ResultSchema),
      (error: unknown) => error instanceof McpError && error.code === ErrorCode.MethodNotFound,
    );
    assert.equal(answers.at(-1)?.contentType.split(';')[0], 'application/json');
    // The standalone event stream is opened after initialization; give it time to attach.
    const session = sessions.get(transport.sessionId ?? '');
    assert.ok(session !== undefined);
    await waitFor(() => answers.length >= 2, 'the initialized notification');
    const sendChanged = setInterval(() => void session.server.sendToolListChanged().catch(() => undefined), 50);
    try {
      await changed;
    } finally {
      clearInterval(sendChanged);
    }
  });

  test('after the client ends the session, every request is answered 404, plain or not', async (t) => {
    const { transport } = await connect(t);
    const sessionId = transport.sessionId ?? '';
    await transport.terminateSession();
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': sessionId,
    };
    const plain = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(plain.status, 404);
    const streamed = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', _meta: { progressToken: 1 } } }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(streamed.status, 404);
  });

  test('the plain path still refuses an unsupported protocol version and a client that cannot take event streams', async (t) => {
    const { transport } = await connect(t);
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const base = { 'content-type': 'application/json', 'mcp-session-id': transport.sessionId ?? '' };
    const oldVersion = await fetch(url, {
      method: 'POST',
      headers: { ...base, accept: 'application/json, text/event-stream', 'mcp-protocol-version': '1999-01-01' },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(oldVersion.status, 400);
    const jsonOnly = await fetch(url, {
      method: 'POST',
      headers: { ...base, accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(jsonOnly.status, 406);
  });
});
