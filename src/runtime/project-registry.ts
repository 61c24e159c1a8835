import { resolve } from 'node:path';
import type { LoadedProjectFile } from '../config/load.js';
import type { ToolLock } from '../drift/tool-definition.js';
import { readToolLock } from '../drift/tool-lock.js';
import { Registry } from '../registry/registry.js';

/** The project's tool lock file: its path and the pins in it. */
export function projectToolLock(project: LoadedProjectFile): { path: string; lock: ToolLock } {
  const path = resolve(project.dir, project.config.mcp.lockFile);
  return { path, lock: readToolLock(path) };
}

/** The registry of a project as the server would build it: configured tools and pinned MCP tools. */
export function projectRegistry(project: LoadedProjectFile): Registry {
  return Registry.fromConfig(project.config, projectToolLock(project).lock);
}
