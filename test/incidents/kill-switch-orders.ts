/**
 * The on-call engineer's side of the replica tests: kill switches set and lifted through one
 * replica's HTTP door (`POST /v1/kill-switches`, `POST /v1/kill-switches/lift`) with an operator
 * token. The answer is the acknowledgement: the rule is stored and audited when it arrives.
 */
import { strict as assert } from 'node:assert';
import type { ContainmentScope } from '../../src/store/store.js';

export interface KillOrder {
  readonly scope: ContainmentScope;
  readonly target: string;
  readonly reason: string;
}

async function post(
  url: string,
  operatorToken: string,
  path: string,
  order: KillOrder,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(order),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Sets the switch through the replica at `url`; resolves on the acknowledgement. */
export async function kill(url: string, operatorToken: string, order: KillOrder): Promise<void> {
  const answer = await post(url, operatorToken, '/v1/kill-switches', order);
  assert.equal(answer.status, 201, `kill switch not set: ${JSON.stringify(answer.body)}`);
  const rule = answer.body['rule'] as Record<string, unknown> | undefined;
  assert.equal(rule?.['scope'], order.scope);
  assert.equal(rule?.['target'], order.target);
}

/** Lifts the switch through the replica at `url`; resolves on the acknowledgement. */
export async function unkill(url: string, operatorToken: string, order: KillOrder): Promise<void> {
  const answer = await post(url, operatorToken, '/v1/kill-switches/lift', order);
  assert.equal(answer.status, 200, `kill switch not lifted: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body['lifted'], 1, `expected exactly one switch lifted: ${JSON.stringify(answer.body)}`);
}
