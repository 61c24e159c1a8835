import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { policyToJson, statefulIsAuthorized, type PolicyJson, type StatefulAuthorizationCall } from '@cedar-policy/cedar-wasm/nodejs';
import { compileBundle, releaseBundle } from '../../src/policy/bundle.js';
import { formatBundleReport } from '../../src/policy/bundle-report.js';
import { AGENT_TYPE, USER_TYPE } from '../../src/policy/cedar-names.js';
import type { PolicyBundle } from '../../src/policy/compiled-bundle.js';
import { decideWithBundle } from '../../src/policy/decide.js';
import type { PolicyRequest } from '../../src/policy/decision.js';
import { EvaluationSetCache } from '../../src/policy/evaluation-set-cache.js';
import { pruneRecord, requestNeeds, type RecordNeed } from '../../src/policy/request-needs.js';
import { supportRegistry } from './fixture-registry.js';
import { refund, request } from './helpers.js';
import { assertAgreesWithReference, referenceDecision } from './reference.js';

function bundleOf(policies: string): PolicyBundle {
  const result = compileBundle([{ path: 'policies.cedar', content: policies }], supportRegistry());
  assert.ok(result.ok, result.ok ? '' : formatBundleReport(result.report));
  return result.bundle;
}

function policy(text: string): PolicyJson {
  const answer = policyToJson(text);
  assert.equal(answer.type, 'success', JSON.stringify(answer));
  if (answer.type !== 'success') throw new Error('unreachable');
  return answer.json;
}

/** A need as plain data, for comparisons: true for "all of it", else its attributes. */
function plain(need: RecordNeed): unknown {
  return need.whole ? true : Object.fromEntries([...need.attributes].map(([name, child]) => [name, plain(child)]));
}

/** Decides and returns the Cedar calls it made. */
function calls(bundle: PolicyBundle, candidate: PolicyRequest): StatefulAuthorizationCall[] {
  const made: StatefulAuthorizationCall[] = [];
  decideWithBundle(bundle, candidate, (call) => {
    made.push(call);
    return statefulIsAuthorized(call);
  });
  return made;
}

/** A small deterministic generator so a failing case can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const MIXED_POLICIES = `
  @id("bot0-email") @approval("lead") permit(principal == Interlock::Agent::"bot-0", action == Interlock::Action::"email.send", resource);
  @id("bot0-lookup") permit(principal == Interlock::Agent::"bot-0", action == Interlock::Action::"orders.lookup", resource);
  @id("bot1-writes") permit(principal == Interlock::Agent::"bot-1", action in Interlock::Action::"write", resource) when { principal.stage == "governed" };
  @id("bot2-large") @approval("finance") permit(principal == Interlock::Agent::"bot-2", action == Interlock::Action::"refunds.create", resource) when { context.arguments.amount.greaterThan(decimal("100.0")) };
  @id("bot2-small") permit(principal == Interlock::Agent::"bot-2", action == Interlock::Action::"refunds.create", resource) when { context.arguments.amount.lessThanOrEqual(decimal("100.0")) };
  @id("bot3-risk") forbid(principal == Interlock::Agent::"bot-3", action, resource) when { context.risk.score > 50 };
  @id("ops-reads") permit(principal is Interlock::Agent, action in Interlock::Action::"read", resource) when { principal.owner == "ops" };
  @id("support-users") permit(principal is Interlock::User, action, resource) when { principal.roles.contains("support") && principal.tenant == context.tenant };
  @id("u1-deletes") permit(principal == Interlock::User::"u-1", action == Interlock::Action::"accounts.delete", resource);
  @id("u2-no-writes") forbid(principal == Interlock::User::"u-2", action in Interlock::Action::"write", resource);
  @id("tainted") forbid(principal, action, resource) when { context.risk.taintedArgs.contains("order_id") };
  @id("bot4-email") forbid(principal in Interlock::Agent::"bot-4", action == Interlock::Action::"email.send", resource == Interlock::Tool::"email") unless { context.arguments.body like "*ok*" };
  @id("email-for-users") permit(principal, action == Interlock::Action::"email.send", resource is Interlock::Tool) when { context.arguments.to.contains("a@example.com") && context.actingForUser };
  @id("customers-prod") forbid(principal is Interlock::Agent, action, resource == Interlock::Tool::"customers") when { context.environment != "prod" || principal.tenant != context.tenant };
  @id("other-tool") permit(principal, action, resource == Interlock::Tool::"orders") when { context.entityCount > 0 };
  @id("bot5-exact") permit(principal == Interlock::Agent::"bot-5", action == Interlock::Action::"orders.lookup", resource) when { context.arguments == { order_id: "o-7" } };
  @id("bot5-export") permit(principal == Interlock::Agent::"bot-5", action == Interlock::Action::"customers.export", resource) when { (if context.entityCount > 0 then context else context).tenant == "acme" };
  @id("tool-name") permit(principal == Interlock::Agent::"bot-6", action, resource) when { resource.name == "accounts" && context has risk.score };
  @id("user-amount") forbid(principal is Interlock::User, action == Interlock::Action::"refunds.create", resource) when { context.arguments.amount.greaterThan(decimal("1000.0")) };
  @id("group-refunds") permit(principal is Interlock::User, action == Interlock::Action::"refunds.create", resource) when { principal.roles.contains("refunds") && context.arguments has note };
`;

const OPERATIONS: ReadonlyArray<{ tool: string; operation: string; effect: PolicyRequest['effect'] }> = [
  { tool: 'orders', operation: 'lookup', effect: 'read' },
  { tool: 'refunds', operation: 'create', effect: 'write' },
  { tool: 'customers', operation: 'export', effect: 'read' },
  { tool: 'email', operation: 'send', effect: 'write' },
  { tool: 'accounts', operation: 'delete', effect: 'destructive' },
];

function randomRequest(next: () => number): PolicyRequest {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const target = pick(OPERATIONS);
  const argumentsByTool: Record<string, () => Record<string, unknown>> = {
    orders: () => ({ order_id: pick(['o-1', 'o-7']) }),
    refunds: () => ({
      order_id: 'o-1',
      amount: pick([5, 100, 100.5, 2500, 0.00001]),
      currency: pick(['EUR', 'USD']),
      ...(next() < 0.5 ? { note: 'goodwill' } : {}),
    }),
    customers: () => ({ segment: 'vip' }),
    email: () => ({ to: pick([['a@example.com'], ['b@example.com'], []]), body: pick(['ok then', 'no']) }),
    accounts: () => ({ account_id: 'a-1' }),
  };
  const tenant = pick(['acme', 'acme', 'globex']);
  return {
    agent: {
      agentId: pick(['bot-0', 'bot-1', 'bot-2', 'bot-3', 'bot-4', 'bot-5', 'bot-6', 'bot-7']),
      tenant,
      environment: 'prod',
      stage: pick(['governed', 'shadow']),
      owner: pick(['ops', 'support-team']),
      tokenId: null,
    },
    actingFor:
      next() < 0.5
        ? null
        : {
            userId: pick(['u-0', 'u-1', 'u-2', 'u-3']),
            tenant: pick(['acme', 'globex']),
            roles: pick([['support'], ['support', 'refunds'], ['refunds'], []]),
            issuer: 'sso',
          },
    ...target,
    arguments: (argumentsByTool[target.tool] ?? (() => ({})))(),
    environment: pick(['prod', 'staging']),
    risk: { score: Math.floor(next() * 100), taintedArgs: next() < 0.2 ? ['order_id'] : [] },
    entities: next() < 0.3 ? [] : ['order:o-1'],
  };
}

describe('slicing by principal', () => {
  it("gives a named principal its own policies plus the shared ones, and no other principal's", () => {
    const bundle = bundleOf(MIXED_POLICIES);
    const refunds = bundle.slices.get('refunds.create');
    assert.ok(refunds);
    const ids = (type: string, id: string): string[] => [...bundle.evaluationSets.setFor(refunds, type, id).policyIds].sort();
    assert.deepEqual(ids(AGENT_TYPE, 'bot-2'), ['bot2-large', 'bot2-small', 'tainted']);
    assert.deepEqual(ids(AGENT_TYPE, 'bot-1'), ['bot1-writes', 'tainted']);
    assert.deepEqual(ids(AGENT_TYPE, 'nobody'), ['tainted']);
    assert.deepEqual(ids(USER_TYPE, 'u-2'), ['group-refunds', 'support-users', 'tainted', 'u2-no-writes', 'user-amount']);
    assert.deepEqual(ids(USER_TYPE, 'u-0'), ['group-refunds', 'support-users', 'tainted', 'user-amount']);
    // `principal in …` is kept for every principal; a resource scope on another tool is left out.
    const email = bundle.slices.get('email.send');
    assert.ok(email);
    assert.deepEqual([...bundle.evaluationSets.setFor(email, AGENT_TYPE, 'bot-0').policyIds].sort(), [
      'bot0-email',
      'bot4-email',
      'email-for-users',
      'tainted',
    ]);
    assert.deepEqual([...bundle.evaluationSets.setFor(email, AGENT_TYPE, 'bot-1').policyIds].sort(), [
      'bot1-writes',
      'bot4-email',
      'email-for-users',
      'tainted',
    ]);
    assert.ok(!bundle.slices.get('customers.export')?.policyIds.includes('other-tool'));
    assert.ok(bundle.slices.get('orders.lookup')?.policyIds.includes('other-tool'));
    releaseBundle(bundle);
  });

  it('builds each set once, on first use, and frees them all with the bundle', () => {
    const bundle = bundleOf(MIXED_POLICIES);
    assert.deepEqual(bundle.evaluationSets.counts, { shared: 0, named: 0, complete: 0 });
    decideWithBundle(bundle, refund(5, { agent: { ...request().agent, agentId: 'bot-2' } }));
    decideWithBundle(bundle, refund(5, { agent: { ...request().agent, agentId: 'bot-2' } }));
    decideWithBundle(bundle, refund(5));
    assert.deepEqual(bundle.evaluationSets.counts, { shared: 1, named: 1, complete: 0 });
    releaseBundle(bundle);
    assert.deepEqual(bundle.evaluationSets.counts, { shared: 0, named: 0, complete: 0 });
    assert.match(decideWithBundle(bundle, refund(5)).errors[0] ?? '', /was retired/);
  });

  it('agrees with evaluating the whole bundle unsliced, over randomised requests from many agents and users', () => {
    const bundle = bundleOf(MIXED_POLICIES);
    const next = random(20240611);
    const seen = { allow: 0, deny: 0, require_approval: 0, errored: 0 };
    for (let index = 0; index < 600; index += 1) {
      const candidate = randomRequest(next);
      const decision = decideWithBundle(bundle, candidate);
      assertAgreesWithReference(decision, referenceDecision(bundle, candidate), `request ${index} ${JSON.stringify(candidate)}`);
      seen[decision.kind] += 1;
      if (decision.errors.length > 0) seen.errored += 1;
    }
    // The mix must exercise every outcome, or the comparison proves little.
    for (const [outcome, count] of Object.entries(seen)) assert.ok(count >= 5, `only ${count} ${outcome} decisions`);
    assert.ok(bundle.evaluationSets.counts.named > 5);
    releaseBundle(bundle);
  });

  it('still agrees once the budget for per-principal sets is spent (complete sets answer)', () => {
    const compiled = bundleOf(MIXED_POLICIES);
    const bundle: PolicyBundle = { ...compiled, evaluationSets: new EvaluationSetCache(0) };
    const next = random(7);
    for (let index = 0; index < 300; index += 1) {
      const candidate = randomRequest(next);
      assertAgreesWithReference(
        decideWithBundle(bundle, candidate),
        referenceDecision(bundle, candidate),
        `request ${index} ${JSON.stringify(candidate)}`,
      );
    }
    assert.equal(bundle.evaluationSets.counts.named, 0);
    assert.ok(bundle.evaluationSets.counts.complete > 0);
    bundle.evaluationSets.release();
    releaseBundle(compiled);
  });
});

describe('trimming the request to what policies read', () => {
  it('hands Cedar only the context paths and entity attributes the set reads', () => {
    const bundle = bundleOf(`
      @id("small") permit(principal is Interlock::Agent, action == Interlock::Action::"refunds.create", resource) when { context.arguments.amount.lessThan(decimal("10.0")) && principal.stage == "governed" };
      @id("risk") forbid(principal, action == Interlock::Action::"refunds.create", resource) when { context.risk.score > 90 };
    `);
    const [call] = calls(bundle, refund(5, { risk: { score: 3, taintedArgs: ['order_id'] } }));
    assert.ok(call);
    assert.deepEqual(call.context, { arguments: { amount: { __extn: { fn: 'decimal', arg: '5.0000' } } }, risk: { score: 3 } });
    assert.deepEqual(call.entities, [{ uid: { type: AGENT_TYPE, id: 'support-bot' }, attrs: { stage: 'governed' }, parents: [] }]);
    releaseBundle(bundle);
  });

  it('leaves out entities whose attributes no policy reads, and keeps the action entity for effect groups', () => {
    const bundle = bundleOf('@id("writes") permit(principal, action in Interlock::Action::"write", resource);');
    const [call] = calls(bundle, refund(5));
    assert.ok(call);
    assert.deepEqual(call.context, {});
    assert.deepEqual(call.entities, [
      { uid: { type: 'Interlock::Action', id: 'refunds.create' }, attrs: {}, parents: [{ type: 'Interlock::Action', id: 'write' }] },
    ]);
    releaseBundle(bundle);
  });

  it('reads paths through `.` and `has`, and keeps a record whole when it is used whole', () => {
    const needs = requestNeeds([
      policy(
        'permit(principal, action, resource) when { context has risk.score && context.arguments.amount.lessThan(decimal("1.0")) && principal.stage like "g*" };',
      ),
      policy('forbid(principal, action, resource) when { context.risk.taintedArgs.contains("x") && resource.name == "t" };'),
    ]);
    assert.deepEqual(plain(needs.context), { risk: true, arguments: { amount: true } });
    assert.deepEqual([...(needs.entityAttributes ?? [])].sort(), ['name', 'stage']);

    assert.deepEqual(plain(requestNeeds([policy('permit(principal, action, resource) when { context.arguments == {} };')]).context), {
      arguments: true,
    });
    assert.equal(
      requestNeeds([policy('permit(principal, action, resource) when { (if true then context else context).tenant == "a" };')]).context
        .whole,
      true,
    );
    assert.deepEqual(plain(requestNeeds([policy('permit(principal, action, resource);')]).context), {});
  });

  it('is not fooled by a record literal whose keys look like operators, and gives up to "everything" on unknown shapes', () => {
    const needs = requestNeeds([policy('permit(principal, action, resource) when { {".": context.tenant, "has": 1}["has"] == 1 };')]);
    assert.deepEqual(plain(needs.context), { tenant: true });
    assert.deepEqual([...(needs.entityAttributes ?? [])], ['has']);
    const strange = {
      ...policy('permit(principal, action, resource);'),
      conditions: [{ kind: 'when', body: { mystery: { operand: { Var: 'context' } } } }],
    } as unknown as PolicyJson;
    const everything = requestNeeds([strange]);
    assert.equal(everything.context.whole, true);
    assert.equal(everything.entityAttributes, null);
  });

  it('prunes records without inventing attributes or cutting into Cedar escapes', () => {
    const need: RecordNeed = {
      whole: false,
      attributes: new Map<string, RecordNeed>([
        ['a', { whole: false, attributes: new Map([['x', { whole: true }]]) }],
        ['missing', { whole: true }],
        ['amount', { whole: false, attributes: new Map() }],
      ]),
    };
    const amount = { __extn: { fn: 'decimal', arg: '1.0000' } };
    assert.deepEqual(pruneRecord({ a: { x: 1, y: 2 }, b: 3, amount }, need), { a: { x: 1 }, amount });
  });
});
