/**
 * The HTTP door bounds the sessions one agent can hold: opening one past the limit closes that
 * agent's least recently used session (its next request is MCP_SESSION_UNKNOWN), and never
 * another agent's.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerMcpRoutes } from '../../src/mcp/http-door.js';
import { Registry } from '../../src/registry/registry.js';

const LIMIT = 2;

describe('MCP sessions per agent over HTTP', () => {
  let app: FastifyInstance;
  let url: URL;
  const clients: Client[] = [];

  before(async () => {
    app = Fastify();
    registerMcpRoutes(
      app,
      {
        gateway: {
          version: 'test',
          call: () => Promise.reject(new Error('no calls in this test')),
          registry: () => new Registry([]),
          couldEverPermit: () => true,
          isListed: () => true,
          passthroughServers: () => [],
          recordAccess: () => undefined,
          approvalStatus: () => Promise.resolve(null),
        },
        // The token is the agent id: identity is not what this test is about.
        authenticateAgent: (token) => Promise.resolve({ agentId: token, tenant: 'acme' }),
        onToolsChanged: () => () => undefined,
        allowedOrigins: [],
        sessionIdleTimeoutMs: 60_000,
        maxSessionsPerAgent: LIMIT,
      },
      () => '127.0.0.1',
    );
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    url = new URL(`${address}/mcp`);
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    await app.close();
  });

  const connect = async (agent: string): Promise<Client> => {
    const client = new Client({ name: `client-of-${agent}`, version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${agent}` } } }));
    clients.push(client);
    return client;
  };

  test('one session past the limit closes the agent’s least recently used one only', async () => {
    const first = await connect('alpha');
    const second = await connect('alpha');
    const other = await connect('beta');
    await second.listTools(); // `first` is now the least recently used session of alpha
    const third = await connect('alpha');

    await assert.rejects(first.listTools(), /unknown or expired MCP session|404/);
    assert.deepEqual((await second.listTools()).tools, []);
    assert.deepEqual((await third.listTools()).tools, []);
    assert.deepEqual((await other.listTools()).tools, [], 'another agent’s session is untouched');
  });
});
