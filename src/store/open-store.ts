import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Durability, Store } from './store.js';

export type OpenStoreOptions =
  | { readonly driver: 'sqlite'; readonly path: string; readonly durability: Durability }
  | {
      readonly driver: 'postgres';
      readonly url: string;
      readonly schema: string;
      readonly durability: Durability;
      readonly poolSize: number;
    };

/** Opens the configured store and brings its tables up to date; the store is closed again if that fails. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const store =
    options.driver === 'sqlite'
      ? new SqliteStore({ path: options.path, durability: options.durability })
      : new PostgresStore({ url: options.url, schema: options.schema, durability: options.durability, poolSize: options.poolSize });
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}
