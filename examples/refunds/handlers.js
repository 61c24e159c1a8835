// In-process tool implementations for the refunds demo. A real deployment would point these
// tools at the back office and payment provider over HTTP instead.

// Each tenant has its own orders: a handler serves only the tenant of the agent that called it.
const ordersByTenant = {
  acme: new Map([
    [
      'o-1001',
      {
        order_id: 'o-1001',
        status: 'delivered',
        total_cents: 12900,
        customer: { name: 'Dana Reyes', email: 'dana@example.com', phone: '+1 415 555 0100' },
      },
    ],
    [
      'o-1002',
      {
        order_id: 'o-1002',
        status: 'shipped',
        total_cents: 4500,
        customer: { name: 'Sam Okafor', email: 'sam@example.com', phone: '+44 20 7946 0958' },
      },
    ],
  ]),
  globex: new Map([
    [
      'o-2001',
      {
        order_id: 'o-2001',
        status: 'processing',
        total_cents: 99000,
        customer: { name: 'Hank Scorpio', email: 'hank@globex.example', phone: '+1 555 0199' },
      },
    ],
  ]),
};
const ordersOf = (tenant) => ordersByTenant[tenant] ?? new Map();
const refunds = [];
const outbox = [];

export const handlers = {
  'orders.lookup': ({ order_id }, { tenant }) => {
    const order = ordersOf(tenant).get(order_id);
    return order === undefined ? { found: false } : { found: true, ...order };
  },
  'orders.delete': ({ order_id }, { tenant }) => ({ deleted: ordersOf(tenant).delete(order_id) }),
  'refunds.create': ({ order_id, amount_cents, reason }) => {
    const refund = { refund_id: `r-${refunds.length + 1}`, order_id, amount_cents, reason, status: 'issued' };
    refunds.push(refund);
    return refund;
  },
  'refunds.cancel': ({ refund_id }) => {
    const refund = refunds.find((candidate) => candidate.refund_id === refund_id);
    if (refund === undefined) return { cancelled: false, refund_id };
    refund.status = 'cancelled';
    return { cancelled: true, refund_id };
  },
  'email.send': ({ to, subject }) => {
    outbox.push({ to, subject });
    return { queued: true, message_id: `m-${outbox.length}` };
  },
};
