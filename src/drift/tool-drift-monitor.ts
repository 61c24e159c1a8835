import { InterlockError } from '../errors/interlock-error.js';
import type { AvailabilityPort } from '../gate/ports.js';
import type { AuditPort } from '../gate/ports.js';
import type { McpUpstream, UpstreamStatus } from '../execution/mcp/upstream.js';
import type { OperationContract } from '../registry/contract.js';
import { namespacedToolName, type ToolDefinition, type ToolLock } from './tool-definition.js';
import { comparePin } from './tool-lock.js';

/**
 * `pending`: its upstream has not been listed yet, so the definition is unverified.
 * `ready`: the upstream offers exactly the pinned definition.
 * `quarantined`: the upstream changed the definition after it was pinned; sticky until re-pinned.
 * `missing`: the upstream no longer offers the tool.
 */
export type McpToolState = 'pending' | 'ready' | 'quarantined' | 'missing';

export interface McpToolStatus {
  readonly name: string;
  readonly server: string;
  readonly tool: string;
  readonly state: McpToolState;
  /** For quarantined tools: what changed, as an operator reads it. */
  readonly changes: readonly string[];
}

export interface DriftObserver {
  toolDrifted(server: string, tool: string, quarantinedOnServer: number): void;
  upstreamStatus(server: string, up: boolean, lost: boolean): void;
}

export interface ToolDriftMonitorOptions {
  readonly lock: ToolLock;
  readonly upstreams: Iterable<McpUpstream>;
  readonly audit: AuditPort;
  readonly observer: DriftObserver;
  /** Warnings for operators (tools offered but not pinned). */
  readonly warn?: (message: string, details: Record<string, unknown>) => void;
}

/**
 * Watches what each upstream MCP server offers against the pinned definitions. A pinned tool is
 * callable and listed only while its live definition matches the pin; a changed definition
 * quarantines the tool (hidden and refused) with an audit event and a metric, until an operator
 * reviews the change and re-pins it.
 */
export class ToolDriftMonitor implements AvailabilityPort {
  readonly #lock: ToolLock;
  readonly #audit: AuditPort;
  readonly #observer: DriftObserver;
  readonly #warn: (message: string, details: Record<string, unknown>) => void;
  readonly #states = new Map<string, { state: McpToolState; changes: readonly string[] }>();
  readonly #upstreamStatus = new Map<string, UpstreamStatus>();
  readonly #unpinnedSeen = new Set<string>();
  readonly #listeners = new Set<() => void>();
  #disposed = false;

  constructor(options: ToolDriftMonitorOptions) {
    this.#lock = options.lock;
    this.#audit = options.audit;
    this.#observer = options.observer;
    this.#warn = options.warn ?? (() => undefined);
    for (const [name] of Object.entries(this.#lock.tools)) this.#states.set(name, { state: 'pending', changes: [] });
    for (const upstream of options.upstreams) {
      this.#upstreamStatus.set(upstream.name, upstream.status);
      upstream.on('tools', (tools) => {
        if (!this.#disposed) this.#listed(upstream.name, tools);
      });
      upstream.on('status', (status, detail) => {
        if (!this.#disposed) this.#statusChanged(upstream.name, status, detail.reason);
      });
      if (upstream.tools !== null) this.#listed(upstream.name, upstream.tools);
    }
  }

  /** Called whenever the set of tools clients may see changes (for `notifications/tools/list_changed`). */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops watching (a reload replaced this monitor); its last view still answers checks of calls in flight. */
  dispose(): void {
    this.#disposed = true;
    this.#listeners.clear();
  }

  /** The kernel's availability check: only verified, unchanged MCP tools may run. */
  check(contract: OperationContract): InterlockError | null {
    if (contract.upstream.kind !== 'mcp') return null;
    const { server } = contract.upstream;
    const name = namespacedToolName(server, contract.upstream.tool);
    const entry = this.#states.get(name);
    const state = entry?.state ?? 'pending';
    if (state === 'ready') return null;
    if (state === 'quarantined') {
      return new InterlockError(
        'TOOL_QUARANTINED',
        `${contract.mcpName} (${name}) is quarantined: its upstream definition changed after it was approved; an operator must review and re-pin it`,
      );
    }
    if (state === 'missing') {
      return new InterlockError('UPSTREAM_UNAVAILABLE', `MCP server "${server}" no longer offers ${contract.mcpName}`);
    }
    return new InterlockError('UPSTREAM_UNAVAILABLE', `MCP server "${server}" is not connected yet; try again shortly`, {
      upstreamStatus: this.#upstreamStatus.get(server) ?? 'starting',
    });
  }

  /** Whether the tool is shown to clients now. */
  isListed(contract: OperationContract): boolean {
    if (contract.upstream.kind !== 'mcp') return true;
    // States are kept under the lock's key (`server__tool`), whatever name clients see.
    return this.#states.get(namespacedToolName(contract.upstream.server, contract.upstream.tool))?.state === 'ready';
  }

  statuses(): McpToolStatus[] {
    return [...this.#states.entries()]
      .map(([name, entry]) => {
        const pin = this.#lock.tools[name];
        return { name, server: pin?.server ?? '', tool: pin?.tool ?? '', state: entry.state, changes: entry.changes };
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  #listed(server: string, tools: readonly ToolDefinition[]): void {
    const live = new Map(tools.map((tool) => [tool.name, tool]));
    let changed = false;
    for (const [name, pin] of Object.entries(this.#lock.tools)) {
      if (pin.server !== server) continue;
      const previous = this.#states.get(name);
      if (previous?.state === 'quarantined') continue;
      const comparison = comparePin(pin, live.get(pin.tool));
      let next: { state: McpToolState; changes: readonly string[] };
      if (comparison.kind === 'match') next = { state: 'ready', changes: [] };
      else if (comparison.kind === 'drifted') next = { state: 'quarantined', changes: comparison.changes };
      else next = { state: 'missing', changes: [] };
      this.#states.set(name, next);
      if (previous?.state !== next.state) changed = true;
      if (next.state === 'quarantined' && comparison.kind === 'drifted') {
        this.#audit.record({
          type: 'mcp.tool.quarantined',
          tenant: null,
          agent: null,
          traceId: null,
          callId: null,
          data: { server, tool: pin.tool, name, pinnedHash: pin.hash, liveHash: comparison.liveHash, changes: comparison.changes },
        });
        this.#observer.toolDrifted(server, pin.tool, this.#quarantinedOn(server));
      }
    }
    for (const tool of tools) {
      const name = namespacedToolName(server, tool.name);
      if (this.#lock.tools[name] !== undefined || this.#unpinnedSeen.has(name)) continue;
      this.#unpinnedSeen.add(name);
      this.#audit.record({
        type: 'mcp.tool.unpinned',
        tenant: null,
        agent: null,
        traceId: null,
        callId: null,
        data: { server, tool: tool.name, name },
      });
      this.#warn('an upstream offers a tool that is not pinned; it stays hidden until an operator pins it', { server, tool: tool.name });
    }
    if (changed) this.#notify();
  }

  #statusChanged(server: string, status: UpstreamStatus, reason: string | undefined): void {
    const previous = this.#upstreamStatus.get(server);
    this.#upstreamStatus.set(server, status);
    const lost = previous === 'ready' && status !== 'ready';
    this.#observer.upstreamStatus(server, status === 'ready', lost);
    if (lost) {
      this.#audit.record({
        type: 'mcp.upstream.lost',
        tenant: null,
        agent: null,
        traceId: null,
        callId: null,
        data: { server, status, reason: reason ?? null },
      });
      // Until it is listed again, its tools are unverified: hidden and refused as unavailable.
      let changed = false;
      for (const [name, pin] of Object.entries(this.#lock.tools)) {
        const entry = this.#states.get(name);
        if (pin.server === server && entry?.state === 'ready') {
          this.#states.set(name, { state: 'pending', changes: [] });
          changed = true;
        }
      }
      if (changed) this.#notify();
    } else if (status === 'ready' && previous !== 'ready') {
      this.#audit.record({ type: 'mcp.upstream.ready', tenant: null, agent: null, traceId: null, callId: null, data: { server } });
    }
  }

  #quarantinedOn(server: string): number {
    let count = 0;
    for (const [name, entry] of this.#states) if (entry.state === 'quarantined' && this.#lock.tools[name]?.server === server) count += 1;
    return count;
  }

  #notify(): void {
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch {
        // A listener failing (a closed client session) must not stop the others.
      }
    }
  }
}
