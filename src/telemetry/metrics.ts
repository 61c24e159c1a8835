import { Counter, Gauge, Histogram, Registry as MetricsRegistry, collectDefaultMetrics } from 'prom-client';
import type { CallStatus, KernelObserver } from '../gate/ports.js';

/** Prometheus metrics for the kernel, the audit log and the MCP gateway, on a registry of our own. */
export class Metrics implements KernelObserver {
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
