import type { AgentConfig, OperatorConfig, ProjectFile } from '../config/schema.js';

/** The part of the project configuration identity needs; a whole `ProjectFile` fits. */
export type IdentityConfig = Pick<ProjectFile, 'project' | 'environment' | 'agents' | 'operators' | 'identity'>;

/** Returns the current time in epoch milliseconds; injected so tests can move time without waiting. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/**
 * Agents and operators indexed by id. Maps rather than object lookups, so a hostile id such as
 * `__proto__` or `constructor` can never resolve to something that is not configured.
 */
export class IdentityDirectory {
  readonly #agents: ReadonlyMap<string, AgentConfig>;
  readonly #operators: ReadonlyMap<string, OperatorConfig>;

  constructor(config: Pick<IdentityConfig, 'agents' | 'operators'>) {
    this.#agents = new Map(config.agents.map((agent) => [agent.id, agent]));
    this.#operators = new Map(config.operators.map((operator) => [operator.id, operator]));
  }

  agent(agentId: string): AgentConfig | undefined {
    return this.#agents.get(agentId);
  }

  operator(operatorId: string): OperatorConfig | undefined {
    return this.#operators.get(operatorId);
  }
}

export function epochSeconds(milliseconds: number): number {
  return Math.floor(milliseconds / 1000);
}
