/**
 * Every command documents itself: `--help` exits 0 and names the options a user needs.
 */
import { strict as assert } from 'node:assert';
import { before, describe, test } from 'node:test';
import { ensureBuilt, runCli } from './interlock-process.js';

before(() => ensureBuilt());

/** Each command, and the options its help must mention. */
const COMMANDS: ReadonlyArray<{ readonly args: readonly string[]; readonly mentions: readonly string[] }> = [
  {
    args: [],
    mentions: [
      'init',
      'serve',
      'mcp',
      'tools',
      'policy',
      'audit',
      'agents',
      'operators',
      'users',
      'approvals',
      'plans',
      'kill',
      'unkill',
      'mode',
      'rollback',
      'calls',
      'Exit codes',
    ],
  },
  { args: ['approvals'], mentions: ['list', 'show', 'approve', 'deny'] },
  { args: ['approvals', 'approve'], mentions: ['--as', '--comment', '--project'] },
  { args: ['plans'], mentions: ['propose', 'show', 'execute'] },
  { args: ['kill'], mentions: ['--fleet', '--tenant', '--agent', '--tool', '--operation', '--reason', '--revoke', '--list'] },
  { args: ['unkill'], mentions: ['--agent', '--reason'] },
  { args: ['mode'], mentions: ['--session', '--set', '--reason'] },
  { args: ['rollback'], mentions: ['--trace', '--session', '--agent', '--since', '--execute', '--quarantine'] },
  { args: ['calls', 'unresolved'], mentions: ['--project', '--tenant', '--json'] },
  { args: ['calls'], mentions: ['unresolved', 'resolve'] },
  { args: ['calls', 'resolve'], mentions: ['--key', '--agent', '--as', 'executed', 'not_executed', '--reason', '--by', '--json'] },
  { args: ['mcp'], mentions: ['--project', '--agent', 'INTERLOCK_ACTING_FOR'] },
  { args: ['tools'], mentions: ['status', 'diff', 'pin', 'unpin'] },
  { args: ['tools', 'status'], mentions: ['--project', '--json'] },
  { args: ['tools', 'pin'], mentions: ['--all', '--server', '--by', '--yes', '--project'] },
  { args: ['init'], mentions: ['[directory]', '--force'] },
  { args: ['serve'], mentions: ['--project', '--port', '--host'] },
  { args: ['policy'], mentions: ['validate', 'test'] },
  { args: ['policy', 'validate'], mentions: ['--project'] },
  { args: ['policy', 'test'], mentions: ['--project'] },
  { args: ['audit'], mentions: ['verify'] },
  { args: ['audit', 'verify'], mentions: ['--project', '--public-key', '--json'] },
  { args: ['agents'], mentions: ['token', 'revoke'] },
  { args: ['agents', 'token'], mentions: ['--agent', '--project', '--env', '--ttl', '--json'] },
  { args: ['agents', 'revoke'], mentions: ['--agent', '--token', '--reason', '--by', '--project'] },
  { args: ['operators', 'token'], mentions: ['--operator', '--project', '--ttl'] },
  { args: ['users', 'assert'], mentions: ['--key', '--issuer', '--user', '--tenant', '--roles', '--audience', '--agent', '--ttl'] },
];

describe('interlock --help', () => {
  test('the program and every subcommand print help that names their options, and exit 0', async () => {
    const results = await Promise.all(COMMANDS.map(async (command) => ({ command, result: await runCli([...command.args, '--help']) })));
    for (const { command, result } of results) {
      const name = ['interlock', ...command.args].join(' ');
      assert.equal(result.code, 0, `${name} --help exit code; stderr: ${result.stderr}`);
      assert.match(result.stdout, new RegExp(`^Usage: ${name.replace(/ /g, ' ')}`), `${name} --help starts with its usage line`);
      for (const mention of command.mentions)
        assert.ok(result.stdout.includes(mention), `${name} --help mentions ${mention}:\n${result.stdout}`);
    }
  });

  // The help text promises "2 usage or configuration error"; parser errors are usage errors too.
  test('an unknown command, a missing required option or a bad option value exits 2 with a message, not a stack', async () => {
    const [unknown, missing, badPort] = await Promise.all([
      runCli(['frobnicate']),
      runCli(['agents', 'token']),
      runCli(['serve', '--port', '70000']),
    ]);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    assert.match(missing.stderr, /required option '-a, --agent <id>' not specified/);
    assert.match(badPort.stderr, /expected a port number 0-65535/);
    for (const result of [unknown, missing, badPort]) {
      assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, 'no stack trace');
      assert.equal(result.code, 2, `usage errors exit 2: ${result.stderr}`);
    }
  });
});
