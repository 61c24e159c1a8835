/**
 * POST /v1/calls through the real server: decisions, acting for users, request shape, tokens,
 * revocation and fail-closed policy errors. Every refusal also proves what did not happen: the
 * handler never ran and no `tool.executed` event exists for the call.
 */
import { strict as assert } from 'node:assert';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { revokeAgent } from '../../src/identity/revocation.js';
import { TokenIssuer } from '../../src/identity/token-issuer.js';
import { startProject, untrustedEd25519Key, type ProjectFixture, type StorageKind } from '../support/project-fixture.js';
import { assertError, assertPrototypeClean, assertRefusedOnly, callEventTypes, eventData } from './assertions.js';
import { BODY_LIMIT_BYTES, mainProjectOptions } from './main-project.js';

const LOOKUP = { tool: 'orders', operation: 'lookup', arguments: { order_id: 'o-1001' } } as const;
const SMALL_REFUND = {
  tool: 'refunds',
  operation: 'create',
  arguments: { order_id: 'o-1001', amount_cents: 2500, reason: 'damaged item' },
} as const;

/** A fresh idempotency key, as a real caller sends with every write it means to make once. */
const newKey = (): string => `key-${randomUUID()}`;

export function callsSuite(storage: StorageKind): void {
  describe(`POST /v1/calls (${storage})`, () => {
    let project: ProjectFixture;
    let supportBot: string;
    let alice: string;

    before(async () => {
      project = await startProject(mainProjectOptions(storage, 'calls'));
      supportBot = await project.mintAgentToken('support-bot');
      alice = await project.userAssertion({ user: 'alice', tenant: 'acme', roles: ['support'] });
    });
    after(async () => {
      await project?.close();
    });

    describe(`decisions (${storage})`, () => {
      it('allow: runs the handler, redacts per obligation, returns the decision and records the four steps in order', async () => {
        const before = project.invocations('orders.lookup');
        const answer = await project.call(LOOKUP, supportBot);
        assert.equal(answer.status, 200, answer.text);
        assert.equal(answer.body.status, 'executed');
        assert.equal(project.invocations('orders.lookup'), before + 1);
        const result = answer.body.result as { found: boolean; order_id: string; customer: Record<string, string> };
        assert.equal(result.found, true);
        assert.equal(result.order_id, 'o-1001');
        assert.equal(result.customer['phone'], '[REDACTED]');
        assert.equal(result.customer['name'], 'Dana Reyes');
        const decision = answer.body.decision;
        assert.ok(decision);
        assert.equal(decision.kind, 'allow');
        assert.deepEqual(decision.policyIds, ['support-bot-reads-orders']);
        assert.match(decision.bundleVersion, /^sha256:[0-9a-f]{64}$/);
        assert.deepEqual(decision.obligations.redactFields, ['customer.phone']);
        assert.ok(decision.reasons.length > 0);

        const callId = answer.body.callId;
        assert.ok(typeof callId === 'string');
        const events = await project.auditEvents({ callId });
        assert.deepEqual(
          events.map((event) => event.type),
          ['call.received', 'decision.made', 'tool.executed', 'call.completed'],
        );
        const seqs = events.map((event) => event.seq);
        assert.deepEqual(
          seqs,
          [...seqs].sort((left, right) => left - right),
        );
        assert.equal(events[3]?.id, answer.body.auditEventId);
        const executed = eventData(events[2]!) as { result: { customer: Record<string, string> } };
        assert.equal(executed.result.customer['phone'], '[REDACTED]', 'the unredacted phone number reached the audit log');
        assert.ok(!events.some((event) => event.body.includes('+1 415 555 0100')), 'phone number stored in the audit log');
        assert.equal(eventData(events[3]!)['status'], 'executed');
      });

      it('deny: 403 POLICY_DENIED names the forbidding policy; the handler never runs', async () => {
        const answer = await project.call(
          { tool: 'orders', operation: 'delete', arguments: { order_id: 'o-1001' }, idempotencyKey: newKey() },
          supportBot,
        );
        assertError(answer, 403, 'POLICY_DENIED');
        assert.equal(answer.body.decision?.kind, 'deny');
        assert.deepEqual(answer.body.decision?.policyIds, ['no-destructive-actions-in-prod']);
        assert.equal(project.invocations('orders.delete'), 0);
        assert.deepEqual(await callEventTypes(project, answer.body.callId ?? ''), ['call.received', 'decision.made', 'call.completed']);
        // The order is still there.
        const lookup = await project.call(LOOKUP, supportBot);
        assert.equal((lookup.body.result as { found: boolean }).found, true);
      });

      it('require_approval: 202 APPROVAL_REQUIRED with the approver role; the refund is not issued', async () => {
        const answer = await project.call(
          { ...SMALL_REFUND, arguments: { ...SMALL_REFUND.arguments, amount_cents: 12000 }, actingFor: alice, idempotencyKey: newKey() },
          supportBot,
        );
        const error = assertError(answer, 202, 'APPROVAL_REQUIRED');
        assert.equal(error.details?.['approverRole'], 'finance-approver');
        assert.equal(error.details?.['quorum'], 1);
        assert.equal(answer.body.decision?.kind, 'require_approval');
        assert.equal(project.invocations('refunds.create'), 0);
        // A durable approval request is opened, and the answer says where to follow it.
        const approval = answer.body['approval'] as { id: string; status: string; approverRole: string } | undefined;
        assert.ok(approval, answer.text);
        assert.equal(approval.status, 'pending');
        assert.equal(approval.approverRole, 'finance-approver');
        assert.equal(answer.headers.get('location'), `/v1/approvals/${approval.id}`);
        assert.deepEqual(await callEventTypes(project, answer.body.callId ?? ''), [
          'call.received',
          'decision.made',
          'approval.requested',
          'call.completed',
        ]);
      });

      it('a refund with no user behind it is denied', async () => {
        const answer = await project.call({ ...SMALL_REFUND, idempotencyKey: newKey() }, supportBot);
        assertError(answer, 403, 'POLICY_DENIED');
        assert.ok(answer.body.decision?.policyIds.includes('refunds-only-for-a-user'));
        assert.equal(project.invocations('refunds.create'), 0);
      });
    });

    describe(`acting for a user (${storage})`, () => {
      it('a small refund for a support user is issued, and the audit names the verified user', async () => {
        const before = project.invocations('refunds.create');
        const answer = await project.call({ ...SMALL_REFUND, actingFor: alice, idempotencyKey: newKey() }, supportBot);
        assert.equal(answer.status, 200, answer.text);
        assert.equal((answer.body.result as { status: string }).status, 'issued');
        assert.equal(project.invocations('refunds.create'), before + 1);
        assert.ok(answer.body.decision?.policyIds.includes('user:support-staff-refund'));
        const received = (await project.auditEvents({ callId: answer.body.callId ?? '', type: 'call.received' }))[0];
        assert.ok(received);
        assert.deepEqual(eventData(received)['actingFor'], { userId: 'alice', issuer: 'demo-sso' });
        assert.ok(!received.body.includes(alice), 'the raw assertion was stored');
      });

      it('the same refund for a user without the support role is denied: the agent cannot exceed its user', async () => {
        const before = project.invocations('refunds.create');
        const bob = await project.userAssertion({ user: 'bob', tenant: 'acme', roles: ['marketing'] });
        const answer = await project.call({ ...SMALL_REFUND, actingFor: bob, idempotencyKey: newKey() }, supportBot);
        assertError(answer, 403, 'POLICY_DENIED');
        assert.ok(
          answer.body.decision?.reasons.some((reason) => reason.startsWith('user side:')),
          JSON.stringify(answer.body.decision),
        );
        assert.equal(project.invocations('refunds.create'), before);
      });

      it('an assertion signed by an untrusted key is 401 USER_ASSERTION_INVALID', async () => {
        const before = project.invocations('refunds.create');
        const forged = await project.userAssertion({ user: 'alice', tenant: 'acme', roles: ['support'], key: untrustedEd25519Key() });
        const answer = await project.call({ ...SMALL_REFUND, actingFor: forged }, supportBot);
        assertError(answer, 401, 'USER_ASSERTION_INVALID');
        assert.equal(project.invocations('refunds.create'), before);
        await assertRefusedOnly(project, answer, 'USER_ASSERTION_INVALID');
      });

      it('an assertion for a user of tenant globex presented by an acme agent is 403 TENANT_MISMATCH', async () => {
        const before = project.invocations('refunds.create');
        const globexUser = await project.userAssertion({ user: 'gina', tenant: 'globex', roles: ['support'] });
        const answer = await project.call({ ...SMALL_REFUND, actingFor: globexUser }, supportBot);
        assertError(answer, 403, 'TENANT_MISMATCH');
        assert.equal(project.invocations('refunds.create'), before);
        await assertRefusedOnly(project, answer, 'TENANT_MISMATCH');
      });

      it('an expired assertion is 401 USER_ASSERTION_INVALID', async () => {
        const before = project.invocations('refunds.create');
        const expired = await project.userAssertion({
          user: 'alice',
          tenant: 'acme',
          roles: ['support'],
          issuedAtOffset: -900,
          expiresAtOffset: -600,
        });
        const answer = await project.call({ ...SMALL_REFUND, actingFor: expired }, supportBot);
        const error = assertError(answer, 401, 'USER_ASSERTION_INVALID');
        assert.match(error.message, /expired/);
        assert.equal(project.invocations('refunds.create'), before);
      });

      it('an actingFor that is not a JWT is 401 USER_ASSERTION_INVALID', async () => {
        for (const actingFor of ['alice', 'a.b.c', `${alice}tampered`]) {
          assertError(await project.call({ ...SMALL_REFUND, actingFor }, supportBot), 401, 'USER_ASSERTION_INVALID');
        }
      });

      it('an assertion bound to another agent (azp) is refused', async () => {
        const bound = await project.userAssertion({ user: 'alice', tenant: 'acme', roles: ['support'], agent: 'revocable-one' });
        const answer = await project.call({ ...SMALL_REFUND, actingFor: bound }, supportBot);
        assertError(answer, 401, 'USER_ASSERTION_INVALID');
      });
    });

    describe(`request shape (${storage})`, () => {
      /** Framework-level refusals happen before the kernel: nothing at all is written. */
      async function assertNothingWritten(headBefore: number): Promise<void> {
        assert.equal(await project.auditHeadSeq(), headBefore, 'a refused request wrote audit events');
      }

      it('malformed JSON is 400 BODY_MALFORMED', async () => {
        const head = await project.auditHeadSeq();
        for (const rawBody of ['{"tool": "orders",', '{tool: orders}', '', 'null garbage']) {
          const answer = await project.request('POST', '/v1/calls', { token: supportBot, rawBody });
          assertError(answer, 400, 'BODY_MALFORMED');
        }
        await assertNothingWritten(head);
      });

      it('a body over server.bodyLimitBytes is 413 BODY_TOO_LARGE', async () => {
        const head = await project.auditHeadSeq();
        const answer = await project.call(
          { ...LOOKUP, arguments: { order_id: 'o-1001', padding: 'x'.repeat(BODY_LIMIT_BYTES * 2) } },
          supportBot,
        );
        assertError(answer, 413, 'BODY_TOO_LARGE');
        await assertNothingWritten(head);
      });

      it('wrong types, missing and unknown fields are 400 REQUEST_INVALID', async () => {
        const head = await project.auditHeadSeq();
        const bodies: unknown[] = [
          { ...LOOKUP, tool: 42 },
          { ...LOOKUP, arguments: ['o-1001'] },
          { ...LOOKUP, arguments: 'o-1001' },
          { tool: 'orders', operation: 'lookup' },
          { ...LOOKUP, sneaky: true },
          { ...LOOKUP, schemaVersion: '1' },
          { ...LOOKUP, tool: '' },
          [LOOKUP],
          'just a string',
        ];
        for (const body of bodies) {
          const answer = await project.call(body, supportBot);
          assertError(answer, 400, 'REQUEST_INVALID');
        }
        await assertNothingWritten(head);
        assert.equal(project.invocations('orders.lookup') >= 0, true);
      });

      it('schemaVersion 2 is 400 SCHEMA_VERSION_UNSUPPORTED', async () => {
        const head = await project.auditHeadSeq();
        const lookups = project.invocations('orders.lookup');
        const answer = await project.call({ ...LOOKUP, schemaVersion: 2 }, supportBot);
        assertError(answer, 400, 'SCHEMA_VERSION_UNSUPPORTED');
        assert.equal(project.invocations('orders.lookup'), lookups);
        await assertNothingWritten(head);
      });

      it('a body that is not application/json is refused with REQUEST_INVALID', async () => {
        const head = await project.auditHeadSeq();
        const lookups = project.invocations('orders.lookup');
        const answer = await project.request('POST', '/v1/calls', {
          token: supportBot,
          rawBody: JSON.stringify(LOOKUP),
          headers: { 'content-type': 'text/plain' },
        });
        assertError(answer, 400, 'REQUEST_INVALID');
        assert.equal(project.invocations('orders.lookup'), lookups);
        await assertNothingWritten(head);
      });

      it('prototype-pollution payloads are 400 and pollute nothing', async () => {
        const head = await project.auditHeadSeq();
        const lookups = project.invocations('orders.lookup');
        const payloads = [
          '{"tool":"orders","operation":"lookup","arguments":{"order_id":"o-1001"},"__proto__":{"pollutedTop":true}}',
          '{"tool":"orders","operation":"lookup","arguments":{"order_id":"o-1001","__proto__":{"pollutedNested":true}}}',
          '{"tool":"orders","operation":"lookup","arguments":{"order_id":"o-1001","constructor":{"prototype":{"pollutedConstructor":true}}}}',
        ];
        for (const rawBody of payloads) {
          const answer = await project.request('POST', '/v1/calls', { token: supportBot, rawBody });
          assert.equal(answer.status, 400, answer.text);
          assert.equal(answer.body.error?.code, 'BODY_MALFORMED');
        }
        assertPrototypeClean('pollutedTop', 'pollutedNested', 'pollutedConstructor');
        assert.equal(project.invocations('orders.lookup'), lookups);
        await assertNothingWritten(head);
      });

      it('arguments failing the operation schema are 422 ARGUMENTS_INVALID; policy is not consulted and nothing runs', async () => {
        const before = project.invocations('refunds.create');
        const invalid = [
          { order_id: 'o-1001', amount_cents: '2500', reason: 'damaged item' },
          { order_id: 'o-1001', amount_cents: 2500, reason: 'damaged item', bonus: 1 },
          { order_id: 'not-an-order', amount_cents: 2500, reason: 'damaged item' },
          { order_id: 'o-1001', amount_cents: 2500.5, reason: 'damaged item' },
          { order_id: 'o-1001', reason: 'damaged item' },
        ];
        for (const args of invalid) {
          const answer = await project.call({ ...SMALL_REFUND, arguments: args, actingFor: alice }, supportBot);
          const error = assertError(answer, 422, 'ARGUMENTS_INVALID');
          assert.ok(Array.isArray(error.details?.['problems']) && (error.details['problems'] as unknown[]).length > 0);
          await assertRefusedOnly(project, answer, 'ARGUMENTS_INVALID', ['call.received']);
        }
        assert.equal(project.invocations('refunds.create'), before);
      });

      it('trace and session ids outside 1-128 plain characters are 400 REQUEST_INVALID; nothing runs', async () => {
        const lookups = project.invocations('orders.lookup');
        for (const extra of [
          { traceId: 'has space' },
          { traceId: 'x'.repeat(129) },
          { sessionId: 'semi;colon' },
          { sessionId: '../etc' },
        ]) {
          const answer = await project.call({ ...LOOKUP, ...extra }, supportBot);
          assertError(answer, 400, 'REQUEST_INVALID');
        }
        assert.equal(project.invocations('orders.lookup'), lookups);
      });

      it('deeply nested arguments are refused cleanly with 422 and nothing runs', async () => {
        const shallow = `{"tool":"calc","operation":"add","arguments":{"x":1,"deep":${'{"a":'.repeat(600)}1${'}'.repeat(600)}}}`;
        assert.ok(shallow.length < BODY_LIMIT_BYTES);
        const answer = await project.request('POST', '/v1/calls', { token: supportBot, rawBody: shallow });
        assertError(answer, 422, 'ARGUMENTS_INVALID');
        await assertRefusedOnly(project, answer, 'ARGUMENTS_INVALID', ['call.received']);
        assert.equal(project.invocations('calc.add'), 0);
      });

      it('unknown tools and operations are 404 TOOL_UNKNOWN / OPERATION_UNKNOWN', async () => {
        const unknownTool = await project.call({ tool: 'payments', operation: 'send', arguments: {} }, supportBot);
        assertError(unknownTool, 404, 'TOOL_UNKNOWN');
        await assertRefusedOnly(project, unknownTool, 'TOOL_UNKNOWN', ['call.received']);
        const unknownOperation = await project.call({ tool: 'orders', operation: 'cancel', arguments: { order_id: 'o-1001' } }, supportBot);
        assertError(unknownOperation, 404, 'OPERATION_UNKNOWN');
        await assertRefusedOnly(project, unknownOperation, 'OPERATION_UNKNOWN', ['call.received']);
      });

      it('a tool limited to another tenant does not exist for this agent: TOOL_UNKNOWN, indistinguishable from a missing tool', async () => {
        const before = project.invocations('refunds.create');
        const globex = await project.mintAgentToken('globex-assistant');
        const answer = await project.call(SMALL_REFUND, globex);
        const error = assertError(answer, 404, 'TOOL_UNKNOWN');
        const missing = assertError(await project.call({ ...SMALL_REFUND, tool: 'refundz' }, globex), 404, 'TOOL_UNKNOWN');
        assert.equal(error.message.replace('refunds', 'X'), missing.message.replace('refundz', 'X'));
        // An unknown operation of that tool must not reveal that the tool exists either.
        assertError(await project.call({ ...SMALL_REFUND, operation: 'nope' }, globex), 404, 'TOOL_UNKNOWN');
        assert.equal(project.invocations('refunds.create'), before);
      });

      it('hostile names (__proto__, constructor, toString, hasOwnProperty) are unknown', async () => {
        for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype']) {
          assertError(await project.call({ tool: name, operation: 'lookup', arguments: {} }, supportBot), 404, 'TOOL_UNKNOWN');
          assertError(await project.call({ tool: name, operation: name, arguments: {} }, supportBot), 404, 'TOOL_UNKNOWN');
          assertError(await project.call({ tool: 'orders', operation: name, arguments: {} }, supportBot), 404, 'OPERATION_UNKNOWN');
        }
        assertPrototypeClean('lookup');
      });
    });

    describe(`tokens (${storage})`, () => {
      it('no Authorization header is 401 AUTH_MISSING', async () => {
        const lookups = project.invocations('orders.lookup');
        assertError(await project.call(LOOKUP, undefined), 401, 'AUTH_MISSING');
        assertError(await project.call(LOOKUP, undefined, { headers: { authorization: '' } }), 401, 'AUTH_MISSING');
        assert.equal(project.invocations('orders.lookup'), lookups);
      });

      it('garbage tokens and other schemes are 401 AUTH_INVALID', async () => {
        const lookups = project.invocations('orders.lookup');
        for (const token of ['garbage', 'a.b.c', `${supportBot}x`, supportBot.split('.').slice(0, 2).join('.')]) {
          assertError(await project.call(LOOKUP, token), 401, 'AUTH_INVALID');
        }
        assertError(
          await project.call(LOOKUP, undefined, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }),
          401,
          'AUTH_INVALID',
        );
        assertError(
          await project.call(LOOKUP, undefined, { headers: { authorization: `Bearer ${supportBot} extra` } }),
          401,
          'AUTH_INVALID',
        );
        assert.equal(project.invocations('orders.lookup'), lookups);
      });

      it('a token with the right claims signed by another Ed25519 key is 401 AUTH_INVALID', async () => {
        const lookups = project.invocations('orders.lookup');
        const header = decodeProtectedHeader(supportBot);
        const forged = await new SignJWT({ ...decodeJwt(supportBot) })
          .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', ...(header.kid === undefined ? {} : { kid: header.kid }) })
          .sign(generateKeyPairSync('ed25519').privateKey);
        const answer = await project.call(LOOKUP, forged);
        assertError(answer, 401, 'AUTH_INVALID');
        await assertRefusedOnly(project, answer, 'AUTH_INVALID');
        assert.equal(project.invocations('orders.lookup'), lookups);
      });

      it('an expired token is 401 AUTH_EXPIRED', async () => {
        // Minted by the project's own identity key an hour ago, so only its age is wrong.
        const pastIssuer = new TokenIssuer({
          config: project.runtime.config,
          signingKey: project.runtime.identity.signingKey,
          now: () => Date.now() - 3_600_000,
        });
        const expired = (await pastIssuer.mintAgentToken({ agentId: 'support-bot', ttlSeconds: 60 })).token;
        const lookups = project.invocations('orders.lookup');
        const answer = await project.call(LOOKUP, expired);
        assertError(answer, 401, 'AUTH_EXPIRED');
        await assertRefusedOnly(project, answer, 'AUTH_EXPIRED');
        assert.equal(project.invocations('orders.lookup'), lookups);
      });

      it('a staging agent token at the prod server is 401 AUTH_WRONG_ENVIRONMENT', async () => {
        const staging = await project.mintAgentToken('support-bot-staging', { environment: 'staging' });
        const answer = await project.call(LOOKUP, staging);
        assertError(answer, 401, 'AUTH_WRONG_ENVIRONMENT');
        await assertRefusedOnly(project, answer, 'AUTH_WRONG_ENVIRONMENT');
      });

      it('an operator token cannot make tool calls', async () => {
        const lookups = project.invocations('orders.lookup');
        const operator = await project.mintOperatorToken('auditor');
        const answer = await project.call(LOOKUP, operator);
        assertError(answer, 401, 'AUTH_INVALID');
        await assertRefusedOnly(project, answer, 'AUTH_INVALID');
        assert.equal(project.invocations('orders.lookup'), lookups);
      });

      it('revoking an agent through the runtime store refuses its next call with AUTH_REVOKED', async () => {
        const token = await project.mintAgentToken('revocable-one');
        assert.equal((await project.call(LOOKUP, token)).status, 200);
        await revokeAgent(project.runtime.store, 'revocable-one', 'oncall@acme.example', 'door test');
        const lookups = project.invocations('orders.lookup');
        const answer = await project.call(LOOKUP, token);
        assertError(answer, 401, 'AUTH_REVOKED');
        await assertRefusedOnly(project, answer, 'AUTH_REVOKED');
        assert.equal(project.invocations('orders.lookup'), lookups);
        assert.equal((await project.call(LOOKUP, supportBot)).status, 200, 'another agent was caught by the revocation');
      });

      it('revoking from a second store on the same database (what the CLI does) takes effect on the next call', async () => {
        const token = await project.mintAgentToken('revocable-two');
        assert.equal((await project.call(LOOKUP, token)).status, 200);
        const cliStore = await project.openSecondStore();
        try {
          await revokeAgent(cliStore, 'revocable-two', 'oncall@acme.example', 'door test from another process');
        } finally {
          await cliStore.close();
        }
        const lookups = project.invocations('orders.lookup');
        assertError(await project.call(LOOKUP, token), 401, 'AUTH_REVOKED');
        assert.equal(project.invocations('orders.lookup'), lookups);
      });
    });

    describe(`policy evaluation errors (${storage})`, () => {
      it('an input that makes a policy error is denied (fail closed), the error is recorded, and the server keeps serving', async () => {
        const fine = await project.call({ tool: 'calc', operation: 'add', arguments: { x: 1 } }, supportBot);
        assert.equal(fine.status, 200, fine.text);
        assert.deepEqual(fine.body.result, { sum: 2 });
        assert.equal(project.invocations('calc.add'), 1);

        const overflowing = await project.call({ tool: 'calc', operation: 'add', arguments: { x: 1000 } }, supportBot);
        assertError(overflowing, 403, 'POLICY_DENIED');
        assert.equal(overflowing.body.decision?.kind, 'deny');
        assert.equal(project.invocations('calc.add'), 1, 'the handler ran despite the evaluation error');
        const decided = (await project.auditEvents({ callId: overflowing.body.callId ?? '', type: 'decision.made' }))[0];
        assert.ok(decided);
        const errors = eventData(decided)['errors'];
        assert.ok(Array.isArray(errors) && errors.length > 0, `decision.made without errors: ${decided.body}`);
        assert.deepEqual(await callEventTypes(project, overflowing.body.callId ?? ''), [
          'call.received',
          'decision.made',
          'call.completed',
        ]);

        const again = await project.call({ tool: 'calc', operation: 'add', arguments: { x: 2 } }, supportBot);
        assert.equal(again.status, 200, again.text);
        assert.equal(project.invocations('calc.add'), 2);
      });
    });

    describe(`idempotency keys (${storage})`, () => {
      it('a write without a key is 400 IDEMPOTENCY_KEY_REQUIRED before policy is consulted; nothing runs', async () => {
        const before = project.invocations('refunds.create');
        const answer = await project.call({ ...SMALL_REFUND, actingFor: alice }, supportBot);
        const error = assertError(answer, 400, 'IDEMPOTENCY_KEY_REQUIRED');
        assert.match(error.message, /refunds\.create is a write operation/);
        assert.equal(answer.body.decision, null);
        assert.equal(project.invocations('refunds.create'), before);
        await assertRefusedOnly(project, answer, 'IDEMPOTENCY_KEY_REQUIRED', ['call.received']);
        // A destructive operation needs one too; a read does not (every lookup in this suite has none).
        const deletion = await project.call({ tool: 'orders', operation: 'delete', arguments: { order_id: 'o-1001' } }, supportBot);
        assertError(deletion, 400, 'IDEMPOTENCY_KEY_REQUIRED');
        assert.equal(project.invocations('orders.delete'), 0);
      });

      it('the Idempotency-Key header makes a write run once: a retry answers the first outcome, replayed', async () => {
        const before = project.invocations('refunds.create');
        const key = newKey();
        const request = { ...SMALL_REFUND, arguments: { ...SMALL_REFUND.arguments, amount_cents: 1900 }, actingFor: alice };
        const first = await project.call(request, supportBot, { headers: { 'idempotency-key': key } });
        assert.equal(first.status, 200, first.text);
        assert.equal(first.body.status, 'executed');
        assert.equal(first.body['idempotencyKey'], key);
        assert.equal(first.body['replayed'], undefined);
        assert.equal(project.invocations('refunds.create'), before + 1);

        const retry = await project.call(request, supportBot, { headers: { 'idempotency-key': key } });
        assert.equal(retry.status, 200, retry.text);
        assert.equal(retry.body['replayed'], true);
        assert.equal(retry.body.callId, first.body.callId, 'the replay names the call that ran');
        assert.deepEqual(retry.body.result, first.body.result);
        // The same key in the body is the same key.
        const inBody = await project.call({ ...request, idempotencyKey: key }, supportBot);
        assert.equal(inBody.body['replayed'], true, inBody.text);
        assert.equal(project.invocations('refunds.create'), before + 1, 'a retry ran the refund again');

        const replays = (await project.auditEvents({ type: 'call.replayed' })).filter(
          (event) => eventData(event)['firstCallId'] === first.body.callId,
        );
        assert.equal(replays.length, 2);
      });

      it('the same key for a different action is 409 IDEMPOTENCY_CONFLICT and runs nothing', async () => {
        const key = newKey();
        const first = await project.call({ ...SMALL_REFUND, actingFor: alice, idempotencyKey: key }, supportBot);
        assert.equal(first.status, 200, first.text);
        const before = project.invocations('refunds.create');
        const changed = await project.call(
          { ...SMALL_REFUND, arguments: { ...SMALL_REFUND.arguments, amount_cents: 2600 }, actingFor: alice, idempotencyKey: key },
          supportBot,
        );
        const error = assertError(changed, 409, 'IDEMPOTENCY_CONFLICT');
        assert.equal(error.details?.['firstCallId'], first.body.callId);
        assert.equal(project.invocations('refunds.create'), before);
      });

      it('a header that differs from the body key is 400 REQUEST_INVALID; an ill-formed key is refused too', async () => {
        const before = project.invocations('refunds.create');
        const differing = await project.call({ ...SMALL_REFUND, actingFor: alice, idempotencyKey: newKey() }, supportBot, {
          headers: { 'idempotency-key': newKey() },
        });
        assertError(differing, 400, 'REQUEST_INVALID');
        for (const idempotencyKey of ['has space', 'x'.repeat(129)]) {
          assertError(await project.call({ ...SMALL_REFUND, actingFor: alice, idempotencyKey }, supportBot), 400, 'REQUEST_INVALID');
        }
        assertError(
          await project.call({ ...SMALL_REFUND, actingFor: alice }, supportBot, { headers: { 'idempotency-key': 'semi;colon' } }),
          400,
          'REQUEST_INVALID',
        );
        assert.equal(project.invocations('refunds.create'), before);
      });

      it('a derived key runs the same write once per trace; without a trace or session there is nothing to derive it from', async () => {
        const before = project.invocations('refunds.create');
        const traceId = `trace-${randomUUID()}`;
        const request = {
          ...SMALL_REFUND,
          arguments: { ...SMALL_REFUND.arguments, amount_cents: 1700 },
          actingFor: alice,
          deriveIdempotencyKey: true,
        };
        const first = await project.call({ ...request, traceId }, supportBot);
        assert.equal(first.status, 200, first.text);
        const again = await project.call({ ...request, traceId }, supportBot);
        assert.equal(again.body['replayed'], true, again.text);
        assert.equal(project.invocations('refunds.create'), before + 1);
        // Another trace is another request: the refund runs again, deliberately.
        const otherTrace = await project.call({ ...request, traceId: `${traceId}-b` }, supportBot);
        assert.equal(otherTrace.body.status, 'executed', otherTrace.text);
        assert.equal(otherTrace.body['replayed'], undefined);
        assert.equal(project.invocations('refunds.create'), before + 2);

        assertError(await project.call(request, supportBot), 400, 'IDEMPOTENCY_KEY_REQUIRED');
        assert.equal(project.invocations('refunds.create'), before + 2);
      });
    });

    describe(`after every bad input (${storage})`, () => {
      it('the server still answers a good call and its health checks', async () => {
        const answer = await project.call(
          { ...LOOKUP, schemaVersion: 1, traceId: 'final-good-call', sessionId: 'final-session' },
          supportBot,
        );
        assert.equal(answer.status, 200, answer.text);
        assert.equal(answer.body.traceId, 'final-good-call');
        assert.equal((await project.request('GET', '/healthz')).status, 200);
        assert.equal((await project.request('GET', '/readyz')).status, 200);
        const internal = project.logs().filter((line) => line.includes('"unexpected error"'));
        assert.deepEqual(internal, [], 'an input reached the unexpected-error path');
      });
    });
  });
}
