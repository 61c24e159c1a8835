/**
 * The MCP gateway end to end against a fault-injecting upstream (test/support/mcp/fixture-server.ts),
 * over Streamable HTTP (`interlock serve`) and stdio (`interlock mcp --agent`): progress and
 * cancellation, secrets given to an upstream, an upstream killed mid-call, an upstream that never
 * answers initialize, and a tool definition changed under a running gateway (quarantine).
 *
 * Both gateways run on one project (one SQLite file, read through GET /v1/audit); each starts its
 * own fixture processes. FIXTURE_LOG files show which calls reached an upstream.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pinDefinition, readToolLock, withPins, writeToolLock } from '../../src/drift/tool-lock.js';
import { ensureBuilt, removeDirectory, runCli, startServer, temporaryDirectory, type ServerProcess } from '../cli/interlock-process.js';
import {
  connectHttp,
  connectStdio,
  eventually,
  httpAuditReader,
  metaOf,
  textOf,
  waitForTools,
  type AuditReader,
  type GatewayConnection,
} from '../support/mcp/gateway-clients.js';
import { fixtureLogLines, projectTokens, writeFixtureProject, type FixtureServerSpec } from '../support/mcp/gateway-project.js';

const SECRET = `fixture-secret-${randomBytes(12).toString('hex')}`;
const SECRET_VARIABLE = 'INTERLOCK_TEST_FIXTURE_SECRET';
// Any value turns the leak on; the project refuses plain values for names that sound like secrets.
const LEAK_VARIABLE = 'INTERLOCK_TEST_FIXTURE_LEAK';
const ORIGINAL_DESCRIPTION = 'Echoes the given text.';

const project = temporaryDirectory('mcp-faults');
const fixtureLogPath = join(project, 'fixture.log');
const descriptionFile = join(project, 'echo-description.txt');
const secretEnv = { [SECRET_VARIABLE]: SECRET, [LEAK_VARIABLE]: 'write-the-secret-to-stderr' };

// Writes the secret to its stderr at start; its echo's description is read from a file that the
// quarantine test (the last one) changes.
const fixtureServer: FixtureServerSpec = {
  name: 'fixture',
  env: {
    FIXTURE_LOG: fixtureLogPath,
    FIXTURE_SECRET: `env:${SECRET_VARIABLE}`,
    FIXTURE_LEAK_SECRET: `env:${LEAK_VARIABLE}`,
    FIXTURE_DESCRIPTION_FILE: descriptionFile,
  },
};
// Never answers initialize; retried rarely, so it costs little while the tests run.
const hangingServer: FixtureServerSpec = {
  name: 'hangs',
  env: { FIXTURE_HANG_INIT: '1' },
  startupTimeout: '1s',
  restart: { initialDelay: '60s', maxDelay: '60s' },
};

let server: ServerProcess;
let audit: AuditReader;
let http: GatewayConnection;
let stdio: GatewayConnection;

before(async () => {
  ensureBuilt();
  writeFileSync(descriptionFile, ORIGINAL_DESCRIPTION);
  // The operator's workflow: configure the servers, pin what they offer, then serve.
  writeFixtureProject(project, [fixtureServer], { logLevel: 'debug' });
  const pinned = await runCli(['tools', 'pin', '--all', '--project', project, '--by', 'tests'], { env: secretEnv, timeoutMs: 60_000 });
  assert.equal(pinned.code, 0, `interlock tools pin --all: ${pinned.stderr}`);
  // The hanging server cannot be listed, so its pins are copied from the fixture's own definitions.
  const lockPath = join(project, 'tools.lock.json');
  const lock = readToolLock(lockPath);
  const echoPin = lock.tools['fixture__echo'];
  assert.ok(echoPin !== undefined, 'tools pin --all pinned fixture__echo');
  writeToolLock(lockPath, withPins(lock, [pinDefinition('hangs', echoPin.definition, 'tests', new Date())]));
  writeFixtureProject(project, [fixtureServer, hangingServer], { logLevel: 'debug' });

  server = await startServer(project, { env: secretEnv });
  const tokens = projectTokens(project);
  audit = httpAuditReader(server.url, await tokens.operator('auditor'));
  const botToken = await tokens.agent('bot');
  await Promise.all([
    connectHttp(server.url, botToken).then((connection) => (http = connection)),
    connectStdio(project, 'bot', { env: secretEnv }).then((connection) => (stdio = connection)),
  ]);
  await Promise.all([http, stdio].map((connection) => waitForTools(connection.client, ['fixture__echo', 'fixture__counter'])));
});

after(async () => {
  await http?.close();
  await stdio?.close();
  await server?.stop();
  removeDirectory(project);
});

function connection(door: 'http' | 'stdio'): GatewayConnection {
  return door === 'http' ? http : stdio;
}

for (const door of ['http', 'stdio'] as const) {
  describe(`MCP gateway over ${door} with a faulty upstream`, () => {
    test('progress the upstream reports reaches the client as notifications/progress', async () => {
      const updates: Array<{ progress: number; total?: number | undefined; message?: string | undefined }> = [];
      const result = await connection(door).client.callTool(
        { name: 'fixture__progress', arguments: { steps: 3, delayMs: 50 } },
        undefined,
        {
          onprogress: (update) => void updates.push(update),
        },
      );
      assert.equal(result.isError, undefined, textOf(result));
      assert.equal(textOf(result), '3 steps done');
      assert.deepEqual(updates, [
        { progress: 1, total: 3, message: 'step 1' },
        { progress: 2, total: 3, message: 'step 2' },
        { progress: 3, total: 3, message: 'step 3' },
      ]);
    });

    test('a cancelled call returns at once, the upstream is told, and the gateway keeps working', async () => {
      const { client } = connection(door);
      const traceId = `cancel-${door}-${randomBytes(4).toString('hex')}`;
      const ms = door === 'http' ? 60_001 : 60_002;
      const controller = new AbortController();
      const startedAt = Date.now();
      const pending = client.callTool({ name: 'fixture__slow', arguments: { ms }, _meta: { 'interlock/traceId': traceId } }, undefined, {
        signal: controller.signal,
      });
      await eventually(
        () => (fixtureLogLines(fixtureLogPath).some((line) => line.tool === 'slow' && line.args?.['ms'] === ms) ? true : undefined),
        'the slow call to reach the fixture',
      );
      controller.abort(new Error('the user cancelled'));
      await assert.rejects(pending);
      assert.ok(Date.now() - startedAt < ms / 2, 'the call did not wait for the slow tool');

      const slowPid = fixtureLogLines(fixtureLogPath).find((line) => line.args?.['ms'] === ms)?.pid;
      await eventually(
        () => (fixtureLogLines(fixtureLogPath).some((line) => line.event === 'cancelled' && line.pid === slowPid) ? true : undefined),
        'the fixture to be told of the cancellation',
      );
      const events = await eventually(async () => {
        const recorded = await audit({ traceId });
        return recorded.some((event) => event.type === 'call.completed') ? recorded : undefined;
      }, 'the cancelled call to be recorded');
      const failure = events.find((event) => event.type === 'tool.failed');
      assert.equal(failure?.data['outcome'], 'unknown', 'a cancelled call may have acted: its outcome is unknown');
      assert.equal(events.find((event) => event.type === 'call.completed')?.data['status'], 'failed');

      const echo = await client.callTool({ name: 'fixture__echo', arguments: { text: `after cancel over ${door}` } });
      assert.equal(textOf(echo), `after cancel over ${door}`);
    });

    test('a secret given to an upstream never shows in tools/list, results, the audit log or the logs', async () => {
      const { client } = connection(door);
      const present = await client.callTool({ name: 'fixture__secret_env', arguments: {} });
      assert.equal(textOf(present), 'set', 'the upstream received the secret');
      const listing = JSON.stringify(await client.listTools());
      assert.ok(!listing.includes(SECRET));
      // An upstream that hands the secret back does not get it past the gateway.
      const echoed = await client.callTool({ name: 'fixture__echo', arguments: { text: `the secret is ${SECRET}` } });
      assert.equal(echoed.isError, undefined, textOf(echoed));
      assert.ok(!JSON.stringify(echoed).includes(SECRET), `result: ${JSON.stringify(echoed)}`);
      const events = await audit({ callId: metaOf(echoed)['interlock/callId'] as string });
      assert.ok(events.length >= 4);
      const everything = JSON.stringify(await audit({}));
      assert.ok(!everything.includes(SECRET), 'no audit event holds the secret');
      const logs = door === 'http' ? server.stdout() + server.stderr() : stdio.stderr();
      assert.match(logs, /starting with secret \[REDACTED\]/, "the upstream's stderr is logged, scrubbed");
      assert.ok(!logs.includes(SECRET), 'no log line holds the secret');
    });

    test('an upstream that never answers initialize blocks no other upstream', async () => {
      const { client } = connection(door);
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      assert.ok(!names.includes('hangs__echo'), 'a tool of an upstream that is not connected is not listed');
      const refused = await client.callTool({ name: 'hangs__echo', arguments: { text: 'anyone?' } });
      assert.equal(refused.isError, true);
      assert.equal(metaOf(refused)['interlock/code'], 'UPSTREAM_UNAVAILABLE');
      assert.equal(metaOf(refused)['interlock/status'], 'refused');
      const echo = await client.callTool({ name: 'fixture__echo', arguments: { text: `beside a hanging server over ${door}` } });
      assert.equal(textOf(echo), `beside a hanging server over ${door}`);
    });

    test('an upstream killed mid-call: a typed failure, then a restart, then calls work again', async () => {
      const { client } = connection(door);
      const crashed = await client.callTool({ name: 'fixture__crash', arguments: {} });
      assert.equal(crashed.isError, true);
      const meta = metaOf(crashed);
      assert.equal(meta['interlock/status'], 'failed');
      assert.equal(meta['interlock/code'], 'UPSTREAM_FAILED');
      assert.match(textOf(crashed), /may or may not have taken effect/, 'a write lost mid-call is not said to be safe to retry');
      const crashPid = fixtureLogLines(fixtureLogPath).findLast((line) => line.tool === 'crash')?.pid;
      assert.equal(typeof crashPid, 'number');

      const text = `after the restart over ${door}`;
      const echo = await eventually(
        async () => {
          const result = await client.callTool({ name: 'fixture__echo', arguments: { text } });
          return result.isError === true ? undefined : result;
        },
        'the fixture to be restarted and callable',
        60_000,
      );
      assert.equal(textOf(echo), text);
      const answeredBy = fixtureLogLines(fixtureLogPath).findLast((line) => line.args?.['text'] === text)?.pid;
      assert.notEqual(answeredBy, crashPid, 'a new fixture process answered');
      const lost = await audit({ type: 'mcp.upstream.lost' });
      assert.ok(lost.some((event) => event.data['server'] === 'fixture'));
    });
  });
}

describe('a tool definition changed under running gateways', () => {
  test('is quarantined: clients are told, the tool is hidden and refused, and it is recorded and counted', async () => {
    for (const connection of [http, stdio]) {
      const before = await connection.client.callTool({
        name: 'fixture__echo',
        arguments: { text: `before drift over ${connection.door}` },
      });
      assert.equal(textOf(before), `before drift over ${connection.door}`);
    }
    const notified = [http.listChangedCount(), stdio.listChangedCount()];

    writeFileSync(descriptionFile, 'Echoes the given text. Also keeps a copy of everything it is given.');

    for (const [index, connection] of [http, stdio].entries()) {
      await eventually(
        () => (connection.listChangedCount() > (notified[index] ?? 0) ? true : undefined),
        `notifications/tools/list_changed over ${connection.door}`,
      );
      const names = await eventually(async () => {
        const listed = (await connection.client.listTools()).tools.map((tool) => tool.name);
        return listed.includes('fixture__echo') ? undefined : listed;
      }, `fixture__echo to disappear over ${connection.door}`);
      assert.ok(names.includes('fixture__counter'), 'only the changed tool is quarantined');
      const counter = await connection.client.callTool({ name: 'fixture__counter', arguments: {} });
      assert.equal(metaOf(counter)['interlock/status'], 'executed', "the server's other tools still run");

      const refused = await connection.client.callTool({
        name: 'fixture__echo',
        arguments: { text: `after drift over ${connection.door}` },
      });
      assert.equal(refused.isError, true);
      assert.equal(metaOf(refused)['interlock/code'], 'TOOL_QUARANTINED');
      assert.equal(metaOf(refused)['interlock/status'], 'refused');
    }
    const reached = fixtureLogLines(fixtureLogPath).filter((line) => String(line.args?.['text']).startsWith('after drift'));
    assert.deepEqual(reached, [], 'no call to the quarantined tool reached the upstream');

    const quarantined = await audit({ type: 'mcp.tool.quarantined' });
    assert.equal(quarantined.length, 2, 'each gateway recorded the quarantine');
    for (const event of quarantined) {
      assert.equal(event.data['name'], 'fixture__echo');
      assert.ok(Array.isArray(event.data['changes']) && event.data['changes'].length > 0);
      assert.notEqual(event.data['pinnedHash'], event.data['liveHash']);
    }
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^interlock_mcp_tool_drift_total\{server="fixture",tool="echo"\} 1$/m);
    assert.match(metrics, /^interlock_mcp_tools_quarantined\{server="fixture"\} 1$/m);
  });
});
