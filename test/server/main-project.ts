/**
 * The refunds example, extended for door tests: two agents that exist to be revoked, an operator
 * limited to one tenant, a small request body limit, and a `calc.add` tool whose policy overflows
 * Cedar's 64-bit integers for large inputs (an evaluation error at run time, not at load).
 */
import type { ProjectDocument, ProjectFixtureOptions, StorageKind } from '../support/project-fixture.js';

export const BODY_LIMIT_BYTES = 4096;

const EXTRA_POLICIES = `
@id("revocable-agents-read-orders")
@reason("agents kept for revocation tests may look up orders")
permit (
  principal,
  action == Interlock::Action::"orders.lookup",
  resource
)
when { principal == Interlock::Agent::"revocable-one" || principal == Interlock::Agent::"revocable-two" };

@id("calc-add-small-numbers")
@reason("support-bot may add; the sum overflows for large x, which is an evaluation error")
permit (
  principal == Interlock::Agent::"support-bot",
  action == Interlock::Action::"calc.add",
  resource
)
when { context.arguments.x + 9223372036854775000 > 0 };
`;

/** Pushes into a list in the parsed YAML document. */
export function appendTo(document: ProjectDocument, key: string, ...items: unknown[]): void {
  const current = document[key];
  document[key] = [...(Array.isArray(current) ? current : []), ...items];
}

export function mainProjectOptions(storage: StorageKind, name: string): ProjectFixtureOptions {
  return {
    storage,
    name,
    files: { 'policies/door-tests.cedar': EXTRA_POLICIES },
    handlers: { 'calc.add': (args) => ({ sum: Number(args['x']) + 1 }) },
    edit(document) {
      document['server'] = { host: '127.0.0.1', port: 0, bodyLimitBytes: BODY_LIMIT_BYTES };
      appendTo(
        document,
        'agents',
        { id: 'revocable-one', tenant: 'acme', owner: 'tests@acme.example', environment: 'prod', stage: 'governed' },
        { id: 'revocable-two', tenant: 'acme', owner: 'tests@acme.example', environment: 'prod', stage: 'governed' },
      );
      appendTo(document, 'operators', { id: 'acme-auditor', tenants: ['acme'], roles: ['auditor'] });
      appendTo(document, 'tools', {
        name: 'calc',
        upstream: { kind: 'in_process' },
        operations: [
          {
            name: 'add',
            effect: 'read',
            idempotent: true,
            arguments: { type: 'object', properties: { x: { type: 'integer' } }, required: ['x'], additionalProperties: false },
          },
        ],
      });
    },
  };
}
