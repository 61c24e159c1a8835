/**
 * Secrets through the door: an HTTP tool whose credential comes from `env:UPSTREAM_TOKEN`, and an
 * upstream that echoes that credential back. The canary must reach the upstream and nothing else:
 * not the client, not the audit log, not the database files, not the log lines.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startProject, type HttpAnswer, type ProjectFixture, type StorageKind } from '../support/project-fixture.js';
import { sendJson, startUpstream, type Upstream } from '../support/upstream.js';
import { assertError, eventData } from './assertions.js';
import { appendTo } from './main-project.js';

const VAULT_POLICY = `
@id("support-bot-uses-vault")
@reason("support-bot may use the vault tool in door tests")
permit (
  principal == Interlock::Agent::"support-bot",
  action in [
    Interlock::Action::"vault.echo",
    Interlock::Action::"vault.broken",
    Interlock::Action::"vault.hang",
    Interlock::Action::"vault.item",
    Interlock::Action::"vault.moved"
  ],
  resource
);
`;

const HANG_TIMEOUT = '300ms';

export function secretsSuite(storage: StorageKind): void {
  describe(`secrets never leave the upstream request (${storage})`, () => {
    // Known to the server (an `env:` reference) and echoed by the upstream.
    const canary = `canary-${randomBytes(16).toString('hex')}`;
    // Unknown to the server: only its field name (`password`) marks it as a credential.
    const passwordCanary = `pwcanary-${randomBytes(16).toString('hex')}`;
    let upstream: Upstream;
    let project: ProjectFixture;
    let supportBot: string;
    const answers: HttpAnswer[] = [];

    before(async () => {
      ({ upstream, project } = await startVaultProject(storage, 'secrets', canary));
      supportBot = await project.mintAgentToken('support-bot');
    });
    after(async () => {
      await project?.close();
      await upstream?.close();
    });

    const callVault = async (operation: string, args: Record<string, unknown>, idempotencyKey?: string): Promise<HttpAnswer> => {
      const answer = await project.call(
        { tool: 'vault', operation, arguments: args, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) },
        supportBot,
      );
      answers.push(answer);
      return answer;
    };

    it('the upstream receives the credential; the echoed credential, the canary in arguments and a password field are redacted', async () => {
      const answer = await callVault('echo', { note: `please forward ${canary} to finance`, password: passwordCanary });
      assert.equal(answer.status, 200, answer.text);
      const sent = upstream.requests[upstream.requests.length - 1];
      assert.ok(sent);
      assert.equal(sent.headers.authorization, canary, 'the upstream did not get the credential');
      assert.equal(sent.path, '/echo');
      const result = answer.body.result as {
        ok: boolean;
        token: string;
        nested: { deep: Array<{ value: string }> };
        received: Record<string, string>;
      };
      assert.equal(result.ok, true);
      assert.equal(result.token, '[REDACTED]');
      assert.ok(!result.nested.deep[0]?.value.includes(canary));
      assert.equal(result.received['password'], '[REDACTED]');
      assert.ok(!answer.text.includes(canary), 'the credential reached the client');
      assert.ok(!answer.text.includes(passwordCanary), 'the password reached the client');
      const executed = (await project.auditEvents({ callId: answer.body.callId ?? '', type: 'tool.executed' }))[0];
      assert.ok(executed);
      assert.ok(
        Array.isArray(eventData(executed)['redactedFromResult']) && (eventData(executed)['redactedFromResult'] as unknown[]).length >= 3,
      );
    });

    it('an upstream answering 500 (with the credential in its body) is 502 UPSTREAM_FAILED without leaking it', async () => {
      const answer = await callVault('broken', { note: 'hello' });
      assertError(answer, 502, 'UPSTREAM_FAILED');
      assert.ok(!answer.text.includes(canary));
      const failed = (await project.auditEvents({ callId: answer.body.callId ?? '', type: 'tool.failed' }))[0];
      assert.ok(failed);
      assert.equal(eventData(failed)['outcome'], 'failed');
    });

    it('an upstream that hangs past the operation timeout is 504 UPSTREAM_TIMEOUT; for a write the outcome is "unknown"', async () => {
      const sentBefore = upstream.requests.length;
      const answer = await callVault('hang', { note: 'slow' }, `hang-${storage}`);
      assertError(answer, 504, 'UPSTREAM_TIMEOUT');
      assert.equal(upstream.requests.length, sentBefore + 1, 'the write was not attempted exactly once');
      const failed = (await project.auditEvents({ callId: answer.body.callId ?? '', type: 'tool.failed' }))[0];
      assert.ok(failed, 'no tool.failed event');
      assert.equal(eventData(failed)['outcome'], 'unknown');
      const completed = (await project.auditEvents({ callId: answer.body.callId ?? '', type: 'call.completed' }))[0];
      assert.ok(completed);
      assert.equal(eventData(completed)['executionOutcome'], 'unknown');
      assert.equal(eventData(completed)['status'], 'failed');
      // A retry with the same key is not run blindly: the first attempt may have taken effect.
      const retry = await callVault('hang', { note: 'slow' }, `hang-${storage}`);
      const unknown = assertError(retry, 409, 'OUTCOME_UNKNOWN');
      assert.equal(unknown.details?.['firstCallId'], answer.body.callId);
      assert.equal(upstream.requests.length, sentBefore + 1, 'the retry reached the upstream');
    });

    it('a path parameter of "." or ".." is refused before anything is sent (no walking the upstream with its credential)', async () => {
      const sentBefore = upstream.requests.length;
      assertError(await callVault('item', { id: '..' }), 422, 'ARGUMENTS_INVALID');
      assertError(await callVault('item', { id: '.' }), 422, 'ARGUMENTS_INVALID');
      assert.equal(upstream.requests.length, sentBefore, 'a request reached the upstream');
      const fine = await callVault('item', { id: 'a/../b' });
      assert.equal(fine.status, 200, fine.text);
      assert.equal(upstream.requests[upstream.requests.length - 1]?.path, '/items/a%2F..%2Fb');
    });

    it('a redirect is not followed, so the credential never reaches another origin', async () => {
      const elsewhere = await startUpstream((_request, response) => sendJson(response, 200, { stolen: true }));
      redirectTarget = `${elsewhere.baseUrl}/collect`;
      try {
        assertError(await callVault('moved', { note: 'x' }), 502, 'UPSTREAM_FAILED');
        assert.equal(elsewhere.requests.length, 0, 'the redirect was followed');
      } finally {
        await elsewhere.close();
      }
    });

    it('a refused call carrying the canary (as a value and as a property name) stores no trace of it', async () => {
      const answer = await callVault('echo', { note: canary, [canary]: 'value under a secret name' });
      assertError(answer, 422, 'ARGUMENTS_INVALID');
    });

    it('after close, neither the database nor the logs contain either canary anywhere', async () => {
      for (const answer of answers.slice(0, 3)) assert.ok(!answer.text.includes(canary) && !answer.text.includes(passwordCanary));
      await project.stop();
      const haystacks = await storedTexts(project);
      assert.ok(
        haystacks.some((haystack) => haystack.text.includes('vault')),
        'the scan did not see the vault calls at all',
      );
      assert.ok(project.logs().length > 0, 'no log line was captured');
      for (const secret of [canary, passwordCanary]) {
        const found = haystacks.filter((haystack) => haystack.text.includes(secret)).map((haystack) => haystack.where);
        assert.deepEqual(found, [], `${secret === canary ? 'the credential' : 'the password'} was found in ${found.join(', ')}`);
      }
    });
  });

  describe(`secret values used as ids (${storage})`, () => {
    const canary = `canary-${randomBytes(16).toString('hex')}`;
    let upstream: Upstream;
    let project: ProjectFixture;

    before(async () => {
      ({ upstream, project } = await startVaultProject(storage, 'secretids', canary));
    });
    after(async () => {
      await project?.close();
      await upstream?.close();
    });

    it('a known secret value sent as traceId or sessionId is not stored', async () => {
      const supportBot = await project.mintAgentToken('support-bot');
      const answer = await project.call(
        { tool: 'vault', operation: 'echo', arguments: { note: 'ids' }, traceId: canary, sessionId: canary },
        supportBot,
      );
      // Refusing such ids (REQUEST_INVALID) would be as good as storing them redacted; storing them verbatim is not.
      assert.ok(answer.status === 200 || answer.status === 400, answer.text);
      await project.stop();
      const found = (await storedTexts(project)).filter((haystack) => haystack.text.includes(canary)).map((haystack) => haystack.where);
      assert.deepEqual(found, [], `the credential was found in ${found.join(', ')}`);
    });
  });
}

/** The refunds example plus an HTTP tool `vault` whose credential is `env:UPSTREAM_TOKEN` = canary, and its upstream. */
let redirectTarget = 'http://127.0.0.1:9/';

async function startVaultProject(
  storage: StorageKind,
  name: string,
  canary: string,
): Promise<{ upstream: Upstream; project: ProjectFixture }> {
  const upstream = await startUpstream((request, response) => {
    if (request.headers.authorization !== canary) return sendJson(response, 401, { error: 'missing credential' });
    if (request.path === '/echo') {
      const received = JSON.parse(request.body) as unknown;
      return sendJson(response, 200, { ok: true, token: canary, nested: { deep: [{ value: `Bearer ${canary}` }] }, received });
    }
    if (request.path === '/broken') return sendJson(response, 500, { error: `credential ${canary} was rejected`, token: canary });
    if (request.path.startsWith('/items/')) return sendJson(response, 200, { item: request.path.slice('/items/'.length) });
    if (request.path === '/moved') {
      // Points at another origin: following it would hand the credential to whoever runs it.
      response.writeHead(302, { location: redirectTarget }).end();
      return undefined;
    }
    // /hang: never answers; the upstream cuts the connection when it closes.
    return undefined;
  });
  try {
    const project = await startProject({
      storage,
      name,
      env: { UPSTREAM_TOKEN: canary },
      files: { 'policies/vault.cedar': VAULT_POLICY },
      edit(document) {
        const free = {
          type: 'object',
          properties: { note: { type: 'string' }, password: { type: 'string' } },
          additionalProperties: false,
        };
        appendTo(document, 'tools', {
          name: 'vault',
          upstream: { kind: 'http', baseUrl: upstream.baseUrl, headers: { authorization: 'env:UPSTREAM_TOKEN' }, timeout: '5s' },
          operations: [
            { name: 'echo', effect: 'read', idempotent: true, arguments: free, http: { method: 'POST', path: '/echo' } },
            { name: 'broken', effect: 'read', idempotent: true, arguments: free, http: { method: 'POST', path: '/broken' } },
            { name: 'hang', effect: 'write', arguments: free, timeout: HANG_TIMEOUT, http: { method: 'POST', path: '/hang' } },
            {
              name: 'item',
              effect: 'read',
              idempotent: true,
              arguments: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'], additionalProperties: false },
              http: { method: 'GET', path: '/items/{id}' },
            },
            { name: 'moved', effect: 'read', idempotent: true, arguments: free, http: { method: 'POST', path: '/moved' } },
          ],
        });
        // Debug level: every line the server can write is captured and searched.
        document['logging'] = { level: 'debug' };
      },
    });
    return { upstream, project };
  } catch (error) {
    await upstream.close();
    throw error;
  }
}

/**
 * Everything the project stored or logged, as text: log lines, and every file under the data
 * directory (SQLite database, WAL, keys) or every row of every table of the PostgreSQL schema.
 * Call after stop(), so the database files are complete.
 */
async function storedTexts(project: ProjectFixture): Promise<Array<{ where: string; text: string }>> {
  const haystacks = project.logs().map((line, index) => ({ where: `log line ${index + 1}`, text: line }));
  if (project.storage === 'sqlite') {
    const files = listFiles(project.runtime.dataDir);
    assert.ok(
      files.some((path) => path.endsWith('.db')),
      `no database file in ${files.join(', ')}`,
    );
    for (const path of files) haystacks.push({ where: path, text: readFileSync(path).toString('latin1') });
    return haystacks;
  }
  const tables = await project.execute(`select table_name from information_schema.tables where table_schema = '${project.schema ?? ''}'`);
  assert.ok(tables.length >= 4, `expected the Interlock tables, found ${tables.length}`);
  for (const { table_name: table } of tables) {
    const rows = await project.execute(`select t::text as row from "${String(table)}" t`);
    for (const row of rows) haystacks.push({ where: `table ${String(table)}`, text: String(row['row']) });
  }
  return haystacks;
}

function listFiles(directory: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) files.push(...listFiles(path));
    else files.push(path);
  }
  return files;
}
