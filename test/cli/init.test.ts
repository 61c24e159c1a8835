/**
 * `interlock init` scaffolds a project that passes its own checks and serves an allowed call out of
 * the box; it never overwrites an existing project unless told to.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureBuilt, mintAgentToken, postCall, removeDirectory, runCli, startServer, temporaryDirectory } from './interlock-process.js';

before(() => ensureBuilt());

describe('interlock init', () => {
  const root = temporaryDirectory('init');
  after(() => removeDirectory(root));

  test('creates a project whose policy tests and validation pass, and which serves an allowed call', async () => {
    const project = join(root, 'fresh');
    const created = await runCli(['init', project]);
    assert.equal(created.code, 0, created.stderr);
    for (const file of [
      'interlock.yaml',
      'handlers.js',
      'policies/assistant.cedar',
      'policies/risk.cedar',
      'policies/assistant.test.yaml',
      '.gitignore',
    ]) {
      assert.ok(existsSync(join(project, file)), `init wrote ${file}`);
    }
    assert.match(created.stdout, /Created an Interlock project in/);
    assert.match(readFileSync(join(project, '.gitignore'), 'utf8'), /\.interlock\//);

    const [policyTest, policyValidate] = await Promise.all([
      runCli(['policy', 'test', '--project', project]),
      runCli(['policy', 'validate', '--project', project]),
    ]);
    assert.equal(policyTest.code, 0, policyTest.stdout + policyTest.stderr);
    assert.match(policyTest.stdout, /PASS .*the assistant may search/);
    assert.match(policyTest.stdout, /4\/4 policy test case\(s\) passed/);
    assert.equal(policyValidate.code, 0, policyValidate.stdout + policyValidate.stderr);
    assert.match(
      policyValidate.stdout,
      /policy bundle sha256:[0-9a-f]{64} is valid: 5 policies validated against the schema generated from 3 operations/,
    );

    const token = await mintAgentToken(project, 'assistant');
    const server = await startServer(project);
    try {
      const health = await fetch(`${server.url}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const appended = await postCall(server.url, token, {
        tool: 'notes',
        operation: 'append',
        arguments: { text: 'buy milk' },
        idempotencyKey: 'init-append-1',
      });
      assert.equal(appended.httpStatus, 200, JSON.stringify(appended.body));
      assert.equal(appended.body.status, 'executed');
      const searched = await postCall(server.url, token, { tool: 'notes', operation: 'search', arguments: { query: 'milk' } });
      assert.equal(searched.body.status, 'executed');
      assert.deepEqual(searched.body['result'], { matches: ['buy milk'] });
      const cleared = await postCall(server.url, token, {
        tool: 'notes',
        operation: 'clear',
        arguments: {},
        idempotencyKey: 'init-clear-1',
      });
      assert.equal(cleared.httpStatus, 202);
      assert.equal(cleared.body.error?.code, 'APPROVAL_REQUIRED');
    } finally {
      assert.equal((await server.stop('SIGTERM')).code, 0);
    }
    const verify = await runCli(['audit', 'verify', '--project', project]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });

  test('refuses to overwrite an existing interlock.yaml without --force (exit 2), and overwrites with it', async () => {
    const project = join(root, 'existing');
    assert.equal((await runCli(['init', project])).code, 0);
    const projectFile = join(project, 'interlock.yaml');
    writeFileSync(projectFile, '# my own edits\n');

    const refused = await runCli(['init', project]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /already exists \(use --force to overwrite\)/);
    assert.equal(readFileSync(projectFile, 'utf8'), '# my own edits\n', 'the file is untouched');

    const forced = await runCli(['init', project, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(readFileSync(projectFile, 'utf8'), /^# Interlock project file/);
  });

  test('init into "." uses the current directory and derives the project name from it', async () => {
    const project = join(root, 'My Project');
    mkdirSync(project);
    const created = await runCli(['init'], { cwd: project });
    assert.equal(created.code, 0, created.stderr);
    assert.match(readFileSync(join(project, 'interlock.yaml'), 'utf8'), /^project: my-project$/m);
  });
});
