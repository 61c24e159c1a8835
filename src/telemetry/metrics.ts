import { Counter, Gauge, Histogram, Registry as MetricsRegistry, collectDefaultMetrics } from 'prom-client';
import type { CircuitState } from '../execution/circuit-breaker.js';
import type { ResilienceObserver } from '../execution/resilient-executor.js';
import type { CallStatus, KernelObserver } from '../gate/ports.js';

/** Gauge values of `interlock_circuit_state`. */
const CIRCUIT_STATE_VALUES: Readonly<Record<CircuitState, number>> = { closed: 0, half_open: 1, open: 2 };

/** Prometheus metrics for the kernel, the audit log, the MCP gateway and upstream resilience, on a registry of our own. */
export class Metrics implements KernelObserver, ResilienceObserver {
  readonly registry = new MetricsRegistry();
  readonly #calls: Counter<'status' | 'tool' | 'code'>;
  readonly #callDuration: Histogram<'status'>;
  readonly #decisions: Counter<'kind'>;
  readonly #decisionDuration: Histogram;
  readonly #auditEvents: Counter;
  readonly #auditCommits: Counter;
  readonly #toolDrift: Counter<'server' | 'tool'>;
  readonly #quarantined: Gauge<'server'>;
  readonly #upstreamUp: Gauge<'server'>;
  readonly #upstreamRestarts: Counter<'server'>;
  readonly #circuitState: Gauge<'upstream'>;
  readonly #circuitOpened: Counter<'upstream'>;
  readonly #executionRetries: Counter<'upstream'>;

  constructor(options: { defaultMetrics: boolean } = { defaultMetrics: true }) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'interlock_process_' });
    this.#calls = new Counter({
      name: 'interlock_calls_total',
      help: 'Governed tool calls by final status.',
      labelNames: ['status', 'tool', 'code'],
      registers: [this.registry],
    });
    this.#callDuration = new Histogram({
      name: 'interlock_call_duration_seconds',
      help: 'Time from receipt to acknowledgement of a governed call.',
      labelNames: ['status'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [this.registry],
    });
    this.#decisions = new Counter({
      name: 'interlock_decisions_total',
      help: 'Policy decisions by kind.',
      labelNames: ['kind'],
      registers: [this.registry],
    });
    this.#decisionDuration = new Histogram({
      name: 'interlock_decision_duration_seconds',
      help: 'Policy evaluation time per call.',
      buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005],
      registers: [this.registry],
    });
    this.#auditEvents = new Counter({
      name: 'interlock_audit_events_total',
      help: 'Audit events committed to the chain.',
      registers: [this.registry],
    });
    this.#auditCommits = new Counter({
      name: 'interlock_audit_commits_total',
      help: 'Group commits of audit events.',
      registers: [this.registry],
    });
    this.#toolDrift = new Counter({
      name: 'interlock_mcp_tool_drift_total',
      help: 'Upstream MCP tool definitions found changed from their pin (each quarantines the tool).',
      labelNames: ['server', 'tool'],
      registers: [this.registry],
    });
    this.#quarantined = new Gauge({
      name: 'interlock_mcp_tools_quarantined',
      help: 'MCP tools quarantined now because their definition drifted from the pin.',
      labelNames: ['server'],
      registers: [this.registry],
    });
    this.#upstreamUp = new Gauge({
      name: 'interlock_mcp_upstream_up',
      help: '1 when the upstream MCP server is connected and listed, 0 otherwise.',
      labelNames: ['server'],
      registers: [this.registry],
    });
    this.#upstreamRestarts = new Counter({
      name: 'interlock_mcp_upstream_lost_total',
      help: 'Times an upstream MCP server was lost (crash, closed connection) and a restart began.',
      labelNames: ['server'],
      registers: [this.registry],
    });
    this.#circuitState = new Gauge({
      name: 'interlock_circuit_state',
      help: 'Circuit breaker state per upstream: 0 closed, 1 half-open, 2 open.',
      labelNames: ['upstream'],
      registers: [this.registry],
    });
    this.#circuitOpened = new Counter({
      name: 'interlock_circuit_opened_total',
      help: 'Times the circuit breaker of an upstream opened (from closed, or again after a failed probe).',
      labelNames: ['upstream'],
      registers: [this.registry],
    });
    this.#executionRetries = new Counter({
      name: 'interlock_execution_retries_total',
      help: 'Further attempts sent to an upstream after a transient failure of a read or idempotent write.',
      labelNames: ['upstream'],
      registers: [this.registry],
    });
  }

  circuitStateChanged(upstream: string, state: CircuitState): void {
    this.#circuitState.set({ upstream }, CIRCUIT_STATE_VALUES[state]);
    if (state === 'open') this.#circuitOpened.inc({ upstream });
  }

  retried(upstream: string): void {
    this.#executionRetries.inc({ upstream });
  }

  callFinished(status: CallStatus, tool: string | null, errorCode: string | null, durationSeconds: number): void {
    this.#calls.inc({ status, tool: tool ?? 'none', code: errorCode ?? 'none' });
    this.#callDuration.observe({ status }, durationSeconds);
  }

  decisionMade(kind: string, durationSeconds: number): void {
    this.#decisions.inc({ kind });
    this.#decisionDuration.observe(durationSeconds);
  }

  toolDrifted(server: string, tool: string, quarantinedOnServer: number): void {
    this.#toolDrift.inc({ server, tool });
    this.#quarantined.set({ server }, quarantinedOnServer);
  }

  upstreamStatus(server: string, up: boolean, lost: boolean): void {
    this.#upstreamUp.set({ server }, up ? 1 : 0);
    if (lost) this.#upstreamRestarts.inc({ server });
  }

  auditCommitted(events: number): void {
    this.#auditEvents.inc(events);
    this.#auditCommits.inc();
  }
}
