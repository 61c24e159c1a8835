import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { AnomalyTracker } from '../../src/risk/anomaly.js';

function tracker() {
  let now = Date.parse('2026-03-01T10:00:00Z');
  const anomaly = new AnomalyTracker({ baselineMinutes: 10, factor: 3, minCalls: 30, minDenies: 5, minCostUsd: 1 }, () => now);
  return { anomaly, advance: (ms: number) => (now += ms) };
}

test('a steady agent raises nothing; a burst far above its own baseline is a call-rate spike', () => {
  const { anomaly, advance } = tracker();
  for (let minute = 0; minute < 10; minute += 1) {
    for (let call = 0; call < 20; call += 1) assert.deepEqual(anomaly.call('acme/bot', 0), []);
    advance(60_000);
  }
  let signals: string[] = [];
  for (let call = 0; call < 61; call += 1) signals = anomaly.call('acme/bot', 0);
  assert.deepEqual(signals, ['call_rate_spike']);
  // Another agent's traffic is its own.
  assert.deepEqual(anomaly.call('acme/other', 0), []);
});

test('a quiet agent is not flagged for a handful of calls (absolute floor)', () => {
  const { anomaly } = tracker();
  let signals: string[] = [];
  for (let call = 0; call < 29; call += 1) signals = anomaly.call('acme/bot', 0);
  assert.deepEqual(signals, []);
});

test('denials piling up within a minute are a deny-rate spike', () => {
  const { anomaly, advance } = tracker();
  for (let minute = 0; minute < 5; minute += 1) {
    for (let call = 0; call < 10; call += 1) anomaly.call('acme/bot', 0);
    anomaly.denied('acme/bot');
    advance(60_000);
  }
  for (let call = 0; call < 8; call += 1) {
    anomaly.call('acme/bot', 0);
    anomaly.denied('acme/bot');
  }
  assert.ok(anomaly.signals('acme/bot').includes('deny_rate_spike'));
});

test('spending far above the baseline is a cost spike', () => {
  const { anomaly, advance } = tracker();
  for (let minute = 0; minute < 10; minute += 1) {
    anomaly.call('acme/bot', 0.05);
    advance(60_000);
  }
  assert.deepEqual(anomaly.call('acme/bot', 0.5), []);
  assert.deepEqual(anomaly.call('acme/bot', 0.6), ['cost_spike']);
});
