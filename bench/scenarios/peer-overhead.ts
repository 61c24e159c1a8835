import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AgentMeshClient } from '@microsoft/agent-governance-sdk';
import type { ResultRow } from '../result.js';
import { overhead, summarise, type LatencySummary } from '../statistics.js';
import { createBenchProject } from '../support/bench-project.js';
import { sampleSequentially, type SequentialPlan } from '../support/sequential-sampler.js';

/** Example handlers read the calling tenant from their context; direct calls pass the same one. */
type Handler = (args: Record<string, unknown>, context: { tenant: string }) => unknown;
const DIRECT_CONTEXT = { tenant: 'acme' };

export interface PeerPlan {
  readonly direct: SequentialPlan;
  /** Kept below the peer's default of 10,000 in-memory audit entries per client (see below). */
  readonly governed: SequentialPlan;
}

export const DEFAULT_PEER_PLAN: PeerPlan = { direct: { warmUp: 2_000, samples: 5_000 }, governed: { warmUp: 1_000, samples: 5_000 } };

const OPERATIONS = [
  { action: 'orders.lookup', args: { order_id: 'o-1001' }, context: {} },
  // The peer has no signed user assertions: the closest equivalent is a role in the call context.
  { action: 'refunds.create', args: { order_id: 'o-1001', amount_cents: 100, reason: 'benchmark refund' }, context: { role: 'support' } },
] as const;

/**
 * The reference peer: `AgentMeshClient.executeWithGovernance` from @microsoft/agent-governance-sdk,
 * configured with rules equivalent to the example's (allow the lookup, allow a refund for the
 * support role, deny the rest), then the same handler called when the decision is `allow`.
 *
 * Each operation gets a fresh client and stays under the peer's default audit cap of 10,000
 * entries: past it, every call copies the retained array to evict the oldest entry, which would
 * measure an artefact of the cap rather than the governed path.
 */
export async function runPeerOverhead(
  plan: PeerPlan = DEFAULT_PEER_PLAN,
): Promise<{ rows: ResultRow[]; details: Record<string, unknown> }> {
  if (plan.governed.warmUp + plan.governed.samples + 1 > 10_000)
    throw new Error('peer plan exceeds the peer audit cap of 10,000 entries per client');
  const project = createBenchProject({ durability: 'relaxed' });
  const rows: ResultRow[] = [];
  const series: Record<string, unknown>[] = [];
  try {
    const module = (await import(pathToFileURL(join(project.dir, 'handlers.js')).href)) as { handlers: Record<string, Handler> };
    for (const operation of OPERATIONS) {
      const handler = module.handlers[operation.action];
      if (handler === undefined) throw new Error(`examples/refunds/handlers.js has no handler for ${operation.action}`);
      const client = AgentMeshClient.create('support-bot', {
        capabilities: ['orders.lookup', 'refunds.create'],
        policyRules: [
          { action: 'orders.lookup', effect: 'allow' },
          { action: 'refunds.create', effect: 'allow', conditions: { role: 'support' } },
          { action: '*', effect: 'deny' },
        ],
      });
      const governed = async (): Promise<unknown> => {
        const verdict = await client.executeWithGovernance(operation.action, { ...operation.args, ...operation.context });
        if (verdict.decision !== 'allow') throw new Error(`peer denied ${operation.action}: ${verdict.decision}`);
        return handler(operation.args, DIRECT_CONTEXT);
      };
      await governed();
      const direct = await sampleSequentially(() => handler(operation.args, DIRECT_CONTEXT), plan.direct);
      const viaPeer = await sampleSequentially(governed, plan.governed);
      if (!client.audit.verify()) throw new Error('peer audit chain did not verify after the run');
      const directSummary = summarise(direct.samplesMicros);
      const governedSummary = summarise(viaPeer.samplesMicros);
      const added = overhead(governedSummary, directSummary);
      rows.push(latencyRow(`peer ${operation.action} direct`, directSummary, direct.callsPerSecond));
      rows.push(latencyRow(`peer ${operation.action} governed`, governedSummary, viaPeer.callsPerSecond));
      rows.push({ scenario: `peer ${operation.action} overhead`, ...added, throughputPerSecond: null, target: null, met: null });
      series.push({
        operation: operation.action,
        direct: directSummary,
        governed: governedSummary,
        overhead: added,
        auditEntriesInMemory: client.audit.getEntries().length,
      });
    }
  } finally {
    project.remove();
  }
  return { rows, details: { package: '@microsoft/agent-governance-sdk', version: peerVersion(), plan, series } };
}

function latencyRow(scenario: string, summary: LatencySummary, callsPerSecond: number): ResultRow {
  return {
    scenario,
    p50Micros: summary.p50Micros,
    p99Micros: summary.p99Micros,
    meanMicros: summary.meanMicros,
    throughputPerSecond: callsPerSecond,
    target: null,
    met: null,
  };
}

function peerVersion(): string {
  const require = createRequire(import.meta.url);
  const manifest = require('@microsoft/agent-governance-sdk/package.json') as { version?: string };
  return manifest.version ?? 'unknown';
}
