/**
 * The retrieval sources of a project, as configured under `retrieval.sources`: owner,
 * classification, trust, freshness budget and allowlists. Cross-references zod cannot check are
 * checked here (tenants exist, allowlisted agents belong to the source's tenant), so a source can
 * never be opened to another tenant's agent by a typo.
 */
import { parseDuration } from '../config/duration.js';
import type { ProjectFile, RetrievalSourceConfig } from '../config/schema.js';
import { InterlockError } from '../errors/interlock-error.js';
import { isAllowlisted, type Reader, type SourceAccessRules } from './access.js';

export type FreshnessResponse = 'exclude' | 'warn' | 'downgrade';

export interface RetrievalSource extends SourceAccessRules {
  readonly id: string;
  readonly owner: string;
  readonly description: string | null;
  readonly trust: 'trusted' | 'untrusted';
  /** Null: chunks of this source never go stale. */
  readonly freshness: { readonly budget: string; readonly budgetMs: number; readonly response: FreshnessResponse } | null;
}

export class SourceRegistry {
  readonly #sources: ReadonlyMap<string, RetrievalSource>;

  constructor(sources: readonly RetrievalSource[]) {
    this.#sources = new Map(sources.map((source) => [source.id, source]));
  }

  /** Builds the registry from a validated project file; CONFIG_INVALID names every broken reference. */
  static fromConfig(config: Pick<ProjectFile, 'tenants' | 'agents' | 'retrieval'>): SourceRegistry {
    const tenants = new Set(config.tenants.map((tenant) => tenant.id));
    const agentTenants = new Map(config.agents.map((agent) => [agent.id, agent.tenant]));
    const problems: string[] = [];
    config.retrieval.sources.forEach((source, index) => {
      const where = `retrieval.sources[${index}] (${source.id})`;
      if (!tenants.has(source.tenant)) problems.push(`${where}: tenant "${source.tenant}" is not declared under "tenants"`);
      for (const [list, agents] of [
        ['allow.agents', source.allow.agents],
        ['readers.agents', source.readers.agents],
      ] as const) {
        for (const agent of agents) {
          const tenant = agentTenants.get(agent);
          if (tenant === undefined) problems.push(`${where}: ${list} names "${agent}", which is not a configured agent`);
          else if (tenant !== source.tenant)
            problems.push(`${where}: ${list} names "${agent}" of tenant "${tenant}", but the source belongs to "${source.tenant}"`);
        }
      }
    });
    if (problems.length > 0) {
      throw new InterlockError('CONFIG_INVALID', `retrieval sources are misconfigured:\n  ${problems.join('\n  ')}`, { problems });
    }
    return new SourceRegistry(config.retrieval.sources.map(toSource));
  }

  get(id: string): RetrievalSource | undefined {
    return this.#sources.get(id);
  }

  all(): RetrievalSource[] {
    return [...this.#sources.values()];
  }

  /** Sources on this reader's allowlist (tenant, agent, task), in configuration order. */
  allowlistedFor(reader: Reader): RetrievalSource[] {
    return this.all().filter((source) => isAllowlisted(source, reader));
  }
}

function toSource(config: RetrievalSourceConfig): RetrievalSource {
  return {
    id: config.id,
    tenant: config.tenant,
    owner: config.owner,
    description: config.description ?? null,
    classification: config.classification,
    trust: config.trust,
    freshness:
      config.freshness === undefined
        ? null
        : { budget: config.freshness.budget, budgetMs: parseDuration(config.freshness.budget), response: config.freshness.response },
    allow: { agents: config.allow.agents, tasks: config.allow.tasks },
    readers: { roles: config.readers.roles, agents: config.readers.agents },
  };
}
