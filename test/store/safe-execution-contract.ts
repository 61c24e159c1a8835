/**
 * The safe-execution half of the Store contract: idempotency records, approvals and votes,
 * containment rules, plans and compensations. Run by storeContract (contract.ts) against every
 * engine. Races are run between two independent store instances on one database.
 */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { isInterlockError } from '../../src/errors/interlock-error.js';
import type { ApprovalRecord, CompensationRecord, ContainmentRule, IdempotencyRecord, PlanRecord } from '../../src/store/store.js';
import type { MakeStore, StoreUnderTest } from './contract.js';

const BASE = Date.parse('2026-03-01T00:00:00.000Z');

/** An ISO timestamp `seconds` after the tests' fixed origin. */
function at(seconds: number): string {
  return new Date(BASE + seconds * 1000).toISOString();
}

function idempotencyRecord(overrides: Partial<IdempotencyRecord> = {}): IdempotencyRecord {
  return {
    scopeKey: 'acme/agent-a/key-1',
    tenant: 'acme',
    agentId: 'agent-a',
    actionHash: 'hash-1',
    tool: 'payments',
    operation: 'refund',
    state: 'running',
    callId: 'call-1',
    traceId: 'trace-1',
    outcome: null,
    createdAt: at(0),
    updatedAt: at(0),
    expiresAt: at(3600),
    ...overrides,
  };
}

function approvalRecord(overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    id: 'apr-1',
    tenant: 'acme',
    agentId: 'agent-a',
    actingForUserId: 'user-1',
    actionHash: 'hash-1',
    idempotencyKey: 'key-1',
    tool: 'payments',
    operation: 'refund',
    role: 'finance',
    quorum: 1,
    status: 'pending',
    createdAt: at(0),
    expiresAt: at(600),
    decidedAt: null,
    consumedByCall: null,
    details: '{"arguments":{"amount":10},"reasons":["over limit"]}',
    ...overrides,
  };
}

function killSwitch(overrides: Partial<ContainmentRule> = {}): ContainmentRule {
  return {
    id: 'rule-1',
    kind: 'kill',
    scope: 'fleet',
    target: '*',
    mode: null,
    reason: 'incident 42',
    setBy: 'oncall',
    setAt: at(0),
    liftedAt: null,
    liftedBy: null,
    ...overrides,
  };
}

function planRecord(overrides: Partial<PlanRecord> = {}): PlanRecord {
  return {
    id: 'plan-1',
    tenant: 'acme',
    agentId: 'agent-a',
    hash: 'plan-hash',
    status: 'proposed',
    body: '{"steps":[]}',
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  };
}

function compensationRecord(overrides: Partial<CompensationRecord> = {}): CompensationRecord {
  return {
    callId: 'call-1',
    ordinal: 1,
    tenant: 'acme',
    agentId: 'agent-a',
    traceId: 'trace-1',
    sessionId: 'session-1',
    tool: 'payments',
    operation: 'refund',
    executedAt: at(0),
    status: 'pending',
    compensation: '{"tool":"payments","operation":"reverse","arguments":{"id":"r1"}}',
    compensatedByCall: null,
    updatedAt: at(0),
    ...overrides,
  };
}

async function assertStoreError(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => isInterlockError(error) && error.code === code);
}

export function safeExecutionContract(name: string, makeStore: MakeStore): void {
  async function withStore(body: (subject: StoreUnderTest) => Promise<void>): Promise<void> {
    const subject = await makeStore('durable');
    try {
      await subject.store.migrate();
      await body(subject);
    } finally {
      await subject.cleanup();
    }
  }

  /** A second, migrated instance on the same database: another process or replica. */
  async function migratedPeer(subject: StoreUnderTest) {
    const peer = await subject.openPeer();
    await peer.migrate();
    return peer;
  }

  describe(`${name}: idempotency records`, () => {
    test('a key is claimed once; later claimants get the holder’s record', async () => {
      await withStore(async ({ store }) => {
        const first = idempotencyRecord();
        assert.equal(await store.claimIdempotencyKey(first), null, 'the first claim owns the key');
        assert.deepEqual(await store.getIdempotencyRecord(first.scopeKey), first);
        const second = await store.claimIdempotencyKey(idempotencyRecord({ callId: 'call-2', actionHash: 'other-hash', createdAt: at(5) }));
        assert.deepEqual(second, first, 'the holder’s record, not the claimant’s');
        assert.equal(await store.getIdempotencyRecord('acme/agent-a/missing'), null);
        assert.equal(await store.claimIdempotencyKey(idempotencyRecord({ scopeKey: 'acme/agent-b/key-1', callId: 'call-3' })), null);
      });
    });

    test('a claim is stored as running with no outcome, whatever the record says', async () => {
      await withStore(async ({ store }) => {
        assert.equal(await store.claimIdempotencyKey(idempotencyRecord({ state: 'completed', outcome: '{"forged":true}' })), null);
        const stored = await store.getIdempotencyRecord('acme/agent-a/key-1');
        assert.equal(stored?.state, 'running');
        assert.equal(stored?.outcome, null);
      });
    });

    test('only the owning call finishes a key, and a completed outcome is final', async () => {
      await withStore(async ({ store }) => {
        const record = idempotencyRecord();
        await store.claimIdempotencyKey(record);
        await store.finishIdempotencyKey(record.scopeKey, 'call-intruder', 'completed', '{"intruder":true}', at(1));
        assert.deepEqual(await store.getIdempotencyRecord(record.scopeKey), record, 'another call changes nothing');

        await store.finishIdempotencyKey(record.scopeKey, 'call-1', 'completed', '{"status":"executed"}', at(2));
        const finished = { ...record, state: 'completed' as const, outcome: '{"status":"executed"}', updatedAt: at(2) };
        assert.deepEqual(await store.getIdempotencyRecord(record.scopeKey), finished);

        await store.finishIdempotencyKey(record.scopeKey, 'call-1', 'unknown', '{"status":"later"}', at(3));
        assert.deepEqual(await store.getIdempotencyRecord(record.scopeKey), finished, 'the first outcome stays');
        assert.deepEqual(await store.claimIdempotencyKey(idempotencyRecord({ callId: 'call-2', createdAt: at(4) })), finished);
      });
    });

    test('an unknown outcome can still be settled by its owner', async () => {
      await withStore(async ({ store }) => {
        await store.claimIdempotencyKey(idempotencyRecord());
        await store.finishIdempotencyKey('acme/agent-a/key-1', 'call-1', 'unknown', '{"status":"failed"}', at(1));
        assert.equal((await store.getIdempotencyRecord('acme/agent-a/key-1'))?.state, 'unknown');
        await store.finishIdempotencyKey('acme/agent-a/key-1', 'call-1', 'completed', '{"status":"executed"}', at(2));
        const settled = await store.getIdempotencyRecord('acme/agent-a/key-1');
        assert.equal(settled?.state, 'completed');
        assert.equal(settled?.outcome, '{"status":"executed"}');
      });
    });

    test('release drops only a running claim of the owning call; the key can then be claimed again', async () => {
      await withStore(async ({ store }) => {
        await store.claimIdempotencyKey(idempotencyRecord());
        await store.releaseIdempotencyKey('acme/agent-a/key-1', 'call-other');
        assert.equal((await store.getIdempotencyRecord('acme/agent-a/key-1'))?.callId, 'call-1');
        await store.releaseIdempotencyKey('acme/agent-a/key-1', 'call-1');
        assert.equal(await store.getIdempotencyRecord('acme/agent-a/key-1'), null);
        assert.equal(await store.claimIdempotencyKey(idempotencyRecord({ callId: 'call-2' })), null);

        for (const state of ['completed', 'unknown'] as const) {
          const scopeKey = `acme/agent-a/${state}`;
          await store.claimIdempotencyKey(idempotencyRecord({ scopeKey }));
          await store.finishIdempotencyKey(scopeKey, 'call-1', state, '{}', at(1));
          await store.releaseIdempotencyKey(scopeKey, 'call-1');
          assert.equal((await store.getIdempotencyRecord(scopeKey))?.state, state, `a ${state} record is not released`);
        }
      });
    });

    test('unresolved records are the running and unknown ones older than the cut-off, oldest first, per tenant', async () => {
      await withStore(async ({ store }) => {
        const claim = async (scopeKey: string, tenant: string, createdAt: string) =>
          store.claimIdempotencyKey(idempotencyRecord({ scopeKey, tenant, createdAt, updatedAt: createdAt }));
        await claim('acme/a/running-old', 'acme', at(10));
        await claim('acme/a/unknown', 'acme', at(5));
        await store.finishIdempotencyKey('acme/a/unknown', 'call-1', 'unknown', '{}', at(20));
        await claim('acme/a/completed', 'acme', at(1));
        await store.finishIdempotencyKey('acme/a/completed', 'call-1', 'completed', '{}', at(2));
        await claim('globex/a/running', 'globex', at(15));
        await claim('acme/a/running-new', 'acme', at(100));

        const keys = async (tenants: readonly string[] | undefined, olderThan: string, limit = 10) =>
          (await store.listUnresolvedIdempotency(tenants, olderThan, limit)).map((record) => record.scopeKey);
        assert.deepEqual(await keys(undefined, at(50)), ['acme/a/running-old', 'globex/a/running', 'acme/a/unknown']);
        assert.deepEqual(await keys(['acme'], at(50)), ['acme/a/running-old', 'acme/a/unknown']);
        assert.deepEqual(await keys(['acme'], at(20)), ['acme/a/running-old'], 'the cut-off is exclusive and applies to the last change');
        assert.deepEqual(await keys(['acme', 'globex'], at(1000), 2), ['acme/a/running-old', 'globex/a/running']);
        assert.deepEqual(await keys([], at(1000)), [], 'no tenants allowed means no records');
        assert.deepEqual(await keys(undefined, at(1000), 0), []);
        await assertStoreError(store.listUnresolvedIdempotency(undefined, at(1000), -1), 'REQUEST_INVALID');
      });
    });

    test('purge removes completed records past their expiry only; running and unknown ones wait for an operator', async () => {
      await withStore(async ({ store }) => {
        const settle = async (scopeKey: string, expiresAt: string, state: 'completed' | 'unknown' | null) => {
          await store.claimIdempotencyKey(idempotencyRecord({ scopeKey, expiresAt }));
          if (state !== null) await store.finishIdempotencyKey(scopeKey, 'call-1', state, '{}', at(1));
        };
        await settle('k/expired', at(100), 'completed');
        await settle('k/edge', at(200), 'completed');
        await settle('k/fresh', at(300), 'completed');
        await settle('k/unknown', at(100), 'unknown');
        await settle('k/running', at(100), null);
        assert.equal(await store.purgeExpiredIdempotency(at(200)), 2, 'a record lives until its expiry, exclusive');
        assert.equal(await store.purgeExpiredIdempotency(at(200)), 0);
        assert.equal(await store.getIdempotencyRecord('k/expired'), null);
        assert.equal(await store.getIdempotencyRecord('k/edge'), null);
        assert.equal((await store.getIdempotencyRecord('k/fresh'))?.state, 'completed');
        assert.equal((await store.getIdempotencyRecord('k/unknown'))?.state, 'unknown');
        assert.equal((await store.getIdempotencyRecord('k/running'))?.state, 'running');
      });
    });

    test('a completed record past its expiry is forgotten by a new claim, purged or not', async () => {
      await withStore(async ({ store }) => {
        await store.claimIdempotencyKey(idempotencyRecord({ expiresAt: at(100) }));
        await store.finishIdempotencyKey('acme/agent-a/key-1', 'call-1', 'completed', '{"first":true}', at(1));
        const early = await store.claimIdempotencyKey(idempotencyRecord({ callId: 'call-2', createdAt: at(99), updatedAt: at(99) }));
        assert.equal(early?.callId, 'call-1', 'before expiry the first outcome is returned');

        const renewed = idempotencyRecord({
          callId: 'call-3',
          actionHash: 'hash-3',
          createdAt: at(100),
          updatedAt: at(100),
          expiresAt: at(500),
        });
        assert.equal(await store.claimIdempotencyKey(renewed), null);
        assert.deepEqual(await store.getIdempotencyRecord('acme/agent-a/key-1'), renewed);

        // A running or unknown record is never taken over, however old.
        await store.claimIdempotencyKey(idempotencyRecord({ scopeKey: 'k/stuck', expiresAt: at(100) }));
        const stuck = await store.claimIdempotencyKey(idempotencyRecord({ scopeKey: 'k/stuck', callId: 'call-9', createdAt: at(10_000) }));
        assert.equal(stuck?.callId, 'call-1');
        assert.equal(stuck?.state, 'running');
      });
    });

    test('an operator resolves an unknown (or died-while-running) record once: executed settles it, not_executed frees the key', async () => {
      await withStore(async ({ store }) => {
        const executed = { as: 'executed', outcome: '{"status":"executed"}', at: at(50), expiresAt: at(9000) } as const;
        await store.claimIdempotencyKey(idempotencyRecord());
        assert.equal((await store.getUnresolvedIdempotencyByCall('call-1'))?.state, 'running');
        assert.equal(await store.resolveUnknownIdempotency('acme/agent-a/key-1', 'call-1', at(0), executed), false, 'still running');
        await store.finishIdempotencyKey('acme/agent-a/key-1', 'call-1', 'unknown', '{"status":"failed"}', at(1));
        assert.equal(await store.resolveUnknownIdempotency('acme/agent-a/key-1', 'call-other', at(0), executed), false, 'another call');
        assert.equal(await store.resolveUnknownIdempotency('acme/agent-a/key-1', 'call-1', at(0), executed), true);
        assert.deepEqual(await store.getIdempotencyRecord('acme/agent-a/key-1'), {
          ...idempotencyRecord(),
          state: 'completed',
          outcome: '{"status":"executed"}',
          updatedAt: at(50),
          expiresAt: at(9000),
        });
        assert.equal(await store.getUnresolvedIdempotencyByCall('call-1'), null);
        assert.equal(await store.resolveUnknownIdempotency('acme/agent-a/key-1', 'call-1', at(0), executed), false, 'resolved once');
        assert.equal(await store.resolveUnknownIdempotency('acme/agent-a/key-1', 'call-1', at(0), { as: 'not_executed' }), false);

        // A claim left running by a process that died: resolvable once it is older than the cut-off.
        await store.claimIdempotencyKey(idempotencyRecord({ scopeKey: 'acme/agent-a/key-2', callId: 'call-2', updatedAt: at(10) }));
        assert.equal(await store.resolveUnknownIdempotency('acme/agent-a/key-2', 'call-2', at(10), { as: 'not_executed' }), false);
        assert.equal((await store.getUnresolvedIdempotencyByCall('call-2'))?.scopeKey, 'acme/agent-a/key-2');
        assert.equal(await store.resolveUnknownIdempotency('acme/agent-a/key-2', 'call-2', at(11), { as: 'not_executed' }), true);
        assert.equal(await store.getIdempotencyRecord('acme/agent-a/key-2'), null, 'the key is free');
        assert.equal(await store.claimIdempotencyKey(idempotencyRecord({ scopeKey: 'acme/agent-a/key-2', callId: 'call-3' })), null);
        assert.equal(await store.resolveUnknownIdempotency('acme/agent-a/key-2', 'call-2', at(11), { as: 'not_executed' }), false);
        const abstain = { as: 'maybe' } as unknown as Parameters<typeof store.resolveUnknownIdempotency>[3];
        await assertStoreError(store.resolveUnknownIdempotency('acme/agent-a/key-2', 'call-3', at(11), abstain), 'REQUEST_INVALID');
      });
    });

    test('two instances resolving the same unknown records: exactly one succeeds each', async () => {
      await withStore(async (subject) => {
        const peer = await migratedPeer(subject);
        const keys = Array.from({ length: 10 }, (_, index) => `acme/agent-a/resolve-${index}`);
        for (const scopeKey of keys) {
          await subject.store.claimIdempotencyKey(idempotencyRecord({ scopeKey, callId: `${scopeKey}#call` }));
          await subject.store.finishIdempotencyKey(scopeKey, `${scopeKey}#call`, 'unknown', '{}', at(1));
        }
        const executed = { as: 'executed', outcome: '{}', at: at(5), expiresAt: at(9000) } as const;
        const results = await Promise.all(
          keys.flatMap((scopeKey) => [
            subject.store.resolveUnknownIdempotency(scopeKey, `${scopeKey}#call`, at(0), executed),
            peer.resolveUnknownIdempotency(scopeKey, `${scopeKey}#call`, at(0), { as: 'not_executed' }),
          ]),
        );
        for (const [index, scopeKey] of keys.entries()) {
          const pair = [results[2 * index], results[2 * index + 1]];
          assert.equal(pair.filter(Boolean).length, 1, `one resolution of ${scopeKey}`);
          assert.equal((await peer.getIdempotencyRecord(scopeKey))?.state ?? 'released', pair[0] === true ? 'completed' : 'released');
        }
      });
    });

    test('two instances racing for the same keys: exactly one claim wins each', async () => {
      await withStore(async (subject) => {
        const peer = await migratedPeer(subject);
        const keys = Array.from({ length: 20 }, (_, index) => `acme/agent-a/race-${index}`);
        const results = await Promise.all(
          keys.flatMap((scopeKey) => [
            subject.store.claimIdempotencyKey(idempotencyRecord({ scopeKey, callId: `${scopeKey}#store` })),
            peer.claimIdempotencyKey(idempotencyRecord({ scopeKey, callId: `${scopeKey}#peer` })),
          ]),
        );
        keys.forEach((scopeKey, index) => {
          const pair = [results[2 * index], results[2 * index + 1]];
          assert.equal(pair.filter((result) => result === null).length, 1, `one winner for ${scopeKey}`);
          const loser = pair.find((result) => result !== null);
          const winnerCallId = pair[0] === null ? `${scopeKey}#store` : `${scopeKey}#peer`;
          assert.equal(loser?.callId, winnerCallId, 'the loser sees the winner’s claim');
        });
      });
    });
  });

  describe(`${name}: approvals`, () => {
    test('approvals round trip; a quorum below one is refused', async () => {
      await withStore(async ({ store }) => {
        const record = approvalRecord({ idempotencyKey: null, actingForUserId: null });
        await store.insertApproval(record);
        assert.deepEqual(await store.getApproval(record.id), record);
        assert.equal(await store.getApproval('apr-missing'), null);
        await assertStoreError(store.insertApproval(approvalRecord({ id: 'apr-2', quorum: 0 })), 'REQUEST_INVALID');
        await assertStoreError(store.insertApproval(approvalRecord({ id: 'apr-3', quorum: 1.5 })), 'REQUEST_INVALID');
        await assertStoreError(store.insertApproval(record), 'STORE_UNAVAILABLE');
      });
    });

    test('findOpenApproval: newest for the agent by action hash or idempotency key, never a consumed one', async () => {
      await withStore(async ({ store }) => {
        await store.insertApproval(approvalRecord({ id: 'by-hash-old', idempotencyKey: null, createdAt: at(1) }));
        await store.insertApproval(approvalRecord({ id: 'by-hash-new', idempotencyKey: null, createdAt: at(2), status: 'denied' }));
        await store.insertApproval(approvalRecord({ id: 'by-key', actionHash: 'hash-2', idempotencyKey: 'key-9', createdAt: at(3) }));
        await store.insertApproval(approvalRecord({ id: 'other-agent', agentId: 'agent-b', actionHash: 'hash-3', createdAt: at(9) }));
        await store.insertApproval(approvalRecord({ id: 'other-tenant', tenant: 'globex', actionHash: 'hash-3', createdAt: at(9) }));
        await store.insertApproval(approvalRecord({ id: 'consumed', actionHash: 'hash-4', idempotencyKey: null, status: 'consumed' }));

        const found = async (actionHash: string, idempotencyKey: string | null) =>
          (await store.findOpenApproval('acme', 'agent-a', actionHash, idempotencyKey))?.id ?? null;
        assert.equal(await found('hash-1', null), 'by-hash-new', 'newest first, decided ones included');
        assert.equal(await found('hash-x', 'key-9'), 'by-key', 'the idempotency key alone matches');
        assert.equal(await found('hash-1', 'key-9'), 'by-key', 'either match counts; the newest wins');
        assert.equal(await found('hash-3', null), null, 'another agent’s or tenant’s approval is not found');
        assert.equal(await found('hash-4', null), null, 'a consumed approval is not open');
        assert.equal(await found('hash-x', null), null, 'a null key matches no approval without one');
        assert.equal(await found('hash-x', 'key-unknown'), null);
      });
    });

    test('listApprovals filters by tenants, status and agent, newest first, within the limit', async () => {
      await withStore(async ({ store }) => {
        await store.insertApproval(approvalRecord({ id: 'a1', createdAt: at(1) }));
        await store.insertApproval(approvalRecord({ id: 'a2', createdAt: at(2), status: 'approved' }));
        await store.insertApproval(approvalRecord({ id: 'a3', createdAt: at(3), agentId: 'agent-b' }));
        await store.insertApproval(approvalRecord({ id: 'g1', createdAt: at(4), tenant: 'globex' }));
        const ids = async (filter: Parameters<typeof store.listApprovals>[0]) =>
          (await store.listApprovals(filter)).map((record) => record.id);
        assert.deepEqual(await ids({ limit: 10 }), ['g1', 'a3', 'a2', 'a1']);
        assert.deepEqual(await ids({ limit: 10, tenants: ['acme'] }), ['a3', 'a2', 'a1']);
        assert.deepEqual(await ids({ limit: 10, tenants: ['acme'], status: 'pending' }), ['a3', 'a1']);
        assert.deepEqual(await ids({ limit: 10, tenants: ['acme', 'globex'], agentId: 'agent-a', status: 'pending' }), ['g1', 'a1']);
        assert.deepEqual(await ids({ limit: 2 }), ['g1', 'a3']);
        assert.deepEqual(await ids({ limit: 10, tenants: [] }), []);
        assert.deepEqual(await ids({ limit: 0 }), []);
        await assertStoreError(store.listApprovals({ limit: -1 }), 'REQUEST_INVALID');
      });
    });

    test('a quorum of two needs two approvers: the same approver voting twice counts once', async () => {
      await withStore(async ({ store }) => {
        await store.insertApproval(approvalRecord({ quorum: 2 }));
        const first = await store.voteOnApproval({
          approvalId: 'apr-1',
          approver: 'alice',
          decision: 'approve',
          comment: 'ok',
          at: at(10),
        });
        assert.equal(first?.status, 'pending');
        const again = await store.voteOnApproval({
          approvalId: 'apr-1',
          approver: 'alice',
          decision: 'approve',
          comment: 'me again',
          at: at(11),
        });
        assert.equal(again?.status, 'pending', 'a second vote by the same approver does not count');
        const changedMind = await store.voteOnApproval({
          approvalId: 'apr-1',
          approver: 'alice',
          decision: 'deny',
          comment: 'no',
          at: at(12),
        });
        assert.equal(changedMind?.status, 'pending', 'nor can it turn into a deny');
        assert.deepEqual(await store.listApprovalVotes('apr-1'), [
          { approvalId: 'apr-1', approver: 'alice', decision: 'approve', comment: 'ok', at: at(10) },
        ]);

        const granted = await store.voteOnApproval({ approvalId: 'apr-1', approver: 'bob', decision: 'approve', comment: '', at: at(20) });
        assert.deepEqual(granted, { ...approvalRecord({ quorum: 2 }), status: 'approved', decidedAt: at(20) });
        assert.deepEqual(
          (await store.listApprovalVotes('apr-1')).map((vote) => vote.approver),
          ['alice', 'bob'],
        );
        assert.deepEqual(await store.listApprovalVotes('apr-missing'), []);
      });
    });

    test('one deny decides, even after approvals; a closed request records no more votes', async () => {
      await withStore(async ({ store }) => {
        await store.insertApproval(approvalRecord({ quorum: 3 }));
        await store.voteOnApproval({ approvalId: 'apr-1', approver: 'alice', decision: 'approve', comment: '', at: at(10) });
        const denied = await store.voteOnApproval({
          approvalId: 'apr-1',
          approver: 'bob',
          decision: 'deny',
          comment: 'too much',
          at: at(11),
        });
        assert.equal(denied?.status, 'denied');
        assert.equal(denied?.decidedAt, at(11));
        const late = await store.voteOnApproval({ approvalId: 'apr-1', approver: 'carol', decision: 'approve', comment: '', at: at(12) });
        assert.deepEqual(late, denied, 'a vote on a closed request returns it unchanged');
        assert.deepEqual(
          (await store.listApprovalVotes('apr-1')).map((vote) => `${vote.approver}:${vote.decision}`),
          ['alice:approve', 'bob:deny'],
        );

        await store.insertApproval(approvalRecord({ id: 'apr-2', quorum: 1 }));
        assert.equal(
          (await store.voteOnApproval({ approvalId: 'apr-2', approver: 'alice', decision: 'approve', comment: '', at: at(5) }))?.status,
          'approved',
        );
        const afterApproval = await store.voteOnApproval({
          approvalId: 'apr-2',
          approver: 'bob',
          decision: 'deny',
          comment: '',
          at: at(6),
        });
        assert.equal(afterApproval?.status, 'approved', 'a deny after the decision changes nothing');
        assert.equal((await store.listApprovalVotes('apr-2')).length, 1);
      });
    });

    test('a vote at or after the expiry approves nothing: it records nothing and closes the request as expired', async () => {
      await withStore(async ({ store }) => {
        await store.insertApproval(approvalRecord({ expiresAt: at(600) }));
        const expired = await store.voteOnApproval({
          approvalId: 'apr-1',
          approver: 'alice',
          decision: 'approve',
          comment: '',
          at: at(600),
        });
        assert.equal(expired?.status, 'expired');
        assert.equal(expired?.decidedAt, at(600));
        assert.deepEqual(await store.listApprovalVotes('apr-1'), []);
        assert.equal(await store.consumeApproval('apr-1', 'call-1', at(601)), false);

        await store.insertApproval(approvalRecord({ id: 'apr-2', expiresAt: at(600), quorum: 2 }));
        await store.voteOnApproval({ approvalId: 'apr-2', approver: 'alice', decision: 'approve', comment: '', at: at(599) });
        const tooLate = await store.voteOnApproval({ approvalId: 'apr-2', approver: 'bob', decision: 'approve', comment: '', at: at(700) });
        assert.equal(tooLate?.status, 'expired', 'the quorum is not reached after the expiry');
        assert.deepEqual(
          (await store.listApprovalVotes('apr-2')).map((vote) => vote.approver),
          ['alice'],
        );
      });
    });

    test('a vote on a missing request answers null; a vote that neither approves nor denies is refused', async () => {
      await withStore(async ({ store }) => {
        assert.equal(
          await store.voteOnApproval({ approvalId: 'apr-missing', approver: 'alice', decision: 'approve', comment: '', at: at(1) }),
          null,
        );
        await store.insertApproval(approvalRecord());
        const abstain = { approvalId: 'apr-1', approver: 'alice', decision: 'abstain', comment: '', at: at(1) } as unknown as Parameters<
          typeof store.voteOnApproval
        >[0];
        await assertStoreError(store.voteOnApproval(abstain), 'REQUEST_INVALID');
        assert.deepEqual(await store.listApprovalVotes('apr-1'), []);
      });
    });

    test('listDueApprovals finds pending requests past their expiry; expireApproval closes each once', async () => {
      await withStore(async ({ store }) => {
        await store.insertApproval(approvalRecord({ id: 'old', expiresAt: at(100) }));
        await store.insertApproval(approvalRecord({ id: 'edge', expiresAt: at(200) }));
        await store.insertApproval(approvalRecord({ id: 'fresh', expiresAt: at(300) }));
        await store.insertApproval(approvalRecord({ id: 'approved', expiresAt: at(100), status: 'approved' }));
        const due = async (now: string, limit = 10) => (await store.listDueApprovals(now, limit)).map((record) => record.id);
        assert.deepEqual(await due(at(200)), ['old', 'edge'], 'soonest expiry first, pending only');
        assert.deepEqual(await due(at(200), 1), ['old']);
        assert.deepEqual(await due(at(200), 0), []);
        await assertStoreError(store.listDueApprovals(at(200), -1), 'REQUEST_INVALID');

        assert.equal(await store.expireApproval('fresh', at(200)), null, 'not due yet');
        assert.equal(await store.expireApproval('approved', at(200)), null, 'decided already');
        assert.equal(await store.expireApproval('missing', at(200)), null);
        assert.deepEqual(await store.expireApproval('old', at(200)), {
          ...approvalRecord({ id: 'old', expiresAt: at(100) }),
          status: 'expired',
          decidedAt: at(200),
        });
        assert.equal(await store.expireApproval('old', at(201)), null, 'a request expires once');
        assert.deepEqual(await due(at(200)), ['edge']);
        assert.deepEqual(await Promise.all(['old', 'edge', 'fresh', 'approved'].map(async (id) => (await store.getApproval(id))?.status)), [
          'expired',
          'pending',
          'pending',
          'approved',
        ]);
      });
    });

    test('two instances expiring the same requests: exactly one gets each back', async () => {
      await withStore(async (subject) => {
        const peer = await migratedPeer(subject);
        const ids = Array.from({ length: 10 }, (_, index) => `apr-expire-${index}`);
        for (const id of ids) await subject.store.insertApproval(approvalRecord({ id, expiresAt: at(100) }));
        const results = await Promise.all(
          ids.flatMap((id) => [subject.store.expireApproval(id, at(150)), peer.expireApproval(id, at(151))]),
        );
        for (const [index, id] of ids.entries()) {
          const won = [results[2 * index], results[2 * index + 1]].filter((record) => record !== null && record !== undefined);
          assert.equal(won.length, 1, `one winner for ${id}`);
          assert.equal((await peer.getApproval(id))?.decidedAt, won[0]?.decidedAt);
        }
      });
    });

    test('an approval is consumed once, only after it is granted', async () => {
      await withStore(async ({ store }) => {
        await store.insertApproval(approvalRecord());
        assert.equal(await store.consumeApproval('apr-1', 'call-1', at(5)), false, 'a pending approval cannot be used');
        await store.voteOnApproval({ approvalId: 'apr-1', approver: 'alice', decision: 'approve', comment: '', at: at(10) });
        assert.equal(await store.consumeApproval('apr-1', 'call-1', at(20)), true);
        assert.equal(await store.consumeApproval('apr-1', 'call-2', at(21)), false);
        const consumed = await store.getApproval('apr-1');
        assert.equal(consumed?.status, 'consumed');
        assert.equal(consumed?.consumedByCall, 'call-1');
        assert.equal(consumed?.decidedAt, at(20));
        assert.equal(await store.findOpenApproval('acme', 'agent-a', 'hash-1', 'key-1'), null);
        assert.equal(await store.consumeApproval('apr-missing', 'call-1', at(21)), false);
      });
    });

    test('two instances consuming the same approvals: exactly one wins each', async () => {
      await withStore(async (subject) => {
        const peer = await migratedPeer(subject);
        const ids = Array.from({ length: 10 }, (_, index) => `apr-race-${index}`);
        for (const id of ids) await subject.store.insertApproval(approvalRecord({ id, status: 'approved', decidedAt: at(1) }));
        const results = await Promise.all(
          ids.flatMap((id) => [subject.store.consumeApproval(id, `${id}#store`, at(2)), peer.consumeApproval(id, `${id}#peer`, at(2))]),
        );
        for (const [index, id] of ids.entries()) {
          const pair = [results[2 * index], results[2 * index + 1]];
          assert.equal(pair.filter(Boolean).length, 1, `one winner for ${id}`);
          assert.equal((await peer.getApproval(id))?.consumedByCall, pair[0] === true ? `${id}#store` : `${id}#peer`);
        }
      });
    });

    test('concurrent votes from two instances reach the quorum, and an approve racing a deny ends with one vote', async () => {
      await withStore(async (subject) => {
        const peer = await migratedPeer(subject);
        const ids = Array.from({ length: 8 }, (_, index) => `apr-vote-${index}`);
        for (const id of ids) {
          await subject.store.insertApproval(approvalRecord({ id, quorum: 2 }));
          await subject.store.insertApproval(approvalRecord({ id: `${id}-split`, quorum: 1 }));
        }
        await Promise.all(
          ids.flatMap((id) => [
            subject.store.voteOnApproval({ approvalId: id, approver: 'alice', decision: 'approve', comment: '', at: at(10) }),
            peer.voteOnApproval({ approvalId: id, approver: 'bob', decision: 'approve', comment: '', at: at(10) }),
            subject.store.voteOnApproval({ approvalId: `${id}-split`, approver: 'alice', decision: 'approve', comment: '', at: at(10) }),
            peer.voteOnApproval({ approvalId: `${id}-split`, approver: 'bob', decision: 'deny', comment: '', at: at(10) }),
          ]),
        );
        for (const id of ids) {
          assert.equal((await subject.store.getApproval(id))?.status, 'approved', `${id} reached its quorum`);
          assert.equal((await subject.store.listApprovalVotes(id)).length, 2);
          const split = await subject.store.getApproval(`${id}-split`);
          const votes = await subject.store.listApprovalVotes(`${id}-split`);
          assert.equal(votes.length, 1, 'the second vote found the request closed');
          assert.equal(split?.status, votes[0]?.decision === 'approve' ? 'approved' : 'denied', 'the status follows the recorded vote');
        }
      });
    });
  });

  describe(`${name}: containment rules`, () => {
    test('adding and lifting rules changes the version; lifting nothing does not', async () => {
      await withStore(async (subject) => {
        const { store } = subject;
        const peer = await migratedPeer(subject);
        const initial = await store.containmentVersion();
        assert.deepEqual(await store.listActiveContainmentRules(), []);

        const fleet = killSwitch();
        await store.insertContainmentRule(fleet);
        const afterInsert = await peer.containmentVersion();
        assert.notEqual(afterInsert, initial, 'another instance sees the new version');
        assert.deepEqual(await peer.listActiveContainmentRules(), [fleet]);

        assert.equal(await store.liftContainmentRules('kill', 'tenant', '*', 'oncall', at(5)), 0, 'another scope matches nothing');
        assert.equal(await store.liftContainmentRules('mode', 'fleet', '*', 'oncall', at(5)), 0, 'another kind matches nothing');
        assert.equal(await store.containmentVersion(), afterInsert, 'lifting nothing leaves the version alone');

        assert.equal(await peer.liftContainmentRules('kill', 'fleet', '*', 'lead', at(10)), 1);
        const afterLift = await store.containmentVersion();
        assert.notEqual(afterLift, afterInsert);
        assert.notEqual(afterLift, initial);
        assert.deepEqual(await store.listActiveContainmentRules(), []);
        assert.equal(await store.liftContainmentRules('kill', 'fleet', '*', 'lead', at(11)), 0, 'a lifted rule is not lifted again');
        assert.equal(await store.containmentVersion(), afterLift);
      });
    });

    test('lifting takes every active rule of that kind, scope and target, and only those', async () => {
      await withStore(async ({ store }) => {
        await store.insertContainmentRule(killSwitch({ id: 'r1', scope: 'tenant', target: 'acme', setAt: at(1) }));
        await store.insertContainmentRule(killSwitch({ id: 'r2', scope: 'tenant', target: 'acme', setAt: at(2), reason: 'again' }));
        await store.insertContainmentRule(killSwitch({ id: 'r3', scope: 'tenant', target: 'globex', setAt: at(3) }));
        const locked = killSwitch({ id: 'r4', kind: 'mode', scope: 'session', target: 'acme/s-1', mode: 'read_only', setAt: at(4) });
        await store.insertContainmentRule(locked);
        await store.insertContainmentRule(killSwitch({ id: 'r5', scope: 'tool', target: '*/payments', setAt: at(5) }));

        assert.equal(await store.liftContainmentRules('kill', 'tenant', 'acme', 'lead', at(10)), 2);
        assert.deepEqual(
          (await store.listActiveContainmentRules()).map((rule) => rule.id),
          ['r3', 'r4', 'r5'],
        );
        assert.deepEqual(
          (await store.listActiveContainmentRules()).find((rule) => rule.id === 'r4'),
          locked,
        );
        assert.equal(await store.liftContainmentRules('mode', 'session', 'acme/s-1', 'lead', at(11)), 1);
        assert.deepEqual(
          (await store.listActiveContainmentRules()).map((rule) => rule.id),
          ['r3', 'r5'],
        );
      });
    });

    test('malformed rules are refused and leave the version alone; a failed insert is rolled back whole', async () => {
      await withStore(async ({ store }) => {
        const before = await store.containmentVersion();
        await assertStoreError(store.insertContainmentRule(killSwitch({ mode: 'locked' })), 'REQUEST_INVALID');
        await assertStoreError(store.insertContainmentRule(killSwitch({ kind: 'mode', mode: null })), 'REQUEST_INVALID');
        const badMode = killSwitch({ kind: 'mode', mode: 'paused' as unknown as 'locked' });
        await assertStoreError(store.insertContainmentRule(badMode), 'REQUEST_INVALID');
        assert.equal(await store.containmentVersion(), before);

        await store.insertContainmentRule(killSwitch());
        const afterOne = await store.containmentVersion();
        await assertStoreError(store.insertContainmentRule(killSwitch({ reason: 'same id' })), 'STORE_UNAVAILABLE');
        assert.equal(await store.containmentVersion(), afterOne, 'the version bump was rolled back with the insert');
        assert.deepEqual(await store.listActiveContainmentRules(), [killSwitch()]);
      });
    });

    test('concurrent changes from two instances each move the version once', async () => {
      await withStore(async (subject) => {
        const peer = await migratedPeer(subject);
        const before = await subject.store.containmentVersion();
        const rules = Array.from({ length: 12 }, (_, index) =>
          killSwitch({ id: `rule-${index}`, scope: 'agent', target: `acme/agent-${index}` }),
        );
        await Promise.all(rules.map((rule, index) => (index % 2 === 0 ? subject.store : peer).insertContainmentRule(rule)));
        assert.equal(await peer.containmentVersion(), before + rules.length);
        assert.equal((await subject.store.listActiveContainmentRules()).length, rules.length);
        const lifted = await Promise.all(
          rules.map((rule, index) =>
            (index % 2 === 0 ? peer : subject.store).liftContainmentRules('kill', 'agent', rule.target, 'ops', at(9)),
          ),
        );
        assert.deepEqual(
          lifted,
          rules.map(() => 1),
        );
        assert.equal(await subject.store.containmentVersion(), before + 2 * rules.length);
      });
    });
  });

  describe(`${name}: plans`, () => {
    test('plans round trip and move by compare-and-set on their status', async () => {
      await withStore(async ({ store }) => {
        const plan = planRecord();
        await store.insertPlan(plan);
        assert.deepEqual(await store.getPlan('plan-1'), plan);
        assert.equal(await store.getPlan('plan-missing'), null);
        await assertStoreError(store.insertPlan(plan), 'STORE_UNAVAILABLE');

        assert.equal(await store.updatePlan('plan-1', 'executing', 'executed', '{"wrong":true}', at(1)), false);
        assert.deepEqual(await store.getPlan('plan-1'), plan, 'a plan not in `from` is left as it was');
        assert.equal(await store.updatePlan('plan-1', 'proposed', 'executing', '{"steps":[1]}', at(2)), true);
        assert.deepEqual(await store.getPlan('plan-1'), { ...plan, status: 'executing', body: '{"steps":[1]}', updatedAt: at(2) });
        assert.equal(await store.updatePlan('plan-1', 'proposed', 'executing', '{}', at(3)), false);
        assert.equal(await store.updatePlan('plan-missing', 'proposed', 'executing', '{}', at(3)), false);
      });
    });

    test('two instances starting the same plan: exactly one moves it', async () => {
      await withStore(async (subject) => {
        const peer = await migratedPeer(subject);
        const ids = Array.from({ length: 10 }, (_, index) => `plan-${index}`);
        for (const id of ids) await subject.store.insertPlan(planRecord({ id }));
        const results = await Promise.all(
          ids.flatMap((id) => [
            subject.store.updatePlan(id, 'proposed', 'executing', '{"by":"store"}', at(1)),
            peer.updatePlan(id, 'proposed', 'executing', '{"by":"peer"}', at(1)),
          ]),
        );
        for (const [index, id] of ids.entries()) {
          const pair = [results[2 * index], results[2 * index + 1]];
          assert.equal(pair.filter(Boolean).length, 1, `one winner for ${id}`);
          assert.equal((await peer.getPlan(id))?.body, pair[0] === true ? '{"by":"store"}' : '{"by":"peer"}');
        }
      });
    });
  });

  describe(`${name}: compensations`, () => {
    test('compensations are listed newest first; filters combine', async () => {
      await withStore(async ({ store }) => {
        const records = [
          compensationRecord({ callId: 'c1', ordinal: 1, executedAt: at(1) }),
          compensationRecord({ callId: 'c2', ordinal: 2, executedAt: at(2), traceId: 'trace-2' }),
          compensationRecord({ callId: 'c3', ordinal: 3, executedAt: at(3), sessionId: null, status: 'irreversible', compensation: null }),
          compensationRecord({ callId: 'c4', ordinal: 4, executedAt: at(4), agentId: 'agent-b', sessionId: 'session-2' }),
          compensationRecord({ callId: 'c5', ordinal: 5, executedAt: at(5), tenant: 'globex', agentId: 'agent-g', traceId: 'trace-g' }),
          compensationRecord({ callId: 'c6', ordinal: 2 ** 40, executedAt: at(6), traceId: 'trace-2' }),
        ];
        // Inserted out of order: the listing orders by ordinal, not by insertion.
        for (const record of [...records].reverse()) await store.insertCompensation(record);
        const ids = async (filter: Parameters<typeof store.listCompensations>[0]) =>
          (await store.listCompensations(filter)).map((record) => record.callId);

        assert.deepEqual(await ids({ limit: 10 }), ['c6', 'c5', 'c4', 'c3', 'c2', 'c1']);
        assert.deepEqual(await ids({ limit: 10, tenant: 'acme' }), ['c6', 'c4', 'c3', 'c2', 'c1']);
        assert.deepEqual(await ids({ limit: 10, traceId: 'trace-2' }), ['c6', 'c2']);
        assert.deepEqual(await ids({ limit: 10, sessionId: 'session-1' }), ['c6', 'c5', 'c2', 'c1']);
        assert.deepEqual(await ids({ limit: 10, agentId: 'agent-a', since: at(2) }), ['c6', 'c3', 'c2'], 'since is inclusive');
        assert.deepEqual(await ids({ limit: 10, tenant: 'acme', traceId: 'trace-1', sessionId: 'session-1' }), ['c1']);
        assert.deepEqual(await ids({ limit: 10, tenant: 'globex', traceId: 'trace-1' }), []);
        assert.deepEqual(await ids({ limit: 2, tenant: 'acme' }), ['c6', 'c4']);
        assert.deepEqual(await ids({ limit: 0 }), []);
        assert.deepEqual(await store.listCompensations({ limit: 10, traceId: 'trace-2' }), [records[5], records[1]], 'every field kept');
        await assertStoreError(store.listCompensations({ limit: -1 }), 'REQUEST_INVALID');
        await assertStoreError(store.insertCompensation(compensationRecord({ callId: 'c7', ordinal: -1 })), 'REQUEST_INVALID');
        await assertStoreError(store.insertCompensation(compensationRecord({ callId: 'c7', ordinal: 1.5 })), 'REQUEST_INVALID');
        await assertStoreError(store.insertCompensation(records[0] as CompensationRecord), 'STORE_UNAVAILABLE');
      });
    });

    test('a compensation moves by compare-and-set on its status', async () => {
      await withStore(async ({ store }) => {
        await store.insertCompensation(compensationRecord());
        await store.insertCompensation(compensationRecord({ callId: 'c-irreversible', status: 'irreversible', compensation: null }));
        assert.equal(await store.updateCompensation('call-1', 'irreversible', 'quarantined', null, at(1)), false);
        assert.equal(await store.updateCompensation('call-1', 'pending', 'compensated', 'call-undo', at(2)), true);
        assert.equal(await store.updateCompensation('call-1', 'pending', 'compensated', 'call-undo-2', at(3)), false);
        assert.deepEqual(await store.listCompensations({ limit: 10 }).then((all) => all.find((record) => record.callId === 'call-1')), {
          ...compensationRecord(),
          status: 'compensated',
          compensatedByCall: 'call-undo',
          updatedAt: at(2),
        });
        assert.equal(await store.updateCompensation('c-irreversible', 'irreversible', 'quarantined', null, at(4)), true);
        assert.equal(await store.updateCompensation('missing', 'pending', 'compensated', 'x', at(4)), false);
      });
    });

    test('two instances compensating the same calls: exactly one moves each', async () => {
      await withStore(async (subject) => {
        const peer = await migratedPeer(subject);
        const ids = Array.from({ length: 10 }, (_, index) => `call-${index}`);
        for (const [index, callId] of ids.entries()) await subject.store.insertCompensation(compensationRecord({ callId, ordinal: index }));
        const results = await Promise.all(
          ids.flatMap((callId) => [
            subject.store.updateCompensation(callId, 'pending', 'compensated', `${callId}#store`, at(1)),
            peer.updateCompensation(callId, 'pending', 'compensated', `${callId}#peer`, at(1)),
          ]),
        );
        const stored = new Map((await peer.listCompensations({ limit: 100 })).map((record) => [record.callId, record]));
        for (const [index, callId] of ids.entries()) {
          const pair = [results[2 * index], results[2 * index + 1]];
          assert.equal(pair.filter(Boolean).length, 1, `one winner for ${callId}`);
          assert.equal(stored.get(callId)?.compensatedByCall, pair[0] === true ? `${callId}#store` : `${callId}#peer`);
        }
      });
    });
  });

  describe(`${name}: settling a write`, () => {
    const settled = (outcome: string, seconds: number, callId = 'call-1') => ({
      scopeKey: 'acme/agent-a/key-1',
      callId,
      state: 'completed' as const,
      outcome,
      at: at(seconds),
    });

    test('the key’s outcome and the compensation are written together', async () => {
      await withStore(async ({ store }) => {
        const record = idempotencyRecord();
        await store.claimIdempotencyKey(record);
        await store.settleWrite({ compensation: compensationRecord(), key: settled('{"status":"executed"}', 1) });
        assert.deepEqual(await store.getIdempotencyRecord(record.scopeKey), {
          ...record,
          state: 'completed',
          outcome: '{"status":"executed"}',
          updatedAt: at(1),
        });
        assert.deepEqual(await store.listCompensations({ limit: 10 }), [compensationRecord()]);
      });
    });

    test('a settlement that fails writes neither part', async () => {
      await withStore(async ({ store }) => {
        const record = idempotencyRecord();
        await store.claimIdempotencyKey(record);
        await store.insertCompensation(compensationRecord({ compensation: null, status: 'irreversible' }));
        // The compensation's call id is taken: the key, settled first in the transaction, is rolled back.
        await assertStoreError(
          store.settleWrite({ compensation: compensationRecord(), key: settled('{"lost":true}', 1) }),
          'STORE_UNAVAILABLE',
        );
        assert.deepEqual(await store.getIdempotencyRecord(record.scopeKey), record, 'still running, no outcome');
        assert.deepEqual(await store.listCompensations({ limit: 10 }), [
          compensationRecord({ compensation: null, status: 'irreversible' }),
        ]);

        const fresh = compensationRecord({ callId: 'call-2' });
        await assertStoreError(store.settleWrite({ compensation: { ...fresh, ordinal: -1 }, key: settled('{}', 2) }), 'REQUEST_INVALID');
        await assertStoreError(
          store.settleWrite({ compensation: fresh, key: { ...settled('{}', 2), state: 'running' as 'completed' } }),
          'REQUEST_INVALID',
        );
        assert.deepEqual(await store.getIdempotencyRecord(record.scopeKey), record);
        assert.equal((await store.listCompensations({ limit: 10 })).length, 1, 'nothing of the refused settlements was written');
      });
    });

    test('either part alone; a key held by another call, or already completed, keeps its outcome', async () => {
      await withStore(async ({ store }) => {
        const record = idempotencyRecord();
        await store.claimIdempotencyKey(record);
        await store.settleWrite({ compensation: null, key: null });
        await store.settleWrite({ compensation: compensationRecord({ callId: 'call-0', ordinal: 0 }), key: null });
        // Not the owner: the key is left alone, the write's compensation is still registered.
        await store.settleWrite({
          compensation: compensationRecord({ callId: 'call-9', ordinal: 9 }),
          key: settled('{"intruder":true}', 1, 'call-9'),
        });
        assert.deepEqual(await store.getIdempotencyRecord(record.scopeKey), record);
        await store.settleWrite({ compensation: null, key: settled('{"first":true}', 2) });
        await store.settleWrite({ compensation: compensationRecord(), key: { ...settled('{"second":true}', 3), state: 'unknown' } });
        const stored = await store.getIdempotencyRecord(record.scopeKey);
        assert.equal(stored?.state, 'completed');
        assert.equal(stored?.outcome, '{"first":true}', 'a completed outcome is final');
        assert.deepEqual(
          (await store.listCompensations({ limit: 10 })).map((compensation) => compensation.callId),
          ['call-9', 'call-1', 'call-0'],
        );
      });
    });
  });

  describe(`${name}: safe execution on a closed store`, () => {
    test('a closed store refuses every kind of safe-execution call with STORE_UNAVAILABLE', async () => {
      await withStore(async ({ store }) => {
        await store.close();
        await assertStoreError(store.claimIdempotencyKey(idempotencyRecord()), 'STORE_UNAVAILABLE');
        await assertStoreError(store.settleWrite({ compensation: compensationRecord(), key: null }), 'STORE_UNAVAILABLE');
        await assertStoreError(
          store.voteOnApproval({ approvalId: 'a', approver: 'b', decision: 'approve', comment: '', at: at(1) }),
          'STORE_UNAVAILABLE',
        );
        await assertStoreError(store.consumeApproval('a', 'c', at(1)), 'STORE_UNAVAILABLE');
        await assertStoreError(store.insertContainmentRule(killSwitch()), 'STORE_UNAVAILABLE');
        await assertStoreError(store.containmentVersion(), 'STORE_UNAVAILABLE');
        await assertStoreError(
          store.listenForContainmentChanges(() => undefined),
          'STORE_UNAVAILABLE',
        );
        await assertStoreError(store.updatePlan('p', 'proposed', 'executing', '{}', at(1)), 'STORE_UNAVAILABLE');
        await assertStoreError(store.listCompensations({ limit: 1 }), 'STORE_UNAVAILABLE');
      });
    });
  });
}
