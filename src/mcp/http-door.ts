import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InterlockError, isInterlockError } from '../errors/interlock-error.js';
import { bearerToken } from '../server/error-response.js';
import { createGatewayServer, type GatewayServices } from './gateway-server.js';
import { HttpSessionTransport } from './http-session-transport.js';

export const MCP_PATH = '/mcp';
const ACTING_FOR_HEADER = 'interlock-acting-for';
const SWEEP_INTERVAL_MS = 60_000;

/** What the Streamable HTTP door needs besides the gateway itself. */
export interface McpHttpServices {
  readonly gateway: GatewayServices;
  /** Verifies an agent token (signature, expiry, environment, revocation); throws InterlockError. */
  authenticateAgent(token: string): Promise<{ readonly agentId: string; readonly tenant: string }>;
  /** Subscribes to changes of what clients may see; returns the unsubscribe function. */
  onToolsChanged(listener: () => void): () => void;
  /** Browser origins allowed besides none; any other Origin is refused. */
  readonly allowedOrigins: readonly string[];
  readonly sessionIdleTimeoutMs: number;
  /** Opening one more session closes the agent's least recently used one, so no agent can hold unbounded state. */
  readonly maxSessionsPerAgent: number;
}

interface HttpSession {
  readonly id: string;
  readonly agentId: string;
  readonly tenant: string;
  readonly server: Server;
  readonly transport: HttpSessionTransport;
  lastSeen: number;
}

/**
 * Streamable HTTP at `/mcp`. Every request carries the agent's bearer token, verified each time
 * (so a revoked token stops working mid-session); a session belongs to the agent that opened it
 * and answers to no other. Origin and Host are checked against DNS rebinding.
 */
export function registerMcpRoutes(app: FastifyInstance, services: McpHttpServices, bindHost: () => string): void {
  const sessions = new Map<string, HttpSession>();
  const unsubscribe = services.onToolsChanged(() => {
    for (const session of sessions.values()) void session.server.sendToolListChanged().catch(() => undefined);
  });
  const sweep = setInterval(() => {
    const cutoff = Date.now() - services.sessionIdleTimeoutMs;
    for (const session of sessions.values()) if (session.lastSeen < cutoff) void closeSession(session);
  }, SWEEP_INTERVAL_MS);
  sweep.unref();

  const closeSession = async (session: HttpSession): Promise<void> => {
    sessions.delete(session.id);
    await session.transport.close().catch(() => undefined);
    await session.server.close().catch(() => undefined);
  };

  app.addHook('onClose', async () => {
    clearInterval(sweep);
    unsubscribe();
    await Promise.all([...sessions.values()].map(closeSession));
  });

  // Asking the socket is a system call: once the server listens, its address no longer changes.
  let listeningHost: string | undefined;
  const currentHost = (): string => {
    if (listeningHost !== undefined) return listeningHost;
    const host = bindHost();
    if (app.server.listening) listeningHost = host;
    return host;
  };

  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const refusal = originRefusal(request, services.allowedOrigins, currentHost());
    if (refusal !== null) return void sendRpcError(reply, refusal);

    let token: string;
    let agent: { agentId: string; tenant: string };
    try {
      token = bearerToken(request);
      agent = await services.authenticateAgent(token);
    } catch (error) {
      return void sendRpcError(
        reply,
        isInterlockError(error) ? error : new InterlockError('AUTH_INVALID', 'the token could not be verified'),
      );
    }

    const sessionHeader = request.headers['mcp-session-id'];
    const sessionId = typeof sessionHeader === 'string' ? sessionHeader : undefined;
    let session: HttpSession | undefined;
    if (sessionId !== undefined) {
      session = sessions.get(sessionId);
      // Another agent's session is as unknown as one that never existed.
      if (session === undefined || session.agentId !== agent.agentId) {
        return void sendRpcError(reply, new InterlockError('MCP_SESSION_UNKNOWN', 'unknown or expired MCP session; initialize a new one'));
      }
    } else if (request.method === 'POST' && isInitialize(request.body)) {
      const own = [...sessions.values()].filter((candidate) => candidate.agentId === agent.agentId);
      if (own.length >= services.maxSessionsPerAgent) {
        const oldest = own.reduce((least, candidate) => (candidate.lastSeen < least.lastSeen ? candidate : least));
        await closeSession(oldest);
      }
      session = openSession(agent, sessions, services.gateway);
    } else {
      return void sendRpcError(
        reply,
        new InterlockError('REQUEST_INVALID', 'no MCP session: send "initialize" first, then the Mcp-Session-Id header it returns'),
      );
    }
    session.lastSeen = Date.now();

    const actingFor = request.headers[ACTING_FOR_HEADER];
    (request.raw as IncomingMessage & { auth?: unknown }).auth = {
      token,
      clientId: agent.agentId,
      scopes: [],
      extra: typeof actingFor === 'string' ? { actingFor } : {},
    };
    reply.hijack();
    try {
      await session.transport.handleRequest(request.raw, reply.raw, request.body);
    } catch {
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(500, { 'content-type': 'application/json' });
        reply.raw.end(JSON.stringify(rpcError(new InterlockError('INTERNAL', 'internal error'))));
      }
    }
  };

  app.post(MCP_PATH, handle);
  app.get(MCP_PATH, handle);
  app.delete(MCP_PATH, handle);
}

function openSession(
  agent: { agentId: string; tenant: string },
  sessions: Map<string, HttpSession>,
  gateway: GatewayServices,
): HttpSession {
  const id = randomUUID();
  const server = createGatewayServer(gateway, {
    agentId: agent.agentId,
    tenant: agent.tenant,
    sessionId: id,
    credential: (token) => ({ kind: 'token', token: token ?? '' }),
    actingFor: (assertion) => assertion,
  });
  const transport = new HttpSessionTransport(id);
  const session: HttpSession = { id, agentId: agent.agentId, tenant: agent.tenant, server, transport, lastSeen: Date.now() };
  transport.onclose = () => {
    sessions.delete(id);
  };
  sessions.set(id, session);
  void server.connect(transport);
  return session;
}

function isInitialize(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some(
    (message) => typeof message === 'object' && message !== null && (message as { method?: unknown }).method === 'initialize',
  );
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * A browser page on another site must not reach a gateway on this machine: any Origin header must
 * be allowed explicitly, and a gateway bound to loopback only answers to loopback host names.
 */
function originRefusal(request: FastifyRequest, allowedOrigins: readonly string[], bindHost: string): InterlockError | null {
  const origin = request.headers.origin;
  // Same-origin requests (pages served by this server) are allowed; any other Origin must be listed.
  const sameOrigin =
    typeof origin === 'string' && request.headers.host !== undefined && origin === `${request.protocol}://${request.headers.host}`;
  if (typeof origin === 'string' && !sameOrigin && !allowedOrigins.includes(origin)) {
    return new InterlockError('ORIGIN_FORBIDDEN', 'this Origin may not call the MCP gateway; add it to mcp.allowedOrigins');
  }
  if (LOOPBACK_HOSTS.has(bindHost) || bindHost.startsWith('127.')) {
    const host = hostName(request.headers.host);
    if (host === null || !(LOOPBACK_HOSTS.has(host) || host.startsWith('127.'))) {
      return new InterlockError('ORIGIN_FORBIDDEN', 'the gateway listens on loopback and answers only to a loopback Host');
    }
  }
  return null;
}

function hostName(header: string | undefined): string | null {
  if (header === undefined || header === '') return null;
  if (header.startsWith('[')) {
    const end = header.indexOf(']');
    return end === -1 ? null : header.slice(0, end + 1);
  }
  return header.split(':')[0] ?? null;
}

function rpcError(error: InterlockError): Record<string, unknown> {
  const data = error.toData();
  return { jsonrpc: '2.0', id: null, error: { code: -32000, message: data.message, data: { code: data.code, retryable: data.retryable } } };
}

function sendRpcError(reply: FastifyReply, error: InterlockError): void {
  const headers: Record<string, string> = error.status === 401 ? { 'www-authenticate': 'Bearer realm="interlock"' } : {};
  void reply.code(error.status).headers(headers).send(rpcError(error));
}
