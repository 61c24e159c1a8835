/** Governed retrieval over the HTTP door on PostgreSQL (a fresh schema); skipped when no server answers locally. */
import { describe } from 'node:test';
import { requirePostgres } from '../support/postgres.js';
import { retrievalSuite } from './retrieval-suite.js';

const postgres = await requirePostgres();

describe('governed retrieval on postgres', postgres, () => {
  retrievalSuite('postgres');
});
