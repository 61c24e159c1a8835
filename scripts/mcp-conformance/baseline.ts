/** The expected-failures file in the suite's `--expected-failures` format, and the suite's comparison with it. */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { scenarioFailed, type ScenarioResult } from './checks.js';
import { EXPECTED_FAILURES_FILE } from './project.js';

export interface ExpectedFailure {
  readonly scenario: string;
  readonly reason: string;
}

export interface BaselineComparison {
  readonly unexpectedFailures: readonly string[];
  readonly staleEntries: readonly string[];
  readonly expectedFailures: readonly string[];
}

/** Compares results with a baseline as `conformance --expected-failures` does, over the scenarios that ran. */
export function compareWithBaseline(results: readonly ScenarioResult[], expected: readonly ExpectedFailure[]): BaselineComparison {
  const listed = new Set(expected.map((entry) => entry.scenario));
  const unexpectedFailures: string[] = [];
  const staleEntries: string[] = [];
  const expectedFailures: string[] = [];
  for (const result of results) {
    const failed = scenarioFailed(result);
    if (failed && listed.has(result.scenario)) expectedFailures.push(result.scenario);
    else if (failed) unexpectedFailures.push(result.scenario);
    else if (listed.has(result.scenario)) staleEntries.push(result.scenario);
  }
  return { unexpectedFailures, staleEntries, expectedFailures };
}

/**
 * Reads the expected-failures file: the suite's format (`server:` a list of scenario names), with
 * the reason for each entry in the comment above it. An entry without a reason is refused.
 */
export function readExpectedFailures(path: string = EXPECTED_FAILURES_FILE): ExpectedFailure[] {
  const document = parseDocument(readFileSync(path, 'utf8'));
  if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0]?.message ?? 'invalid YAML'}`);
  const root = document.contents;
  if (!isMap(root)) throw new Error(`${path}: expected a mapping with a "server" list`);
  const list = root.get('server', true);
  if (list === undefined || list === null) return [];
  if (!isSeq(list)) throw new Error(`${path}: "server" must be a list of scenario names`);
  return list.items.map((item, index) => {
    if (!isScalar(item) || typeof item.value !== 'string') throw new Error(`${path}: every entry must be a scenario name`);
    // The parser gives the comment above the first entry to the list itself.
    const comment = index === 0 ? (item.commentBefore ?? list.commentBefore) : item.commentBefore;
    const reason = (comment ?? '').replace(/\s*\n\s*/g, ' ').trim();
    if (reason === '') throw new Error(`${path}: "${item.value}" has no reason (a comment above the entry)`);
    return { scenario: item.value, reason };
  });
}
