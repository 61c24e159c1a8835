/**
 * Secret references are resolved when a project is opened, so a missing secret stops the start
 * instead of failing mid-call; the error names the reference and never a value.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isInterlockError } from '../../src/errors/interlock-error.js';
import { openRuntime } from '../../src/runtime/open-runtime.js';
import { ensureBuilt, removeDirectory, runCli, temporaryDirectory } from '../cli/interlock-process.js';

const SECRET_VALUE = 'orders-api-token-0f9e8d7c6b5a';
const UNRELATED_SECRET = 'correct-horse-battery-staple';

function projectYaml(headerReference: string, storage = ''): string {
  return `version: 1
project: secrets
environment: dev
${storage}tenants:
  - id: acme
agents:
  - id: bot
    tenant: acme
    owner: team@acme.example
    environment: dev
    stage: pilot
tools:
  - name: orders
    upstream:
      kind: http
      baseUrl: http://127.0.0.1:9
      headers:
        authorization: ${headerReference}
    operations:
      - name: lookup
        effect: read
        arguments: { type: object }
        http: { method: GET, path: /orders }
policy:
  bundle: ./policies
logging:
  level: silent
`;
}

const POLICY = '@id("bot-reads")\npermit (principal == Interlock::Agent::"bot", action == Interlock::Action::"orders.lookup", resource);\n';

describe('secret references at open time', () => {
  const root = temporaryDirectory('secrets');
  after(() => removeDirectory(root));
  let projectNumber = 0;

  function project(yaml: string): string {
    projectNumber += 1;
    const directory = join(root, `project-${projectNumber}`);
    mkdirSync(join(directory, 'policies'), { recursive: true });
    writeFileSync(join(directory, 'interlock.yaml'), yaml);
    writeFileSync(join(directory, 'policies', 'bot.cedar'), POLICY);
    return directory;
  }

  async function openFailure(directory: string, env: NodeJS.ProcessEnv): Promise<{ code: string; message: string; text: string }> {
    try {
      const runtime = await openRuntime(directory, { env, processMetrics: false });
      await runtime.close();
    } catch (error) {
      assert.ok(isInterlockError(error), `expected an InterlockError, got ${String(error)}`);
      return { code: error.code, message: error.message, text: `${error.message} ${JSON.stringify(error.toData())}` };
    }
    assert.fail('the project opened');
  }

  test('a set environment variable resolves and the project opens', async () => {
    const runtime = await openRuntime(project(projectYaml('env:ORDERS_API_TOKEN')), {
      env: { ORDERS_API_TOKEN: SECRET_VALUE },
      processMetrics: false,
    });
    try {
      assert.equal(runtime.registry.operations().length, 1);
    } finally {
      await runtime.close();
    }
  });

  test('env:MISSING_VAR in an upstream header is SECRET_UNRESOLVED naming the reference, not any value', async () => {
    const failure = await openFailure(project(projectYaml('env:MISSING_VAR')), {
      UNRELATED: UNRELATED_SECRET,
      ORDERS_API_TOKEN: SECRET_VALUE,
    });
    assert.equal(failure.code, 'SECRET_UNRESOLVED');
    assert.match(failure.message, /env:MISSING_VAR/);
    assert.match(failure.message, /MISSING_VAR is not set/);
    assert.ok(!failure.text.includes(UNRELATED_SECRET) && !failure.text.includes(SECRET_VALUE), failure.text);
  });

  test('an empty environment variable counts as missing', async () => {
    const failure = await openFailure(project(projectYaml('env:ORDERS_API_TOKEN')), { ORDERS_API_TOKEN: '' });
    assert.equal(failure.code, 'SECRET_UNRESOLVED');
    assert.match(failure.message, /env:ORDERS_API_TOKEN/);
  });

  test('a value too short to scrub safely is refused without repeating it', async () => {
    const failure = await openFailure(project(projectYaml('env:ORDERS_API_TOKEN')), { ORDERS_API_TOKEN: 'abc12' });
    assert.equal(failure.code, 'SECRET_UNRESOLVED');
    assert.match(failure.message, /shorter than 8 characters/);
    assert.ok(!failure.text.includes('abc12'), failure.text);
  });

  test('file: references resolve relative to the project; a missing file names the reference only', async () => {
    const withFile = project(projectYaml('file:secrets/orders.token'));
    const missing = await openFailure(withFile, {});
    assert.equal(missing.code, 'SECRET_UNRESOLVED');
    assert.match(missing.message, /file:secrets\/orders\.token: file cannot be read/);

    mkdirSync(join(withFile, 'secrets'));
    writeFileSync(join(withFile, 'secrets', 'orders.token'), `${SECRET_VALUE}\n`);
    const runtime = await openRuntime(withFile, { env: {}, processMetrics: false });
    await runtime.close();

    writeFileSync(join(withFile, 'secrets', 'orders.token'), '\n');
    const empty = await openFailure(withFile, {});
    assert.match(empty.message, /file:secrets\/orders\.token: file is empty/);
  });

  test('a PostgreSQL URL reference that is not set fails at open, before any connection', async () => {
    const storage = 'storage:\n  driver: postgres\n  url: env:MISSING_DATABASE_URL\n';
    const failure = await openFailure(project(projectYaml('env:ORDERS_API_TOKEN', storage)), { ORDERS_API_TOKEN: SECRET_VALUE });
    assert.equal(failure.code, 'SECRET_UNRESOLVED');
    assert.match(failure.message, /env:MISSING_DATABASE_URL/);
  });

  describe('through the CLI', () => {
    before(() => ensureBuilt());

    test('serve with a missing secret exits 2 and says which reference, without a stack', async () => {
      const directory = project(projectYaml('env:INTERLOCK_TEST_SURELY_UNSET'));
      const result = await runCli(['serve', '--project', directory, '--port', '0'], { env: { INTERLOCK_TEST_SURELY_UNSET: '' } });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /SECRET_UNRESOLVED: secret reference env:INTERLOCK_TEST_SURELY_UNSET/);
      assert.doesNotMatch(result.stderr, /at .*\.js:\d+/);
    });

    test('a literal secret in interlock.yaml: exit 2 with file:line: path, and the value is not printed', async () => {
      const yaml = projectYaml('env:ORDERS_API_TOKEN').replace(
        'authorization: env:ORDERS_API_TOKEN',
        'authorization: Bearer abcdefghijklmnop1234',
      );
      const line = yaml.split('\n').findIndex((text) => text.includes('authorization: Bearer')) + 1;
      const directory = project(yaml);
      const result = await runCli(['policy', 'validate', '--project', directory]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /configuration is invalid/);
      assert.ok(
        result.stderr.includes(`${join(directory, 'interlock.yaml')}:${line}: tools[0].upstream.headers.authorization: `),
        result.stderr,
      );
      assert.ok(!result.stderr.includes('abcdefghijklmnop1234') && !result.stdout.includes('abcdefghijklmnop1234'));
    });
  });
});
