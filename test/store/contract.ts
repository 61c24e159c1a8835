/**
 * The contract every Store implementation must meet. sqlite.test.ts and postgres.test.ts run it
 * unchanged against real databases; a new driver passes it before it is used.
 */
import { strict as assert } from 'node:assert';
import { createHash, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { isInterlockError } from '../../src/errors/interlock-error.js';
import { GENESIS_HASH } from '../../src/store/chain-append.js';
import type { SqlStore } from '../../src/store/sql-store.js';
import type { AuditEventDraft, ChainLink, Durability, Store, StoredAuditEvent } from '../../src/store/store.js';
import { safeExecutionContract } from './safe-execution-contract.js';
import { sessionLedgerContract } from './session-ledger-contract.js';

export interface StoreUnderTest {
  /** A store on a fresh, empty database; not yet migrated. */
  readonly store: SqlStore;
  /** Opens another independent store (its own connection or pool) on the same database; not yet migrated. */
  openPeer(): Promise<SqlStore>;
  /** What store.durabilitySetting() must report for the durability this store was made with. */
  readonly expectedDurabilitySetting: string;
  /** Closes the store and its peers and removes the database. */
  cleanup(): Promise<void>;
}

export type MakeStore = (durability?: Durability) => Promise<StoreUnderTest>;

/** The chain link the tests use: any deterministic function of both inputs will do. */
export const testLink: ChainLink = (prevHash, body) => createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');

let draftNumber = 0;

function draft(overrides: Partial<AuditEventDraft> = {}): AuditEventDraft {
  draftNumber += 1;
  const id = overrides.id ?? `evt_${draftNumber}_${randomUUID()}`;
  return {
    id,
    type: 'call.received',
    at: '2026-01-01T00:00:00.000Z',
    tenant: 'acme',
    agent: 'agent-a',
    traceId: null,
    callId: null,
    body: JSON.stringify({ id, n: draftNumber }),
    ...overrides,
  };
}

function drafts(count: number, overrides: Partial<AuditEventDraft> = {}): AuditEventDraft[] {
  return Array.from({ length: count }, () => draft(overrides));
}

/** Asserts seq 1..n without gaps, genesis first, every prevHash equal to the previous hash, every hash from the link. */
function assertChain(events: readonly StoredAuditEvent[], expectedLength: number): void {
  assert.equal(events.length, expectedLength);
  let previousHash = GENESIS_HASH;
  events.forEach((event, index) => {
    assert.equal(event.seq, index + 1, 'seq is contiguous from 1');
    assert.equal(event.prevHash, previousHash, `event ${event.seq} links to the one before`);
    assert.equal(event.hash, testLink(event.prevHash, event.body), `event ${event.seq} hash comes from the link`);
    previousHash = event.hash;
  });
}

async function assertStoreError(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => isInterlockError(error) && error.code === code);
}

async function readWholeChain(store: Store): Promise<StoredAuditEvent[]> {
  return store.readAuditRange(1, 100_000);
}

export function storeContract(name: string, makeStore: MakeStore): void {
  /** Runs a test body against a fresh, migrated store and always cleans up. */
  async function withStore(body: (subject: StoreUnderTest) => Promise<void>, durability: Durability = 'durable'): Promise<void> {
    const subject = await makeStore(durability);
    try {
      await subject.store.migrate();
      await body(subject);
    } finally {
      await subject.cleanup();
    }
  }

  describe(`${name}: Store contract`, () => {
    test('migrate is idempotent, also when two instances run it at the same time', async () => {
      const subject = await makeStore();
      try {
        const peer = await subject.openPeer();
        await Promise.all([subject.store.migrate(), peer.migrate()]);
        await subject.store.migrate();
        await peer.migrate();
        assert.equal(await subject.store.auditHead(), null);
        const [event] = await peer.appendAuditEvents([draft()], testLink);
        assert.ok(event);
        assert.equal(event.seq, 1);
        assert.deepEqual(await subject.store.auditHead(), { seq: 1, hash: event.hash });
      } finally {
        await subject.cleanup();
      }
    });

    test('an empty store has no head and no events; an empty append changes nothing', async () => {
      await withStore(async ({ store }) => {
        assert.equal(await store.auditHead(), null);
        assert.deepEqual(await store.appendAuditEvents([], testLink), []);
        assert.equal(await store.auditHead(), null);
        assert.deepEqual(await store.listAuditEvents({ limit: 10 }), []);
        assert.deepEqual(await store.readAuditRange(1, 10), []);
        assert.deepEqual(await store.listCheckpoints(), []);
      });
    });

    test('appends continue one chain across batches, hashing with the given link', async () => {
      await withStore(async ({ store }) => {
        const linkCalls: Array<[string, string]> = [];
        const spyLink: ChainLink = (prevHash, body) => {
          linkCalls.push([prevHash, body]);
          return testLink(prevHash, body);
        };
        const first = await store.appendAuditEvents(drafts(3), spyLink);
        const second = await store.appendAuditEvents(drafts(1), spyLink);
        const third = await store.appendAuditEvents(drafts(5), spyLink);
        assert.deepEqual(
          [...first, ...second, ...third].map((event) => event.seq),
          [1, 2, 3, 4, 5, 6, 7, 8, 9],
        );
        assert.equal(linkCalls.length, 9);
        assert.equal(first[0]?.prevHash, GENESIS_HASH);
        assert.equal(second[0]?.prevHash, first[2]?.hash);
        assert.equal(third[0]?.prevHash, second[0]?.hash);

        const stored = await readWholeChain(store);
        assertChain(stored, 9);
        assert.deepEqual(stored, [...first, ...second, ...third], 'returned events are what was stored');
        assert.deepEqual(await store.auditHead(), { seq: 9, hash: third[4]?.hash });
      });
    });

    test('a link of a different shape is what gets stored', async () => {
      await withStore(async ({ store }) => {
        const upperLink: ChainLink = (prevHash, body) => createHash('sha256').update(body).update(prevHash).digest('hex').toUpperCase();
        const [event] = await store.appendAuditEvents([draft()], upperLink);
        const [stored] = await store.readAuditRange(1, 1);
        assert.equal(stored?.hash, upperLink(GENESIS_HASH, event?.body ?? ''));
      });
    });

    test('a failing batch is rolled back whole and the chain stays as it was', async () => {
      await withStore(async ({ store }) => {
        const [kept] = await store.appendAuditEvents([draft({ id: 'evt_fixed' })], testLink);
        await assertStoreError(store.appendAuditEvents([draft(), draft(), draft({ id: 'evt_fixed' })], testLink), 'STORE_UNAVAILABLE');
        assert.deepEqual(await store.auditHead(), { seq: 1, hash: kept?.hash });
        assertChain(await readWholeChain(store), 1);
        const next = await store.appendAuditEvents(drafts(2), testLink);
        assert.deepEqual(
          next.map((event) => event.seq),
          [2, 3],
        );
        assertChain(await readWholeChain(store), 3);
      });
    });

    test('concurrent appends from two store instances form one contiguous chain', async () => {
      await withStore(async ({ store, openPeer }) => {
        const peer = await openPeer();
        await peer.migrate();
        const batches = Array.from({ length: 40 }, (_, index) => drafts(1 + (index % 5), { agent: `writer-${index}` }));
        const results = await Promise.all(
          batches.map((batch, index) => (index % 2 === 0 ? store : peer).appendAuditEvents(batch, testLink)),
        );
        const total = batches.reduce((sum, batch) => sum + batch.length, 0);

        const chain = await readWholeChain(peer);
        assertChain(chain, total);
        assert.equal(new Set(chain.map((event) => event.id)).size, total, 'every draft stored exactly once');
        results.forEach((events, index) => {
          const batch = batches[index] ?? [];
          assert.deepEqual(
            events.map((event) => event.id),
            batch.map((item) => item.id),
          );
          // A batch is placed atomically: its events are adjacent and in order.
          events.forEach((event, position) => assert.equal(event.seq, (events[0]?.seq ?? 0) + position));
          assert.deepEqual(chain.slice((events[0]?.seq ?? 1) - 1, (events[0]?.seq ?? 1) - 1 + events.length), events);
        });
        assert.deepEqual(await store.auditHead(), { seq: total, hash: chain[total - 1]?.hash });
      });
    });

    test('bodies are stored byte for byte', async () => {
      await withStore(async ({ store }) => {
        const bodies = [
          '{"a":1,"text":"caf\u00e9 \u{1F600} \u65e5\u672c"}',
          '{"escaped":"\\u0000\\n\\t\\"\\\\","line":"\u2028\u2029"}',
          '{ "spaced" :  [ 1 , 2 ] }\n',
          `{"big":"${'x'.repeat(200_000)}"}`,
          '{"number":1e+21,"negative":-0}',
        ];
        const appended = await store.appendAuditEvents(
          bodies.map((body) => draft({ body })),
          testLink,
        );
        const stored = await readWholeChain(store);
        assert.deepEqual(
          stored.map((event) => event.body),
          bodies,
        );
        assert.deepEqual(
          stored.map((event) => event.hash),
          appended.map((event) => event.hash),
        );
        assertChain(stored, bodies.length);
      });
    });

    test('events keep every field, nulls included', async () => {
      await withStore(async ({ store }) => {
        const full = draft({
          tenant: 't1',
          agent: 'a1',
          traceId: 'trace-1',
          callId: 'call-1',
          type: 'tool.executed',
          at: '2026-02-03T04:05:06.789Z',
        });
        const empty = draft({ tenant: null, agent: null, traceId: null, callId: null });
        await store.appendAuditEvents([full, empty], testLink);
        const [first, second] = await readWholeChain(store);
        assert.deepEqual({ ...full }, pickDraft(first));
        assert.deepEqual({ ...empty }, pickDraft(second));
      });
    });

    test('filters select by tenant list, agent, trace, call, type and time, in seq order', async () => {
      await withStore(async ({ store }) => {
        await store.appendAuditEvents(
          [
            draft({
              id: 'e1',
              tenant: 'acme',
              agent: 'a1',
              traceId: 't1',
              callId: 'c1',
              type: 'call.received',
              at: '2026-01-01T00:00:00.000Z',
            }),
            draft({
              id: 'e2',
              tenant: 'acme',
              agent: 'a2',
              traceId: 't1',
              callId: 'c1',
              type: 'decision.made',
              at: '2026-01-01T00:00:01.000Z',
            }),
            draft({
              id: 'e3',
              tenant: 'globex',
              agent: 'a1',
              traceId: 't2',
              callId: 'c2',
              type: 'call.received',
              at: '2026-01-01T00:00:02.000Z',
            }),
            draft({
              id: 'e4',
              tenant: 'initech',
              agent: 'a3',
              traceId: 't3',
              callId: null,
              type: 'tool.executed',
              at: '2026-01-01T00:00:03.000Z',
            }),
            draft({
              id: 'e5',
              tenant: null,
              agent: null,
              traceId: null,
              callId: null,
              type: 'server.started',
              at: '2026-01-01T00:00:04.000Z',
            }),
          ],
          testLink,
        );
        const ids = async (filter: Parameters<Store['listAuditEvents']>[0]) =>
          (await store.listAuditEvents(filter)).map((event) => event.id);

        assert.deepEqual(await ids({ limit: 100 }), ['e1', 'e2', 'e3', 'e4', 'e5']);
        assert.deepEqual(await ids({ limit: 100, tenants: ['acme'] }), ['e1', 'e2']);
        assert.deepEqual(await ids({ limit: 100, tenants: ['initech', 'acme'] }), ['e1', 'e2', 'e4']);
        assert.deepEqual(await ids({ limit: 100, tenants: [] }), [], 'no tenants allowed means no events');
        assert.deepEqual(await ids({ limit: 100, tenants: ['nobody'] }), []);
        assert.deepEqual(await ids({ limit: 100, agent: 'a1' }), ['e1', 'e3']);
        assert.deepEqual(await ids({ limit: 100, traceId: 't1' }), ['e1', 'e2']);
        assert.deepEqual(await ids({ limit: 100, callId: 'c2' }), ['e3']);
        assert.deepEqual(await ids({ limit: 100, type: 'call.received' }), ['e1', 'e3']);
        assert.deepEqual(await ids({ limit: 100, since: '2026-01-01T00:00:01.000Z' }), ['e2', 'e3', 'e4', 'e5'], 'since is inclusive');
        assert.deepEqual(await ids({ limit: 100, until: '2026-01-01T00:00:03.000Z' }), ['e1', 'e2', 'e3'], 'until is exclusive');
        assert.deepEqual(await ids({ limit: 100, since: '2026-01-01T00:00:01.000Z', until: '2026-01-01T00:00:02.000Z' }), ['e2']);
        assert.deepEqual(await ids({ limit: 100, tenants: ['acme', 'globex'], agent: 'a1', type: 'call.received' }), ['e1', 'e3']);
        assert.deepEqual(await ids({ limit: 100, tenants: ['acme'], traceId: 't2' }), []);
        assert.deepEqual(await ids({ limit: 2 }), ['e1', 'e2']);
        assert.deepEqual(await ids({ limit: 0 }), []);
        assert.deepEqual(await ids({ limit: 100, afterSeq: 3 }), ['e4', 'e5']);
        assert.deepEqual(await ids({ limit: 100, afterSeq: 5 }), []);
        assert.deepEqual(await ids({ limit: 1, afterSeq: 1, agent: 'a1' }), ['e3']);
      });
    });

    test('pagination with afterSeq walks every matching event exactly once', async () => {
      await withStore(async ({ store }) => {
        const appended = await store.appendAuditEvents(
          Array.from({ length: 23 }, (_, index) => draft({ tenant: index % 3 === 0 ? 'other' : 'acme' })),
          testLink,
        );
        const expected = appended.filter((event) => event.tenant === 'acme').map((event) => event.seq);
        const seen: number[] = [];
        let cursor: number | undefined;
        for (let page = 0; page < 20; page += 1) {
          const events = await store.listAuditEvents(
            cursor === undefined ? { limit: 4, tenants: ['acme'] } : { limit: 4, tenants: ['acme'], afterSeq: cursor },
          );
          if (events.length === 0) break;
          assert.ok(events.length <= 4);
          seen.push(...events.map((event) => event.seq));
          cursor = events[events.length - 1]?.seq;
        }
        assert.deepEqual(seen, expected);
      });
    });

    test('readAuditRange starts at fromSeq inclusive and honours the limit', async () => {
      await withStore(async ({ store }) => {
        await store.appendAuditEvents(drafts(10), testLink);
        assert.deepEqual(
          (await store.readAuditRange(4, 3)).map((event) => event.seq),
          [4, 5, 6],
        );
        assert.deepEqual(
          (await store.readAuditRange(9, 100)).map((event) => event.seq),
          [9, 10],
        );
        assert.deepEqual(
          (await store.readAuditRange(0, 2)).map((event) => event.seq),
          [1, 2],
        );
        assert.deepEqual(await store.readAuditRange(11, 5), []);
        assert.deepEqual(await store.readAuditRange(1, 0), []);
      });
    });

    test('malformed limits and cursors are refused, not passed to SQL', async () => {
      await withStore(async ({ store }) => {
        await assertStoreError(store.listAuditEvents({ limit: -1 }), 'REQUEST_INVALID');
        await assertStoreError(store.listAuditEvents({ limit: 1.5 }), 'REQUEST_INVALID');
        await assertStoreError(store.listAuditEvents({ limit: Number.NaN }), 'REQUEST_INVALID');
        await assertStoreError(store.listAuditEvents({ limit: 10, afterSeq: -3 }), 'REQUEST_INVALID');
        await assertStoreError(store.readAuditRange(1, -1), 'REQUEST_INVALID');
        await assertStoreError(store.readAuditRange(Number.POSITIVE_INFINITY, 1), 'REQUEST_INVALID');
      });
    });

    test('checkpoints round trip, listed by seq; the same seq and key is stored once', async () => {
      await withStore(async ({ store }) => {
        const later = { seq: 20, hash: 'b'.repeat(64), at: '2026-01-01T00:02:00.000Z', keyId: 'key-1', signature: 'sig-20' };
        const earlier = { seq: 10, hash: 'a'.repeat(64), at: '2026-01-01T00:01:00.000Z', keyId: 'key-1', signature: 'sig-10' };
        const otherKey = { seq: 10, hash: 'a'.repeat(64), at: '2026-01-01T00:01:00.500Z', keyId: 'key-2', signature: 'sig-10-k2' };
        await store.insertCheckpoint(later);
        await store.insertCheckpoint(earlier);
        await store.insertCheckpoint(otherKey);
        await store.insertCheckpoint({ ...earlier, signature: 'a second signature', at: '2026-01-01T00:09:00.000Z' });
        assert.deepEqual(await store.listCheckpoints(), [earlier, otherKey, later]);
      });
    });

    test('revocation by token id matches that token whatever the agent', async () => {
      await withStore(async ({ store }) => {
        assert.equal(await store.isRevoked('jti-1', 'agent-a', 1000), false);
        await store.insertRevocation({
          tokenId: 'jti-1',
          agentId: 'agent-a',
          before: null,
          at: '2026-01-01T00:00:00.000Z',
          by: 'ops',
          reason: 'leaked',
        });
        assert.equal(await store.isRevoked('jti-1', 'agent-a', 1000), true);
        assert.equal(await store.isRevoked('jti-1', 'agent-b', 5_000_000_000), true);
        assert.equal(await store.isRevoked('jti-2', 'agent-a', 1000), false, 'another token of the same agent is untouched');
      });
    });

    test('revocation of an agent covers tokens issued at or before the cut-off only', async () => {
      await withStore(async ({ store }) => {
        await store.insertRevocation({
          tokenId: null,
          agentId: 'agent-a',
          before: 1_700_000_000,
          at: '2026-01-01T00:00:00.000Z',
          by: 'ops',
          reason: 'rotate',
        });
        assert.equal(await store.isRevoked('jti-old', 'agent-a', 1_699_999_999), true);
        assert.equal(await store.isRevoked('jti-edge', 'agent-a', 1_700_000_000), true, 'issued exactly at the cut-off');
        assert.equal(await store.isRevoked('jti-new', 'agent-a', 1_700_000_001), false, 'issued after the cut-off');
        assert.equal(await store.isRevoked('jti-old', 'agent-b', 1), false, 'another agent is untouched');
        assert.equal(await store.isRevoked('jti-frac', 'agent-a', 1_699_999_999.5), true, 'fractional issue time before the cut-off');
        assert.equal(await store.isRevoked('jti-frac', 'agent-a', 1_700_000_000.25), false, 'fractional issue time after the cut-off');
        await assertStoreError(store.isRevoked('jti-nan', 'agent-a', Number.NaN), 'REQUEST_INVALID');
        // A later, wider cut-off takes over.
        await store.insertRevocation({
          tokenId: null,
          agentId: 'agent-a',
          before: 1_800_000_000,
          at: '2026-02-01T00:00:00.000Z',
          by: 'ops',
          reason: 'again',
        });
        assert.equal(await store.isRevoked('jti-new', 'agent-a', 1_700_000_001), true);
      });
    });

    test('a revocation naming neither token nor cut-off is refused', async () => {
      await withStore(async ({ store }) => {
        await assertStoreError(
          store.insertRevocation({
            tokenId: null,
            agentId: 'agent-a',
            before: null,
            at: '2026-01-01T00:00:00.000Z',
            by: 'ops',
            reason: 'x',
          }),
          'REQUEST_INVALID',
        );
        await assertStoreError(
          store.insertRevocation({
            tokenId: null,
            agentId: 'agent-a',
            before: 1.5,
            at: '2026-01-01T00:00:00.000Z',
            by: 'ops',
            reason: 'x',
          }),
          'REQUEST_INVALID',
        );
        assert.equal(await store.isRevoked('any', 'agent-a', 0), false);
      });
    });

    test('counters add and report new values in request order; expiry only moves later', async () => {
      await withStore(async ({ store }) => {
        assert.deepEqual(await store.incrementCounters([]), []);
        assert.deepEqual(
          await store.incrementCounters([
            { key: 'b', by: 2, expiresAt: '2026-01-01T00:01:00.000Z' },
            { key: 'a', by: 1, expiresAt: '2026-01-01T00:01:00.000Z' },
          ]),
          [2, 1],
        );
        assert.deepEqual(await store.incrementCounters([{ key: 'a', by: 5, expiresAt: '2026-01-01T00:00:30.000Z' }]), [6]);
        assert.deepEqual(await store.incrementCounters([{ key: 'a', by: -2, expiresAt: '2026-01-01T00:00:30.000Z' }]), [4]);
        // A key listed twice gets both increments; both positions report the final value.
        assert.deepEqual(
          await store.incrementCounters([
            { key: 'c', by: 1, expiresAt: '2026-01-01T00:01:00.000Z' },
            { key: 'c', by: 1, expiresAt: '2026-01-01T00:01:00.000Z' },
          ]),
          [2, 2],
        );
        // 'a' still expires at 00:01:00 (the shorter expiry did not shorten it), so it survives this purge.
        assert.equal(await store.purgeExpiredCounters('2026-01-01T00:00:45.000Z'), 0);
        assert.deepEqual(await store.incrementCounters([{ key: 'a', by: 0, expiresAt: '2026-01-01T00:00:00.000Z' }]), [4]);
      });
    });

    test('non-integer counter increments are refused', async () => {
      await withStore(async ({ store }) => {
        await assertStoreError(store.incrementCounters([{ key: 'a', by: 0.5, expiresAt: '2026-01-01T00:01:00.000Z' }]), 'INTERNAL');
        assert.deepEqual(await store.incrementCounters([{ key: 'a', by: 1, expiresAt: '2026-01-01T00:01:00.000Z' }]), [1]);
      });
    });

    test('counters stay exact under concurrent increments from two instances', async () => {
      await withStore(async ({ store, openPeer }) => {
        const peer = await openPeer();
        await peer.migrate();
        const rounds = 30;
        const results = await Promise.all(
          Array.from({ length: rounds }, (_, index) =>
            (index % 2 === 0 ? store : peer).incrementCounters([
              // Opposite key orders from the two instances: must not deadlock.
              ...(index % 2 === 0
                ? [
                    { key: 'x', by: 1, expiresAt: '2026-01-01T01:00:00.000Z' },
                    { key: 'y', by: 10, expiresAt: '2026-01-01T01:00:00.000Z' },
                  ]
                : [
                    { key: 'y', by: 10, expiresAt: '2026-01-01T01:00:00.000Z' },
                    { key: 'x', by: 1, expiresAt: '2026-01-01T01:00:00.000Z' },
                  ]),
            ]),
          ),
        );
        const xValues = results.map((values, index) => (index % 2 === 0 ? values[0] : values[1]));
        const yValues = results.map((values, index) => (index % 2 === 0 ? values[1] : values[0]));
        assert.deepEqual(
          [...xValues].sort((left, right) => (left ?? 0) - (right ?? 0)),
          Array.from({ length: rounds }, (_, index) => index + 1),
          'every increment saw a distinct value',
        );
        assert.deepEqual(
          [...yValues].sort((left, right) => (left ?? 0) - (right ?? 0)),
          Array.from({ length: rounds }, (_, index) => (index + 1) * 10),
        );
        // Each call moved both counters in one transaction: a reader sees x * 10 === y after any call.
        results.forEach((values, index) =>
          assert.equal(((index % 2 === 0 ? values[0] : values[1]) ?? 0) * 10, index % 2 === 0 ? values[1] : values[0]),
        );
      });
    });

    test('purge removes only counters past their expiry and reports how many', async () => {
      await withStore(async ({ store }) => {
        await store.incrementCounters([
          { key: 'old-1', by: 3, expiresAt: '2026-01-01T00:00:00.000Z' },
          { key: 'old-2', by: 3, expiresAt: '2026-01-01T00:00:59.999Z' },
          { key: 'edge', by: 3, expiresAt: '2026-01-01T00:01:00.000Z' },
          { key: 'new', by: 3, expiresAt: '2026-01-01T00:02:00.000Z' },
        ]);
        assert.equal(await store.purgeExpiredCounters('2026-01-01T00:01:00.000Z'), 2);
        assert.equal(await store.purgeExpiredCounters('2026-01-01T00:01:00.000Z'), 0);
        assert.deepEqual(
          await store.incrementCounters([
            { key: 'old-1', by: 1, expiresAt: '2026-01-01T00:05:00.000Z' },
            { key: 'edge', by: 1, expiresAt: '2026-01-01T00:05:00.000Z' },
            { key: 'new', by: 1, expiresAt: '2026-01-01T00:05:00.000Z' },
          ]),
          [1, 4, 4],
          'a purged counter starts again from zero',
        );
      });
    });

    for (const durability of ['durable', 'relaxed'] as const) {
      test(`the ${durability} setting is applied to the connection`, async () => {
        await withStore(async ({ store, expectedDurabilitySetting }) => {
          assert.equal(await store.durabilitySetting(), expectedDurabilitySetting);
          await store.appendAuditEvents(drafts(2), testLink);
          assert.equal(await store.durabilitySetting(), expectedDurabilitySetting, 'still applied after writes');
        }, durability);
      });
    }

    test('ping answers; close is idempotent; a closed store refuses calls with STORE_UNAVAILABLE', async () => {
      await withStore(async ({ store }) => {
        await store.ping();
        await store.close();
        await store.close();
        await assertStoreError(store.ping(), 'STORE_UNAVAILABLE');
        await assertStoreError(store.appendAuditEvents([draft()], testLink), 'STORE_UNAVAILABLE');
        await assertStoreError(store.isRevoked('t', 'a', 1), 'STORE_UNAVAILABLE');
      });
    });
  });

  safeExecutionContract(name, makeStore);
  sessionLedgerContract(name, makeStore);
}

function pickDraft(event: StoredAuditEvent | undefined): AuditEventDraft {
  assert.ok(event);
  return {
    id: event.id,
    type: event.type,
    at: event.at,
    tenant: event.tenant,
    agent: event.agent,
    traceId: event.traceId,
    callId: event.callId,
    body: event.body,
  };
}
