import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { CircuitBreaker, type CircuitAdmission, type CircuitPermit, type CircuitState } from '../../../src/execution/circuit-breaker.js';

function breaker(options: { failureThreshold?: number; cooldownMs?: number } = {}) {
  const clock = { now: 1_000_000 };
  const transitions: CircuitState[] = [];
  const circuit = new CircuitBreaker({
    failureThreshold: options.failureThreshold ?? 3,
    cooldownMs: options.cooldownMs ?? 10_000,
    now: () => clock.now,
    onStateChange: (state) => transitions.push(state),
  });
  return { circuit, clock, transitions };
}

function permitOf(admission: CircuitAdmission): CircuitPermit {
  assert.ok(admission.admitted, `expected admission, got ${JSON.stringify(admission)}`);
  return admission.permit;
}

function failTimes(circuit: CircuitBreaker, times: number): void {
  for (let index = 0; index < times; index += 1) circuit.record(permitOf(circuit.admit()), 'unhealthy');
}

describe('CircuitBreaker', () => {
  test('opens after the threshold of consecutive failures and refuses calls until the cooldown ends', () => {
    const { circuit, clock, transitions } = breaker({ failureThreshold: 3, cooldownMs: 10_000 });
    failTimes(circuit, 2);
    assert.equal(circuit.state, 'closed');
    assert.equal(circuit.snapshot().consecutiveFailures, 2);
    failTimes(circuit, 1);
    assert.equal(circuit.state, 'open');
    assert.deepEqual(transitions, ['open']);
    assert.deepEqual(circuit.snapshot(), { state: 'open', consecutiveFailures: 3, openedAt: 1_000_000, probeAfter: 1_010_000 });

    clock.now += 4_000;
    assert.deepEqual(circuit.admit(), { admitted: false, state: 'open', retryAfterMs: 6_000 });
    clock.now += 5_999;
    assert.deepEqual(circuit.admit(), { admitted: false, state: 'open', retryAfterMs: 1 });
    assert.equal(circuit.state, 'open');
  });

  test('a healthy result resets the count: only consecutive failures open the circuit', () => {
    const { circuit } = breaker({ failureThreshold: 3 });
    failTimes(circuit, 2);
    circuit.record(permitOf(circuit.admit()), 'healthy');
    failTimes(circuit, 2);
    assert.equal(circuit.state, 'closed');
    assert.equal(circuit.snapshot().consecutiveFailures, 2);
  });

  test('results without signal neither count nor reset', () => {
    const { circuit } = breaker({ failureThreshold: 3 });
    failTimes(circuit, 2);
    for (let index = 0; index < 10; index += 1) circuit.record(permitOf(circuit.admit()), 'no_signal');
    assert.equal(circuit.snapshot().consecutiveFailures, 2);
    failTimes(circuit, 1);
    assert.equal(circuit.state, 'open');
  });

  test('after the cooldown exactly one probe passes; the others fail fast while it runs', () => {
    const { circuit, clock, transitions } = breaker({ failureThreshold: 1, cooldownMs: 10_000 });
    failTimes(circuit, 1);
    clock.now += 10_000;
    const probe = permitOf(circuit.admit());
    assert.equal(probe.probe, true);
    assert.equal(circuit.state, 'half_open');
    assert.deepEqual(circuit.admit(), { admitted: false, state: 'half_open', retryAfterMs: null });
    assert.deepEqual(circuit.admit(), { admitted: false, state: 'half_open', retryAfterMs: null });
    circuit.record(probe, 'healthy');
    assert.equal(circuit.state, 'closed');
    assert.deepEqual(transitions, ['open', 'half_open', 'closed']);
    assert.deepEqual(circuit.snapshot(), { state: 'closed', consecutiveFailures: 0, openedAt: null, probeAfter: null });
    assert.equal(permitOf(circuit.admit()).probe, false);
  });

  test('a failed probe opens the circuit again with the cooldown restarted', () => {
    const { circuit, clock, transitions } = breaker({ failureThreshold: 2, cooldownMs: 10_000 });
    failTimes(circuit, 2);
    clock.now += 12_000;
    const probe = permitOf(circuit.admit());
    clock.now += 500;
    circuit.record(probe, 'unhealthy');
    assert.equal(circuit.state, 'open');
    assert.deepEqual(circuit.snapshot(), { state: 'open', consecutiveFailures: 3, openedAt: 1_012_500, probeAfter: 1_022_500 });
    assert.deepEqual(circuit.admit(), { admitted: false, state: 'open', retryAfterMs: 10_000 });
    clock.now += 10_000;
    assert.equal(permitOf(circuit.admit()).probe, true);
    assert.deepEqual(transitions, ['open', 'half_open', 'open', 'half_open']);
  });

  test('a probe that tells nothing frees the slot for the next call, which becomes the probe', () => {
    const { circuit, clock } = breaker({ failureThreshold: 1, cooldownMs: 100 });
    failTimes(circuit, 1);
    clock.now += 100;
    const cancelled = permitOf(circuit.admit());
    circuit.record(cancelled, 'no_signal');
    assert.equal(circuit.state, 'half_open');
    const next = permitOf(circuit.admit());
    assert.equal(next.probe, true);
    assert.equal(circuit.admit().admitted, false);
  });

  test('results of calls admitted before a transition are ignored', () => {
    const { circuit, clock } = breaker({ failureThreshold: 2, cooldownMs: 1_000 });
    const slowSuccess = permitOf(circuit.admit());
    const lateFailure = permitOf(circuit.admit());
    failTimes(circuit, 2);
    assert.equal(circuit.state, 'open');
    circuit.record(slowSuccess, 'healthy');
    assert.equal(circuit.state, 'open', 'a success from before the circuit opened must not close it');

    clock.now += 1_000;
    const probe = permitOf(circuit.admit());
    circuit.record(lateFailure, 'unhealthy');
    assert.equal(circuit.state, 'half_open', 'a failure from before must not reopen the circuit during the probe');
    assert.equal(circuit.admit().admitted, false, 'the stale result must not free the probe slot');
    circuit.record(probe, 'healthy');
    assert.equal(circuit.state, 'closed');
  });

  test('refuses a threshold below one and a negative cooldown', () => {
    assert.throws(() => new CircuitBreaker({ failureThreshold: 0, cooldownMs: 1, now: Date.now }), RangeError);
    assert.throws(() => new CircuitBreaker({ failureThreshold: 1.5, cooldownMs: 1, now: Date.now }), RangeError);
    assert.throws(() => new CircuitBreaker({ failureThreshold: 1, cooldownMs: -1, now: Date.now }), RangeError);
  });
});
