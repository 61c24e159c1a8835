/** Retrieval is domain logic: it reaches storage only through the Store interface and knows no door. */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const RETRIEVAL = new URL('../../src/retrieval/', import.meta.url).pathname;
const FORBIDDEN =
  /^(fastify|@fastify\/|@modelcontextprotocol\/|commander|pg|better-sqlite3|kysely)$|\/(server|cli|mcp|sdk|runtime)\/|\/store\/(?!store\.js$)/;

test('src/retrieval imports no framework, driver, door or store implementation', () => {
  const violations: string[] = [];
  for (const name of readdirSync(RETRIEVAL)) {
    const text = readFileSync(join(RETRIEVAL, name), 'utf8');
    for (const match of text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
      const specifier = match[1] ?? '';
      if (FORBIDDEN.test(specifier)) violations.push(`${name} imports ${specifier}`);
    }
  }
  assert.deepEqual(violations, []);
});
