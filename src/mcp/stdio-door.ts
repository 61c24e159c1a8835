import { randomUUID } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { InterlockError } from '../errors/interlock-error.js';
import type { TokenIssuer } from '../identity/token-issuer.js';
import { createGatewayServer, type GatewayServices } from './gateway-server.js';

export interface StdioGatewayOptions {
  readonly gateway: GatewayServices;
  readonly issuer: TokenIssuer;
  readonly agent: { readonly agentId: string; readonly tenant: string };
  /** Subscribes to changes of what clients may see; returns the unsubscribe function. */
  onToolsChanged(listener: () => void): () => void;
  /** A user assertion for the whole session (e.g. from INTERLOCK_ACTING_FOR); a call's `_meta` wins. */
  readonly actingFor?: string | undefined;
  readonly input?: Readable;
  readonly output?: Writable;
}

export interface StdioGateway {
  /** Resolves when the client closes the stream. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/**
 * The stdio door: a client that launches `interlock mcp --agent ID` talks MCP over stdin/stdout
 * as the configured agent. The process holds a short-lived token for that agent, renewed before it
 * expires, so every call is authenticated like any other: revoking the agent stops it.
 */
export async function startStdioGateway(options: StdioGatewayOptions): Promise<StdioGateway> {
  let minted = await options.issuer.mintAgentToken({ agentId: options.agent.agentId });
  let renewal: NodeJS.Timeout | undefined;
  const scheduleRenewal = () => {
    const lifetimeMs = Math.max(1_000, minted.expiresAt * 1000 - Date.now());
    renewal = setTimeout(() => {
      options.issuer
        .mintAgentToken({ agentId: options.agent.agentId })
        .then((next) => {
          minted = next;
          scheduleRenewal();
        })
        // The old token keeps working until it expires; the next renewal is tried sooner.
        .catch(() => {
          renewal = setTimeout(scheduleRenewal, 5_000);
          renewal.unref();
        });
    }, lifetimeMs / 2);
    renewal.unref();
  };
  scheduleRenewal();

  const server = createGatewayServer(options.gateway, {
    agentId: options.agent.agentId,
    tenant: options.agent.tenant,
    sessionId: `stdio-${randomUUID()}`,
    credential: () => ({ kind: 'token', token: minted.token }),
    actingFor: (assertion) => assertion ?? options.actingFor,
  });
  const unsubscribe = options.onToolsChanged(() => void server.sendToolListChanged().catch(() => undefined));
  const transport = new StdioServerTransport(options.input, options.output);
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  server.onclose = () => {
    clearTimeout(renewal);
    unsubscribe();
    resolveClosed();
  };
  const input = options.input ?? process.stdin;
  input.once('end', () => void server.close());
  await server.connect(transport);
  return {
    closed,
    async close() {
      await server.close();
    },
  };
}

export function unknownAgent(agentId: string): InterlockError {
  return new InterlockError('AGENT_UNKNOWN', `agent "${agentId}" is not configured in this project`);
}
