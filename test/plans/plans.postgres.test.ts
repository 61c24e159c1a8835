/**
 * The same plan suite on PostgreSQL (a fresh schema). Skipped when no server answers locally;
 * under CI=true an unreachable server fails the file.
 */
import { describe } from 'node:test';
import { requirePostgres } from '../support/postgres.js';
import { plansSuite } from './plans-suite.js';

const postgres = await requirePostgres();

describe('plans on postgres', postgres, () => {
  plansSuite('postgres');
});
