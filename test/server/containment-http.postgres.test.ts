/** The kill switch and mode suite on PostgreSQL (a fresh schema); skipped when no server answers locally. */
import { describe } from 'node:test';
import { requirePostgres } from '../support/postgres.js';
import { containmentSuite } from './containment-suite.js';

const postgres = await requirePostgres();

describe('kill switches and modes over HTTP on postgres', postgres, () => {
  containmentSuite('postgres');
});
