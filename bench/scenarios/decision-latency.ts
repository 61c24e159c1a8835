import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultRow } from '../result.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPOSITORY_ROOT = resolve(HERE, '../..');
const CHILD = join(HERE, 'decision-child.ts');
const TIMEOUT_MS = 150_000;

/** The child prints this before its JSON so stray output cannot be mistaken for results. */
export const DECISION_ROWS_MARKER = 'decision-rows:';

export interface DecisionRow {
  readonly policies: number;
  readonly p50Micros: number;
  readonly p99Micros: number;
  readonly meanMicros: number;
}

/**
 * Policy decision latency (one decide() on a synthetic registry of 400 operations) with 10, 100
 * and 1,000 policies, measured by bench/decision.ts in a child process.
 */
export async function runDecisionLatency(): Promise<{ rows: ResultRow[]; details: Record<string, unknown> }> {
  const decisions = await runChild();
  const rows: ResultRow[] = decisions.map((row) => ({
    scenario: `decision ${row.policies} policies`,
    p50Micros: row.p50Micros,
    p99Micros: row.p99Micros,
    meanMicros: row.meanMicros,
    throughputPerSecond: null,
    target: null,
    met: null,
  }));
  return { rows, details: { source: 'bench/decision.ts benchDecisions()', decisions } };
}

function runChild(): Promise<DecisionRow[]> {
  return new Promise((resolveRows, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((text) => text.startsWith(DECISION_ROWS_MARKER));
      if (code !== 0 || line === undefined) {
        reject(
          new Error(
            `the decision benchmark exited with ${signal ?? `code ${String(code)}`}${signal === 'SIGKILL' ? ` (timeout ${TIMEOUT_MS} ms)` : ''}: ${lastLines(stderr)}`,
          ),
        );
        return;
      }
      try {
        resolveRows(parseRows(line.slice(DECISION_ROWS_MARKER.length)));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

function parseRows(text: string): DecisionRow[] {
  const parsed = JSON.parse(text) as unknown;
  if (!Array.isArray(parsed)) throw new Error('the decision benchmark printed something other than a list of rows');
  return parsed.map((entry: unknown) => {
    const row = entry as Partial<Record<keyof DecisionRow, unknown>>;
    if (
      typeof row.policies !== 'number' ||
      typeof row.p50Micros !== 'number' ||
      typeof row.p99Micros !== 'number' ||
      typeof row.meanMicros !== 'number'
    ) {
      throw new Error(`unexpected decision row ${JSON.stringify(entry)}`);
    }
    return { policies: row.policies, p50Micros: row.p50Micros, p99Micros: row.p99Micros, meanMicros: row.meanMicros };
  });
}

function lastLines(text: string): string {
  const lines = text
    .trim()
    .split('\n')
    .filter((line) => line.trim().length > 0);
  return lines.slice(-6).join('\n');
}
