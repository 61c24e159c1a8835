import { z } from 'zod';
import { InterlockError } from '../../errors/interlock-error.js';
import { assessTaint } from './assess.js';
import { createFingerprinter } from './fingerprint.js';
import { recordContent } from './ledger.js';

/**
 * Scores the taint tracker over labelled scenarios. A scenario is the content a session read
 * (with origin and trust), then one proposed write. A `planted` scenario names the arguments an
 * attacker steered and the content that carried each value; it counts as detected when every one
 * of them is reported with that content among its sources. A `benign` scenario is escalated when
 * any argument at all is reported.
 */

const scenarioSchema = z.strictObject({
  id: z.string().min(1),
  label: z.enum(['planted', 'benign']),
  description: z.string().min(1),
  content: z.array(
    z.strictObject({
      origin: z.string().min(1),
      trust: z.enum(['trusted', 'untrusted']),
      sourceId: z.string().min(1),
      label: z.string().min(1),
      text: z.string(),
    }),
  ),
  operation: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()),
  expectTainted: z.array(z.strictObject({ argument: z.string().min(1), sourceId: z.string().min(1) })),
});

export type TaintScenario = z.infer<typeof scenarioSchema>;

export interface TaintEvaluation {
  /** Planted hijacks reported on every planted argument, naming the planting content. */
  readonly detected: number;
  readonly planted: number;
  readonly recall: number;
  /** Benign writes with at least one argument reported. */
  readonly escalatedBenign: number;
  readonly benignTotal: number;
  readonly falseEscalationRate: number;
  /** Of all escalated scenarios, the share that were planted hijacks. */
  readonly precision: number;
  readonly missed: readonly string[];
  readonly falselyEscalated: readonly string[];
}

// The evaluation's own key: fingerprints never leave the run, so a fixed key is enough.
const EVALUATION_KEY = 'interlock taint evaluation key';

/** One scenario per line; blank lines are skipped; any invalid line fails the whole file. */
export function parseTaintScenarios(jsonl: string): TaintScenario[] {
  const scenarios: TaintScenario[] = [];
  const ids = new Set<string>();
  for (const [index, line] of jsonl.split('\n').entries()) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new InterlockError('CONFIG_INVALID', `Taint scenario line ${index + 1} is not JSON.`, { line: index + 1 });
    }
    const result = scenarioSchema.safeParse(parsed);
    if (!result.success) {
      throw new InterlockError('CONFIG_INVALID', `Taint scenario line ${index + 1} is invalid.`, {
        line: index + 1,
        issues: result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
      });
    }
    if (ids.has(result.data.id)) {
      throw new InterlockError('CONFIG_INVALID', `Taint scenario id ${result.data.id} is repeated.`, { line: index + 1 });
    }
    if ((result.data.label === 'planted') !== result.data.expectTainted.length > 0) {
      throw new InterlockError(
        'CONFIG_INVALID',
        `Taint scenario ${result.data.id}: planted scenarios, and only they, expect tainted arguments.`,
        {
          line: index + 1,
        },
      );
    }
    ids.add(result.data.id);
    scenarios.push(result.data);
  }
  return scenarios;
}

/** Whether the tracker reports what the scenario expects: any argument for benign ones, the planted ones for the rest. */
export function runTaintScenario(scenario: TaintScenario): { flagged: boolean; detected: boolean } {
  const fingerprint = createFingerprinter(EVALUATION_KEY);
  const ledger = scenario.content.map((content) => recordContent(content, fingerprint));
  const { taintedArgs } = assessTaint(scenario.arguments, ledger, { fingerprint });
  const detected =
    scenario.expectTainted.length > 0 &&
    scenario.expectTainted.every((expected) =>
      taintedArgs.some(
        (tainted) => tainted.argument === expected.argument && tainted.sources.some((source) => source.sourceId === expected.sourceId),
      ),
    );
  return { flagged: taintedArgs.length > 0, detected };
}

function ratio(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}

export function evaluateTaintScenarios(scenarios: readonly TaintScenario[]): TaintEvaluation {
  const missed: string[] = [];
  const falselyEscalated: string[] = [];
  let planted = 0;
  let detected = 0;
  let benignTotal = 0;
  for (const scenario of scenarios) {
    const outcome = runTaintScenario(scenario);
    if (scenario.label === 'planted') {
      planted += 1;
      if (outcome.detected) detected += 1;
      else missed.push(scenario.id);
    } else {
      benignTotal += 1;
      if (outcome.flagged) falselyEscalated.push(scenario.id);
    }
  }
  const escalatedBenign = falselyEscalated.length;
  return {
    detected,
    planted,
    recall: ratio(detected, planted),
    escalatedBenign,
    benignTotal,
    falseEscalationRate: ratio(escalatedBenign, benignTotal),
    precision: ratio(detected, detected + escalatedBenign),
    missed,
    falselyEscalated,
  };
}
