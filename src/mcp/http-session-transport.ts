import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

/**
 * The transport of one MCP session over Streamable HTTP, choosing the answer's form per request.
 *
 * A request that can receive nothing but its result (one request, no progress token) is answered
 * with a single JSON body by a transport of its own; everything else (initialize, requests with a
 * progress token, batches, notifications, client responses, the GET event stream, DELETE) goes to
 * the session's own transport, which answers over server-sent events. Both deliver to the same
 * Server, which never sees the difference. An event stream costs the client a stream pipeline per
 * request (see docs/benchmarks.md, "MCP round trip"); progress needs one, a plain result does not.
 */
export class HttpSessionTransport implements Transport {
  readonly #streaming: StreamableHTTPServerTransport;
  /** The plain-JSON transport of each request in flight, so that its result returns the way it came. */
  readonly #plainRoutes = new Map<RequestId, StreamableHTTPServerTransport>();
  #closed = false;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: Transport['onmessage'];

  constructor(sessionId: string) {
    this.#streaming = new StreamableHTTPServerTransport({ sessionIdGenerator: () => sessionId });
    this.#streaming.onmessage = (message, extra) => this.onmessage?.(message, extra);
    this.#streaming.onerror = (error) => this.onerror?.(error);
    this.#streaming.onclose = () => {
      this.#closed = true;
      for (const plain of new Set(this.#plainRoutes.values())) void plain.close();
      this.#plainRoutes.clear();
      this.onclose?.();
    };
  }

  get sessionId(): string | undefined {
    return this.#streaming.sessionId;
  }

  start(): Promise<void> {
    return this.#streaming.start();
  }

  /** Handles one HTTP request of the session; `body` is the request body already parsed as JSON. */
  async handleRequest(request: IncomingMessage, response: ServerResponse, body: unknown): Promise<void> {
    // A closed session's own transport answers 404, whatever the request.
    if (this.#closed || request.method !== 'POST' || !answeredWithResultOnly(body)) {
      await this.#streaming.handleRequest(request, response, body);
      return;
    }
    // Stateless and used once: the door has already checked the session and who is calling.
    const plain = new StreamableHTTPServerTransport({ enableJsonResponse: true });
    let requestId: RequestId | undefined;
    plain.onmessage = (message, extra) => {
      if (isJSONRPCRequest(message)) {
        requestId = message.id;
        this.#plainRoutes.set(message.id, plain);
      }
      this.onmessage?.(message, extra);
    };
    plain.onerror = (error) => this.onerror?.(error);
    // A request cancelled by the client may never be answered: forget it when its connection closes.
    response.once('close', () => {
      if (requestId !== undefined && this.#plainRoutes.get(requestId) === plain) this.#plainRoutes.delete(requestId);
      void plain.close();
    });
    await plain.handleRequest(request, response, body);
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const isResult = isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message);
    const requestId = isResult ? message.id : options?.relatedRequestId;
    const related = requestId === undefined ? undefined : { relatedRequestId: requestId };
    const plain = requestId === undefined ? undefined : this.#plainRoutes.get(requestId);
    if (plain === undefined) return this.#streaming.send(message, related);
    if (isResult && requestId !== undefined) {
      this.#plainRoutes.delete(requestId);
      return plain.send(message, related);
    }
    // A JSON answer carries the result alone: anything else about that request goes out on the
    // session's standalone event stream (when the client keeps one open).
    return this.#streaming.send(message);
  }

  async close(): Promise<void> {
    await this.#streaming.close();
  }
}

/** One JSON-RPC request (not initialize) without a progress token: its answer is its result alone. */
function answeredWithResultOnly(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const message = body as { method?: unknown; id?: unknown; params?: unknown };
  if (typeof message.method !== 'string' || message.method === 'initialize') return false;
  if (typeof message.id !== 'string' && typeof message.id !== 'number') return false;
  const params = message.params;
  if (typeof params !== 'object' || params === null) return true;
  const meta = (params as { _meta?: unknown })._meta;
  return typeof meta !== 'object' || meta === null || (meta as { progressToken?: unknown }).progressToken === undefined;
}
