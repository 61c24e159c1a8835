import type { Caps } from '../bounds/blast-radius.js';
import type { CapExcess, PlanTotals, StepBlastRadius } from './plan.js';

/** The caps a plan is held to as a whole; per-session caps apply only when it names a session. */
export interface PlanCaps {
  readonly perRequest: Caps;
  readonly perSession: Caps;
  readonly perAgent?: Caps | undefined;
}

/** Adds up what the steps touch, the way the kernel's counters count it (entities per call, summed). */
export function planTotals(steps: readonly StepBlastRadius[]): PlanTotals {
  const distinct = new Set<string>();
  let writes = 0;
  let entities = 0;
  let costMicros = 0;
  for (const step of steps) {
    if (step.write) writes += 1;
    entities += step.entityCount;
    for (const entity of step.entities) distinct.add(entity);
    // Summed in millionths of a dollar, so ten steps of 0.1 make 1, not 0.9999999999999999.
    costMicros += Math.round(step.costUsd * 1_000_000);
  }
  return { toolCalls: steps.length, writes, entities, distinctEntities: distinct.size, costUsd: costMicros / 1_000_000 };
}

/**
 * Every cap the plan's totals exceed. A plan runs in one trace (and session), so a chain of steps
 * that are each allowed is stopped here before the first of them runs, rather than part-way through.
 */
export function capsExceeded(totals: PlanTotals, caps: PlanCaps, hasSession: boolean): CapExcess[] {
  const scopes: Array<[string, Caps | undefined]> = [
    ['perRequest', caps.perRequest],
    ['perSession', hasSession ? caps.perSession : undefined],
    ['perAgent', caps.perAgent],
  ];
  const excess: CapExcess[] = [];
  for (const [scope, scopeCaps] of scopes) {
    if (scopeCaps === undefined) continue;
    const dimensions: Array<[keyof Caps, number]> = [
      ['toolCalls', totals.toolCalls],
      ['writes', totals.writes],
      ['entities', totals.entities],
    ];
    for (const [dimension, planned] of dimensions) {
      const max = scopeCaps[dimension];
      if (max !== undefined && planned > max) excess.push({ limit: `${scope}.${dimension}`, max, planned });
    }
  }
  return excess;
}
