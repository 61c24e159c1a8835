import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { statefulIsAuthorized, type AuthorizationAnswer } from '@cedar-policy/cedar-wasm/nodejs';
import { compileBundle, releaseBundle } from '../../src/policy/bundle.js';
import { formatBundleReport } from '../../src/policy/bundle-report.js';
import type { PolicyBundle } from '../../src/policy/compiled-bundle.js';
import { decideWithBundle } from '../../src/policy/decide.js';
import type { Decision } from '../../src/policy/decision.js';
import { PolicyEngine } from '../../src/policy/engine.js';
import type { CedarAuthorizer } from '../../src/policy/evaluate-side.js';
import { supportRegistry } from './fixture-registry.js';
import { alice, bob, refund, request, supportFiles, writeBundle } from './helpers.js';
import { assertAgreesWithReference, referenceDecision } from './reference.js';

async function supportEngine(options: ConstructorParameters<typeof PolicyEngine>[1] = {}): Promise<PolicyEngine> {
  const engine = new PolicyEngine(supportRegistry(), options);
  const result = await engine.loadDirectory(writeBundle(supportFiles()));
  assert.ok(result.ok, result.ok ? '' : formatBundleReport(result.report));
  return engine;
}

function bundleOf(policies: string): PolicyBundle {
  const result = compileBundle([{ path: 'policies.cedar', content: policies }], supportRegistry());
  assert.ok(result.ok, result.ok ? '' : formatBundleReport(result.report));
  return result.bundle;
}

function assertCleanDecision(decision: Decision, kind: Decision['kind']): void {
  assert.equal(decision.kind, kind, decision.reasons.join('; '));
  assert.deepEqual(decision.errors, []);
}

describe('policy engine decisions', () => {
  it('denies everything before any bundle is loaded, with the reason in errors', () => {
    const decision = new PolicyEngine(supportRegistry()).decide(request());
    assert.equal(decision.kind, 'deny');
    assert.equal(decision.bundleVersion, 'none');
    assert.deepEqual(decision.errors, ['no policy bundle is loaded']);
  });

  it('allows with the determining policy, its reason and the bundle version', async () => {
    const engine = await supportEngine();
    const decision = engine.decide(request());
    assertCleanDecision(decision, 'allow');
    assert.deepEqual(decision.policyIds, ['agents-read']);
    assert.deepEqual(decision.reasons, ['agents may read']);
    assert.equal(decision.bundleVersion, engine.version);
    assert.deepEqual(decision.obligations, { approval: null, redactFields: [], readOnly: false });
  });

  it("lets forbid win over a satisfied permit, with the forbid's reason", async () => {
    const engine = await supportEngine();
    const decision = engine.decide(refund(5, { risk: { score: 10, taintedArgs: ['order_id'] } }));
    assertCleanDecision(decision, 'deny');
    assert.deepEqual(decision.policyIds, ['no-tainted-writes']);
    assert.deepEqual(decision.reasons, ['untrusted content must not flow into a write']);
    assert.deepEqual(decision.obligations, { approval: null, redactFields: [], readOnly: false });

    const both = engine.decide(refund(5, { risk: { score: 95, taintedArgs: ['order_id'] } }));
    assert.deepEqual([...both.policyIds].sort(), ['no-tainted-writes', 'risk-ceiling']);
  });

  it('denies when no policy permits, naming the agent and the operation', async () => {
    const decision = (await supportEngine()).decide(
      request({ tool: 'email', operation: 'send', effect: 'write', arguments: { to: ['a@example.com'], body: 'hi' } }),
    );
    assertCleanDecision(decision, 'deny');
    assert.deepEqual(decision.reasons, ['no policy permits agent support-bot to email.send']);
    assert.deepEqual(decision.policyIds, []);
  });

  it('requires approval with the approver role and quorum from the determining permit', async () => {
    const decision = (await supportEngine()).decide(refund(250));
    assertCleanDecision(decision, 'require_approval');
    assert.deepEqual(decision.obligations.approval, { role: 'finance-approver', quorum: 2 });
    assert.deepEqual(decision.policyIds, ['refunds-large-approval']);
    assert.ok(decision.reasons.includes('refunds above 100 need a finance approver'));
    assert.ok(decision.reasons.includes('approval by finance-approver required by policy refunds-large-approval'));
  });

  it('requires approval when any determining permit asks for it, defaulting the quorum to one', () => {
    const bundle = bundleOf(`
      @id("plain") permit(principal, action == Interlock::Action::"refunds.create", resource);
      @id("approve") @approval("team-lead") permit(principal, action in Interlock::Action::"write", resource);
      @id("approve-more") @approval("finance") @quorum("3") permit(principal, action == Interlock::Action::"refunds.create", resource) when { context.arguments.amount.greaterThan(decimal("1000.0")) };
    `);
    const small = decideWithBundle(bundle, refund(10));
    assertCleanDecision(small, 'require_approval');
    assert.deepEqual([...small.policyIds].sort(), ['approve', 'plain']);
    assert.deepEqual(small.obligations.approval, { role: 'team-lead', quorum: 1 });
    // Two approvals asked for: the higher quorum is the one carried.
    assert.deepEqual(decideWithBundle(bundle, refund(5000)).obligations.approval, { role: 'finance', quorum: 3 });
    releaseBundle(bundle);
  });

  it('an escalation permit adds its approval to what other permits grant, and grants nothing alone', () => {
    const bundle = bundleOf(`
      @id("small-refunds") permit(principal, action == Interlock::Action::"refunds.create", resource) when { context.arguments.amount.lessThan(decimal("100.0")) };
      @id("tainted-writes-need-review") @escalation("true") @approval("security-reviewer") permit(principal, action in Interlock::Action::"write", resource) when { context.risk.tainted };
    `);
    assertCleanDecision(decideWithBundle(bundle, refund(10)), 'allow');
    const tainted = decideWithBundle(bundle, refund(10, { risk: { score: 80, taintedArgs: ['order_id'], taintSources: ['email:m-1'] } }));
    assertCleanDecision(tainted, 'require_approval');
    assert.deepEqual(tainted.obligations.approval, { role: 'security-reviewer', quorum: 1 });
    // Not permitted on its own merits: the escalation does not turn a refusal into an approval request.
    const large = decideWithBundle(bundle, refund(5000, { risk: { score: 80, taintedArgs: ['order_id'] } }));
    assertCleanDecision(large, 'deny');
    assert.deepEqual(large.policyIds, []);
    releaseBundle(bundle);
  });

  it('carries redact and read-only obligations, as a union over determining permits', async () => {
    const engine = await supportEngine();
    const decision = engine.decide(request({ tool: 'customers', operation: 'export', arguments: { segment: 'vip' }, entities: [] }));
    assertCleanDecision(decision, 'allow');
    assert.deepEqual([...decision.policyIds].sort(), ['agents-read', 'customers-export-redacted']);
    assert.deepEqual(decision.obligations, { approval: null, redactFields: ['email', 'phone'], readOnly: true });

    const bundle = bundleOf(`
      @redact("card.number,email") permit(principal, action in Interlock::Action::"read", resource);
      @redact("email, phone") @read_only("false") permit(principal, action == Interlock::Action::"customers.export", resource);
    `);
    const union = decideWithBundle(bundle, request({ tool: 'customers', operation: 'export', arguments: { segment: 'vip' } }));
    assert.deepEqual(union.obligations, { approval: null, redactFields: ['card.number', 'email', 'phone'], readOnly: false });
    releaseBundle(bundle);
  });

  it('exposes principal attributes, environment, tenant and entity count to policy', () => {
    const bundle = bundleOf(`
      permit(principal is Interlock::Agent, action == Interlock::Action::"orders.lookup", resource == Interlock::Tool::"orders")
      when { principal.stage == "governed" && principal.owner == "support-team" && context.environment == "prod" && context.tenant == principal.tenant && context.entityCount == 1 && !context.actingForUser && resource.name == "orders" };
    `);
    assertCleanDecision(decideWithBundle(bundle, request()), 'allow');
    assertCleanDecision(decideWithBundle(bundle, request({ environment: 'staging' })), 'deny');
    assertCleanDecision(decideWithBundle(bundle, request({ entities: [] })), 'deny');
    assertCleanDecision(decideWithBundle(bundle, request({ agent: { ...request().agent, stage: 'pilot' } })), 'deny');
    releaseBundle(bundle);
  });
});

describe('delegation', () => {
  it('denies when the agent is allowed but the user is not, saying which side denied', async () => {
    const decision = (await supportEngine()).decide(refund(5, { actingFor: alice }));
    assertCleanDecision(decision, 'deny');
    assert.deepEqual(decision.reasons, ['user side: no policy permits user alice to refunds.create']);
    assert.deepEqual(decision.policyIds, []);
  });

  it('allows when both the agent and the user are permitted, prefixing user-side policy ids', async () => {
    const decision = (await supportEngine()).decide(refund(5, { actingFor: bob }));
    assertCleanDecision(decision, 'allow');
    assert.deepEqual(decision.policyIds, ['refunds-small', 'user:users-refund']);
    assert.deepEqual(decision.reasons, [
      'agent side: refunds up to 100 may be issued by governed agents',
      'user side: permitted by policy users-refund',
    ]);
  });

  it('denies when the user is allowed but the agent is not', async () => {
    const decision = (await supportEngine()).decide(refund(5, { actingFor: bob, agent: { ...request().agent, stage: 'pilot' } }));
    assertCleanDecision(decision, 'deny');
    assert.deepEqual(decision.reasons, ['agent side: no policy permits agent support-bot to refunds.create']);
  });

  it('requires approval when either side requires it, and reports user-side forbids with their prefix', () => {
    const bundle = bundleOf(`
      @id("agents") permit(principal is Interlock::Agent, action, resource);
      @id("users") @approval("manager") permit(principal is Interlock::User, action, resource);
      @id("interns") @reason("interns may not delete") forbid(principal is Interlock::User, action in Interlock::Action::"destructive", resource) when { principal.roles.contains("intern") };
    `);
    const approval = decideWithBundle(bundle, refund(5, { actingFor: alice }));
    assertCleanDecision(approval, 'require_approval');
    assert.deepEqual(approval.obligations.approval, { role: 'manager', quorum: 1 });
    assert.deepEqual(approval.policyIds, ['agents', 'user:users']);
    const intern = { ...alice, roles: ['intern'] };
    const denied = decideWithBundle(
      bundle,
      request({ tool: 'accounts', operation: 'delete', effect: 'destructive', arguments: { account_id: 'a-1' }, actingFor: intern }),
    );
    assertCleanDecision(denied, 'deny');
    assert.deepEqual(denied.policyIds, ['user:interns']);
    assert.deepEqual(denied.reasons, ['user side: interns may not delete']);
    releaseBundle(bundle);
  });
});

describe('failing closed', () => {
  it('denies with errors when a policy hits a real Cedar evaluation error, even if another permit is satisfied', () => {
    const bundle = bundleOf(`
      @id("everyone") permit(principal, action, resource);
      @id("overflow") forbid(principal, action, resource) when { context.risk.score * 4611686018427387904 > 100 };
    `);
    assertCleanDecision(decideWithBundle(bundle, request({ risk: { score: 0, taintedArgs: [] } })), 'allow');
    const decision = decideWithBundle(bundle, request({ risk: { score: 2, taintedArgs: [] } }));
    assert.equal(decision.kind, 'deny');
    assert.deepEqual(decision.policyIds, ['overflow']);
    assert.deepEqual(decision.reasons, ['policy evaluation failed; denied (fail closed)']);
    assert.match(decision.errors[0] ?? '', /^policy overflow: .*overflow/);
    assert.deepEqual(decision.obligations, { approval: null, redactFields: [], readOnly: false });
    releaseBundle(bundle);
  });

  it('denies with errors when an argument Cedar cannot represent is present', async () => {
    const decision = (await supportEngine()).decide(refund(0.00001));
    assert.equal(decision.kind, 'deny');
    assert.ok(
      decision.errors.some((error) => /argument "amount" cannot be represented/.test(error)),
      decision.errors.join('; '),
    );
    // Out of range for Cedar: refused too, so a `has`-guarded forbid can never be skipped.
    assert.equal((await supportEngine()).decide(refund(1e300)).kind, 'deny');
  });

  it('prefixes errors and ids from the user side of a delegation', () => {
    const bundle = bundleOf(`
      @id("everyone") permit(principal, action, resource);
      @id("user-check") forbid(principal is Interlock::User, action, resource) when { context.entityCount * 4611686018427387904 > 1 };
    `);
    const decision = decideWithBundle(bundle, request({ actingFor: alice, entities: ['order:a', 'order:b'] }));
    assert.equal(decision.kind, 'deny');
    assert.deepEqual(decision.policyIds, ['user:user-check']);
    assert.match(decision.errors[0] ?? '', /^user side: policy user-check:/);
    releaseBundle(bundle);
  });

  const failures: Array<[string, CedarAuthorizer, RegExp]> = [
    [
      'Cedar throws',
      () => {
        throw new Error('wasm trap: unreachable');
      },
      /policy evaluation failed: wasm trap: unreachable/,
    ],
    [
      'Cedar reports a failure',
      () => ({ type: 'failure', errors: [{ message: 'boom', help: null, code: null, url: null, severity: null }], warnings: [] }),
      /Cedar: boom/,
    ],
    ['Cedar answers nothing', () => undefined as unknown as AuthorizationAnswer, /Cedar returned no answer/],
    [
      'Cedar answers an unknown decision',
      () => ({ type: 'success', response: { decision: 'maybe' as 'allow', diagnostics: { reason: [], errors: [] } }, warnings: [] }),
      /unknown decision "maybe"/,
    ],
    [
      'Cedar cites a policy the bundle lacks',
      () => ({ type: 'success', response: { decision: 'allow', diagnostics: { reason: ['ghost'], errors: [] } }, warnings: [] }),
      /unknown policy "ghost"/,
    ],
    [
      'Cedar allows citing a forbid',
      () => ({ type: 'success', response: { decision: 'allow', diagnostics: { reason: ['no-destructive'], errors: [] } }, warnings: [] }),
      /decided allow citing forbid policy no-destructive/,
    ],
    [
      'Cedar allows citing nothing',
      () => ({ type: 'success', response: { decision: 'allow', diagnostics: { reason: [], errors: [] } }, warnings: [] }),
      /allowed without citing a permit policy/,
    ],
    [
      'Cedar answers without diagnostics',
      () => ({ type: 'success', response: { decision: 'allow' }, warnings: [] }) as unknown as AuthorizationAnswer,
      /without diagnostics/,
    ],
  ];
  for (const [label, authorize, expected] of failures) {
    it(`denies with errors when ${label}`, async () => {
      // Load with real Cedar, then break the authorizer: the swap is what a failing engine looks like mid-flight.
      let broken = false;
      const engine = await supportEngine({ authorize: (call) => (broken ? authorize(call) : statefulIsAuthorized(call)) });
      broken = true;
      let decision: Decision | undefined;
      assert.doesNotThrow(() => {
        decision = engine.decide(request());
      });
      assert.equal(decision?.kind, 'deny');
      assert.match(decision?.errors.join('; ') ?? '', expected);
      assert.equal(decision?.bundleVersion, engine.version);
    });
  }

  it('denies with errors for an operation the bundle was not compiled against, or a mismatched effect', async () => {
    const engine = await supportEngine();
    assert.match(engine.decide(request({ tool: 'orders', operation: 'cancel' })).errors[0] ?? '', /orders\.cancel is not in the registry/);
    assert.match(engine.decide(request({ tool: '__proto__', operation: 'x' })).errors[0] ?? '', /not in the registry/);
    assert.match(engine.decide(request({ effect: 'write' })).errors[0] ?? '', /declared read but the request says write/);
  });

  it('denies with errors for a risk score that is not a number', async () => {
    const decision = (await supportEngine()).decide(request({ risk: { score: Number.NaN, taintedArgs: [] } }));
    assert.equal(decision.kind, 'deny');
    assert.deepEqual(decision.errors, ['risk score is not a finite number']);
  });

  it('denies with errors when deciding with a retired bundle', () => {
    const bundle = bundleOf('permit(principal, action, resource);');
    assertCleanDecision(decideWithBundle(bundle, request()), 'allow');
    releaseBundle(bundle);
    const decision = decideWithBundle(bundle, request());
    assert.equal(decision.kind, 'deny');
    assert.match(decision.errors[0] ?? '', /was retired/);
  });
});

describe('bundle swaps', () => {
  it('keeps the previous bundle deciding when a new one fails its tests, and swaps on success', async () => {
    const engine = await supportEngine();
    const firstVersion = engine.version;
    assertCleanDecision(engine.decide(refund(50)), 'allow');

    const stricter = supportFiles().map((file) =>
      file.path === 'agents.cedar' ? { ...file, content: file.content.replace('decimal("100.0")', 'decimal("10.0")') } : file,
    );
    const refused = await engine.loadDirectory(writeBundle(stricter));
    assert.equal(refused.ok, false);
    assert.equal(engine.version, firstVersion);
    assertCleanDecision(engine.decide(refund(50)), 'allow');
    assert.equal(engine.decide(refund(50)).bundleVersion, firstVersion);

    const invalid = engine.loadFiles([
      { path: 'x.cedar', content: 'permit(principal, action == Interlock::Action::"nope.nope", resource);' },
    ]);
    assert.equal(invalid.ok, false);
    assertCleanDecision(engine.decide(refund(50)), 'allow');

    const replacement = engine.loadFiles([
      { path: 'reads.cedar', content: '@id("reads-only") permit(principal, action in Interlock::Action::"read", resource);' },
    ]);
    assert.ok(replacement.ok);
    assert.notEqual(engine.version, firstVersion);
    assertCleanDecision(engine.decide(refund(50)), 'deny');
    const lookup = engine.decide(request());
    assertCleanDecision(lookup, 'allow');
    assert.deepEqual(lookup.policyIds, ['reads-only']);
    assert.equal(lookup.bundleVersion, replacement.bundle.version);
  });
});

describe('slicing by action', () => {
  it('hands Cedar only the policies whose action scope can match the operation', () => {
    const bundle = bundleOf(`
      @id("lookup") permit(principal, action == Interlock::Action::"orders.lookup", resource);
      @id("writes") permit(principal, action in Interlock::Action::"write", resource);
      @id("listed") permit(principal, action in [Interlock::Action::"email.send", Interlock::Action::"destructive"], resource);
      @id("any") forbid(principal, action, resource) when { context.risk.score > 90 };
    `);
    const slice = (name: string): readonly string[] => bundle.slices.get(name)?.policyIds ?? [];
    assert.deepEqual(slice('orders.lookup'), ['lookup', 'any']);
    assert.deepEqual(slice('customers.export'), ['any']);
    assert.deepEqual(slice('refunds.create'), ['writes', 'any']);
    assert.deepEqual(slice('email.send'), ['writes', 'listed', 'any']);
    assert.deepEqual(slice('accounts.delete'), ['listed', 'any']);
    releaseBundle(bundle);
  });

  it('never lets a policy for another action determine, and applies a group policy to every operation in the group', () => {
    const bundle = bundleOf(`
      @id("lookup-only") permit(principal, action == Interlock::Action::"orders.lookup", resource);
      @id("all-writes") @reason("writes are fine") permit(principal, action in Interlock::Action::"write", resource);
      @id("deletes") forbid(principal, action == Interlock::Action::"accounts.delete", resource);
    `);
    const lookup = decideWithBundle(bundle, request());
    assert.deepEqual(lookup.policyIds, ['lookup-only']);
    const exportDecision = decideWithBundle(bundle, request({ tool: 'customers', operation: 'export', arguments: { segment: 'x' } }));
    assertCleanDecision(exportDecision, 'deny');
    assert.deepEqual(exportDecision.reasons, ['no policy permits agent support-bot to customers.export']);
    for (const write of [refund(1), request({ tool: 'email', operation: 'send', effect: 'write', arguments: { to: [], body: '' } })]) {
      const decision = decideWithBundle(bundle, write);
      assertCleanDecision(decision, 'allow');
      assert.deepEqual(decision.policyIds, ['all-writes']);
    }
    const destructive = decideWithBundle(
      bundle,
      request({ tool: 'accounts', operation: 'delete', effect: 'destructive', arguments: { account_id: 'a' } }),
    );
    assert.deepEqual(destructive.policyIds, ['deletes']);
    releaseBundle(bundle);
  });

  it('agrees with evaluating the whole policy set unsliced', () => {
    const policies = supportFiles()
      .filter((file) => file.path.endsWith('.cedar'))
      .map((file) => file.content)
      .join('\n');
    const bundle = bundleOf(policies);
    const requests = [
      request(),
      refund(5),
      refund(500),
      refund(5, { risk: { score: 99, taintedArgs: [] } }),
      refund(5, { actingFor: alice }),
      refund(500, { actingFor: bob }),
      request({ tool: 'customers', operation: 'export', arguments: { segment: 'x' } }),
    ];
    for (const [index, candidate] of requests.entries()) {
      assertAgreesWithReference(decideWithBundle(bundle, candidate), referenceDecision(bundle, candidate), `request ${index}`);
    }
    releaseBundle(bundle);
  });
});
