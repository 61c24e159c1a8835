/**
 * Polls a replica with one call at a time until its answer shows what the test waits for (a kill
 * switch refusal, or execution again), and says how long after a reference moment that answer
 * arrived. Answers that are neither the awaited one nor the one still expected fail at once.
 */
import { LOOKUP, postCall, type CallAnswer } from '../cli/interlock-process.js';

export type Awaited = 'refused by a kill switch' | 'executed';

export interface Observed {
  /** Milliseconds from `since` to the arrival of the first matching answer. */
  readonly afterMs: number;
  readonly answer: CallAnswer;
  /** Calls made, the matching one included. */
  readonly calls: number;
}

export const GLOBEX_LOOKUP = { tool: 'orders', operation: 'lookup', arguments: { order_id: 'o-2001' } } as const;

export function lookupFor(agentId: string): Record<string, unknown> {
  return agentId === 'globex-assistant' ? { ...GLOBEX_LOOKUP } : { ...LOOKUP };
}

function matches(answer: CallAnswer, awaited: Awaited): boolean {
  return awaited === 'executed' ? answer.body.status === 'executed' : answer.body.error?.code === 'KILL_SWITCH_ACTIVE';
}

export async function pollUntil(
  url: string,
  token: string,
  request: Record<string, unknown>,
  awaited: Awaited,
  since: number,
  limitMs = 5000,
): Promise<Observed> {
  const other: Awaited = awaited === 'executed' ? 'refused by a kill switch' : 'executed';
  for (let calls = 1; ; calls += 1) {
    const answer = await postCall(url, token, request);
    const now = performance.now();
    if (matches(answer, awaited)) return { afterMs: now - since, answer, calls };
    if (!matches(answer, other)) throw new Error(`unexpected answer while waiting to be ${awaited}: ${JSON.stringify(answer.body)}`);
    if (now - since > limitMs) throw new Error(`${url} was still not ${awaited} ${limitMs} ms later (${calls} calls)`);
  }
}
