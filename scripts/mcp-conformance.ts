/**
 * Runs the server scenarios of the official MCP conformance suite (`@modelcontextprotocol/conformance`)
 * against Interlock's MCP gateway, and writes the results to docs/mcp-conformance.md.
 *
 *   node --import tsx scripts/mcp-conformance.ts [--scenario NAME ...] [--no-write]
 *
 * Each run builds a temporary project: one upstream MCP server (test/support/mcp/conformance-upstream.ts,
 * which implements what the scenarios call) behind `interlock serve`, a policy that permits
 * everything, and a loopback forwarder that adds the agent's bearer token (the suite connects
 * without credentials). Three runs are compared:
 *   - the upstream alone over Streamable HTTP, to show the upstream itself passes;
 *   - the gateway with `namespace: false`, the configuration for a gateway in front of one server
 *     (the suite calls fixed names such as `test_simple_text`); this run is checked against
 *     docs/mcp-conformance-expected-failures.yaml, and any difference exits non-zero;
 *   - the gateway with the default `server__tool` names, for information.
 * With --scenario, only those scenarios run and the report goes to stdout.
 */
import { writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { compareWithBaseline, readExpectedFailures } from './mcp-conformance/baseline.js';
import { scenarioFailed } from './mcp-conformance/checks.js';
import { REPORT_FILE } from './mcp-conformance/project.js';
import { renderReport } from './mcp-conformance/report.js';
import { runConformance } from './mcp-conformance/run.js';

function parseArguments(argv: readonly string[]): { scenarios?: string[]; write: boolean } {
  const scenarios: string[] = [];
  let write = true;
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index];
    if (argument === '--scenario' && argv[index + 1] !== undefined) scenarios.push(argv[(index += 1)]!);
    else if (argument === '--no-write') write = false;
    else throw new Error(`unknown argument ${String(argument)}; usage: mcp-conformance.ts [--scenario NAME ...] [--no-write]`);
  }
  return { ...(scenarios.length > 0 ? { scenarios } : {}), write: write && scenarios.length === 0 };
}

async function main(): Promise<number> {
  const { scenarios, write } = parseArguments(process.argv.slice(2));
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const expected = readExpectedFailures();
  const selection = scenarios === undefined ? {} : { scenarios };
  const upstream = await runConformance({ target: 'upstream', ...selection, log });
  const gateway = await runConformance({ target: 'gateway', ...selection, log });
  const namespaced = await runConformance({ target: 'gateway-namespaced', ...selection, log });
  const comparison = compareWithBaseline(gateway, expected);
  // Formatted as the repository's own docs are, so that `prettier --check .` stays clean.
  const report = await format(renderReport({ upstream, gateway, namespaced, expected, comparison }), {
    ...(await resolveConfig(REPORT_FILE)),
    filepath: REPORT_FILE,
  });
  if (write) writeFileSync(REPORT_FILE, report);
  else process.stdout.write(report);

  const upstreamFailures = upstream.filter(scenarioFailed).map((result) => result.scenario);
  if (upstreamFailures.length > 0) log(`the upstream alone fails: ${upstreamFailures.join(', ')} (fix the upstream first)`);
  if (comparison.unexpectedFailures.length > 0) log(`unexpected failures through the gateway: ${comparison.unexpectedFailures.join(', ')}`);
  if (comparison.staleEntries.length > 0) log(`expected to fail but passing (remove from the file): ${comparison.staleEntries.join(', ')}`);
  const ok = upstreamFailures.length === 0 && comparison.unexpectedFailures.length === 0 && comparison.staleEntries.length === 0;
  log(ok ? 'conformance: as expected' : 'conformance: FAILED');
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  },
);
