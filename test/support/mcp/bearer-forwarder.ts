/**
 * A test-only HTTP forwarder that adds `Authorization: Bearer <token>` to every request and
 * otherwise passes requests and responses through unchanged: method, path, body and every header,
 * Host and Origin included, and responses streamed as they arrive (Server-Sent Events too). It lets
 * a client that cannot send a bearer token, such as the MCP conformance suite, talk to the gateway.
 *
 * Because Host and Origin reach the gateway as the client sent them, the gateway's own
 * DNS-rebinding checks still decide; the forwarder listens on loopback only.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BearerForwarder {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startBearerForwarder(target: URL, token: string): Promise<BearerForwarder> {
  const server = createServer((incoming, outgoing) => forward(target, token, incoming, outgoing));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, port, close: () => closeServer(server) };
}

function forward(target: URL, token: string, incoming: IncomingMessage, outgoing: ServerResponse): void {
  // rawHeaders keeps repeated headers and their order; only Authorization is replaced.
  const headers: string[] = [];
  for (let index = 0; index + 1 < incoming.rawHeaders.length; index += 2) {
    const name = incoming.rawHeaders[index]!;
    if (name.toLowerCase() === 'authorization') continue;
    headers.push(name, incoming.rawHeaders[index + 1]!);
  }
  headers.push('Authorization', `Bearer ${token}`);

  const upstream = httpRequest({
    host: target.hostname,
    port: target.port,
    method: incoming.method,
    path: incoming.url,
    headers,
    setHost: false,
  });
  upstream.on('response', (answer) => {
    outgoing.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
    // Event streams must reach the client event by event, not when the response ends.
    outgoing.flushHeaders();
    answer.pipe(outgoing);
    answer.on('error', () => outgoing.destroy());
  });
  upstream.on('error', () => {
    if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'text/plain' }).end('forwarder: the gateway did not answer');
    else outgoing.destroy();
  });
  // A client that goes away (a closed event stream) closes the gateway side too.
  outgoing.on('close', () => {
    if (!outgoing.writableFinished) upstream.destroy();
  });
  incoming.pipe(upstream);
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
