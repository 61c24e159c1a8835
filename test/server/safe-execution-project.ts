/**
 * The door-test project (main-project.ts) with what approvals and containment need: a payout tool
 * whose policy asks two treasurers, and operators with and without the approver roles, in one
 * tenant or in all. The operator `alice` shares her id with the support user the agent acts for.
 */
import type { ProjectFixtureOptions, StorageKind } from '../support/project-fixture.js';
import { appendTo, mainProjectOptions } from './main-project.js';

const PAYOUT_POLICY = `
@id("support-bot-payouts-need-two-treasurers")
@reason("payouts move money out of the company: two treasurers must agree")
@approval("treasurer")
@quorum("2")
permit (
  principal == Interlock::Agent::"support-bot",
  action == Interlock::Action::"payouts.send",
  resource
);
`;

export const OPERATORS = {
  /** Every tenant; no approver role. */
  all: 'auditor',
  /** acme, without an approver role. */
  acmeAuditor: 'acme-auditor',
  financeAlice: 'finance-alice',
  financeBob: 'finance-bob',
  /** Has the roles, but for globex only. */
  globexFinance: 'globex-finance',
  /** Same id as the user the agent acts for. */
  alice: 'alice',
  /** acme only, for kill switches and modes. */
  acmeOncall: 'acme-oncall',
} as const;

export function safeExecutionProjectOptions(storage: StorageKind, name: string): ProjectFixtureOptions {
  const main = mainProjectOptions(storage, name);
  return {
    ...main,
    files: { ...main.files, 'policies/payouts.cedar': PAYOUT_POLICY },
    handlers: { ...main.handlers, 'payouts.send': (args) => ({ payout_id: `p-${String(args['account'])}`, status: 'sent' }) },
    edit(document) {
      main.edit?.(document);
      appendTo(
        document,
        'operators',
        { id: OPERATORS.financeAlice, tenants: ['acme'], roles: ['finance-approver', 'treasurer'] },
        { id: OPERATORS.financeBob, tenants: ['acme'], roles: ['treasurer'] },
        { id: OPERATORS.globexFinance, tenants: ['globex'], roles: ['finance-approver', 'treasurer'] },
        { id: OPERATORS.alice, tenants: ['acme'], roles: ['finance-approver'] },
        { id: OPERATORS.acmeOncall, tenants: ['acme'], roles: [] },
      );
      appendTo(document, 'tools', {
        name: 'payouts',
        upstream: { kind: 'in_process' },
        operations: [
          {
            name: 'send',
            effect: 'write',
            arguments: {
              type: 'object',
              properties: { account: { type: 'string', pattern: '^[a-z0-9-]{1,32}$' }, amount_cents: { type: 'integer', minimum: 1 } },
              required: ['account', 'amount_cents'],
              additionalProperties: false,
            },
          },
        ],
      });
    },
  };
}
