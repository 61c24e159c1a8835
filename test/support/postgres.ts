/**
 * PostgreSQL for tests. Usage in a test file:
 *
 *   const postgres = await requirePostgres();            // { } or { skip: 'why' }
 *   describe('my feature on postgres', postgres, () => {
 *     const schema = freshSchemaName('feature');         // one schema per test run
 *     after(() => dropSchema(postgresTestUrl(), schema));
 *     ...
 *   });
 *
 * When the server does not answer, the tests are skipped with a message saying so, unless
 * CI=true or INTERLOCK_REQUIRE_POSTGRES=1, where requirePostgres() throws and the file fails.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** INTERLOCK_TEST_PG_URL, or the local development server. */
export function postgresTestUrl(): string {
  const configured = process.env['INTERLOCK_TEST_PG_URL'];
  return configured !== undefined && configured !== '' ? configured : DEFAULT_URL;
}

/** True when a connection opens and answers `select 1` within a few seconds. */
export async function postgresAvailable(url: string = postgresTestUrl()): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A schema name no other run uses: `<prefix>_<pid>_<random>`, lowercase. */
export function freshSchemaName(prefix: string): string {
  const cleaned =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_')
      .slice(0, 30) || 'test';
  const start = /^[a-z]/.test(cleaned) ? cleaned : `t_${cleaned}`;
  return `${start}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Drops the schema and everything in it; a missing schema is not an error. */
export async function dropSchema(url: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`drop schema if exists ${client.escapeIdentifier(name)} cascade`);
  } finally {
    await client.end();
  }
}

/** node:test options for a suite that needs PostgreSQL: run it, skip it with a reason, or fail. */
export async function requirePostgres(url: string = postgresTestUrl()): Promise<{ skip?: string }> {
  if (await postgresAvailable(url)) return {};
  const where = redactUrl(url);
  if (process.env['CI'] === 'true' || process.env['INTERLOCK_REQUIRE_POSTGRES'] === '1') {
    throw new Error(`PostgreSQL is required (CI=true or INTERLOCK_REQUIRE_POSTGRES=1) but ${where} does not answer.`);
  }
  return { skip: `PostgreSQL at ${where} does not answer; set INTERLOCK_TEST_PG_URL or start the server to run these tests.` };
}

/** The URL without its password, for messages. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured URL';
  }
}
