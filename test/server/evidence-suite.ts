/**
 * Evidence through the door: trace stories, paginated audit reads with tenant scoping, and chain
 * verification before and after the database is tampered with behind Interlock's back.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { TraceStory } from '../../src/audit/trace-story.js';
import type { VerificationReport } from '../../src/audit/verify.js';
import type { AuditPage } from '../../src/server/services.js';
import { startProject, type ProjectFixture, type StorageKind } from '../support/project-fixture.js';
import { assertError } from './assertions.js';
import { mainProjectOptions } from './main-project.js';

const lookup = (orderId: string, traceId?: string) => ({
  tool: 'orders',
  operation: 'lookup',
  arguments: { order_id: orderId },
  ...(traceId === undefined ? {} : { traceId }),
});

export function evidenceSuite(storage: StorageKind): void {
  describe(`evidence (${storage})`, () => {
    let project: ProjectFixture;
    let supportBot: string;
    let auditor: string;

    before(async () => {
      project = await startProject(mainProjectOptions(storage, 'evidence'));
      supportBot = await project.mintAgentToken('support-bot');
      auditor = await project.mintOperatorToken('auditor');
    });
    after(async () => {
      await project?.close();
    });

    it('GET /v1/traces/:id tells the calls of a trace in order, with their decisions; other tenants see nothing', async () => {
      const traceId = `trace-${storage}-story`;
      const first = await project.call(lookup('o-1001', traceId), supportBot);
      const second = await project.call(lookup('o-1002', traceId), supportBot);
      const third = await project.call(
        { tool: 'orders', operation: 'delete', arguments: { order_id: 'o-1001' }, traceId, idempotencyKey: `${traceId}-delete` },
        supportBot,
      );
      assert.deepEqual([first.status, second.status, third.status], [200, 200, 403]);

      const answer = await project.request('GET', `/v1/traces/${traceId}`, { token: auditor });
      assert.equal(answer.status, 200, answer.text);
      const story = answer.body as unknown as TraceStory;
      assert.equal(story.traceId, traceId);
      assert.deepEqual(
        story.calls.map((call) => call.callId),
        [first.body.callId, second.body.callId, third.body.callId],
      );
      assert.deepEqual(
        story.calls.map((call) => call.decision?.kind),
        ['allow', 'allow', 'deny'],
      );
      assert.deepEqual(
        story.calls.map((call) => call.status),
        ['executed', 'executed', 'denied'],
      );
      assert.deepEqual(story.calls[2]?.decision?.policyIds, ['no-destructive-actions-in-prod']);
      assert.deepEqual(
        story.calls[0]?.steps.map((step) => step.type),
        ['call.received', 'decision.made', 'tool.executed', 'call.completed'],
      );

      // The agent that made the calls may read its own trace; an agent of another tenant may not learn it exists.
      assert.equal((await project.request('GET', `/v1/traces/${traceId}`, { token: supportBot })).status, 200);
      const globex = await project.mintAgentToken('globex-assistant');
      assertError(await project.request('GET', `/v1/traces/${traceId}`, { token: globex }), 404, 'NOT_FOUND');
      assertError(await project.request('GET', '/v1/traces/no-such-trace', { token: auditor }), 404, 'NOT_FOUND');
      assertError(await project.request('GET', `/v1/traces/${traceId}`), 401, 'AUTH_MISSING');
      assertError(await project.request('GET', '/v1/traces/bad%20id%20%2F', { token: auditor }), 400, 'REQUEST_INVALID');
    });

    it('GET /v1/audit pages by cursor: disjoint, ascending pages and a nextCursor until the end', async () => {
      for (let index = 0; index < 3; index += 1) await project.call(lookup('o-1001'), supportBot);
      const head = await project.auditHeadSeq();
      const seen: number[] = [];
      let after: number | null = null;
      for (let pages = 0; pages < 100; pages += 1) {
        const query: string = after === null ? 'limit=4' : `limit=4&after=${after}`;
        const answer = await project.request('GET', `/v1/audit?${query}`, { token: auditor });
        assert.equal(answer.status, 200, answer.text);
        const page = answer.body as unknown as AuditPage;
        const seqs = page.events.map((event) => event.seq);
        assert.ok(seqs.length <= 4);
        if (after !== null)
          assert.ok(
            seqs.every((seq) => seq > (after ?? 0)),
            `page after ${after} returned ${seqs.join(',')}`,
          );
        for (const event of page.events) assert.equal((event.event as { schemaVersion: number }).schemaVersion, 1);
        seen.push(...seqs);
        if (page.nextCursor === null) break;
        assert.equal(page.nextCursor, seqs[seqs.length - 1]);
        after = page.nextCursor;
      }
      assert.equal(new Set(seen).size, seen.length, 'pages overlap');
      assert.deepEqual(
        seen,
        [...seen].sort((left, right) => left - right),
      );
      assert.deepEqual(
        seen,
        Array.from({ length: head }, (_unused, index) => index + 1),
        'pagination lost or repeated events',
      );

      const filtered = await project.request('GET', '/v1/audit?type=call.completed', { token: auditor });
      const types = (filtered.body as unknown as AuditPage).events.map((event) => (event.event as { type: string }).type);
      assert.ok(types.length > 0 && types.every((type) => type === 'call.completed'));

      // Time windows: an RFC 3339 instant bounds the events; anything else is a bad request, never a 500.
      const future = new Date(Date.now() + 3_600_000).toISOString();
      const none = await project.request('GET', `/v1/audit?since=${encodeURIComponent(future)}`, { token: auditor });
      assert.equal(none.status, 200, none.text);
      assert.equal((none.body as unknown as AuditPage).events.length, 0);
      const past = await project.request('GET', `/v1/audit?since=2000-01-01T00:00:00Z&until=${encodeURIComponent(future)}&limit=2`, {
        token: auditor,
      });
      assert.equal(past.status, 200, past.text);
      assert.equal((past.body as unknown as AuditPage).events.length, 2);
      assertError(await project.request('GET', '/v1/audit?since=yesterday', { token: auditor }), 400, 'REQUEST_INVALID');
      assertError(await project.request('GET', '/v1/audit?since=2026-13-45T99:00:00Z', { token: auditor }), 400, 'REQUEST_INVALID');
      assertError(await project.request('GET', '/v1/audit?limit=0', { token: auditor }), 400, 'REQUEST_INVALID');
      assertError(await project.request('GET', '/v1/audit?limit=5&bogus=1', { token: auditor }), 400, 'REQUEST_INVALID');
    });

    it('an operator scoped to one tenant cannot read another (403 TENANT_MISMATCH) nor verify the whole chain', async () => {
      const acmeAuditor = await project.mintOperatorToken('acme-auditor');
      await project.call(
        { tool: 'orders', operation: 'lookup', arguments: { order_id: 'o-1002' } },
        await project.mintAgentToken('globex-assistant'),
      );
      assertError(await project.request('GET', '/v1/audit?tenant=globex', { token: acmeAuditor }), 403, 'TENANT_MISMATCH');
      const own = await project.request('GET', '/v1/audit', { token: acmeAuditor });
      assert.equal(own.status, 200, own.text);
      const tenants = new Set((own.body as unknown as AuditPage).events.map((event) => (event.event as { tenant: string | null }).tenant));
      assert.ok(!tenants.has('globex'), 'a globex event reached an acme-only operator');
      assertError(await project.request('GET', '/v1/audit/verify', { token: acmeAuditor }), 403, 'FORBIDDEN');
      // An agent reads only its own events.
      assertError(await project.request('GET', '/v1/audit?agent=globex-assistant', { token: supportBot }), 403, 'FORBIDDEN');
    });

    it('GET /v1/audit/verify answers 200 ok on an intact chain', async () => {
      const answer = await project.request('GET', '/v1/audit/verify', { token: auditor });
      assert.equal(answer.status, 200, answer.text);
      const report = answer.body as unknown as VerificationReport;
      assert.equal(report.ok, true);
      assert.deepEqual(report.findings, []);
      assert.equal(report.eventCount, await project.auditHeadSeq());
    });
  });

  describe(`evidence tampering (${storage})`, () => {
    let project: ProjectFixture;
    let auditor: string;
    let supportBot: string;

    before(async () => {
      project = await startProject(mainProjectOptions(storage, 'tamper'));
      supportBot = await project.mintAgentToken('support-bot');
      auditor = await project.mintOperatorToken('auditor');
      for (let index = 0; index < 4; index += 1) {
        const answer = await project.call(lookup(index % 2 === 0 ? 'o-1001' : 'o-1002'), supportBot);
        assert.equal(answer.status, 200, answer.text);
      }
    });
    after(async () => {
      await project?.close();
    });

    it('an edited row is reported as modified at its seq (409); a deleted row as removed', async () => {
      const intact = await project.request('GET', '/v1/audit/verify', { token: auditor });
      assert.equal(intact.status, 200, intact.text);

      const received = (await project.auditEvents({ type: 'call.received' })).filter((event) => event.body.includes('o-1001'));
      const target = received[1];
      assert.ok(target, 'no second call.received with o-1001');
      await project.execute(`UPDATE audit_events SET body = replace(body, 'o-1001', 'o-9999') WHERE seq = ${target.seq}`);
      const modified = await project.request('GET', '/v1/audit/verify', { token: auditor });
      assert.equal(modified.status, 409, modified.text);
      const modifiedReport = modified.body as unknown as VerificationReport;
      assert.equal(modifiedReport.ok, false);
      assert.ok(
        modifiedReport.findings.some((finding) => finding.kind === 'modified' && finding.seq === target.seq),
        `no "modified" finding at seq ${target.seq}: ${modified.text}`,
      );

      const head = await project.auditHeadSeq();
      const middle = Math.floor(head / 2) === target.seq ? Math.floor(head / 2) + 1 : Math.floor(head / 2);
      await project.execute(`DELETE FROM audit_events WHERE seq = ${middle}`);
      const removed = await project.request('GET', '/v1/audit/verify', { token: auditor });
      assert.equal(removed.status, 409, removed.text);
      const removedReport = removed.body as unknown as VerificationReport;
      assert.ok(
        removedReport.findings.some((finding) => finding.kind === 'removed' && finding.seq === middle),
        `no "removed" finding at seq ${middle}: ${removed.text}`,
      );
      assert.ok(
        removedReport.findings.some((finding) => finding.kind === 'modified' && finding.seq === target.seq),
        'the earlier modification is no longer reported',
      );

      // Tampered evidence is reported, not fatal: the door keeps governing calls.
      assert.equal((await project.call(lookup('o-1001'), supportBot)).status, 200);
    });
  });
}
