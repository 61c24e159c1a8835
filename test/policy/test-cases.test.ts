import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { compileBundle, releaseBundle } from '../../src/policy/bundle.js';
import { formatPolicyTestReport, parseTestFile, runPolicyTests, type PolicyTestCase } from '../../src/policy/test-cases.js';
import { supportRegistry } from './fixture-registry.js';
import { supportFiles } from './helpers.js';

const agent = '{ id: support-bot, tenant: acme, environment: prod, stage: governed }';

function parsedCases(yaml: string): PolicyTestCase[] {
  const result = parseTestFile('cases.test.yaml', yaml);
  assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.problems));
  return result.cases;
}

describe('policy test cases', () => {
  it('parses cases with defaults and the line each starts on', () => {
    const cases = parsedCases(
      `cases:\n  - name: one\n    agent: ${agent}\n    tool: orders\n    operation: lookup\n    expect: allow\n  - name: two\n    agent: ${agent}\n    actingFor: { id: alice, tenant: acme }\n    tool: orders\n    operation: lookup\n    expect: deny\n`,
    );
    assert.equal(cases.length, 2);
    assert.equal(cases[0]?.line, 2);
    assert.equal(cases[1]?.line, 7);
    assert.deepEqual(cases[0]?.arguments, {});
    assert.equal(cases[0]?.agent.owner, 'unspecified');
    assert.deepEqual(cases[1]?.actingFor?.roles, []);
  });

  it('reports YAML syntax errors and unknown fields with their lines', () => {
    const syntax = parseTestFile('bad.test.yaml', 'cases:\n  - name: [unclosed\n');
    assert.ok(!syntax.ok);
    if (!syntax.ok) {
      assert.equal(syntax.problems[0]?.file, 'bad.test.yaml');
      assert.match(syntax.problems[0]?.message ?? '', /^YAML: /);
      assert.notEqual(syntax.problems[0]?.line, null);
    }
    const unknown = parseTestFile(
      'bad.test.yaml',
      `cases:\n  - name: x\n    agent: ${agent}\n    tool: orders\n    operation: lookup\n    expect: allow\n    expected: deny\n`,
    );
    assert.ok(!unknown.ok);
    if (!unknown.ok) {
      assert.equal(unknown.problems[0]?.line, 2);
      assert.match(unknown.problems[0]?.message ?? '', /expected/);
    }
    const empty = parseTestFile('empty.test.yaml', 'cases: []\n');
    assert.ok(!empty.ok);
  });

  it('checks kind, obligations, policy ids and errors, and prints a readable report', () => {
    const result = compileBundle(supportFiles(), supportRegistry());
    assert.ok(result.ok);
    const cases = parsedCases(`cases:
  - name: wrong kind
    agent: ${agent}
    tool: orders
    operation: lookup
    arguments: { order_id: o-1 }
    expect: deny
  - name: wrong obligations
    agent: ${agent}
    tool: refunds
    operation: create
    arguments: { order_id: o-1, amount: 500, currency: EUR }
    expect: require_approval
    obligations: { approvalRole: cfo, quorum: 1, redactFields: [card], readOnly: true }
    policyIds: [something-else]
  - name: unexpected errors
    agent: ${agent}
    tool: refunds
    operation: create
    arguments: { order_id: o-1, amount: 0.00001, currency: EUR }
    expect: deny
  - name: expected errors
    agent: ${agent}
    tool: refunds
    operation: create
    arguments: { order_id: o-1, amount: 0.00001, currency: EUR }
    expect: deny
    expectErrors: true
  - name: unknown operation
    agent: ${agent}
    tool: orders
    operation: cancel
    expect: deny
`);
    const results = runPolicyTests(result.bundle, cases);
    assert.deepEqual(
      results.map((test) => test.passed),
      [false, false, false, true, false],
    );
    assert.deepEqual(results[0]?.failures, ['expected deny, got allow (agents may read)']);
    assert.deepEqual(results[1]?.failures, [
      'expected approval by cfo, got finance-approver',
      'expected quorum 1, got 2',
      'expected redactFields [card], got []',
      'expected readOnly true, got false',
      'expected policies [something-else], got [refunds-large-approval]',
    ]);
    assert.match(results[2]?.failures[0] ?? '', /^evaluation errors: policy evaluation failed: argument "amount" cannot be represented/);
    assert.deepEqual(results[4]?.failures, ['operation orders.cancel is not in the registry']);
    assert.equal(results[4]?.decision, null);

    const report = formatPolicyTestReport(results);
    assert.match(report, /^FAIL cases\.test\.yaml:2 wrong kind\n {5}expected deny, got allow/);
    assert.match(report, /PASS cases\.test\.yaml:\d+ expected errors/);
    assert.match(report, /1\/5 policy test case\(s\) passed\n$/);
    releaseBundle(result.bundle);
  });
});
