/**
 * The MCP conformance suite against the gateway (scripts/mcp-conformance/): a few fast server
 * scenarios run for real through `interlock serve`, and the pieces that judge the suite's results
 * (answer checks, the expected-failures baseline) against recorded checks.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compareWithBaseline, readExpectedFailures } from '../../scripts/mcp-conformance/baseline.js';
import { answerChecks, scenarioFailed, type Check, type ScenarioResult } from '../../scripts/mcp-conformance/checks.js';
import { runConformance } from '../../scripts/mcp-conformance/run.js';
import { removeDirectory, temporaryDirectory } from '../cli/interlock-process.js';
import { UPSTREAM_OFFERS } from '../support/mcp/conformance-upstream.js';

const FAST_SCENARIOS = ['server-initialize', 'ping', 'tools-list', 'tools-call-simple-text', 'tools-call-error'];

const recorded = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'conformance-checks.json'), 'utf8')) as Record<
  'namespacedSimpleText' | 'namespacedError' | 'upstreamSimpleText' | 'dnsRebinding',
  Check[]
>;

const failures = (checks: readonly Check[]): string[] =>
  checks
    .filter((check) => check.status === 'FAILURE' || check.status === 'WARNING')
    .map((check) => `${check.id}: ${check.errorMessage ?? ''}`);

describe('MCP conformance suite through the gateway', () => {
  it('passes the fast server scenarios with the upstream’s own answers', { timeout: 120_000 }, async () => {
    const results = await runConformance({ target: 'gateway', scenarios: FAST_SCENARIOS });

    assert.deepEqual(
      results.map((result) => result.scenario),
      FAST_SCENARIOS,
    );
    for (const result of results) {
      assert.deepEqual(failures(result.checks), [], `${result.scenario} failed through the gateway`);
      assert.ok(
        result.checks.some((check) => check.status === 'SUCCESS'),
        `${result.scenario} recorded no passing check`,
      );
    }
    const answerIds = results.flatMap((result) =>
      result.checks.filter((check) => check.id.startsWith('interlock-')).map((check) => check.id),
    );
    // The answer checks ran: the upstream's own answers, and every tool listed under the upstream's own name.
    assert.deepEqual(answerIds.sort(), ['interlock-lists-every-tool', 'interlock-upstream-error', 'interlock-upstream-text']);
    const listed = results.find((result) => result.scenario === 'tools-list')?.checks[0]?.details?.['tools'];
    assert.deepEqual(Array.isArray(listed) ? [...(listed as string[])].sort() : listed, [...UPSTREAM_OFFERS.tools].sort());
  });
});

describe('answer checks', () => {
  it('fail a tool call the suite passes although Interlock refused it', () => {
    const text = answerChecks('tools-call-simple-text', recorded.namespacedSimpleText, 'gateway-namespaced');
    assert.equal(recorded.namespacedSimpleText[0]?.status, 'SUCCESS', 'the suite’s own check accepts the refusal');
    assert.equal(text.length, 1);
    assert.equal(text[0]?.status, 'FAILURE');
    assert.match(text[0]?.errorMessage ?? '', /an error result: .*TOOL_UNKNOWN/);

    const error = answerChecks('tools-call-error', recorded.namespacedError, 'gateway-namespaced');
    assert.equal(error[0]?.status, 'FAILURE');
    assert.match(error[0]?.errorMessage ?? '', /TOOL_UNKNOWN/);
  });

  it('pass the upstream’s own text', () => {
    const checks = answerChecks('tools-call-simple-text', recorded.upstreamSimpleText, 'gateway');
    assert.deepEqual(
      checks.map((check) => check.status),
      ['SUCCESS'],
    );
  });

  it('require the foreign Host/Origin to be refused for its origin, not for credentials', () => {
    assert.equal(answerChecks('dns-rebinding-protection', recorded.dnsRebinding, 'gateway')[0]?.status, 'SUCCESS');

    // The same refusal answered 401 without an Interlock error code (e.g. a forwarder that lost the token).
    const unauthenticated = recorded.dnsRebinding.map((check) =>
      check.id === 'localhost-host-rebinding-rejected' ? { ...check, details: { ...check.details, statusCode: 401, body: null } } : check,
    );
    const [refusal] = answerChecks('dns-rebinding-protection', unauthenticated, 'gateway');
    assert.equal(refusal?.status, 'FAILURE');
    assert.match(refusal?.errorMessage ?? '', /HTTP 401/);
  });

  it('fail a list that the suite passes although it is empty or incomplete', () => {
    const toolsList = (names: string[]): Check[] => [
      { id: 'tools-list', name: 'ToolsList', description: '', status: 'SUCCESS', details: { toolCount: names.length, tools: names } },
    ];
    const [empty] = answerChecks('tools-list', toolsList([]), 'gateway');
    assert.equal(empty?.status, 'FAILURE');
    assert.match(empty?.errorMessage ?? '', /^missing 13 of 13: test_simple_text, /);

    const [prefixed] = answerChecks('tools-list', toolsList(UPSTREAM_OFFERS.tools.map((name) => `conf__${name}`)), 'gateway');
    assert.equal(prefixed?.status, 'FAILURE', 'server__tool names are not the upstream names');
    const [complete] = answerChecks('tools-list', toolsList(UPSTREAM_OFFERS.tools.map((name) => `conf__${name}`)), 'gateway-namespaced');
    assert.equal(complete?.status, 'SUCCESS');

    const prompts: Check[] = [
      { id: 'prompts-list', name: 'PromptsList', description: '', status: 'SUCCESS', details: { prompts: ['test_simple_prompt'] } },
    ];
    const [partial] = answerChecks('prompts-list', prompts, 'upstream');
    assert.equal(partial?.status, 'FAILURE');
    assert.match(partial?.errorMessage ?? '', /missing 3 of 4/);
  });

  it('add nothing to scenarios whose checks already need the real answer', () => {
    assert.deepEqual(answerChecks('tools-call-image', [], 'gateway'), []);
    assert.deepEqual(answerChecks('ping', [], 'gateway'), []);
    assert.deepEqual(
      answerChecks('dns-rebinding-protection', recorded.dnsRebinding, 'upstream'),
      [],
      'the upstream alone is not the gateway',
    );
  });
});

describe('expected-failures baseline', () => {
  const result = (scenario: string, ...statuses: string[]): ScenarioResult => ({
    scenario,
    checks: statuses.map((status, index) => ({ id: `${scenario}-${index}`, name: scenario, description: '', status })),
  });

  it('compares like the suite: a warning is a failure, a listed scenario that passes is stale', () => {
    const results = [
      result('ping', 'SUCCESS'),
      result('tools-call-sampling', 'FAILURE'),
      result('server-sse-multiple-streams', 'SUCCESS', 'WARNING'),
      result('resources-subscribe', 'SUCCESS', 'INFO'),
    ];
    assert.equal(scenarioFailed(results[2]!), true);
    assert.equal(scenarioFailed(results[3]!), false);
    const comparison = compareWithBaseline(results, [
      { scenario: 'tools-call-sampling', reason: 'by design' },
      { scenario: 'resources-subscribe', reason: 'not supported' },
      { scenario: 'completion-complete', reason: 'not run here' },
    ]);
    assert.deepEqual(comparison, {
      unexpectedFailures: ['server-sse-multiple-streams'],
      staleEntries: ['resources-subscribe'],
      expectedFailures: ['tools-call-sampling'],
    });
  });

  const directory = temporaryDirectory('conformance-baseline');
  after(() => removeDirectory(directory));

  it('reads the reason of each entry from the comment above it', () => {
    const path = join(directory, 'reasons.yaml');
    writeFileSync(path, 'server:\n  # first reason,\n  # on two lines\n  - tools-call-sampling\n  # second reason\n  - ping\n');
    assert.deepEqual(readExpectedFailures(path), [
      { scenario: 'tools-call-sampling', reason: 'first reason, on two lines' },
      { scenario: 'ping', reason: 'second reason' },
    ]);
  });

  it('refuses an entry without a reason, and a file that is not the suite’s format', () => {
    const missing = join(directory, 'missing.yaml');
    writeFileSync(missing, 'server:\n  # a reason\n  - tools-call-sampling\n  - ping\n');
    assert.throws(() => readExpectedFailures(missing), /"ping" has no reason/);

    const notAList = join(directory, 'not-a-list.yaml');
    writeFileSync(notAList, 'server: ping\n');
    assert.throws(() => readExpectedFailures(notAList), /must be a list of scenario names/);
  });

  it('gives every checked-in expected failure a reason', () => {
    const expected = readExpectedFailures();
    assert.ok(expected.length > 0);
    assert.equal(new Set(expected.map((entry) => entry.scenario)).size, expected.length, 'no scenario listed twice');
    for (const entry of expected) assert.ok(entry.reason.length > 20, `${entry.scenario} has a reason`);
  });
});
