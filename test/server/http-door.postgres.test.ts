/**
 * The same HTTP door suites on PostgreSQL (one fresh schema per project). Skipped when no server
 * answers locally; under CI=true an unreachable server fails the file.
 */
import { describe } from 'node:test';
import { requirePostgres } from '../support/postgres.js';
import { callsSuite } from './calls-suite.js';
import { evidenceSuite } from './evidence-suite.js';
import { limitsSuite } from './limits-suite.js';
import { operationsSuite } from './operations-suite.js';
import { secretsSuite } from './secrets-suite.js';

const postgres = await requirePostgres();

describe('HTTP door on postgres', postgres, () => {
  callsSuite('postgres');
  evidenceSuite('postgres');
  limitsSuite('postgres');
  secretsSuite('postgres');
  operationsSuite('postgres');
});
