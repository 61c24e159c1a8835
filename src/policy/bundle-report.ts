import type { PolicyTestResult } from './test-cases.js';

export type BundleProblemStage = 'read' | 'parse' | 'annotation' | 'validation' | 'test';

/** One reason a bundle was refused, pointing at the file and policy where possible. */
export interface BundleProblem {
  readonly stage: BundleProblemStage;
  /** Path relative to the bundle directory, with `/` separators. */
  readonly file: string | null;
  readonly policyId: string | null;
  readonly line: number | null;
  readonly column: number | null;
  /** Cedar's message (or ours), with Cedar's help appended when it offers one. */
  readonly message: string;
}

/** Why a bundle was refused: every problem found, and the test results when tests ran. */
export interface BundleReport {
  readonly version: string;
  readonly problems: readonly BundleProblem[];
  readonly warnings: readonly BundleProblem[];
  readonly tests: readonly PolicyTestResult[];
}

/** A readable, multi-line account of a refused bundle, for the CLI and logs. */
export function formatBundleReport(report: BundleReport): string {
  const lines = [`policy bundle ${report.version} refused: ${report.problems.length} problem(s)`];
  for (const problem of report.problems) lines.push(`  ${formatProblem(problem)}`);
  if (report.warnings.length > 0) {
    lines.push(`warnings: ${report.warnings.length}`);
    for (const warning of report.warnings) lines.push(`  ${formatProblem(warning)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function formatProblem(problem: BundleProblem): string {
  let where = problem.file ?? '<bundle>';
  if (problem.line !== null) where += `:${problem.line}${problem.column === null ? '' : `:${problem.column}`}`;
  const policy = problem.policyId === null ? '' : ` policy ${problem.policyId}`;
  return `${where}${policy} [${problem.stage}] ${problem.message}`;
}
