/**
 * The MCP gateway on PostgreSQL: examples/mcp-gateway served over HTTP by `interlock serve` and
 * over stdio by `interlock mcp --agent`, two processes sharing one schema as replicas do. Allowed
 * calls run, denied ones never reach the upstream, and the evidence of both doors is one chain
 * that verifies. Skipped when no PostgreSQL answers locally; under CI=true the file fails instead.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureBuilt, removeDirectory, startServer, type ServerProcess } from '../cli/interlock-process.js';
import { dropSchema, freshSchemaName, postgresTestUrl, requirePostgres } from '../support/postgres.js';
import {
  connectHttp,
  connectStdio,
  httpAuditReader,
  metaOf,
  textOf,
  waitForTools,
  type AuditReader,
  type GatewayConnection,
} from '../support/mcp/gateway-clients.js';
import { copyGatewayExample, projectTokens, usePostgres } from '../support/mcp/gateway-project.js';

const URL_VARIABLE = 'INTERLOCK_TEST_DB_URL';
const postgres = await requirePostgres();

describe('MCP gateway on postgres', postgres, () => {
  const schema = freshSchemaName('mcp_gateway');
  const databaseEnv = { [URL_VARIABLE]: postgresTestUrl() };
  let project: string;
  let server: ServerProcess;
  let audit: AuditReader;
  let operatorToken: string;
  let http: GatewayConnection;
  let stdio: GatewayConnection;

  before(async () => {
    ensureBuilt();
    project = copyGatewayExample('postgres', { edit: (document) => usePostgres(document, schema, URL_VARIABLE) });
    server = await startServer(project, { env: databaseEnv });
    const tokens = projectTokens(project);
    operatorToken = await tokens.operator('auditor');
    audit = httpAuditReader(server.url, operatorToken);
    http = await connectHttp(server.url, await tokens.agent('coder'));
    stdio = await connectStdio(project, 'coder', { env: databaseEnv });
    await Promise.all([http, stdio].map((connection) => waitForTools(connection.client, ['fs__read_text_file', 'memory__read_graph'])));
  });

  after(async () => {
    await http?.close();
    await stdio?.close();
    await server?.stop();
    await dropSchema(postgresTestUrl(), schema).catch(() => undefined);
    if (project !== undefined) removeDirectory(project);
  });

  test('postgres: allowed calls over both doors return the upstream result and are recorded as executed', async () => {
    const workspace = join(project, 'workspace');
    for (const connection of [http, stdio]) {
      const read = await connection.client.callTool({ name: 'fs__read_text_file', arguments: { path: 'notes/README.md' } });
      assert.equal(read.isError, undefined, textOf(read));
      assert.equal(textOf(read), readFileSync(join(workspace, 'notes', 'README.md'), 'utf8'));
      const note = `notes/postgres-${connection.door}.md`;
      const written = await connection.client.callTool({ name: 'fs__write_file', arguments: { path: note, content: connection.door } });
      assert.equal(metaOf(written)['interlock/status'], 'executed', textOf(written));
      assert.equal(readFileSync(join(workspace, note), 'utf8'), connection.door);
      const events = await audit({ callId: metaOf(written)['interlock/callId'] as string });
      assert.deepEqual(
        events.map((event) => event.type),
        ['call.received', 'decision.made', 'tool.executed', 'compensation.registered', 'call.completed'],
      );
      // The client sent no key: the MCP door derived one from the session for this write.
      assert.match(String(metaOf(written)['interlock/idempotencyKey']), /^derived:/, JSON.stringify(metaOf(written)));
    }
  });

  test('postgres: denied calls over both doors never reach the upstream, and both doors write one chain that verifies', async () => {
    const workspace = join(project, 'workspace');
    for (const connection of [http, stdio]) {
      const target = `postgres-denied-${connection.door}.md`;
      const denied = await connection.client.callTool({ name: 'fs__write_file', arguments: { path: target, content: 'no' } });
      assert.equal(denied.isError, true);
      assert.equal(metaOf(denied)['interlock/code'], 'POLICY_DENIED');
      assert.equal(existsSync(join(workspace, target)), false);
      const events = await audit({ callId: metaOf(denied)['interlock/callId'] as string });
      assert.equal(events.find((event) => event.type === 'decision.made')?.data['kind'], 'deny');
      assert.equal(events.filter((event) => event.type === 'tool.executed').length, 0);
    }

    const verification = await fetch(`${server.url}/v1/audit/verify`, { headers: { authorization: `Bearer ${operatorToken}` } });
    const report = (await verification.json()) as { ok?: boolean };
    assert.equal(verification.status, 200, JSON.stringify(report));
    assert.equal(report.ok, true);
  });
});
