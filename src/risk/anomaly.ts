/**
 * Anomaly signals per agent against its own recent baseline: call-rate, deny-rate and cost
 * spikes. Counts are kept per minute in this process's memory (a ring of the last `windows`
 * minutes), so they cost nothing on the call path; with several replicas each judges its share of
 * the traffic, and a spike shows on every replica it reaches.
 */

export interface AnomalySettings {
  /** Minutes of history that form the baseline. */
  readonly baselineMinutes: number;
  /** A minute is a spike when it exceeds the baseline's mean by this factor… */
  readonly factor: number;
  /** …and reaches at least these absolute floors. */
  readonly minCalls: number;
  readonly minDenies: number;
  readonly minCostUsd: number;
}

export const DEFAULT_ANOMALY_SETTINGS: AnomalySettings = { baselineMinutes: 10, factor: 3, minCalls: 30, minDenies: 5, minCostUsd: 1 };

interface Minute {
  minute: number;
  calls: number;
  denies: number;
  costUsd: number;
}

const MAX_AGENTS = 10_000;

export class AnomalyTracker {
  readonly #settings: AnomalySettings;
  readonly #now: () => number;
  readonly #agents = new Map<string, Minute[]>();

  constructor(settings: AnomalySettings = DEFAULT_ANOMALY_SETTINGS, now: () => number = Date.now) {
    this.#settings = settings;
    this.#now = now;
  }

  /** Counts a proposed call and its planned cost; returns the signals the current minute raises. */
  call(agentKey: string, costUsd: number): string[] {
    const current = this.#current(agentKey);
    current.calls += 1;
    current.costUsd += costUsd;
    return this.signals(agentKey);
  }

  /** Counts a denial (policy deny, refusal by a kill switch or mode, approval denied). */
  denied(agentKey: string): void {
    this.#current(agentKey).denies += 1;
  }

  signals(agentKey: string): string[] {
    const minutes = this.#agents.get(agentKey);
    if (minutes === undefined) return [];
    const nowMinute = Math.floor(this.#now() / 60_000);
    const current = minutes.find((entry) => entry.minute === nowMinute);
    if (current === undefined) return [];
    const history = minutes.filter((entry) => entry.minute < nowMinute && entry.minute >= nowMinute - this.#settings.baselineMinutes);
    const mean = (pick: (entry: Minute) => number) =>
      history.reduce((sum, entry) => sum + pick(entry), 0) / Math.max(1, this.#settings.baselineMinutes);
    const { factor } = this.#settings;
    const signals: string[] = [];
    if (current.calls >= this.#settings.minCalls && current.calls > factor * mean((entry) => entry.calls)) signals.push('call_rate_spike');
    const baselineDenyRatio =
      history.reduce((sum, entry) => sum + entry.denies, 0) /
      Math.max(
        1,
        history.reduce((sum, entry) => sum + entry.calls, 0),
      );
    const denyRatio = current.denies / Math.max(1, current.calls);
    if (current.denies >= this.#settings.minDenies && denyRatio >= 0.5 && denyRatio > factor * baselineDenyRatio) {
      signals.push('deny_rate_spike');
    }
    if (current.costUsd >= this.#settings.minCostUsd && current.costUsd > factor * mean((entry) => entry.costUsd))
      signals.push('cost_spike');
    return signals;
  }

  #current(agentKey: string): Minute {
    const minute = Math.floor(this.#now() / 60_000);
    let minutes = this.#agents.get(agentKey);
    if (minutes === undefined) {
      if (this.#agents.size >= MAX_AGENTS) this.#agents.delete(this.#agents.keys().next().value ?? '');
      minutes = [];
      this.#agents.set(agentKey, minutes);
    }
    let current = minutes[minutes.length - 1];
    if (current === undefined || current.minute !== minute) {
      current = { minute, calls: 0, denies: 0, costUsd: 0 };
      minutes.push(current);
      const oldest = minute - this.#settings.baselineMinutes;
      while (minutes.length > 0 && (minutes[0]?.minute ?? minute) < oldest) minutes.shift();
    }
    return current;
  }
}
