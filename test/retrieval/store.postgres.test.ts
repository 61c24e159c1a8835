/** The retrieval store contract on PostgreSQL (tsvector and GIN), in a fresh schema; skipped when no server answers. */
import { describe } from 'node:test';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { dropSchema, freshSchemaName, postgresTestUrl, requirePostgres } from '../support/postgres.js';
import { retrievalStoreContract } from './store-contract.js';

const postgres = await requirePostgres();

describe('retrieval store on postgres', postgres, () => {
  retrievalStoreContract('postgres', async () => {
    const url = postgresTestUrl();
    const schema = freshSchemaName('retrieval_store');
    const store = new PostgresStore({ url, schema, durability: 'durable', poolSize: 4 });
    return {
      store,
      async cleanup() {
        await store.close();
        await dropSchema(url, schema);
      },
    };
  });
});
