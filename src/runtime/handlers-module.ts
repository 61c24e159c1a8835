import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InterlockError } from '../errors/interlock-error.js';
import type { ToolHandler } from '../execution/in-process-executor.js';

/** Loads the project's `handlers` module: `export const handlers = { 'tool.operation': fn }`. */
export async function loadHandlersModule(projectDir: string, modulePath: string): Promise<Map<string, ToolHandler>> {
  const full = resolve(projectDir, modulePath);
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(full).href)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : 'unreadable';
    throw new InterlockError('CONFIG_INVALID', `handlers module ${modulePath} cannot be loaded: ${reason}`);
  }
  const table = loaded['handlers'];
  if (table === null || typeof table !== 'object') {
    throw new InterlockError('CONFIG_INVALID', `handlers module ${modulePath} must export "handlers" = { 'tool.operation': function }`);
  }
  const handlers = new Map<string, ToolHandler>();
  for (const [name, handler] of Object.entries(table)) {
    if (typeof handler !== 'function')
      throw new InterlockError('CONFIG_INVALID', `handlers module ${modulePath}: "${name}" is not a function`);
    handlers.set(name, handler as ToolHandler);
  }
  return handlers;
}
