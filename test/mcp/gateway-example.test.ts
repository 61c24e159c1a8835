/**
 * The MCP gateway end to end on examples/mcp-gateway: real filesystem, memory and everything
 * servers behind a real `interlock serve` (Streamable HTTP) and a real `interlock mcp --agent`
 * (stdio), driven by the official SDK client. Both gateways run on one copy of the project, so
 * the evidence of either door is read through GET /v1/audit.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { ensureBuilt, removeDirectory, runCli, startServer, type ServerProcess } from '../cli/interlock-process.js';
import {
  connectHttp,
  connectStdio,
  httpAuditReader,
  metaOf,
  textOf,
  waitForTools,
  type AuditReader,
  type Door,
  type GatewayConnection,
} from '../support/mcp/gateway-clients.js';
import { copyGatewayExample, projectTokens, type ProjectTokens } from '../support/mcp/gateway-project.js';

/** The example permits no moves; this copy lets the coder move files within notes/ (a destructive effect). */
const MOVE_POLICY = `@id("coder-moves-within-notes")
@reason("the coding assistant may move files within notes/")
permit (
  principal == Interlock::Agent::"coder",
  action == Interlock::Action::"fs.move_file",
  resource == Interlock::Tool::"fs"
)
when {
  context.arguments has source && context.arguments.source like "*notes/*" &&
  context.arguments has destination && context.arguments.destination like "*notes/*"
};
`;

const STARTUP_TOOLS = ['fs__read_text_file', 'memory__create_entities', 'everything__echo'];

const project = copyGatewayExample('example', { files: { 'policies/moves.cedar': MOVE_POLICY } });
const workspace = join(project, 'workspace');
let server: ServerProcess;
let tokens: ProjectTokens;
let audit: AuditReader;

before(async () => {
  ensureBuilt();
  server = await startServer(project);
  tokens = projectTokens(project);
  audit = httpAuditReader(server.url, await tokens.operator('auditor'));
});

after(async () => {
  await server?.stop();
  removeDirectory(project);
});

/** Connects `agent` through the given door, once its upstreams are listed. */
async function connect(door: Door, agent: string, options: { protocolVersion?: string } = {}): Promise<GatewayConnection> {
  const connection =
    door === 'http' ? await connectHttp(server.url, await tokens.agent(agent), options) : await connectStdio(project, agent, options);
  try {
    await waitForTools(connection.client, agent === 'coder' ? STARTUP_TOOLS : ['fs__read_text_file']);
  } catch (error) {
    await connection.close();
    throw error;
  }
  return connection;
}

function callId(result: { _meta?: unknown }): string {
  const id = metaOf(result)['interlock/callId'];
  assert.equal(typeof id, 'string');
  return id as string;
}

async function graphEntityNames(connection: GatewayConnection): Promise<string[]> {
  const graph = await connection.client.callTool({ name: 'memory__read_graph', arguments: {} });
  assert.equal(graph.isError, undefined, textOf(graph));
  return (JSON.parse(textOf(graph)) as { entities: Array<{ name: string }> }).entities.map((entity) => entity.name);
}

for (const door of ['http', 'stdio'] as const) {
  describe(`MCP gateway over ${door} on examples/mcp-gateway`, () => {
    let coder: GatewayConnection;
    let reader: GatewayConnection;

    before(async () => {
      // The reader's client asks for an older protocol revision than the SDK's newest.
      await Promise.all([
        connect(door, 'coder').then((connection) => (coder = connection)),
        connect(door, 'reader', { protocolVersion: '2025-03-26' }).then((connection) => (reader = connection)),
      ]);
    });

    after(async () => {
      await coder?.close();
      await reader?.close();
    });

    test('an allowed call returns what the upstream returned, with Interlock evidence in _meta', async () => {
      const traceId = `example-read-${door}`;
      const read = await coder.client.callTool({
        name: 'fs__read_text_file',
        arguments: { path: 'plan.md' },
        _meta: { 'interlock/traceId': traceId },
      });
      assert.equal(read.isError, undefined, textOf(read));
      assert.equal(textOf(read), readFileSync(join(workspace, 'plan.md'), 'utf8'));
      const meta = metaOf(read);
      assert.equal(meta['interlock/status'], 'executed');
      assert.equal(meta['interlock/traceId'], traceId, 'the trace id given in _meta is the call trace');
      assert.equal(meta['interlock/code'], undefined);
      const events = await audit({ callId: callId(read) });
      assert.deepEqual(
        events.map((event) => event.type),
        ['call.received', 'decision.made', 'tool.executed', 'call.completed'],
      );
      assert.ok(events.every((event) => event.agent === 'coder' && event.traceId === traceId));
      assert.equal(events[1]?.data['kind'], 'allow');
      assert.equal(events.find((event) => event.type === 'call.completed')?.id, meta['interlock/auditEventId']);

      const echo = await coder.client.callTool({ name: 'everything__echo', arguments: { message: `hello over ${door}` } });
      assert.equal(echo.isError, undefined, textOf(echo));
      assert.equal(textOf(echo), `Echo: hello over ${door}`);

      const entity = `gateway-test-${door}`;
      const created = await coder.client.callTool({
        name: 'memory__create_entities',
        arguments: { entities: [{ name: entity, entityType: 'test', observations: [`made over ${door}`] }] },
      });
      assert.equal(created.isError, undefined, textOf(created));
      assert.ok((await graphEntityNames(coder)).includes(entity), 'read_graph shows the new entity');

      const note = `notes/from-${door}.md`;
      const written = await coder.client.callTool({ name: 'fs__write_file', arguments: { path: note, content: `written over ${door}` } });
      assert.equal(written.isError, undefined, textOf(written));
      assert.equal(readFileSync(join(workspace, note), 'utf8'), `written over ${door}`);
    });

    test('the same write twice in one session runs once (a derived key); a key in _meta is honoured; another session runs it again', async () => {
      const note = `notes/once-${door}.md`;
      const file = join(workspace, note);
      const write = { name: 'fs__write_file', arguments: { path: note, content: `once over ${door}` } };
      const first = await coder.client.callTool(write);
      assert.equal(first.isError, undefined, textOf(first));
      assert.match(String(metaOf(first)['interlock/idempotencyKey']), /^derived:/);
      assert.equal(metaOf(first)['interlock/replayed'], undefined);
      // Changed behind the gateway's back: a re-run would write it again, a replay leaves it.
      writeFileSync(file, 'changed since');
      const again = await coder.client.callTool(write);
      assert.equal(again.isError, undefined, textOf(again));
      assert.equal(metaOf(again)['interlock/replayed'], true);
      assert.equal(metaOf(again)['interlock/callId'], callId(first), 'the replay names the call that ran');
      assert.equal(readFileSync(file, 'utf8'), 'changed since', 'the write ran a second time');

      // A key the client sends is used instead of a derived one; reusing it for another write is a conflict.
      const keyed = await coder.client.callTool({ ...write, _meta: { 'interlock/idempotencyKey': `once-${door}-1` } });
      assert.equal(keyed.isError, undefined, textOf(keyed));
      assert.equal(metaOf(keyed)['interlock/idempotencyKey'], `once-${door}-1`);
      assert.equal(readFileSync(file, 'utf8'), `once over ${door}`);
      const conflict = await coder.client.callTool({
        name: 'fs__write_file',
        arguments: { path: note, content: 'something else' },
        _meta: { 'interlock/idempotencyKey': `once-${door}-1` },
      });
      assert.equal(conflict.isError, true);
      assert.equal(metaOf(conflict)['interlock/code'], 'IDEMPOTENCY_CONFLICT');
      assert.equal(readFileSync(file, 'utf8'), `once over ${door}`);

      // A derived key belongs to its session: the same write from a new session runs.
      writeFileSync(file, 'changed again');
      const other = await connect(door, 'coder');
      try {
        const fresh = await other.client.callTool(write);
        assert.equal(fresh.isError, undefined, textOf(fresh));
        assert.equal(metaOf(fresh)['interlock/replayed'], undefined);
        assert.equal(readFileSync(file, 'utf8'), `once over ${door}`);
      } finally {
        await other.close();
      }
    });

    test('a denied call is a tool error with POLICY_DENIED, and never reaches the upstream', async () => {
      const outside = `outside-${door}.md`;
      const denied = await coder.client.callTool({ name: 'fs__write_file', arguments: { path: outside, content: 'must not be written' } });
      assert.equal(denied.isError, true);
      const meta = metaOf(denied);
      assert.equal(meta['interlock/status'], 'denied');
      assert.equal(meta['interlock/code'], 'POLICY_DENIED');
      assert.match(textOf(denied), /Interlock denied this call/);
      assert.doesNotMatch(textOf(denied), /must not be written/, 'argument values are never echoed in the explanation');
      assert.equal(existsSync(join(workspace, outside)), false, 'the file was not written');
      const events = await audit({ callId: callId(denied) });
      assert.equal(events.find((event) => event.type === 'decision.made')?.data['kind'], 'deny');
      assert.equal(events.filter((event) => event.type === 'tool.executed').length, 0);
      assert.equal(events.find((event) => event.type === 'call.completed')?.data['status'], 'denied');

      const escape = await coder.client.callTool({
        name: 'fs__write_file',
        arguments: { path: `notes/../escape-${door}.md`, content: 'x' },
      });
      assert.equal(metaOf(escape)['interlock/code'], 'POLICY_DENIED', 'a path through notes/ that leaves it is denied');
      assert.equal(existsSync(join(workspace, `escape-${door}.md`)), false);

      const entity = `keep-me-${door}`;
      const created = await coder.client.callTool({
        name: 'memory__create_entities',
        arguments: { entities: [{ name: entity, entityType: 'test', observations: ['stays'] }] },
      });
      assert.equal(created.isError, undefined, textOf(created));
      const deletion = await coder.client.callTool({ name: 'memory__delete_entities', arguments: { entityNames: [entity] } });
      assert.equal(deletion.isError, true);
      assert.equal(metaOf(deletion)['interlock/code'], 'POLICY_DENIED');
      assert.ok((await graphEntityNames(coder)).includes(entity), 'the entity is still there');

      const environment = await coder.client.callTool({ name: 'everything__get-env', arguments: {} });
      assert.equal(metaOf(environment)['interlock/code'], 'POLICY_DENIED');
      assert.doesNotMatch(textOf(environment), /PATH=|"PATH"/);

      const readerWrite = await reader.client.callTool({
        name: 'fs__write_file',
        arguments: { path: `notes/reader-${door}.md`, content: 'x' },
      });
      assert.equal(metaOf(readerWrite)['interlock/code'], 'POLICY_DENIED', 'the reader may not write even under notes/');
      assert.equal(existsSync(join(workspace, 'notes', `reader-${door}.md`)), false);
    });

    test('a user assertion nobody trusts is refused before anything runs', async () => {
      const note = `notes/acting-${door}.md`;
      const refused = await coder.client.callTool({
        name: 'fs__write_file',
        arguments: { path: note, content: 'x' },
        _meta: { 'interlock/actingFor': 'not-a-signed-assertion' },
      });
      assert.equal(refused.isError, true);
      assert.equal(metaOf(refused)['interlock/code'], 'USER_ASSERTION_INVALID');
      assert.equal(metaOf(refused)['interlock/status'], 'refused');
      assert.equal(existsSync(join(workspace, note)), false);
    });

    test("tools/list shows only what policy could permit, annotated with Interlock's effects", async () => {
      const coderTools = new Map((await coder.client.listTools()).tools.map((tool) => [tool.name, tool]));
      for (const name of ['fs__read_text_file', 'fs__write_file', 'fs__move_file', 'memory__delete_entities', 'everything__get-env']) {
        const shouldShow = !['memory__delete_entities', 'everything__get-env'].includes(name);
        assert.equal(coderTools.has(name), shouldShow, `coder ${shouldShow ? 'sees' : 'does not see'} ${name}`);
      }
      assert.deepEqual(coderTools.get('fs__read_text_file')?.annotations, {
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
      });
      assert.deepEqual(coderTools.get('fs__write_file')?.annotations, {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
      });
      assert.deepEqual(coderTools.get('fs__move_file')?.annotations, { readOnlyHint: false, destructiveHint: true, idempotentHint: false });
      // The upstream calls echo idempotent; the example's effect rule does not, and Interlock says what it enforces.
      assert.deepEqual(coderTools.get('everything__echo')?.annotations, {
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: false,
      });
      assert.equal(coderTools.get('everything__echo')?.description, 'Echoes back the input string');

      const readerTools = new Set((await reader.client.listTools()).tools.map((tool) => tool.name));
      assert.ok(readerTools.has('fs__read_text_file') && readerTools.has('everything__echo'));
      for (const hidden of ['fs__write_file', 'fs__move_file', 'memory__delete_entities', 'everything__get-env']) {
        assert.equal(readerTools.has(hidden), false, `reader does not see ${hidden}`);
      }
    });

    test('a move within notes/ runs; a move out of notes/ is denied and the file stays', async () => {
      const source = `notes/move-${door}.md`;
      const written = await coder.client.callTool({ name: 'fs__write_file', arguments: { path: source, content: 'moving' } });
      assert.equal(written.isError, undefined, textOf(written));
      const outside = await coder.client.callTool({ name: 'fs__move_file', arguments: { source, destination: `moved-${door}.md` } });
      assert.equal(metaOf(outside)['interlock/code'], 'POLICY_DENIED');
      assert.ok(existsSync(join(workspace, source)) && !existsSync(join(workspace, `moved-${door}.md`)));
      const inside = await coder.client.callTool({ name: 'fs__move_file', arguments: { source, destination: `notes/moved-${door}.md` } });
      assert.equal(inside.isError, undefined, textOf(inside));
      assert.equal(readFileSync(join(workspace, 'notes', `moved-${door}.md`), 'utf8'), 'moving');
    });

    test('progress the upstream reports reaches the client', async () => {
      const updates: Array<{ progress: number; total?: number | undefined }> = [];
      const result = await coder.client.callTool(
        { name: 'everything__trigger-long-running-operation', arguments: { duration: 1, steps: 4 } },
        undefined,
        { onprogress: (update) => void updates.push(update) },
      );
      assert.equal(result.isError, undefined, textOf(result));
      assert.match(textOf(result), /Long running operation completed/);
      assert.ok(updates.length >= 2, `expected progress notifications, got ${JSON.stringify(updates)}`);
      assert.ok(
        updates.every((update, index) => update.total === 4 && (index === 0 || update.progress > (updates[index - 1]?.progress ?? 0))),
        `progress rises towards the total: ${JSON.stringify(updates)}`,
      );
    });

    test('the newest protocol version by default, and an older one when the client asks for it', async () => {
      assert.equal(coder.protocolVersion, LATEST_PROTOCOL_VERSION);
      assert.equal(reader.protocolVersion, '2025-03-26');
      const echo = await reader.client.callTool({ name: 'everything__echo', arguments: { message: 'old client' } });
      assert.equal(textOf(echo), 'Echo: old client');
    });

    test("everything's resources and prompts are passed through; a resource can be read", async () => {
      const { resources } = await coder.client.listResources();
      const architecture = resources.find((resource) => resource.uri === 'demo://resource/static/document/architecture.md');
      assert.ok(architecture !== undefined, `resources: ${resources.map((resource) => resource.uri).join(', ')}`);
      assert.equal(architecture.name, 'everything__architecture.md');
      const read = await coder.client.readResource({ uri: architecture.uri });
      const content = read.contents[0] as { uri: string; text?: string } | undefined;
      assert.equal(content?.uri, architecture.uri);
      assert.ok((content?.text ?? '').length > 0);

      const { prompts } = await coder.client.listPrompts();
      assert.ok(prompts.some((prompt) => prompt.name === 'everything__simple-prompt'));
      const prompt = await coder.client.getPrompt({ name: 'everything__simple-prompt' });
      assert.ok(prompt.messages.length > 0);
      await assert.rejects(coder.client.getPrompt({ name: 'everything__no-such-prompt' }));
    });
  });
}

describe('the HTTP door authenticates every request', () => {
  const initialize = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  };

  async function post(
    body: unknown,
    headers: Record<string, string>,
  ): Promise<{ status: number; headers: Headers; error: { data?: { code?: string } } | undefined }> {
    const response = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    let error: { data?: { code?: string } } | undefined;
    try {
      error = (JSON.parse(text) as { error?: { data?: { code?: string } } }).error;
    } catch {
      error = undefined;
    }
    return { status: response.status, headers: response.headers, error };
  }

  test('no token: 401 with AUTH_MISSING in the JSON-RPC error data', async () => {
    const answer = await post(initialize, {});
    assert.equal(answer.status, 401);
    assert.equal(answer.error?.data?.code, 'AUTH_MISSING');
    assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer /);
  });

  test('a forged token (right claims, wrong key) is refused with 401', async () => {
    const genuine = await tokens.agent('coder');
    const forged = await new SignJWT(decodeJwt(genuine))
      .setProtectedHeader(decodeProtectedHeader(genuine) as { alg: string })
      .sign(generateKeyPairSync('ed25519').privateKey);
    const answer = await post(initialize, { authorization: `Bearer ${forged}` });
    assert.equal(answer.status, 401);
    assert.equal(answer.error?.data?.code, 'AUTH_INVALID');
  });

  test('a token revoked mid-session stops working on its next request; other sessions go on', async () => {
    const token = await tokens.agent('reader');
    const revoked = await connectHttp(server.url, token);
    const coder = await connect('http', 'coder');
    try {
      await waitForTools(revoked.client, ['fs__read_text_file']);
      const revocation = await runCli([
        'agents',
        'revoke',
        '--project',
        project,
        '--token',
        token,
        '--reason',
        'test of mid-session revocation',
      ]);
      assert.equal(revocation.code, 0, revocation.stderr);

      const error = await revoked.client.listTools().then(
        () => assert.fail('a revoked token must not list tools'),
        (reason: unknown) => reason,
      );
      assert.ok(error instanceof StreamableHTTPError, String(error));
      assert.equal(error.code, 401);
      assert.match(error.message, /AUTH_REVOKED/);
      const raw = await post(
        { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
        {
          authorization: `Bearer ${token}`,
          'mcp-session-id': revoked.sessionId ?? '',
          'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
        },
      );
      assert.equal(raw.status, 401);
      assert.equal(raw.error?.data?.code, 'AUTH_REVOKED');

      const echo = await coder.client.callTool({ name: 'everything__echo', arguments: { message: 'still here' } });
      assert.equal(textOf(echo), 'Echo: still here', 'the revocation of one token leaves other sessions alone');
      const revokedEvents = await audit({ type: 'token.revoked' });
      assert.ok(revokedEvents.some((event) => event.agent === 'reader' && event.data['reason'] === 'test of mid-session revocation'));
    } finally {
      await revoked.close().catch(() => undefined);
      await coder.close();
    }
  });

  test("another agent's token with a session id is answered 404 MCP_SESSION_UNKNOWN", async () => {
    const coder = await connect('http', 'coder');
    try {
      assert.ok(coder.sessionId !== undefined);
      const answer = await post(
        { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
        {
          authorization: `Bearer ${await tokens.agent('reader')}`,
          'mcp-session-id': coder.sessionId,
          'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
        },
      );
      assert.equal(answer.status, 404);
      assert.equal(answer.error?.data?.code, 'MCP_SESSION_UNKNOWN');
      const unknown = await post(
        { jsonrpc: '2.0', id: 3, method: 'tools/list', params: {} },
        {
          authorization: `Bearer ${await tokens.agent('coder')}`,
          'mcp-session-id': '00000000-0000-4000-8000-000000000000',
        },
      );
      assert.equal(unknown.status, 404);
      assert.equal(unknown.error?.data?.code, 'MCP_SESSION_UNKNOWN');
      const listed = await coder.client.listTools();
      assert.ok(listed.tools.length > 0, 'the session still works for its own agent');
    } finally {
      await coder.close();
    }
  });

  test('a request without a session that is not initialize is refused with REQUEST_INVALID', async () => {
    const answer = await post(
      { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
      { authorization: `Bearer ${await tokens.agent('coder')}` },
    );
    assert.equal(answer.status, 400);
    assert.equal(answer.error?.data?.code, 'REQUEST_INVALID');
  });

  test('a foreign Origin is refused with 403 ORIGIN_FORBIDDEN, even with a valid token', async () => {
    const answer = await post(initialize, {
      authorization: `Bearer ${await tokens.agent('coder')}`,
      origin: 'http://evil.example',
    });
    assert.equal(answer.status, 403);
    assert.equal(answer.error?.data?.code, 'ORIGIN_FORBIDDEN');
  });

  test('a foreign Host on a loopback gateway is refused with 403 ORIGIN_FORBIDDEN', async () => {
    const token = await tokens.agent('coder');
    const url = new URL(`${server.url}/mcp`);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            host: 'evil.example',
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
        },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      outgoing.on('error', reject);
      outgoing.end(JSON.stringify(initialize));
    });
    assert.equal(answer.status, 403);
    assert.equal((JSON.parse(answer.body) as { error: { data: { code: string } } }).error.data.code, 'ORIGIN_FORBIDDEN');
  });
});

describe('evidence', () => {
  test('the events both doors recorded form one chain that verifies', async () => {
    const verification = await fetch(`${server.url}/v1/audit/verify`, {
      headers: { authorization: `Bearer ${await tokens.operator('auditor')}` },
    });
    const report = (await verification.json()) as { ok?: boolean };
    assert.equal(verification.status, 200, JSON.stringify(report));
    assert.equal(report.ok, true);
    const stdioCalls = await audit({ type: 'call.completed', traceId: 'example-read-stdio' });
    assert.equal(stdioCalls.length, 1, 'the stdio gateway wrote into the same log');
  });
});

describe('the stdio door', () => {
  test('an agent that is not configured is refused at start with AGENT_UNKNOWN', async () => {
    const result = await runCli(['mcp', '--project', project, '--agent', 'nobody'], { timeoutMs: 30_000 });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /AGENT_UNKNOWN/);
    assert.equal(result.stdout, '', 'nothing but MCP messages is ever written on stdout');
  });
});
