import { isAbsolute, resolve } from 'node:path';
import { loadProjectFile, type LoadedProjectFile } from '../config/load.js';
import { SecretResolver } from '../config/secrets.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';

/** A project opened for a one-shot command: configuration and data directory, store on demand. */
export interface ProjectContext {
  readonly project: LoadedProjectFile;
  readonly dataDir: string;
  openStore(): Promise<Store>;
}

export function projectContext(projectPath: string): ProjectContext {
  const project = loadProjectFile(projectPath);
  const { config } = project;
  const dataDir = isAbsolute(config.dataDir) ? config.dataDir : resolve(project.dir, config.dataDir);
  return {
    project,
    dataDir,
    openStore: () => {
      const storage = config.storage;
      if (storage.driver === 'sqlite') {
        return openStore({
          driver: 'sqlite',
          path: isAbsolute(storage.path) ? storage.path : resolve(dataDir, storage.path),
          durability: storage.durability,
        });
      }
      const url = new SecretResolver(project.dir).resolve(storage.url);
      return openStore({ driver: 'postgres', url, schema: storage.schema, durability: storage.durability, poolSize: 2 });
    },
  };
}
