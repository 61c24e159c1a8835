import { pathToFileURL } from 'node:url';
import type { Effect } from '../src/config/schema.js';
import type { OperationContract } from '../src/registry/contract.js';
import { Registry } from '../src/registry/registry.js';
import { compileBundle, releaseBundle } from '../src/policy/bundle.js';
import { formatBundleReport } from '../src/policy/bundle-report.js';
import { decideWithBundle } from '../src/policy/decide.js';
import type { PolicyRequest } from '../src/policy/decision.js';

/**
 * decide() latency over a synthetic registry of 100 tools × 4 operations, with bundles of 10, 100
 * and 1,000 policies: mostly operation-specific permits and forbids with conditions on arguments
 * and principal attributes, plus effect-group and unconstrained policies that land in many slices.
 */

export interface DecisionBenchRow {
  policies: number;
  p50Micros: number;
  p99Micros: number;
  meanMicros: number;
}

export interface DecisionBenchOptions {
  /** Evaluate every request on behalf of a user too (two Cedar calls per decision). */
  readonly delegated?: boolean;
  readonly samples?: number;
  /** Share of policies scoped to an effect group or unconstrained (they land in many slices); default 0.10. */
  readonly broadShare?: number;
}

const TOOLS = 100;
const OPERATIONS: ReadonlyArray<{ name: string; effect: Effect }> = [
  { name: 'lookup', effect: 'read' },
  { name: 'list', effect: 'read' },
  { name: 'update', effect: 'write' },
  { name: 'purge', effect: 'destructive' },
];
const WARM_UP = 2_000;
const DEFAULT_SAMPLES = 10_000;

export function syntheticRegistry(): Registry {
  const contracts: OperationContract[] = [];
  for (let tool = 0; tool < TOOLS; tool += 1) {
    for (const operation of OPERATIONS) {
      contracts.push({
        tool: `tool${tool}`,
        operation: operation.name,
        qualifiedName: `tool${tool}.${operation.name}`,
        description: undefined,
        effect: operation.effect,
        idempotent: operation.effect === 'read',
        argumentsSchema: {
          type: 'object',
          properties: {
            record_id: { type: 'string' },
            amount: { type: 'number' },
            count: { type: 'integer' },
            tags: { type: 'array', items: { type: 'string' } },
            note: { type: 'string' },
          },
          required: ['record_id', 'amount', 'count', 'tags'],
        },
        entities: [],
        costUsd: 0,
        timeoutMs: 10_000,
        tenants: null,
        upstream: { kind: 'in_process' },
      });
    }
  }
  return new Registry(contracts);
}

/** The n-th policy of a bundle: by default 90% operation-specific, 7% effect-group, 3% unconstrained. */
export function syntheticPolicy(index: number, total: number, broadShare = 0.1): string {
  const groupShare = Math.max(1, Math.round(total * broadShare * 0.7));
  const unconstrainedShare = Math.max(1, Math.round(total * broadShare * 0.3));
  const id = `@id("p${index}")`;
  if (index < unconstrainedShare) {
    return `${id} @reason("risk ceiling ${index}") forbid(principal, action, resource) when { context.risk.score > ${80 + (index % 20)} || context.entityCount > ${50 + index} };`;
  }
  if (index < unconstrainedShare + groupShare) {
    const group = OPERATIONS[index % OPERATIONS.length]?.effect ?? 'read';
    return index % 2 === 0
      ? `${id} forbid(principal, action in Interlock::Action::"${group}", resource) when { context.arguments has note && context.arguments.note like "*secret-${index}*" };`
      : `${id} permit(principal is Interlock::Agent, action in Interlock::Action::"${group}", resource) when { principal.stage == "autonomous" && principal.owner == "team-${index}" };`;
  }
  const tool = index % TOOLS;
  const operation = OPERATIONS[Math.floor(index / TOOLS) % OPERATIONS.length] ?? OPERATIONS[0];
  const action = `Interlock::Action::"tool${tool}.${operation?.name ?? 'lookup'}"`;
  switch (index % 4) {
    case 0:
      return `${id} permit(principal is Interlock::Agent, action == ${action}, resource) when { principal.tenant == context.tenant && principal.stage == "governed" && context.arguments.amount.lessThanOrEqual(decimal("${500 + index}.0")) };`;
    case 1:
      return `${id} @reason("too many records") forbid(principal, action == ${action}, resource) when { context.arguments.count > ${100 + index} || context.arguments.tags.contains("blocked") };`;
    case 2:
      return `${id} permit(principal is Interlock::User, action == ${action}, resource) when { principal.roles.contains("role-${index % 7}") && principal.tenant == context.tenant };`;
    default:
      return `${id} @approval("approver-${index % 5}") permit(principal is Interlock::Agent, action == ${action}, resource) when { context.arguments.amount.greaterThan(decimal("${500 + index}.0")) && context.environment == "prod" };`;
  }
}

function syntheticRequests(count: number, delegated: boolean): PolicyRequest[] {
  const requests: PolicyRequest[] = [];
  for (let index = 0; index < count; index += 1) {
    const tool = (index * 37) % TOOLS;
    const operation = OPERATIONS[index % OPERATIONS.length] ?? OPERATIONS[0];
    requests.push({
      agent: { agentId: `agent-${index % 10}`, tenant: 'acme', environment: 'prod', stage: 'governed', owner: 'platform', tokenId: null },
      actingFor: delegated ? { userId: `user-${index % 50}`, tenant: 'acme', roles: [`role-${index % 7}`, 'support'], issuer: 'sso' } : null,
      tool: `tool${tool}`,
      operation: operation?.name ?? 'lookup',
      effect: operation?.effect ?? 'read',
      arguments: { record_id: `r-${index}`, amount: (index % 1000) + 0.5, count: index % 150, tags: ['a', index % 9 === 0 ? 'blocked' : 'b'], note: 'routine' },
      environment: 'prod',
      risk: { score: index % 100, taintedArgs: [] },
      entities: [`record:r-${index}`],
    });
  }
  return requests;
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

export async function benchDecisions(options: DecisionBenchOptions = {}): Promise<Array<{ policies: number; p50Micros: number; p99Micros: number; meanMicros: number }>> {
  const samples = Math.max(5_000, options.samples ?? DEFAULT_SAMPLES);
  const registry = syntheticRegistry();
  const rows: DecisionBenchRow[] = [];
  for (const policyCount of [10, 100, 1_000]) {
    const content = Array.from({ length: policyCount }, (_, index) => syntheticPolicy(index, policyCount, options.broadShare)).join('\n');
    const result = compileBundle([{ path: 'synthetic.cedar', content }], registry);
    if (!result.ok) throw new Error(`synthetic bundle refused:\n${formatBundleReport(result.report)}`);
    const requests = syntheticRequests(1_000, options.delegated ?? false);
    let errors = 0;
    for (let index = 0; index < WARM_UP; index += 1) decideWithBundle(result.bundle, requests[index % requests.length] as PolicyRequest);
    const timings = new Array<number>(samples);
    for (let index = 0; index < samples; index += 1) {
      const candidate = requests[index % requests.length] as PolicyRequest;
      const started = process.hrtime.bigint();
      const decision = decideWithBundle(result.bundle, candidate);
      timings[index] = Number(process.hrtime.bigint() - started) / 1_000;
      if (decision.errors.length > 0) errors += 1;
    }
    releaseBundle(result.bundle);
    if (errors > 0) throw new Error(`${errors} synthetic decisions failed closed; the bench would measure the wrong path`);
    timings.sort((left, right) => left - right);
    const mean = timings.reduce((sum, value) => sum + value, 0) / timings.length;
    rows.push({ policies: policyCount, p50Micros: round(percentile(timings, 0.5)), p99Micros: round(percentile(timings, 0.99)), meanMicros: round(mean) });
    await new Promise((resolve) => setImmediate(resolve));
  }
  return rows;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function printTable(title: string, rows: readonly DecisionBenchRow[]): void {
  console.log(title);
  console.log('policies   p50 µs   p99 µs   mean µs');
  for (const row of rows) {
    console.log(`${String(row.policies).padStart(8)} ${row.p50Micros.toFixed(1).padStart(8)} ${row.p99Micros.toFixed(1).padStart(8)} ${row.meanMicros.toFixed(1).padStart(9)}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printTable('decide(), agent only, 10% broad policies', await benchDecisions());
  printTable('decide(), agent acting for a user, 10% broad policies', await benchDecisions({ delegated: true }));
  printTable('decide(), agent only, 2% broad policies', await benchDecisions({ broadShare: 0.02 }));
}
