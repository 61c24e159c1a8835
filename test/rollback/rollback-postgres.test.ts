/**
 * `interlock rollback` on PostgreSQL: the judged incident, with the served runtime and the command
 * as two processes on one database.
 */
import { after, before, describe, test } from 'node:test';
import { ensureBuilt } from '../cli/interlock-process.js';
import { requirePostgres } from '../support/postgres.js';
import { openLedgerProject, threeWritesRolledBackTwice, type LedgerProject } from './support.js';

before(() => ensureBuilt());

const postgres = await requirePostgres();

describe('interlock rollback on postgres', postgres, () => {
  let project: LedgerProject;
  before(async () => {
    project = await openLedgerProject('postgres');
  });
  after(() => project.close());

  test('rollback on postgres: a session with three writes is compensated in reverse order, once each, even when run twice', async () => {
    await threeWritesRolledBackTwice(project);
  });
});
