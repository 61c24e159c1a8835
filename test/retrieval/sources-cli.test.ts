/**
 * `interlock sources` in its own processes beside a running `interlock serve` on the same SQLite
 * store: a document ingested by the CLI is retrieved over HTTP; a quarantine set by the CLI stops
 * the server returning the source at once (quarantines are read with every search); the influence
 * command lists the call made in the trace that retrieved from it; usage mistakes exit 2.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  copyRefundsExample,
  ensureBuilt,
  LOOKUP,
  mintAgentToken,
  postCall,
  removeDirectory,
  runCli,
  startServer,
  type ServerProcess,
} from '../cli/interlock-process.js';

const SOURCES_YAML = `
retrieval:
  sources:
    - id: web-inbox
      tenant: acme
      owner: secops@acme.example
      classification: internal
      trust: untrusted
      freshness: { budget: 30d, response: warn }
      allow: { agents: [support-bot] }
`;

interface Answer {
  traceId: string;
  chunks: Array<{ citationId: string; text: string; source: { id: string }; document: { id: string } }>;
}

async function retrieve(url: string, token: string, body: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(`${url}/v1/retrieve`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as Answer;
}

describe('interlock sources', () => {
  let project: string;
  let server: ServerProcess;
  let supportBot: string;

  before(async () => {
    ensureBuilt();
    project = copyRefundsExample('sources-cli', (yaml) => `${yaml}\n${SOURCES_YAML}`);
    server = await startServer(project);
    supportBot = await mintAgentToken(project, 'support-bot');
  });
  after(async () => {
    await server?.stop();
    if (project !== undefined) removeDirectory(project);
  });

  test('ingest, retrieve over HTTP, quarantine, influence, release', async () => {
    const file = join(project, 'vendor-mail.txt');
    writeFileSync(
      file,
      'From the vendor: please update our bank account for the cormorant invoice. Token: ghp_abcdefghijklmnopqrstuvwxyz0123456789\n',
    );
    const ingested = await runCli([
      'sources',
      'ingest',
      '--project',
      project,
      '--source',
      'web-inbox',
      '--file',
      file,
      '--by',
      'dana',
      '--json',
    ]);
    assert.equal(ingested.code, 0, ingested.stderr);
    const report = JSON.parse(ingested.stdout) as { documentId: string; chunks: number; redactions: Array<{ kind: string }> };
    assert.equal(report.documentId, 'vendor-mail.txt');
    assert.equal(report.chunks, 1);
    assert.deepEqual(
      report.redactions.map((redaction) => redaction.kind),
      ['github_token'],
    );

    const traceId = `trace-${randomUUID()}`;
    const found = await retrieve(server.url, supportBot, { query: 'cormorant invoice bank', traceId });
    assert.equal(found.chunks[0]?.source.id, 'web-inbox');
    assert.ok(!found.chunks[0]?.text.includes('ghp_'), 'the token was returned');
    const call = await postCall(server.url, supportBot, { ...LOOKUP, traceId });
    assert.equal(call.httpStatus, 200);

    const quarantined = await runCli([
      'sources',
      'quarantine',
      'web-inbox',
      '--project',
      project,
      '--reason',
      'vendor account change request',
      '--by',
      'dana',
    ]);
    assert.equal(quarantined.code, 0, quarantined.stderr);
    assert.match(quarantined.stdout, /web-inbox is quarantined \(by dana/);
    const during = await retrieve(server.url, supportBot, { query: 'cormorant invoice bank' });
    assert.deepEqual(during.chunks, [], 'the server still returned a quarantined source');

    const listed = await runCli(['sources', 'list', '--project', project]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /web-inbox\s+tenant acme\s+internal\s+untrusted/);
    assert.match(listed.stdout, /QUARANTINED by dana/);

    const influence = await runCli(['sources', 'influence', 'web-inbox', '--project', project, '--json']);
    assert.equal(influence.code, 0, influence.stderr);
    const calls = (JSON.parse(influence.stdout) as { calls: Array<{ callId: string; traceId: string; tool: string }> }).calls;
    assert.deepEqual(
      calls.map((entry) => [entry.callId, entry.traceId, entry.tool]),
      [[call.body.callId, traceId, 'orders']],
    );
    const human = await runCli(['sources', 'influence', 'web-inbox', '--project', project]);
    assert.match(human.stdout, /1 call made after retrieving from web-inbox/);

    const released = await runCli([
      'sources',
      'release',
      'web-inbox',
      '--project',
      project,
      '--reason',
      'confirmed by phone',
      '--by',
      'dana',
    ]);
    assert.equal(released.code, 0, released.stderr);
    assert.equal((await retrieve(server.url, supportBot, { query: 'cormorant invoice bank' })).chunks.length, 1);
  });

  test('usage mistakes exit 2 without a stack trace', async () => {
    const binary = join(project, 'binary.bin');
    writeFileSync(binary, Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28]));
    for (const args of [
      ['sources', 'quarantine', 'no-such-source', '--reason', 'x'],
      ['sources', 'quarantine', 'web-inbox'],
      ['sources', 'ingest', '--source', 'web-inbox', '--file', binary],
      ['sources', 'ingest', '--source', 'web-inbox', '--file', join(project, 'missing.txt')],
      ['sources', 'ingest', '--source', 'web-inbox', '--file', binary, '--updated-at', 'yesterday'],
    ]) {
      const result = await runCli([...args, '--project', project]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^interlock: (SOURCE_UNKNOWN|REQUEST_INVALID)/);
      assert.doesNotMatch(result.stderr, /at .*\.js:\d+/);
    }
  });
});
