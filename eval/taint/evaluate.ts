/**
 * The taint tracker's evaluation over eval/taint/scenarios.jsonl, for `npm run eval:risk`.
 * Run on its own with `node --import tsx eval/taint/evaluate.ts`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TaintEvaluation } from '../../src/risk/taint/evaluate.js';
import { evaluateTaintScenarios, parseTaintScenarios } from '../../src/risk/taint/evaluate.js';

export type { TaintEvaluation };

export const TAINT_SCENARIOS_FILE = fileURLToPath(new URL('./scenarios.jsonl', import.meta.url));

export function evaluateTaint(scenariosFile: string = TAINT_SCENARIOS_FILE): TaintEvaluation {
  return evaluateTaintScenarios(parseTaintScenarios(readFileSync(scenariosFile, 'utf8')));
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

export function formatTaintEvaluation(evaluation: TaintEvaluation): string {
  return [
    `taint: recall ${percent(evaluation.recall)} (${evaluation.detected}/${evaluation.planted} planted hijacks detected)`,
    `taint: false escalation ${percent(evaluation.falseEscalationRate)} (${evaluation.escalatedBenign}/${evaluation.benignTotal} benign writes escalated)`,
    `taint: precision ${percent(evaluation.precision)}`,
    ...(evaluation.missed.length > 0 ? [`taint: missed ${evaluation.missed.join(', ')}`] : []),
    ...(evaluation.falselyEscalated.length > 0 ? [`taint: falsely escalated ${evaluation.falselyEscalated.join(', ')}`] : []),
  ].join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${formatTaintEvaluation(evaluateTaint())}\n`);
}
