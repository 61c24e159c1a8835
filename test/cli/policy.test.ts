/**
 * `interlock policy test` and `policy validate` on broken bundles: exit 1, and the output points at
 * the failing case, file and policy.
 */
import { strict as assert } from 'node:assert';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { copyRefundsExample, ensureBuilt, removeDirectory, runCli } from './interlock-process.js';

before(() => ensureBuilt());

describe('interlock policy', () => {
  const projects: string[] = [];
  after(() => projects.forEach(removeDirectory));
  const copy = (prefix: string): string => {
    const project = copyRefundsExample(prefix);
    projects.push(project);
    return project;
  };

  test('the example bundle validates and its cases pass', async () => {
    const project = copy('policy-ok');
    const [tested, validated] = await Promise.all([
      runCli(['policy', 'test', '--project', project]),
      runCli(['policy', 'validate', '--project', join(project, 'interlock.yaml')]),
    ]);
    assert.equal(tested.code, 0, tested.stdout + tested.stderr);
    assert.match(tested.stdout, /8\/8 policy test case\(s\) passed/);
    assert.doesNotMatch(tested.stdout, /FAIL/);
    assert.equal(validated.code, 0, validated.stdout + validated.stderr);
    assert.match(validated.stdout, /13 policies validated against the schema generated from 5 operations/);
  });

  test('a failing case: policy test exits 1 and prints FAIL with the case name', async () => {
    const project = copy('policy-failing-case');
    appendFileSync(
      join(project, 'policies', 'refunds.test.yaml'),
      `
  - name: wishful thinking about deleting orders
    agent: { id: support-bot, tenant: acme, environment: prod, stage: governed }
    tool: orders
    operation: delete
    arguments: { order_id: o-1001 }
    expect: allow
`,
    );
    const tested = await runCli(['policy', 'test', '--project', project]);
    assert.equal(tested.code, 1, tested.stdout + tested.stderr);
    assert.match(tested.stdout, /FAIL .*wishful thinking about deleting orders/);
    assert.match(tested.stdout, /8\/9 policy test case\(s\) passed/);
    assert.match(tested.stdout, /PASS .*no order deletion in prod/, 'the other cases still report');
  });

  test('a policy naming a missing argument: validate exits 1 and names the file and the policy', async () => {
    const project = copy('policy-missing-argument');
    writeFileSync(
      join(project, 'policies', 'typo.cedar'),
      `@id("refund-by-nope")
@reason("a typo in an argument name")
permit (
  principal == Interlock::Agent::"support-bot",
  action == Interlock::Action::"refunds.create",
  resource
)
when { context.arguments.nope == "x" };
`,
    );
    const [validated, tested] = await Promise.all([
      runCli(['policy', 'validate', '--project', project]),
      runCli(['policy', 'test', '--project', project]),
    ]);
    for (const result of [validated, tested]) {
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, /refused: \d+ problem\(s\)/);
      // The when clause is on line 8 of the file.
      assert.match(result.stdout, /typo\.cedar:8:\d+ policy refund-by-nope \[validation\] .*arguments\.nope/);
    }
  });

  test('a Cedar syntax error names the file and line', async () => {
    const project = copy('policy-syntax');
    writeFileSync(join(project, 'policies', 'broken.cedar'), '@id("broken")\npermit (principal, action, resource\n');
    const validated = await runCli(['policy', 'validate', '--project', project]);
    assert.equal(validated.code, 1, validated.stdout + validated.stderr);
    assert.match(validated.stdout, /broken\.cedar:2:\d+ \[parse\]/);
  });

  test('a project that does not exist is a configuration error (exit 2) naming the file', async () => {
    const missing = join(copy('policy-missing-project'), 'nowhere');
    const result = await runCli(['policy', 'validate', '--project', missing]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /configuration is invalid/);
    assert.ok(result.stderr.includes(join(missing)), result.stderr);
    assert.match(result.stderr, /run "interlock init"/);
  });
});
