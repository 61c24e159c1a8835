/**
 * A real HTTP endpoint for approval webhooks in tests: it answers 204 to every delivery and keeps
 * each one with whether its `Interlock-Signature` verifies with the shared secret.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook, WEBHOOK_SIGNATURE_HEADER } from '../../src/approvals/webhook-signature.js';

export interface ReceivedDelivery {
  readonly type: string;
  readonly deliveryId: string;
  readonly signed: boolean;
  readonly approvalId: string;
}

export interface WebhookReceiver {
  readonly url: string;
  /** Every delivery received so far, in arrival order. */
  readonly deliveries: ReceivedDelivery[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const deliveries: ReceivedDelivery[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const parsed = JSON.parse(body) as { type: string; deliveryId: string; data: { approvalId: string } };
      deliveries.push({
        type: parsed.type,
        deliveryId: parsed.deliveryId,
        signed: verifyWebhook(body, request.headers[WEBHOOK_SIGNATURE_HEADER.toLowerCase()], secret),
        approvalId: parsed.data.approvalId,
      });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/approvals`,
    deliveries,
    close: () => new Promise((done) => server.close(() => done())),
  };
}
