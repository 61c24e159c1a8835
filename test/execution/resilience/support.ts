/** Contracts, contexts and metric reads shared by the resilience tests. */
import type { Effect } from '../../../src/config/schema.js';
import type { ExecutionContext } from '../../../src/execution/executor.js';
import type { OperationContract, UpstreamBinding } from '../../../src/registry/contract.js';
import type { Metrics } from '../../../src/telemetry/metrics.js';

export function contract(
  upstream: UpstreamBinding,
  options: { tool?: string; operation?: string; effect?: Effect; idempotent?: boolean; timeoutMs?: number } = {},
): OperationContract {
  const tool = options.tool ?? 'catalog';
  const operation = options.operation ?? 'get';
  return {
    tool,
    operation,
    qualifiedName: `${tool}.${operation}`,
    mcpName: `${tool}__${operation}`,
    description: undefined,
    effect: options.effect ?? 'read',
    idempotent: options.idempotent ?? false,
    argumentsSchema: { type: 'object' },
    entities: [],
    costUsd: 0,
    timeoutMs: options.timeoutMs ?? 5_000,
    tenants: null,
    upstream,
    compensation: null,
    dryRun: null,
    statusCheck: null,
    contentTrust: 'untrusted',
    citations: 'optional',
  };
}

export function httpBinding(
  baseUrl: string,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' = 'GET',
  pathTemplate = '/items',
): UpstreamBinding {
  return { kind: 'http', baseUrl, headerRefs: {}, method, pathTemplate };
}

export function context(signal: AbortSignal = new AbortController().signal): ExecutionContext {
  return { callId: 'call-1', traceId: 'trace-1', agentId: 'agent-1', tenant: 'default', actingForUserId: null, signal };
}

/** A clock the test moves by hand. */
export function manualClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let current = start;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
  };
}

/** Waits for a condition that real I/O will make true; fails after a generous limit instead of hanging. */
export async function until(condition: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The value of one labelled series, or undefined when the series does not exist. */
export async function metricValue(metrics: Metrics, name: string, labels: Readonly<Record<string, string>>): Promise<number | undefined> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((candidate) => candidate.name === name);
  const series = metric?.values.find((value) => Object.entries(labels).every(([key, expected]) => value.labels[key] === expected));
  return series?.value;
}
