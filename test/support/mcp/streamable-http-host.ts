import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';

export interface StreamableHttpHostOptions {
  readonly port: number;
  /** A fresh MCP server for each new session. */
  readonly createServer: () => Server;
  /** Answers a request itself (a refusal) and returns true, or returns false to let MCP handle it. */
  readonly refuse?: (request: IncomingMessage, response: ServerResponse) => boolean;
  readonly onSessionOpened?: (server: Server) => void;
  readonly onSessionClosed?: (server: Server) => void;
  readonly onStop?: () => void;
}

/**
 * Serves MCP over Streamable HTTP at `/mcp` on 127.0.0.1, one server per session, for the test
 * upstreams; prints `listening <port>` on stderr once it listens, and exits on SIGTERM/SIGINT.
 */
export function hostStreamableHttp(options: StreamableHttpHostOptions): void {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (!(request.url ?? '').startsWith('/mcp')) {
      response.writeHead(404).end();
      return;
    }
    if (options.refuse?.(request, response) === true) return;
    const sessionHeader = request.headers['mcp-session-id'];
    const sessionId = typeof sessionHeader === 'string' ? sessionHeader : undefined;
    const body = request.method === 'POST' ? await readBody(request) : undefined;
    let transport = sessionId === undefined ? undefined : sessions.get(sessionId);
    if (transport === undefined) {
      if (sessionId !== undefined || request.method !== 'POST' || !isInitializeRequest(body)) {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
        return;
      }
      const server = options.createServer();
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, created);
        },
      });
      created.onclose = () => {
        if (created.sessionId !== undefined) sessions.delete(created.sessionId);
        options.onSessionClosed?.(server);
      };
      options.onSessionOpened?.(server);
      await server.connect(created);
      transport = created;
    }
    await transport.handleRequest(request, response, body);
  };

  const httpServer = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  httpServer.listen(options.port, '127.0.0.1', () => {
    process.stderr.write(`listening ${(httpServer.address() as AddressInfo).port}\n`);
  });
  const stop = (): void => {
    options.onStop?.();
    httpServer.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}
