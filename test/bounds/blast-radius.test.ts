import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { agentWindowCounters, capCounters, firstCapExceeded } from '../../src/bounds/blast-radius.js';

const write = { isWrite: true, entityCount: 2 };
const read = { isWrite: false, entityCount: 1 };

describe('blast-radius counters', () => {
  it('counts only capped dimensions, keyed by tenant and the scope id', () => {
    const counters = capCounters(
      { writes: 2 },
      { toolCalls: 10 },
      { tenant: 'acme', traceId: 't-1', sessionId: 's-1' },
      write,
      '2030-01-01T00:00:00.000Z',
    );
    assert.deepEqual(
      counters.map((counter) => [counter.limitName, counter.increment.key, counter.increment.by]),
      [
        ['perRequest.writes', 'perRequest:writes:acme:t-1', 1],
        ['perSession.toolCalls', 'perSession:toolCalls:acme:s-1', 1],
      ],
    );
    assert.equal(capCounters({}, { toolCalls: 10 }, { tenant: 'acme', traceId: 't', sessionId: null }, write, 'x').length, 0);
  });

  it('per-agent counters share one key per fixed window and move to a new key in the next one', () => {
    const hour = 3_600_000;
    const first = agentWindowCounters({ writes: 5 }, hour, { tenant: 'acme', agentId: 'bot' }, write, 10 * hour + 5);
    const same = agentWindowCounters({ writes: 5 }, hour, { tenant: 'acme', agentId: 'bot' }, write, 11 * hour - 1);
    const next = agentWindowCounters({ writes: 5 }, hour, { tenant: 'acme', agentId: 'bot' }, write, 11 * hour);
    assert.equal(first[0]?.increment.key, same[0]?.increment.key);
    assert.notEqual(first[0]?.increment.key, next[0]?.increment.key);
    assert.equal(first[0]?.limitName, 'perAgent.writes');
    assert.equal(first[0]?.increment.expiresAt, new Date(12 * hour).toISOString());
  });

  it('reports the first cap exceeded, ignores dimensions the call does not add to, and fails closed on unreadable values', () => {
    const counters = capCounters({ writes: 2, entities: 3 }, {}, { tenant: 'acme', traceId: 't', sessionId: null }, write, 'x');
    assert.equal(firstCapExceeded(counters, [2, 3]), null);
    assert.deepEqual(firstCapExceeded(counters, [3, 3]), { limit: 'perRequest.writes', max: 2, reached: 3 });
    assert.deepEqual(firstCapExceeded(counters, [2, 5]), { limit: 'perRequest.entities', max: 3, reached: 5 });
    // A read under an exhausted writes cap adds 0 writes: it is not refused for writes.
    const readCounters = capCounters({ writes: 2 }, {}, { tenant: 'acme', traceId: 't', sessionId: null }, read, 'x');
    assert.equal(firstCapExceeded(readCounters, [3]), null);
    assert.deepEqual(firstCapExceeded(counters, [Number.NaN, 0]), { limit: 'perRequest.writes', max: 2, reached: 3 });
    assert.deepEqual(firstCapExceeded(counters, []), { limit: 'perRequest.writes', max: 2, reached: 3 });
  });
});
