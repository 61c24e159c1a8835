/**
 * Policy hot reload on SIGHUP: a broken bundle is refused and the running one stays in force (with
 * a policy.rejected event as evidence); a valid change takes effect on the next call.
 */
import { strict as assert } from 'node:assert';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import {
  copyRefundsExample,
  ensureBuilt,
  LOOKUP,
  mintAgentToken,
  mintOperatorToken,
  postCall,
  removeDirectory,
  startServer,
  type ServerProcess,
} from './interlock-process.js';

before(() => ensureBuilt());

interface AuditEntry {
  readonly seq: number;
  readonly event: { readonly type: string; readonly data: Record<string, unknown> };
}

describe('policy reload on SIGHUP', () => {
  const project = copyRefundsExample('reload');
  let server: ServerProcess;
  let operatorToken: string;
  before(async () => {
    server = await startServer(project);
    operatorToken = await mintOperatorToken(project, 'auditor');
  });
  after(async () => {
    await server.stop('SIGTERM');
    removeDirectory(project);
  });

  /** Waits until an event of `type` newer than `afterSeq` is in the log. */
  async function waitForEvent(type: string, afterSeq: number): Promise<AuditEntry> {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      // Filtered by type only: few such events exist, and the cursor parameter is covered elsewhere.
      const response = await fetch(`${server.url}/v1/audit?type=${type}`, { headers: { authorization: `Bearer ${operatorToken}` } });
      assert.equal(response.status, 200);
      const page = (await response.json()) as { events: AuditEntry[] };
      const found = page.events.find((entry) => entry.seq > afterSeq);
      if (found !== undefined) return found;
      await sleep(50);
    }
    throw new Error(`no ${type} event after seq ${afterSeq}; server stdout:\n${server.stdout()}`);
  }

  async function headSeq(): Promise<number> {
    const response = await fetch(`${server.url}/v1/audit/verify`, { headers: { authorization: `Bearer ${operatorToken}` } });
    const report = (await response.json()) as { head: { seq: number } | null };
    return report.head?.seq ?? 0;
  }

  test('a broken bundle is refused and the old one keeps deciding; a valid change applies after the next SIGHUP', async () => {
    const [globex, support] = await Promise.all([mintAgentToken(project, 'globex-assistant'), mintAgentToken(project, 'support-bot')]);
    const before = await postCall(server.url, globex, { ...LOOKUP });
    assert.equal(before.body.status, 'executed');
    const originalVersion = (before.body['decision'] as { bundleVersion: string }).bundleVersion;

    // 1. A policy with a syntax error: refused, the server keeps running on the old bundle.
    const brokenFile = join(project, 'policies', 'broken.cedar');
    writeFileSync(brokenFile, '@id("half-written")\nforbid (principal, action, resource\n');
    let seq = await headSeq();
    server.child.kill('SIGHUP');
    const rejected = await waitForEvent('policy.rejected', seq);
    assert.match(String(rejected.event.data['report']), /broken\.cedar:2:\d+ \[parse\]/);
    assert.notEqual(rejected.event.data['version'], originalVersion);
    assert.equal(server.child.exitCode, null, 'the server is still running');
    const duringBroken = await postCall(server.url, globex, { ...LOOKUP });
    assert.equal(duringBroken.body.status, 'executed', 'the old bundle still decides');
    assert.equal((duringBroken.body['decision'] as { bundleVersion: string }).bundleVersion, originalVersion);
    assert.match(server.stdout(), /reload refused; the running policy bundle and tool lock stay in force/);

    // 2. A bundle whose own test cases fail is refused too.
    rmSync(brokenFile);
    const failingCases = join(project, 'policies', 'extra.test.yaml');
    writeFileSync(
      failingCases,
      'cases:\n  - name: deleting is fine\n    agent: { id: support-bot, tenant: acme, environment: prod, stage: governed }\n    tool: orders\n    operation: delete\n    arguments: { order_id: o-1 }\n    expect: allow\n',
    );
    seq = await headSeq();
    server.child.kill('SIGHUP');
    const rejectedByTests = await waitForEvent('policy.rejected', seq);
    assert.match(String(rejectedByTests.event.data['report']), /deleting is fine/);
    rmSync(failingCases);

    // 3. A valid change: the Globex assistant loses order lookups; the support bot keeps them.
    writeFileSync(
      join(project, 'policies', 'globex-freeze.cedar'),
      '@id("globex-freeze")\n@reason("Globex access is frozen during the audit")\nforbid (\n  principal == Interlock::Agent::"globex-assistant",\n  action == Interlock::Action::"orders.lookup",\n  resource\n);\n',
    );
    seq = await headSeq();
    server.child.kill('SIGHUP');
    const loaded = await waitForEvent('policy.loaded', seq);
    const newVersion = String(loaded.event.data['version']);
    assert.notEqual(newVersion, originalVersion);
    const frozen = await postCall(server.url, globex, { ...LOOKUP });
    assert.equal(frozen.httpStatus, 403, JSON.stringify(frozen.body));
    assert.equal(frozen.body.error?.code, 'POLICY_DENIED');
    const frozenDecision = frozen.body['decision'] as { bundleVersion: string; policyIds: string[]; reasons: string[] };
    assert.equal(frozenDecision.bundleVersion, newVersion);
    assert.deepEqual(frozenDecision.policyIds, ['globex-freeze']);
    const supportLookup = await postCall(server.url, support, { ...LOOKUP });
    assert.equal(supportLookup.body.status, 'executed');
    assert.equal((supportLookup.body['decision'] as { bundleVersion: string }).bundleVersion, newVersion);
  });
});
