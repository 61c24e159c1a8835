import type { Effect } from '../../src/config/schema.js';
import type { OperationContract } from '../../src/registry/contract.js';
import { parseEntitySelector } from '../../src/registry/entity-selector.js';
import { Registry } from '../../src/registry/registry.js';

/** A contract with the fields policy ignores filled with plain defaults. */
export function contract(
  tool: string,
  operation: string,
  effect: Effect,
  argumentsSchema: Record<string, unknown>,
  entityPaths: Array<[string, string]> = [],
): OperationContract {
  return {
    tool,
    operation,
    qualifiedName: `${tool}.${operation}`,
    mcpName: `${tool}__${operation}`,
    description: undefined,
    effect,
    idempotent: effect === 'read',
    argumentsSchema,
    entities: entityPaths.map(([type, path]) => parseEntitySelector(type, path)),
    costUsd: 0,
    timeoutMs: 10_000,
    tenants: null,
    upstream: { kind: 'in_process' },

    compensation: null,
    dryRun: null,
    statusCheck: null,
    contentTrust: 'untrusted',
    citations: 'optional',
  };
}

/** The registry the fixtures under examples/policy-fixtures/support are written against. */
export function supportRegistry(): Registry {
  return new Registry([
    contract(
      'orders',
      'lookup',
      'read',
      {
        type: 'object',
        properties: { order_id: { type: 'string' } },
        required: ['order_id'],
      },
      [['order', 'order_id']],
    ),
    contract(
      'refunds',
      'create',
      'write',
      {
        type: 'object',
        properties: {
          order_id: { type: 'string' },
          amount: { type: 'number' },
          currency: { enum: ['EUR', 'USD'] },
          note: { type: 'string' },
          items: {
            type: 'array',
            items: { type: 'object', properties: { sku: { type: 'string' }, quantity: { type: 'integer' } }, required: ['sku'] },
          },
          metadata: { type: 'object' },
        },
        required: ['order_id', 'amount', 'currency'],
      },
      [['order', 'order_id']],
    ),
    contract('customers', 'export', 'read', {
      type: 'object',
      properties: { segment: { type: 'string' } },
      required: ['segment'],
    }),
    contract('email', 'send', 'write', {
      type: 'object',
      properties: { to: { type: 'array', items: { type: 'string' } }, body: { type: 'string' } },
      required: ['to', 'body'],
    }),
    contract(
      'accounts',
      'delete',
      'destructive',
      {
        type: 'object',
        properties: { account_id: { type: 'string' } },
        required: ['account_id'],
      },
      [['account', 'account_id']],
    ),
  ]);
}
