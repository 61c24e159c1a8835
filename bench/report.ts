import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineInfo } from './machine.js';
import type { ResultRow, ScenarioFailure, ScenarioReport } from './result.js';

export const RESULTS_SCHEMA_VERSION = 1;

export interface BenchResults {
  readonly schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  readonly startedAt: string;
  readonly elapsedSeconds: number;
  readonly machine: MachineInfo;
  readonly arguments: readonly string[];
  readonly scenarios: readonly ScenarioReport[];
  readonly failures: readonly ScenarioFailure[];
}

const COLUMNS = ['scenario', 'p50', 'p99', 'mean', 'throughput', 'target', 'met?'] as const;

/** The results table as printed to stdout. */
export function formatTable(rows: readonly ResultRow[], failures: readonly ScenarioFailure[]): string {
  const cells = rows.map((row) => [
    row.scenario,
    formatMicros(row.p50Micros),
    formatMicros(row.p99Micros),
    formatMicros(row.meanMicros),
    row.throughputPerSecond === null ? '' : `${row.throughputPerSecond.toLocaleString('en-US')}/s`,
    row.target ?? '',
    row.met === null ? '' : row.met ? 'yes' : 'NO',
  ]);
  const widths = COLUMNS.map((title, column) => Math.max(title.length, ...cells.map((line) => (line[column] ?? '').length)));
  const numeric = new Set([1, 2, 3, 4]);
  const render = (line: readonly string[]) =>
    line
      .map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  const lines = [render(COLUMNS), widths.map((width) => '-'.repeat(width)).join('  '), ...cells.map(render)];
  for (const failure of failures) lines.push(`${failure.name}: FAILED: ${failure.error.split('\n')[0] ?? ''}`);
  return `${lines.join('\n')}\n`;
}

/** Microseconds below 1 ms, milliseconds above: both stay readable in one column. */
export function formatMicros(value: number | null): string {
  if (value === null || Number.isNaN(value)) return '';
  if (Math.abs(value) >= 10_000) return `${(value / 1_000).toFixed(1)} ms`;
  if (Math.abs(value) >= 1_000) return `${(value / 1_000).toFixed(2)} ms`;
  if (Math.abs(value) >= 100) return `${value.toFixed(0)} µs`;
  return `${value.toFixed(1)} µs`;
}

/** Writes <directory>/<timestamp>.json and <directory>/latest.json; returns the timestamped path. */
export function writeResults(directory: string, results: BenchResults): string {
  mkdirSync(directory, { recursive: true });
  const text = `${JSON.stringify(results, null, 2)}\n`;
  const path = join(directory, `${results.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, text);
  writeFileSync(join(directory, 'latest.json'), text);
  return path;
}
