/**
 * A real HTTP upstream on port 0 for tests of HTTP tools: each request is recorded (method, path,
 * headers, body) and answered by the test's route function. Requests a route leaves unanswered
 * (a hanging upstream) are cut when the upstream closes.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';

export interface UpstreamRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Answers one request; returning without ending `response` leaves the caller hanging. */
export type UpstreamRoute = (request: UpstreamRequest, response: ServerResponse) => void;

export interface Upstream {
  readonly baseUrl: string;
  /** Every request received, in arrival order. */
  readonly requests: UpstreamRequest[];
  close(): Promise<void>;
}

export async function startUpstream(route: UpstreamRoute): Promise<Upstream> {
  const requests: UpstreamRequest[] = [];
  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const request: UpstreamRequest = {
        method: incoming.method ?? 'GET',
        path: incoming.url ?? '/',
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      route(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('upstream has no TCP address');
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes a JSON answer. */
export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
