import type { ProjectFile } from '../config/schema.js';
import { parseDuration } from '../config/duration.js';
import { InterlockError } from '../errors/interlock-error.js';
import { EMPTY_TOOL_LOCK, namespacedToolName, type ToolLock } from '../drift/tool-definition.js';
import type { OperationContract, UpstreamBinding } from './contract.js';
import { parseEntitySelector } from './entity-selector.js';
import { mcpContracts } from './mcp-contracts.js';

/**
 * The tool registry. Lookups use own-property maps only: a tool called `__proto__` or
 * `constructor` is simply unknown.
 */
export class Registry {
  readonly #tools: Map<string, Map<string, OperationContract>>;
  readonly #byMcpName: Map<string, OperationContract>;

  /** Refuses two operations that would share an MCP name (`tool__operation`). */
  constructor(contracts: readonly OperationContract[]) {
    this.#tools = new Map();
    this.#byMcpName = new Map();
    for (const contract of contracts) {
      const clash = this.#byMcpName.get(contract.mcpName);
      if (clash !== undefined) {
        throw new InterlockError(
          'CONFIG_INVALID',
          `${contract.qualifiedName} and ${clash.qualifiedName} would both be exposed as "${contract.mcpName}"; rename a tool or an MCP server`,
        );
      }
      this.#byMcpName.set(contract.mcpName, contract);
      let operations = this.#tools.get(contract.tool);
      if (operations === undefined) {
        operations = new Map();
        this.#tools.set(contract.tool, operations);
      }
      operations.set(contract.operation, contract);
    }
  }

  /** The configured tools, and the pinned tools of the configured MCP servers. */
  static fromConfig(config: ProjectFile, lock: ToolLock = EMPTY_TOOL_LOCK): Registry {
    const contracts: OperationContract[] = [];
    const toolNames = new Set(config.tools.map((tool) => tool.name));
    const serverNames = new Set<string>();
    for (const server of config.mcp.servers) {
      if (toolNames.has(server.name) || serverNames.has(server.name)) {
        throw new InterlockError('CONFIG_INVALID', `MCP server name "${server.name}" is already used by another tool or server`);
      }
      serverNames.add(server.name);
    }
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
          mcpName: namespacedToolName(tool.name, operation.name),
          description: operation.description,
          effect: operation.effect,
          idempotent: operation.idempotent,
          argumentsSchema: operation.arguments,
          entities: operation.entities.map((selector) => parseEntitySelector(selector.type, selector.path)),
          costUsd: operation.cost.usd,
          timeoutMs: parseDuration(operation.timeout ?? defaultTimeout),
          tenants: tool.tenants ?? null,
          upstream,
          compensation: operation.compensation ?? null,
          dryRun: operation.dryRun ?? null,
          statusCheck: operation.statusCheck ?? null,
          contentTrust: operation.contentTrust,
          citations: operation.citations,
        });
      }
    }
    for (const tool of config.tools) checkDerivedOperations(tool);
    contracts.push(...mcpContracts(config.mcp.servers, lock));
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

  /** The operation exposed to MCP clients under `name` (`tool__operation`). */
  resolveMcpName(name: string): OperationContract | undefined {
    return this.#byMcpName.get(name);
  }

  /** Every operation, in declaration order. */
  operations(): OperationContract[] {
    return [...this.#tools.values()].flatMap((operations) => [...operations.values()]);
  }
}

/** Compensations, dry runs and status checks name operations of the same tool; dry runs and status checks only read. */
function checkDerivedOperations(tool: ProjectFile['tools'][number]): void {
  const byName = new Map(tool.operations.map((operation) => [operation.name, operation]));
  for (const operation of tool.operations) {
    const where = `${tool.name}.${operation.name}`;
    const references: Array<[string, string | undefined, boolean]> = [
      ['compensation', operation.compensation?.operation, false],
      ['dryRun', operation.dryRun, true],
      ['statusCheck', operation.statusCheck?.operation, true],
    ];
    for (const [field, name, mustRead] of references) {
      if (name === undefined) continue;
      const target = byName.get(name);
      if (target === undefined) {
        throw new InterlockError('CONFIG_INVALID', `${where}: ${field} names "${name}", which is not an operation of tool "${tool.name}"`);
      }
      if (mustRead && target.effect !== 'read') {
        throw new InterlockError('CONFIG_INVALID', `${where}: ${field} "${name}" must be a read operation (it is ${target.effect})`);
      }
      if (name === operation.name) throw new InterlockError('CONFIG_INVALID', `${where}: ${field} cannot name the operation itself`);
    }
  }
}
