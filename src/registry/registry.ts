import type { ProjectFile } from '../config/schema.js';
import { parseDuration } from '../config/duration.js';
import type { EntitySelector, OperationContract, UpstreamBinding } from './contract.js';

/**
 * The tool registry. Lookups use own-property maps only: a tool called `__proto__` or
 * `constructor` is simply unknown.
 */
export class Registry {
  readonly #tools: Map<string, Map<string, OperationContract>>;

  constructor(contracts: readonly OperationContract[]) {
    this.#tools = new Map();
    for (const contract of contracts) {
      let operations = this.#tools.get(contract.tool);
      if (operations === undefined) {
        operations = new Map();
        this.#tools.set(contract.tool, operations);
      }
      operations.set(contract.operation, contract);
    }
  }

  static fromConfig(config: ProjectFile): Registry {
    const contracts: OperationContract[] = [];
    for (const tool of config.tools) {
      for (const operation of tool.operations) {
        const upstream: UpstreamBinding =
          tool.upstream.kind === 'http' && operation.http !== undefined
            ? {
                kind: 'http',
                baseUrl: tool.upstream.baseUrl,
                headerRefs: tool.upstream.headers,
                method: operation.http.method,
                pathTemplate: operation.http.path,
              }
            : { kind: 'in_process' };
        const defaultTimeout = tool.upstream.kind === 'http' ? tool.upstream.timeout : '10s';
        contracts.push({
          tool: tool.name,
          operation: operation.name,
          qualifiedName: `${tool.name}.${operation.name}`,
          description: operation.description,
          effect: operation.effect,
          idempotent: operation.idempotent,
          argumentsSchema: operation.arguments,
          entities: operation.entities.map((selector) => parseEntitySelector(selector.type, selector.path)),
          costUsd: operation.cost.usd,
          timeoutMs: parseDuration(operation.timeout ?? defaultTimeout),
          tenants: tool.tenants ?? null,
          upstream,
        });
      }
    }
    return new Registry(contracts);
  }

  hasTool(tool: string): boolean {
    return this.#tools.has(tool);
  }

  /** Whether the tool exists for this tenant; a tool of other tenants is as unknown as a missing one. */
  toolVisibleTo(tool: string, tenant: string): boolean {
    const operations = this.#tools.get(tool);
    if (operations === undefined) return false;
    const first = operations.values().next();
    if (first.done === true) return false;
    return first.value.tenants === null || first.value.tenants.includes(tenant);
  }

  resolve(tool: string, operation: string): OperationContract | undefined {
    return this.#tools.get(tool)?.get(operation);
  }

  /** Every operation, in declaration order. */
  operations(): OperationContract[] {
    return [...this.#tools.values()].flatMap((operations) => [...operations.values()]);
  }
}

export function parseEntitySelector(type: string, path: string): EntitySelector {
  const segments: string[] = [];
  for (const part of path.split('.')) {
    if (part.endsWith('[*]')) {
      segments.push(part.slice(0, -3), '*');
    } else {
      segments.push(part);
    }
  }
  return { type, segments };
}
