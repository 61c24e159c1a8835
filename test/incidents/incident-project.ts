/**
 * What the incident tests add to the refunds example: a payments provider reached over HTTP (the
 * double refund), a payout that needs two approvers (quorum), and the policies that let the
 * support agent use them.
 */
import { randomUUID } from 'node:crypto';

/** A fresh idempotency key, as a careful agent sends with every write it means to make once. */
export function newKey(prefix = 'key'): string {
  return `${prefix}-${randomUUID()}`;
}

export const PAYMENTS_POLICY = `
@id("support-bot-uses-the-payments-provider")
@reason("the support agent refunds through the payments provider and may look refunds up")
permit (
  principal == Interlock::Agent::"support-bot",
  action in [
    Interlock::Action::"payments.create_refund",
    Interlock::Action::"payments.get_refund_by_key",
    Interlock::Action::"payments_checked.create_refund",
    Interlock::Action::"payments_checked.get_refund_by_key",
    Interlock::Action::"payments_slow.create_refund",
    Interlock::Action::"payments_slow.get_refund_by_key"
  ],
  resource
);
`;

const REFUND_ARGUMENTS = {
  type: 'object',
  properties: {
    order_id: { type: 'string', pattern: '^o-[0-9]{1,12}$' },
    amount_cents: { type: 'integer', minimum: 1, maximum: 10_000_000 },
    client_reference: { type: 'string', maxLength: 128 },
  },
  required: ['order_id', 'amount_cents', 'client_reference'],
  additionalProperties: false,
};

const LOOKUP_ARGUMENTS = {
  type: 'object',
  properties: { client_reference: { type: 'string', maxLength: 128 } },
  required: ['client_reference'],
  additionalProperties: false,
};

export interface PaymentsToolOptions {
  readonly name: 'payments' | 'payments_checked' | 'payments_slow';
  readonly baseUrl: string;
  /** The upstream's timeout (a duration such as "500ms"). */
  readonly timeout: string;
  /** Declare the look-up by client reference as the create's status check. */
  readonly statusCheck?: boolean;
}

/**
 * A payments tool over HTTP. The create sends the caller's reference to the provider, which
 * stores it with the refund; the look-up finds a refund by that reference. With `statusCheck`,
 * Interlock calls the look-up with the call's idempotency key to settle an unknown outcome, so
 * the agent sends its idempotency key as the reference.
 */
export function paymentsTool(options: PaymentsToolOptions): Record<string, unknown> {
  return {
    name: options.name,
    description: 'Refunds through the payments provider (a local fake).',
    upstream: { kind: 'http', baseUrl: options.baseUrl, timeout: options.timeout },
    operations: [
      {
        name: 'create_refund',
        effect: 'write',
        arguments: REFUND_ARGUMENTS,
        http: { method: 'POST', path: '/refunds' },
        entities: [{ type: 'order', path: 'order_id' }],
        ...(options.statusCheck === true
          ? { statusCheck: { operation: 'get_refund_by_key', arguments: { client_reference: 'idempotencyKey' } } }
          : {}),
      },
      {
        name: 'get_refund_by_key',
        effect: 'read',
        idempotent: true,
        arguments: LOOKUP_ARGUMENTS,
        http: { method: 'GET', path: '/refunds/by-key/{client_reference}' },
      },
    ],
  };
}

/** Two holders of `treasury` must approve a payout; finance approvers decide large refunds. */
export const APPROVAL_POLICY = `
@id("payouts-need-two-treasurers")
@reason("a payout leaves the company: two treasurers must approve it")
@approval("treasury")
@quorum("2")
permit (
  principal == Interlock::Agent::"support-bot",
  action == Interlock::Action::"payouts.send",
  resource
);
`;

export const PAYOUTS_TOOL = {
  name: 'payouts',
  description: 'Sends money to a supplier (in-process fake).',
  upstream: { kind: 'in_process' },
  operations: [
    {
      name: 'send',
      effect: 'write',
      arguments: {
        type: 'object',
        properties: { supplier: { type: 'string', maxLength: 64 }, amount_cents: { type: 'integer', minimum: 1 } },
        required: ['supplier', 'amount_cents'],
        additionalProperties: false,
      },
    },
  ],
} as const;

/**
 * People who decide approvals in the approval tests. `support-bot` is an operator account with
 * the same id as the agent (the agent's owner wiring it up as its own approver), and `alice` is
 * the support user the agent acts for: both hold the role, and both must still be refused.
 */
export const APPROVERS = [
  { id: 'finance-one', tenants: ['acme'], roles: ['finance-approver'] },
  { id: 'finance-two', tenants: ['acme'], roles: ['finance-approver'] },
  { id: 'treasurer-one', tenants: ['acme'], roles: ['treasury'] },
  { id: 'treasurer-two', tenants: ['acme'], roles: ['treasury'] },
  { id: 'support-bot', tenants: ['acme'], roles: ['finance-approver', 'treasury'] },
  { id: 'alice', tenants: ['acme'], roles: ['finance-approver'] },
  { id: 'clerk', tenants: ['acme'], roles: ['support'] },
] as const;
