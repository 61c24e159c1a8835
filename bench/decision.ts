import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { Effect } from '../src/config/schema.js';
import type { OperationContract } from '../src/registry/contract.js';
import { Registry } from '../src/registry/registry.js';
import { compileBundle, releaseBundle } from '../src/policy/bundle.js';
import { formatBundleReport } from '../src/policy/bundle-report.js';
import { decideWithBundle } from '../src/policy/decide.js';
import { preparsePolicySet, statefulIsAuthorized } from '../src/policy/cedar-runtime.js';
import type { PolicyRequest } from '../src/policy/decision.js';

/**
 * decide() latency over a synthetic registry of 100 tools × 4 operations, with bundles of 10, 100
 * and 1,000 policies. Two mixes:
 *
 * - realistic (the default): what a deployment looks like. 98% of policies name one action; of
 *   those, half name one agent (`principal == Interlock::Agent::"agent-k"`, 50 agents), a quarter
 *   are forbids for any principal and a quarter permit users by role. 2% are broad forbids (a risk
 *   ceiling on every action, a guard on every destructive action). Requests come from the agents
 *   the policies name, calling the operations they were given, half of them for a user.
 * - broad (the worst case): the same registry with 10% of policies on an effect group or
 *   unconstrained and operation-specific policies on every agent (`principal is Interlock::Agent`),
 *   so every call evaluates dozens of policies; requests from 10 agents over every operation.
 */

export interface DecisionBenchRow {
  policies: number;
  p50Micros: number;
  p99Micros: number;
  meanMicros: number;
  /** How the timed decisions came out, to show the bench exercises allows, denies and approvals. */
  outcomes?: { allow: number; deny: number; require_approval: number };
}

export type DecisionBenchMix = 'realistic' | 'broad';

export interface DecisionBenchOptions {
  /** Policy mix (see above); default realistic. */
  readonly mix?: DecisionBenchMix;
  /** Evaluate every request on behalf of a user too (two Cedar calls per decision). */
  readonly delegated?: boolean;
  readonly samples?: number;
  /** Broad mix only: share of policies scoped to an effect group or unconstrained; default 0.10. */
  readonly broadShare?: number;
}

const TOOLS = 100;
const OPERATIONS: ReadonlyArray<{ name: string; effect: Effect }> = [
  { name: 'lookup', effect: 'read' },
  { name: 'list', effect: 'read' },
  { name: 'update', effect: 'write' },
  { name: 'purge', effect: 'destructive' },
];
const AGENTS = 50;
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
        mcpName: `tool${tool}__${operation.name}`,
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
        compensation: null,
        dryRun: null,
        statusCheck: null,
        contentTrust: 'untrusted',
        citations: 'optional',
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

/** The n-th policy of the realistic mix (see the file's header). */
export function realisticPolicy(index: number, total: number): string {
  const broad = Math.max(1, Math.round(total * 0.02));
  const id = `@id("p${index}")`;
  if (index < broad) {
    return index % 2 === 0
      ? `${id} @reason("risk ceiling") forbid(principal, action, resource) when { context.risk.score > ${90 + (index % 10)} };`
      : `${id} @reason("no destructive calls on tainted input") forbid(principal, action in Interlock::Action::"destructive", resource) when { context.risk.taintedArgs.contains("record_id") };`;
  }
  const { tool, operation } = realisticTarget(index);
  const action = `Interlock::Action::"tool${tool}.${operation.name}"`;
  const agent = `Interlock::Agent::"${realisticAgent(index)}"`;
  switch (index % 4) {
    case 0:
      return `${id} permit(principal == ${agent}, action == ${action}, resource) when { principal.tenant == context.tenant && context.arguments.amount.lessThanOrEqual(decimal("${500 + index}.0")) };`;
    case 1:
      return `${id} @reason("too many records") forbid(principal, action == ${action}, resource) when { context.arguments.count > ${100 + (index % 50)} || context.arguments.tags.contains("blocked") };`;
    case 2:
      return `${id} permit(principal is Interlock::User, action == ${action}, resource) when { principal.roles.contains("role-${index % 7}") && principal.tenant == context.tenant };`;
    default:
      return `${id} @approval("approver-${index % 5}") permit(principal == ${agent}, action == ${action}, resource) when { context.arguments.amount.greaterThan(decimal("${500 + index}.0")) && context.environment == "prod" };`;
  }
}

/** The operation the n-th realistic policy is about: consecutive groups of four share one. */
function realisticTarget(index: number): { tool: number; operation: { name: string; effect: Effect } } {
  const group = Math.floor(index / 4);
  return {
    tool: group % TOOLS,
    operation: OPERATIONS[Math.floor(group / TOOLS) % OPERATIONS.length] ?? { name: 'lookup', effect: 'read' },
  };
}

function realisticAgent(index: number): string {
  return `agent-${Math.floor(index / 4) % AGENTS}`;
}

/** Requests of the realistic mix: each from an agent a policy names, for the operation it names. */
function realisticRequests(count: number, policyCount: number, delegated: boolean): PolicyRequest[] {
  const broad = Math.max(1, Math.round(policyCount * 0.02));
  const requests: PolicyRequest[] = [];
  for (let index = 0; index < count; index += 1) {
    const policy = broad + ((index * 37) % (policyCount - broad));
    const { tool, operation } = realisticTarget(policy);
    requests.push({
      agent: { agentId: realisticAgent(policy), tenant: 'acme', environment: 'prod', stage: 'governed', owner: 'platform', tokenId: null },
      actingFor:
        delegated && index % 2 === 0
          ? { userId: `user-${index % 200}`, tenant: 'acme', roles: [`role-${index % 7}`, 'support'], issuer: 'sso' }
          : null,
      tool: `tool${tool}`,
      operation: operation.name,
      effect: operation.effect,
      arguments: {
        record_id: `r-${index}`,
        amount: (index % 1000) + 0.5,
        count: index % 150,
        tags: ['a', index % 9 === 0 ? 'blocked' : 'b'],
        note: 'routine',
      },
      environment: 'prod',
      risk: { score: index % 100, taintedArgs: index % 13 === 0 ? ['record_id'] : [] },
      entities: [`record:r-${index}`],
    });
  }
  return requests;
}

function syntheticRequests(count: number, delegated: boolean): PolicyRequest[] {
  const requests: PolicyRequest[] = [];
  for (let index = 0; index < count; index += 1) {
    const tool = (index * 37) % TOOLS;
    const operation = OPERATIONS[index % OPERATIONS.length] ?? OPERATIONS[0];
    requests.push({
      agent: { agentId: `agent-${index % 10}`, tenant: 'acme', environment: 'prod', stage: 'governed', owner: 'platform', tokenId: null },
      actingFor: delegated
        ? { userId: `user-${index % 50}`, tenant: 'acme', roles: [`role-${index % 7}`, 'support'], issuer: 'sso' }
        : null,
      tool: `tool${tool}`,
      operation: operation?.name ?? 'lookup',
      effect: operation?.effect ?? 'read',
      arguments: {
        record_id: `r-${index}`,
        amount: (index % 1000) + 0.5,
        count: index % 150,
        tags: ['a', index % 9 === 0 ? 'blocked' : 'b'],
        note: 'routine',
      },
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

export async function benchDecisions(options: DecisionBenchOptions = {}): Promise<DecisionBenchRow[]> {
  const samples = Math.max(5_000, options.samples ?? DEFAULT_SAMPLES);
  const registry = syntheticRegistry();
  const rows: DecisionBenchRow[] = [];
  for (const policyCount of [10, 100, 1_000]) {
    const realistic = (options.mix ?? 'realistic') === 'realistic';
    const policy = (index: number): string =>
      realistic ? realisticPolicy(index, policyCount) : syntheticPolicy(index, policyCount, options.broadShare);
    const content = Array.from({ length: policyCount }, (_, index) => policy(index)).join('\n');
    const result = compileBundle([{ path: 'synthetic.cedar', content }], registry);
    if (!result.ok) throw new Error(`synthetic bundle refused:\n${formatBundleReport(result.report)}`);
    const requests = realistic
      ? realisticRequests(1_000, policyCount, options.delegated ?? false)
      : syntheticRequests(1_000, options.delegated ?? false);
    let errors = 0;
    const kinds = { allow: 0, deny: 0, require_approval: 0 };
    for (let index = 0; index < WARM_UP; index += 1) decideWithBundle(result.bundle, requests[index % requests.length] as PolicyRequest);
    const timings = new Array<number>(samples);
    for (let index = 0; index < samples; index += 1) {
      const candidate = requests[index % requests.length] as PolicyRequest;
      const started = process.hrtime.bigint();
      const decision = decideWithBundle(result.bundle, candidate);
      timings[index] = Number(process.hrtime.bigint() - started) / 1_000;
      if (decision.errors.length > 0) errors += 1;
      kinds[decision.kind] += 1;
    }
    releaseBundle(result.bundle);
    if (errors > 0) throw new Error(`${errors} synthetic decisions failed closed; the bench would measure the wrong path`);
    timings.sort((left, right) => left - right);
    const mean = timings.reduce((sum, value) => sum + value, 0) / timings.length;
    rows.push({
      policies: policyCount,
      p50Micros: round(percentile(timings, 0.5)),
      p99Micros: round(percentile(timings, 0.99)),
      meanMicros: round(mean),
      outcomes: kinds,
    });
    await new Promise((resolve) => setImmediate(resolve));
  }
  return rows;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * The floor on this machine: one statefulIsAuthorized call with a single unconditional policy,
 * first with an empty request, then with the full context and entities one decision carries.
 */
export function benchCedarFloor(
  samples = DEFAULT_SAMPLES,
): Array<{ label: string; p50Micros: number; p99Micros: number; meanMicros: number }> {
  const setId = 'interlock-bench-floor';
  preparsePolicySet(setId, { staticPolicies: { floor: 'permit(principal, action, resource);' } });
  const principal = { type: 'Interlock::Agent', id: 'agent-0' };
  const action = { type: 'Interlock::Action', id: 'tool0.lookup' };
  const resource = { type: 'Interlock::Tool', id: 'tool0' };
  const fullContext = {
    arguments: { record_id: 'r-1', amount: { __extn: { fn: 'decimal', arg: '10.5000' } }, count: 3, tags: ['a', 'b'], note: 'routine' },
    environment: 'prod',
    tenant: 'acme',
    actingForUser: false,
    entityCount: 1,
    risk: { score: 5, taintedArgs: [] },
  };
  const fullEntities = [
    { uid: principal, attrs: { tenant: 'acme', environment: 'prod', stage: 'governed', owner: 'platform' }, parents: [] },
    { uid: resource, attrs: { name: 'tool0' }, parents: [] },
    { uid: action, attrs: {}, parents: [{ type: 'Interlock::Action', id: 'read' }] },
  ];
  const cases = [
    { label: 'empty request', context: {}, entities: [] },
    { label: 'full context and entities', context: fullContext, entities: fullEntities },
  ];
  const rows = cases.map(({ label, context, entities }) => {
    const call = () =>
      statefulIsAuthorized({ principal, action, resource, context, entities, preparsedPolicySetId: setId, validateRequest: false });
    for (let index = 0; index < WARM_UP; index += 1) call();
    const timings = new Array<number>(samples);
    for (let index = 0; index < samples; index += 1) {
      const started = process.hrtime.bigint();
      call();
      timings[index] = Number(process.hrtime.bigint() - started) / 1_000;
    }
    timings.sort((left, right) => left - right);
    const mean = timings.reduce((sum, value) => sum + value, 0) / timings.length;
    return { label, p50Micros: round(percentile(timings, 0.5)), p99Micros: round(percentile(timings, 0.99)), meanMicros: round(mean) };
  });
  preparsePolicySet(setId, { staticPolicies: {} });
  return rows;
}

function printTable(title: string, rows: readonly DecisionBenchRow[]): void {
  console.log(title);
  console.log('policies   p50 µs   p99 µs   mean µs   allow / deny / approval');
  for (const row of rows) {
    const outcomes = row.outcomes === undefined ? '' : `   ${row.outcomes.allow} / ${row.outcomes.deny} / ${row.outcomes.require_approval}`;
    console.log(
      `${String(row.policies).padStart(8)} ${row.p50Micros.toFixed(1).padStart(8)} ${row.p99Micros.toFixed(1).padStart(8)} ${row.meanMicros.toFixed(1).padStart(9)}${outcomes}`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(
    `machine: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, Node ${process.version}, load ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}\n`,
  );
  printTable('decide(), realistic mix, agent only', await benchDecisions());
  printTable('decide(), realistic mix, half the calls acting for a user', await benchDecisions({ delegated: true }));
  printTable('decide(), worst case: 10% broad policies, agent only', await benchDecisions({ mix: 'broad' }));
  printTable('decide(), worst case: 10% broad policies, acting for a user', await benchDecisions({ mix: 'broad', delegated: true }));
  console.log('floor: one statefulIsAuthorized call, one unconditional policy');
  for (const row of benchCedarFloor()) {
    console.log(
      `  ${row.label.padEnd(28)} p50 ${row.p50Micros.toFixed(1)} µs   p99 ${row.p99Micros.toFixed(1)} µs   mean ${row.meanMicros.toFixed(1)} µs`,
    );
  }
}
