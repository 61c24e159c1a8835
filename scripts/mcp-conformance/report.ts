/** docs/mcp-conformance.md: setup, and one row per scenario for the three targets. */
import type { BaselineComparison, ExpectedFailure } from './baseline.js';
import { scenarioFailed, type Check, type ScenarioResult } from './checks.js';
import { suiteVersion } from './run.js';

function tally(result: ScenarioResult | undefined): string {
  if (result === undefined) return 'not run';
  const count = (status: string, from: readonly Check[]) => from.filter((check) => check.status === status).length;
  const suite = result.checks.filter((check) => !check.id.startsWith('interlock-'));
  const answers = result.checks.filter((check) => check.id.startsWith('interlock-'));
  const warnings = count('WARNING', result.checks);
  const parts = [`${count('SUCCESS', suite)} passed, ${count('FAILURE', suite)} failed`];
  if (warnings > 0) parts.push(`${warnings} warnings`);
  if (answers.length > 0) parts.push(`answer check ${count('FAILURE', answers) > 0 ? 'failed' : 'passed'}`);
  return `${scenarioFailed(result) ? '✗' : '✓'} ${parts.join(', ')}`;
}

function failureSummary(result: ScenarioResult | undefined): string {
  const failed = result?.checks.filter((check) => check.status === 'FAILURE' || check.status === 'WARNING') ?? [];
  return failed.map((check) => (check.errorMessage ?? check.description).replace(/\s+/g, ' ').slice(0, 160)).join('; ');
}

const cell = (text: string): string => text.replace(/\|/g, '\\|');

export interface Report {
  readonly upstream: readonly ScenarioResult[];
  readonly gateway: readonly ScenarioResult[];
  readonly namespaced: readonly ScenarioResult[];
  readonly expected: readonly ExpectedFailure[];
  readonly comparison: BaselineComparison;
}

export function renderReport(report: Report): string {
  const byName = (results: readonly ScenarioResult[]) => new Map(results.map((result) => [result.scenario, result]));
  const upstream = byName(report.upstream);
  const namespaced = byName(report.namespaced);
  const reasons = new Map(report.expected.map((entry) => [entry.scenario, entry.reason]));
  const passing = report.gateway.filter((result) => !scenarioFailed(result)).length;
  const rows = report.gateway.map((result) => {
    const withPrefix = namespaced.get(result.scenario);
    const notes: string[] = [];
    if (scenarioFailed(result)) notes.push(reasons.get(result.scenario) ?? `**Unexpected**: ${failureSummary(result)}`);
    else if (reasons.has(result.scenario)) notes.push('Listed as expected to fail, but passes: remove it from the file.');
    if (withPrefix !== undefined && scenarioFailed(withPrefix) && !scenarioFailed(result)) {
      notes.push(`With \`server__tool\` names: ${failureSummary(withPrefix)}`);
    }
    const columns = [`\`${result.scenario}\``, tally(upstream.get(result.scenario)), tally(result), tally(withPrefix), notes.join(' ')];
    return `| ${columns.map(cell).join(' | ')} |`;
  });
  const { unexpectedFailures, staleEntries } = report.comparison;
  const verdict =
    unexpectedFailures.length === 0 && staleEntries.length === 0
      ? 'Every failure is listed in the expected-failures file, and every listed scenario fails.'
      : `Unexpected failures: ${unexpectedFailures.join(', ') || 'none'}. Listed but passing: ${staleEntries.join(', ') || 'none'}.`;
  return `# MCP conformance of the gateway

Results of the server scenarios of the official MCP conformance suite
(\`@modelcontextprotocol/conformance\` ${suiteVersion()}, active suite) run against Interlock's MCP
gateway. This file is written by \`node --import tsx scripts/mcp-conformance.ts\`; do not edit it
by hand.

## Setup

- **Upstream**: \`test/support/mcp/conformance-upstream.ts\`, an MCP server over stdio that implements
  every tool, resource, prompt and completion the scenarios call, including logging, progress,
  sampling and elicitation. The column *upstream alone* runs the suite against it directly (over
  Streamable HTTP), showing that every failure in the other columns comes from the gateway.
- **Gateway**: \`interlock serve\` on a temporary project with that upstream as its only MCP server
  (every tool \`read\`, pinned on first start, resources and prompts passed through), and a policy
  bundle that permits everything (\`permit (principal, action, resource);\`). So the scenarios
  measure what the gateway passes on, not what policy refuses.
- **Forwarder**: the suite connects without credentials, and \`/mcp\` needs an agent token. A
  loopback forwarder (\`test/support/mcp/bearer-forwarder.ts\`) adds \`Authorization: Bearer …\`
  and passes everything else unchanged, Host and Origin included, streaming responses as they
  come. The DNS-rebinding scenario therefore still tests the gateway's own Host and Origin checks:
  its foreign request reaches the gateway with \`Host: evil.example.com\` and a matching Origin,
  and with a valid token, so a refusal cannot come from missing credentials.
- **Names**: the suite calls tools and prompts by fixed names (\`test_simple_text\`,
  \`test_simple_prompt\`, …): every \`tools-call-*\` and \`elicitation-*\` scenario calls a
  tool by name, every \`prompts-get-*\` scenario gets a prompt by name, and
  \`completion-complete\` names the prompt \`test_prompt_with_arguments\`. Resources are read by
  URI, which the gateway never renames. The column *through the gateway* therefore sets
  \`namespace: false\` on the server, which keeps the upstream's names; the column *with
  \`server__tool\` names* keeps the default, where they appear as \`conf__test_simple_text\`.
- **Answer checks**: some of the suite's checks accept any answer of the right shape: an empty
  \`tools/list\` or \`prompts/list\`, any text for \`tools-call-simple-text\`, any error result
  for \`tools-call-error\`, any 4xx for the DNS-rebinding refusal. A refusal or an omission by
  Interlock would pass them. So the run adds checks (ids \`interlock-…\`) that every tool, prompt
  and resource of the upstream is listed under the name the target exposes, that the tool answers
  are the upstream's own, and, through the gateway, that the foreign request is refused as
  \`ORIGIN_FORBIDDEN\`. A scenario counts as failed if any check fails or warns, as in the
  suite's baseline.
- **Progress**: the upstream pauses 250 ms after its last progress notification before it answers.
  Written back to back with the result, that notification reaches an SDK client in the same read
  and is dropped there (typescript-sdk#2580). Interlock's upstream client routes progress as it
  arrives and no longer loses it (test/execution/mcp/progress-order.test.ts), but the suite's own
  client has the same race, so the pause keeps \`tools-call-with-progress\` about forwarding
  progress rather than about the suite's client.

## Results

${passing} of ${report.gateway.length} scenarios pass through the gateway. ${verdict}

| scenario | upstream alone | through the gateway | with \`server__tool\` names | notes |
| --- | --- | --- | --- | --- |
${rows.join('\n')}

Expected failures, with their reasons, are listed in
[mcp-conformance-expected-failures.yaml](mcp-conformance-expected-failures.yaml) (the suite's
\`--expected-failures\` format; the reason is the comment above each entry). Run alone with that
file, the suite would call a scenario "stale" that fails here only through an answer check.
`;
}
