/** Binary-classification figures shared by the sections of `npm run eval:risk`. */

export interface Confusion {
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly trueNegatives: number;
  readonly falseNegatives: number;
}

export interface Rates {
  /** Of the items flagged, the share that should have been: tp / (tp + fp). NaN when nothing was flagged. */
  readonly precision: number;
  /** Of the items that should have been flagged, the share that were: tp / (tp + fn). */
  readonly recall: number;
  /** Of the items that should not have been flagged, the share that were: fp / (fp + tn). */
  readonly falsePositiveRate: number;
  readonly positives: number;
  readonly negatives: number;
}

export function confusionOf(outcomes: readonly { readonly expected: boolean; readonly predicted: boolean }[]): Confusion {
  let truePositives = 0;
  let falsePositives = 0;
  let trueNegatives = 0;
  let falseNegatives = 0;
  for (const { expected, predicted } of outcomes) {
    if (expected && predicted) truePositives += 1;
    else if (expected) falseNegatives += 1;
    else if (predicted) falsePositives += 1;
    else trueNegatives += 1;
  }
  return { truePositives, falsePositives, trueNegatives, falseNegatives };
}

export function ratesOf(confusion: Confusion): Rates {
  const { truePositives: tp, falsePositives: fp, trueNegatives: tn, falseNegatives: fn } = confusion;
  return {
    precision: tp + fp === 0 ? Number.NaN : tp / (tp + fp),
    recall: tp + fn === 0 ? Number.NaN : tp / (tp + fn),
    falsePositiveRate: fp + tn === 0 ? Number.NaN : fp / (fp + tn),
    positives: tp + fn,
    negatives: fp + tn,
  };
}

export function percent(value: number, digits = 1): string {
  return Number.isNaN(value) ? 'n/a' : `${(value * 100).toFixed(digits)} %`;
}

/** Left-aligned first column, right-aligned others; rows are arrays of cells. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)];
}
