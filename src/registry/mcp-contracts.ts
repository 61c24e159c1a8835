import type { McpEffectRule, McpServerConfig } from '../config/schema.js';
import { parseDuration } from '../config/duration.js';
import { namespacedToolName, type ToolLock } from '../drift/tool-definition.js';
import type { OperationContract } from './contract.js';
import { parseEntitySelector } from './entity-selector.js';

/**
 * Contracts for the tools of upstream MCP servers. Only pinned (operator-approved) definitions
 * become operations: a tool an upstream adds later is unknown until it is pinned. The effect comes
 * from the configured rules, never from the upstream's own hints; a tool no rule matches is
 * `destructive`.
 */
export function mcpContracts(servers: readonly McpServerConfig[], lock: ToolLock): OperationContract[] {
  const contracts: OperationContract[] = [];
  for (const server of servers) {
    const pins = Object.values(lock.tools)
      .filter((pin) => pin.server === server.name)
      .sort((a, b) => (a.tool < b.tool ? -1 : a.tool > b.tool ? 1 : 0));
    for (const pin of pins) {
      const rule = effectRuleFor(server.effects, pin.tool);
      contracts.push({
        tool: server.name,
        operation: pin.tool,
        qualifiedName: `${server.name}.${pin.tool}`,
        mcpName: server.namespace ? namespacedToolName(server.name, pin.tool) : pin.tool,
        description: pin.definition.description,
        effect: rule?.effect ?? 'destructive',
        idempotent: rule?.idempotent ?? false,
        argumentsSchema: pin.definition.inputSchema,
        entities: (rule?.entities ?? []).map((selector) => parseEntitySelector(selector.type, selector.path)),
        costUsd: rule?.cost.usd ?? 0,
        timeoutMs: parseDuration(server.timeout),
        tenants: server.tenants ?? null,
        upstream: { kind: 'mcp', server: server.name, tool: pin.tool },
        compensation: null,
        dryRun: null,
        statusCheck: null,
        contentTrust: rule?.contentTrust ?? 'untrusted',
        citations: 'optional',
      });
    }
  }
  return contracts;
}

/** The first rule with a pattern matching the tool's upstream name. */
export function effectRuleFor(rules: readonly McpEffectRule[], tool: string): McpEffectRule | undefined {
  return rules.find((rule) => rule.tools.some((pattern) => toolPatternMatches(pattern, tool)));
}

/** `*` matches any run of characters (including none); everything else is literal. */
export function toolPatternMatches(pattern: string, name: string): boolean {
  const parts = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`, 's').test(name);
}
