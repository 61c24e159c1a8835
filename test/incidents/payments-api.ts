/**
 * A fake payments provider on a real local HTTP server: it commits a refund the moment the request
 * arrives, then answers only after `answerAfterMs` (a slow network or a slow provider). It does not
 * deduplicate anything itself, so every create request that reaches it is one more refund: if
 * Interlock ever ran a create twice, the ledger would show two.
 *
 *   POST /refunds               { order_id, amount_cents, client_reference } → 201 the refund
 *   GET  /refunds/by-key/{key}  → 200 the refund with that client reference, or 200 null
 */
import type { ServerResponse } from 'node:http';
import { sendJson, startUpstream, type Upstream } from '../support/upstream.js';

export interface Refund {
  readonly id: string;
  /** The caller's reference (the agent sends its idempotency key). */
  readonly reference: string;
  readonly orderId: string;
  readonly amountCents: number;
  readonly createdAt: string;
}

export interface PaymentsApi {
  readonly baseUrl: string;
  /** Every refund committed, in order. */
  readonly refunds: readonly Refund[];
  /** How many create requests arrived (each one committed a refund). */
  createRequests(): number;
  /** How many look-ups by reference arrived. */
  lookups(): number;
  /** The next create is lost inside the provider: nothing is committed and no answer ever comes. */
  loseNextCreate(): void;
  close(): Promise<void>;
}

export async function startPaymentsApi(options: { answerAfterMs: number }): Promise<PaymentsApi> {
  const refunds: Refund[] = [];
  let loseNext = false;
  const pending = new Set<NodeJS.Timeout>();
  const answerLater = (response: ServerResponse, status: number, value: unknown): void => {
    const timer = setTimeout(() => {
      pending.delete(timer);
      // The caller may have given up (timed out) long ago; the refund stays committed either way.
      if (!response.destroyed && !response.writableEnded) sendJson(response, status, value);
    }, options.answerAfterMs);
    pending.add(timer);
  };
  const upstream: Upstream = await startUpstream((request, response) => {
    const byKey = /^\/refunds\/by-key\/([^/?]+)$/.exec(request.path);
    if (request.method === 'POST' && request.path === '/refunds') {
      if (loseNext) {
        loseNext = false;
        return;
      }
      const body = JSON.parse(request.body) as { order_id: string; amount_cents: number; client_reference: string };
      const refund: Refund = {
        id: `re_${refunds.length + 1}`,
        reference: body.client_reference,
        orderId: body.order_id,
        amountCents: body.amount_cents,
        createdAt: new Date().toISOString(),
      };
      refunds.push(refund);
      answerLater(response, 201, refund);
      return;
    }
    if (request.method === 'GET' && byKey?.[1] !== undefined) {
      const key = decodeURIComponent(byKey[1]);
      sendJson(response, 200, refunds.find((refund) => refund.reference === key) ?? null);
      return;
    }
    sendJson(response, 404, { error: 'no such route' });
  });
  return {
    baseUrl: upstream.baseUrl,
    refunds,
    createRequests: () => upstream.requests.filter((request) => request.method === 'POST').length,
    lookups: () => upstream.requests.filter((request) => request.method === 'GET').length,
    loseNextCreate: () => {
      loseNext = true;
    },
    async close() {
      for (const timer of pending) clearTimeout(timer);
      await upstream.close();
    },
  };
}
