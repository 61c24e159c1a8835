/**
 * Configuration errors a user can make in interlock.yaml. Each one is refused with the file, the
 * line, the path inside the document and what was expected; secret values never appear in a message.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadProjectFile, parseProjectText, type ConfigIssue } from '../../src/config/load.js';
import { removeDirectory, temporaryDirectory } from '../cli/interlock-process.js';

const FILE = '/projects/shop/interlock.yaml';

/** A valid project with an HTTP tool; each test changes one thing. */
const VALID = `version: 1
project: shop
environment: dev
tenants:
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
      baseUrl: https://orders.internal.example
      headers:
        authorization: env:ORDERS_API_TOKEN
    operations:
      - name: lookup
        effect: read
        arguments: { type: object, properties: { id: { type: string } } }
        http: { method: GET, path: '/orders/{id}' }
policy:
  bundle: ./policies
`;

function replaced(from: string, to: string, text: string = VALID): string {
  assert.ok(text.includes(from), `fixture contains ${from}`);
  return text.replace(from, to);
}

/** 1-based number of the first line containing `snippet`. */
function lineOf(text: string, snippet: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(snippet));
  assert.ok(index >= 0, `fixture has a line with ${snippet}`);
  return index + 1;
}

/** Parses text that must be refused and returns the ConfigError. */
function refusal(text: string): ConfigError {
  try {
    parseProjectText(text, FILE);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.code, 'CONFIG_INVALID');
    return error;
  }
  assert.fail('the configuration was accepted');
}

function onlyIssue(error: ConfigError): ConfigIssue {
  assert.equal(error.issues.length, 1, error.message);
  const issue = error.issues[0];
  assert.ok(issue !== undefined);
  return issue;
}

/** The formatted message is `file:line: path: expectation`, one issue per line. */
function assertMessageNames(error: ConfigError, issue: ConfigIssue): void {
  assert.ok(error.message.includes(`${FILE}:${String(issue.line)}: ${issue.path}: ${issue.message}`), error.message);
}

describe('interlock.yaml errors', () => {
  test('the valid fixture parses, with defaults filled in', () => {
    const config = parseProjectText(VALID, FILE);
    assert.equal(config.storage.driver, 'sqlite');
    assert.equal(config.tools[0]?.upstream.kind, 'http');
    assert.equal(config.tools[0]?.operations[0]?.idempotent, false);
  });

  test('a literal bearer credential in an upstream header is refused, and the value is not repeated', () => {
    const text = replaced('authorization: env:ORDERS_API_TOKEN', 'authorization: Bearer abcdefghijklmnop1234');
    const error = refusal(text);
    const issue = onlyIssue(error);
    assert.equal(issue.file, FILE);
    assert.equal(issue.path, 'tools[0].upstream.headers.authorization');
    assert.equal(issue.line, lineOf(text, 'authorization: Bearer'));
    assert.match(issue.message, /"env:NAME" or "file:PATH"/);
    assertMessageNames(error, issue);
    assert.doesNotMatch(JSON.stringify({ message: error.message, details: error.details }), /abcdefghijklmnop1234/);
  });

  test('a database URL with a password is refused, and neither the password nor the URL is repeated', () => {
    const text = replaced('policy:\n', 'storage:\n  driver: postgres\n  url: postgres://u:pw-s3cret@db.internal:5432/interlock\npolicy:\n');
    const error = refusal(text);
    const issue = onlyIssue(error);
    assert.equal(issue.path, 'storage.url');
    assert.equal(issue.line, lineOf(text, 'url: postgres://'));
    assert.match(issue.message, /URL with password/);
    assert.doesNotMatch(error.message, /pw-s3cret|db\.internal/);
  });

  test('a key that names a credential must hold a reference, wherever it is', () => {
    const text = replaced('      kind: http\n', '      kind: http\n      apiKey: sk_live_0123456789abcdefghij\n');
    const error = refusal(text);
    const issue = onlyIssue(error);
    assert.equal(issue.path, 'tools[0].upstream.apiKey');
    assert.equal(issue.line, lineOf(text, 'apiKey:'));
    assert.match(issue.message, /"apiKey" holds a credential/);
    assert.doesNotMatch(error.message, /sk_live_0123456789abcdefghij/);
  });

  test('an unknown key is named, at the object that holds it', () => {
    const text = replaced('    stage: pilot\n', '    stage: pilot\n    colour: blue\n');
    const issue = onlyIssue(refusal(text));
    assert.equal(issue.path, 'agents[0]');
    assert.equal(issue.line, lineOf(text, '- id: bot'));
    assert.equal(issue.message, 'unknown key(s) "colour"');
  });

  test('a value outside an enum lists the values expected', () => {
    const text = replaced('effect: read', 'effect: delete');
    const error = refusal(text);
    const issue = onlyIssue(error);
    assert.equal(issue.path, 'tools[0].operations[0].effect');
    assert.equal(issue.line, lineOf(text, 'effect: delete'));
    assert.equal(issue.message, 'expected one of "read", "write", "destructive"');
    assertMessageNames(error, issue);
  });

  test('a wrong type says which type was expected', () => {
    const text = replaced('  bundle: ./policies', '  bundle: [./policies]');
    const issue = onlyIssue(refusal(text));
    assert.equal(issue.path, 'policy.bundle');
    assert.equal(issue.line, lineOf(text, 'bundle: ['));
    assert.equal(issue.message, 'expected string');
  });

  test('an agent naming an undeclared tenant', () => {
    const text = replaced('    tenant: acme\n', '    tenant: globex\n');
    const issue = onlyIssue(refusal(text));
    assert.equal(issue.path, 'agents[0].tenant');
    assert.equal(issue.line, lineOf(text, 'tenant: globex'));
    assert.equal(issue.message, 'expected a tenant declared under "tenants", got "globex"');
  });

  test('duplicate tool names point at the second declaration', () => {
    const second = `  - name: orders\n    upstream: { kind: in_process }\n    operations:\n      - name: cancel\n        effect: write\n        arguments: { type: object }\n`;
    const text = replaced('policy:\n', `${second}policy:\n`);
    const issue = onlyIssue(refusal(text));
    assert.equal(issue.path, 'tools[1].name');
    assert.equal(issue.line, lineOf(text, 'upstream: { kind: in_process }') - 1);
    assert.equal(issue.message, 'duplicate tool name "orders"');
  });

  test('an operation of an HTTP tool without an http binding', () => {
    const text = replaced(`        http: { method: GET, path: '/orders/{id}' }\n`, '');
    const issue = onlyIssue(refusal(text));
    assert.equal(issue.path, 'tools[0].operations[0].http');
    // The binding is absent, so the line is the operation's own.
    assert.equal(issue.line, lineOf(text, '- name: lookup'));
    assert.equal(issue.message, 'expected { method, path } because the tool has an HTTP upstream');
  });

  test('several problems are all reported at once, each on its own line', () => {
    const text = replaced('effect: read', 'effect: delete', replaced('    tenant: acme\n', '    tenant: globex\n'));
    const error = refusal(text);
    // Schema problems are reported before cross-references are checked.
    assert.deepEqual(
      error.issues.map((issue) => issue.path),
      ['tools[0].operations[0].effect'],
    );
    const both = refusal(replaced('environment: dev\n', 'environment: dev\nfoo: 1\n', replaced('effect: read', 'effect: delete')));
    assert.equal(both.issues.length, 2, both.message);
    assert.equal(both.message.split('\n').length, 2);
  });

  test('a YAML syntax error gives its line', () => {
    const text = replaced(
      '        arguments: { type: object, properties: { id: { type: string } } }',
      '        arguments: { type: object, properties: { id: { type: string } }',
    );
    const error = refusal(text);
    assert.ok(error.issues.length >= 1);
    const issue = error.issues[0];
    assert.ok(issue !== undefined);
    assert.equal(issue.file, FILE);
    assert.match(issue.message, /^YAML syntax: /);
    assert.equal(typeof issue.line, 'number');
    assert.ok(
      (issue.line ?? 0) >= lineOf(text, 'arguments: { type: object'),
      `line ${String(issue.line)} is at or after the unclosed brace`,
    );
  });

  test('a key given twice is a syntax error at its second occurrence', () => {
    const text = replaced('environment: dev\n', 'environment: dev\nenvironment: prod\n');
    const issue = refusal(text).issues[0];
    assert.ok(issue !== undefined);
    assert.match(issue.message, /^YAML syntax: /);
    assert.equal(issue.line, lineOf(text, 'environment: prod'));
  });
});

describe('loading interlock.yaml from disk', () => {
  const root = temporaryDirectory('config');
  after(() => removeDirectory(root));

  test('accepts the directory or the file, and resolves the directory of relative paths', () => {
    const project = join(root, 'ok');
    mkdirSync(project);
    writeFileSync(join(project, 'interlock.yaml'), VALID);
    const fromDirectory = loadProjectFile(project);
    const fromFile = loadProjectFile(join(project, 'interlock.yaml'));
    assert.equal(fromDirectory.file, join(project, 'interlock.yaml'));
    assert.equal(fromDirectory.dir, project);
    assert.deepEqual(fromFile.config, fromDirectory.config);
  });

  test('a missing file is a configuration error naming the path', () => {
    const missing = join(root, 'absent');
    assert.throws(
      () => loadProjectFile(missing),
      (error: unknown) => error instanceof ConfigError && error.issues[0]?.file === missing && /interlock init/.test(error.message),
    );
  });

  test('errors in a file on disk carry its absolute path', () => {
    const project = join(root, 'bad');
    mkdirSync(project);
    writeFileSync(join(project, 'interlock.yaml'), replaced('effect: read', 'effect: delete'));
    assert.throws(
      () => loadProjectFile(project),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message.startsWith(`${join(project, 'interlock.yaml')}:${lineOf(VALID, 'effect: read')}: tools[0].operations[0].effect: `),
    );
  });
});
