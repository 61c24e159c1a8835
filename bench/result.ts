/** The scenarios `npm run bench -- --only ...` can select, in the order they run. */
export const SCENARIO_NAMES = ['decision', 'inprocess', 'http', 'peer', 'mcp', 'kill', 'approval', 'retrieval', 'signals'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** One line of the printed table; latencies in microseconds, null where a figure does not apply. */
export interface ResultRow {
  readonly scenario: string;
  readonly p50Micros: number | null;
  readonly p99Micros: number | null;
  readonly meanMicros: number | null;
  readonly throughputPerSecond: number | null;
  /** Human-readable target, e.g. "p50 ≤ 150 µs"; null when the row is for information only. */
  readonly target: string | null;
  readonly met: boolean | null;
}

/** What one scenario hands back: its table rows and everything else worth keeping in the JSON. */
export interface ScenarioReport {
  readonly name: ScenarioName;
  readonly rows: readonly ResultRow[];
  readonly details: Record<string, unknown>;
  readonly elapsedSeconds: number;
}

/** A scenario that could not run: the rest of the run goes on and the failure is reported. */
export interface ScenarioFailure {
  readonly name: ScenarioName;
  readonly error: string;
  readonly elapsedSeconds: number;
}
