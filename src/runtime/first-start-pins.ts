import type { McpServerConfig } from '../config/schema.js';
import { parseDuration } from '../config/duration.js';
import { namespacedToolName, type ToolLock, type ToolPin } from '../drift/tool-definition.js';
import { pinDefinition, withPins, writeToolLock } from '../drift/tool-lock.js';
import type { UpstreamPool } from '../execution/mcp/upstream-pool.js';

/**
 * Trust on first use: waits for the upstreams to settle (each within its start-up timeout), then
 * pins every offered tool that has no pin yet and writes the lock file. A tool whose pin differs
 * is left alone: a changed definition is never accepted silently.
 */
export async function pinFirstSeen(
  servers: readonly McpServerConfig[],
  upstreams: UpstreamPool,
  lock: ToolLock,
  lockPath: string,
): Promise<{ lock: ToolLock; names: string[] }> {
  const wait = Math.max(0, ...servers.map((server) => parseDuration(server.startupTimeout)));
  await upstreams.waitUntilSettled(wait);
  const now = new Date();
  const pins: ToolPin[] = [];
  for (const server of servers) {
    for (const definition of upstreams.get(server.name)?.tools ?? []) {
      if (lock.tools[namespacedToolName(server.name, definition.name)] !== undefined) continue;
      pins.push(pinDefinition(server.name, definition, 'first-start', now));
    }
  }
  if (pins.length === 0) return { lock, names: [] };
  const next = withPins(lock, pins);
  writeToolLock(lockPath, next);
  return { lock: next, names: pins.map((pin) => namespacedToolName(pin.server, pin.tool)) };
}
