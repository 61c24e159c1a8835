import { strict as assert } from 'node:assert';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bundleRefusal, compileBundle, loadBundleDirectory, releaseBundle, type BundleLoadResult } from '../../src/policy/bundle.js';
import { bundleVersion } from '../../src/policy/bundle-files.js';
import { formatBundleReport, type BundleProblem } from '../../src/policy/bundle-report.js';
import { splitPolicies } from '../../src/policy/policy-source.js';
import { supportRegistry } from './fixture-registry.js';
import { supportFiles, writeBundle } from './helpers.js';

function problems(result: BundleLoadResult): readonly BundleProblem[] {
  assert.equal(result.ok, false, 'the bundle should have been refused');
  return result.ok ? [] : result.report.problems;
}

function only(result: BundleLoadResult): BundleProblem {
  const found = problems(result);
  assert.equal(found.length, 1, `expected one problem, got ${JSON.stringify(found, null, 2)}`);
  const [problem] = found;
  assert.ok(problem);
  return problem;
}

describe('policy bundle loading', () => {
  it('accepts the support fixture from disk: policies split by id, tests run and pass', async () => {
    const result = await loadBundleDirectory(writeBundle(supportFiles()), supportRegistry());
    assert.ok(result.ok, result.ok ? '' : formatBundleReport(result.report));
    assert.deepEqual([...result.bundle.policies.keys()].sort(), [
      'agents-read',
      'customers-export-redacted',
      'no-destructive',
      'no-tainted-writes',
      'refunds-large-approval',
      'refunds-small',
      'risk-ceiling',
      'support-users-read',
      'users-refund',
    ]);
    assert.equal(result.tests.length, 7);
    assert.ok(result.tests.every((test) => test.passed));
    assert.match(result.bundle.version, /^sha256:[0-9a-f]{64}$/);
    assert.equal(result.bundle.policies.get('refunds-small')?.file, 'agents.cedar');
    assert.equal(result.bundle.policies.get('refunds-small')?.line, 15);
    releaseBundle(result.bundle);
  });

  it('names policies without @id by file and position, and reads policies in subdirectories', () => {
    const result = compileBundle(
      [
        {
          path: 'team/a.cedar',
          content:
            'permit(principal, action in Interlock::Action::"read", resource);\n// a comment; with a semicolon\nforbid(principal, action == Interlock::Action::"accounts.delete", resource) when { context.environment == "a;b" };\n',
        },
      ],
      supportRegistry(),
    );
    assert.ok(result.ok);
    assert.deepEqual([...result.bundle.policies.keys()], ['team/a.cedar#1', 'team/a.cedar#2']);
    releaseBundle(result.bundle);
  });

  it("refuses a policy naming a missing argument, with file, policy id, line, column and Cedar's message", () => {
    const result = compileBundle(
      [
        {
          path: 'refunds.cedar',
          content:
            '// refunds\n\n@id("refund-cap")\npermit(principal, action == Interlock::Action::"refunds.create", resource)\nwhen { context.arguments.amout.lessThan(decimal("10.0")) };\n',
        },
      ],
      supportRegistry(),
    );
    const problem = only(result);
    assert.equal(problem.stage, 'validation');
    assert.equal(problem.file, 'refunds.cedar');
    assert.equal(problem.policyId, 'refund-cap');
    assert.equal(problem.line, 5);
    assert.equal(problem.column, 8);
    assert.match(problem.message, /attribute `arguments\.amout` in context for Interlock::Action::"refunds\.create" not found/);
    assert.match(problem.message, /did you mean `amount`\?/);
    assert.ok(!result.ok);
    if (!result.ok) assert.match(formatBundleReport(result.report), /refunds\.cedar:5:8 policy refund-cap \[validation\]/);
  });

  it('refuses a policy naming a tool the registry does not hold', () => {
    const problem = only(
      compileBundle(
        [
          {
            path: 'tools.cedar',
            content: '@id("billing")\npermit(principal, action in Interlock::Action::"read",\n  resource == Interlock::Tool::"billing");\n',
          },
        ],
        supportRegistry(),
      ),
    );
    assert.equal(problem.policyId, 'billing');
    assert.equal(problem.line, 3);
    assert.equal(problem.column, 15);
    assert.match(problem.message, /unknown tool "billing"/);
  });

  it('refuses a policy naming an operation the registry does not hold', () => {
    const problem = only(
      compileBundle(
        [{ path: 'x.cedar', content: 'permit(principal, action == Interlock::Action::"refunds.cancel", resource);' }],
        supportRegistry(),
      ),
    );
    assert.equal(problem.stage, 'validation');
    assert.equal(problem.policyId, 'x.cedar#1');
    assert.match(problem.message, /refunds\.cancel/);
  });

  it('reports a syntax error where it is, counting multi-byte characters correctly', () => {
    const problem = only(
      compileBundle(
        [
          {
            path: 'broken.cedar',
            content: 'permit(principal, action, resource);\n@reason("café")\npermit(principal, action, resource) when { 1 + };\n',
          },
        ],
        supportRegistry(),
      ),
    );
    assert.equal(problem.stage, 'parse');
    assert.equal(problem.file, 'broken.cedar');
    assert.equal(problem.line, 3);
    assert.equal(problem.column, 48);
    assert.match(problem.message, /unexpected token `}`/);
  });

  it('reports a missing final semicolon', () => {
    const problem = only(compileBundle([{ path: 'a.cedar', content: 'permit(principal, action, resource)\n' }], supportRegistry()));
    assert.equal(problem.stage, 'parse');
    assert.match(problem.message, /unexpected end of input/);
  });

  it('refuses duplicate ids, unknown or misplaced annotations, and bad annotation values', () => {
    const found = problems(
      compileBundle(
        [
          {
            path: 'a.cedar',
            content: '@id("same") permit(principal, action, resource);\n@id("same") forbid(principal, action, resource);\n',
          },
          {
            path: 'b.cedar',
            content: [
              '@aproval("finance") permit(principal, action, resource);',
              '@approval("finance") forbid(principal, action, resource);',
              '@approval("finance") @quorum("two") permit(principal, action, resource);',
              '@quorum("2") permit(principal, action, resource);',
              '@read_only("yes") permit(principal, action, resource);',
              '@redact("a..b") permit(principal, action, resource);',
            ].join('\n'),
          },
        ],
        supportRegistry(),
      ),
    );
    const messages = found.map((problem) => `${problem.file}:${problem.line} ${problem.message}`);
    assert.equal(found.length, 7, messages.join('\n'));
    assert.match(messages[0] ?? '', /^a\.cedar:2 policy id "same" is already used by the policy at a\.cedar:1/);
    assert.match(messages[1] ?? '', /^b\.cedar:1 unknown annotation @aproval/);
    assert.match(messages[2] ?? '', /^b\.cedar:2 @approval is an obligation and belongs on a permit policy/);
    assert.match(messages[3] ?? '', /^b\.cedar:3 @quorum must be a whole number/);
    assert.match(messages[4] ?? '', /^b\.cedar:4 @quorum only makes sense with @approval/);
    assert.match(messages[5] ?? '', /^b\.cedar:5 @read_only must be "true" or "false"/);
    assert.match(messages[6] ?? '', /^b\.cedar:6 @redact takes comma-separated dotted paths/);
  });

  it('refuses an empty bundle and an unreadable directory with a report, never a throw', async () => {
    assert.match(only(compileBundle([{ path: 'a.cedar', content: '// nothing yet\n' }], supportRegistry())).message, /holds no policies/);
    const missing = only(await loadBundleDirectory(join(writeBundle({}), 'does-not-exist'), supportRegistry()));
    assert.equal(missing.stage, 'read');
    assert.match(missing.message, /ENOENT/);
  });

  it('skips a file it cannot read only by refusing the bundle', async (context) => {
    if (process.getuid?.() === 0) {
      context.skip('file permissions do not bind the root user');
      return;
    }
    const directory = writeBundle({ 'a.cedar': 'permit(principal, action, resource);' });
    chmodSync(join(directory, 'a.cedar'), 0);
    const problem = only(await loadBundleDirectory(directory, supportRegistry()));
    assert.equal(problem.file, 'a.cedar');
    assert.match(problem.message, /EACCES/);
  });

  it('refuses a bundle whose test cases fail and reports them with their lines', () => {
    const files = supportFiles().map((file) =>
      file.path === 'agents.cedar' ? { ...file, content: file.content.replace('decimal("100.0")', 'decimal("10.0")') } : file,
    );
    const result = compileBundle(files, supportRegistry());
    const problem = only(result);
    assert.equal(problem.stage, 'test');
    assert.equal(problem.file, 'support.test.yaml');
    assert.equal(problem.line, 10);
    assert.match(
      problem.message,
      /test case "a small refund is allowed" failed: expected allow, got deny \(no policy permits agent support-bot to refunds\.create\)/,
    );
    assert.ok(!result.ok);
    if (!result.ok) {
      assert.equal(result.report.tests.length, 7);
      const error = bundleRefusal(result.report);
      assert.equal(error.code, 'POLICY_BUNDLE_INVALID');
      assert.equal(error.status, 422);
      assert.match(error.message, /a small refund is allowed/);
    }
  });

  it('refuses a malformed test file with the line of the bad field', () => {
    const problem = only(
      compileBundle(
        [
          { path: 'a.cedar', content: 'permit(principal, action, resource);' },
          {
            path: 'a.test.yaml',
            content:
              'cases:\n  - name: x\n    agent: { id: bot, tenant: acme, environment: moon, stage: governed }\n    tool: orders\n    operation: lookup\n    expect: allow\n',
          },
        ],
        supportRegistry(),
      ),
    );
    assert.equal(problem.stage, 'test');
    assert.equal(problem.file, 'a.test.yaml');
    assert.equal(problem.line, 3);
    assert.match(problem.message, /cases\.0\.agent\.environment/);
  });

  it('records warnings from the validator without refusing', () => {
    const result = compileBundle(
      [{ path: 'a.cedar', content: '@id("group-only") permit(principal, action == Interlock::Action::"write", resource);' }],
      supportRegistry(),
    );
    assert.ok(result.ok);
    assert.ok(
      result.bundle.warnings.some((warning) => warning.policyId === 'group-only' && /impossible|applicable action/.test(warning.message)),
    );
    releaseBundle(result.bundle);
  });
});

describe('bundle version', () => {
  it('is the same whatever order the files are listed or written in', async () => {
    const files = supportFiles();
    assert.equal(bundleVersion(files), bundleVersion([...files].reverse()));
    const forward = await loadBundleDirectory(writeBundle(files), supportRegistry());
    const backward = await loadBundleDirectory(writeBundle([...files].reverse()), supportRegistry());
    assert.ok(forward.ok && backward.ok);
    assert.equal(forward.bundle.version, backward.bundle.version);
    releaseBundle(forward.bundle);
    releaseBundle(backward.bundle);
  });

  it('changes with any policy content or path, but not with test files', () => {
    const base = [{ path: 'a.cedar', content: 'permit(principal, action, resource);' }];
    const version = bundleVersion(base);
    assert.notEqual(bundleVersion([{ path: 'a.cedar', content: 'permit(principal, action, resource); ' }]), version);
    assert.notEqual(bundleVersion([{ path: 'b.cedar', content: 'permit(principal, action, resource);' }]), version);
    assert.notEqual(bundleVersion([...base, { path: 'c.cedar', content: '' }]), version);
    assert.equal(bundleVersion([...base, { path: 'a.test.yaml', content: 'cases: []' }]), version);
    // Length prefixes keep path and content apart: moving a character between them changes the hash.
    assert.notEqual(bundleVersion([{ path: 'a.cedarx', content: 'y' }]), bundleVersion([{ path: 'a.cedar', content: 'xy' }]));
  });

  it('is what a refused bundle reports too', () => {
    const files = [{ path: 'a.cedar', content: 'permit(principal, action, resource)' }];
    const result = compileBundle(files, supportRegistry());
    assert.ok(!result.ok);
    if (!result.ok) assert.equal(result.report.version, bundleVersion(files));
  });

  it('ignores hidden files and other extensions on disk', async () => {
    const directory = writeBundle(supportFiles());
    const before = await loadBundleDirectory(directory, supportRegistry());
    writeFileSync(join(directory, '.draft.cedar'), 'this is not cedar');
    writeFileSync(join(directory, 'README.md'), '# notes');
    const after = await loadBundleDirectory(directory, supportRegistry());
    assert.ok(before.ok && after.ok);
    assert.equal(before.bundle.version, after.bundle.version);
    releaseBundle(before.bundle);
    releaseBundle(after.bundle);
  });
});

describe('policy splitting', () => {
  it('splits at top-level semicolons only, keeping offsets into the file', () => {
    const content =
      '// header; not a split\npermit(principal, action, resource) when { context.environment == "x;\\"y" };\n\n  forbid(principal, action, resource);\n// trailing comment\n';
    const parts = splitPolicies('f.cedar', content);
    assert.equal(parts.length, 2);
    assert.equal(
      content
        .slice(parts[1]?.offset ?? 0)
        .trimStart()
        .startsWith('forbid'),
      true,
    );
    assert.equal(parts[0]?.text.endsWith('};'), true);
    assert.deepEqual(
      parts.map((part) => part.index),
      [1, 2],
    );
  });
});
