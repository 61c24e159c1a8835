/** The approvals suite on PostgreSQL (a fresh schema); skipped when no server answers locally. */
import { describe } from 'node:test';
import { requirePostgres } from '../support/postgres.js';
import { approvalsSuite } from './approvals-suite.js';

const postgres = await requirePostgres();

describe('approvals over HTTP on postgres', postgres, () => {
  approvalsSuite('postgres');
});
