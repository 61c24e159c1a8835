import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const SOURCE = new URL('../../src/', import.meta.url).pathname;

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const full = join(directory, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith('.ts') ? [full] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [
    ...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm),
    ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((match) => match[1] ?? '');
}

/** The kernel and the pure core never reach for a door, a framework or a transport. */
const RULES: ReadonlyArray<{ area: string; forbidden: RegExp; why: string }> = [
  {
    area: 'gate',
    forbidden:
      /^(fastify|@fastify\/|@modelcontextprotocol\/|commander|pg|better-sqlite3|kysely)|\/(server|cli|mcp|sdk|store\/(sqlite|postgres))/,
    why: 'the kernel knows nothing of HTTP, MCP, the CLI or a database driver',
  },
  {
    area: 'policy',
    forbidden: /^(fastify|@fastify\/|@modelcontextprotocol\/|commander|pg|better-sqlite3|kysely)|\/(server|cli|mcp|sdk|gate)\//,
    why: 'policy is evaluated without knowing which door a call came through',
  },
  {
    area: 'bounds',
    forbidden: /^(fastify|@modelcontextprotocol\/|commander|pg|better-sqlite3|kysely)|\/(server|cli|mcp|sdk)\//,
    why: 'bounds are pure arithmetic over counters',
  },
  {
    area: 'registry',
    forbidden: /^(fastify|@modelcontextprotocol\/|commander|pg|better-sqlite3|kysely)|\/(server|cli|mcp|sdk|gate)\//,
    why: 'the registry is data',
  },
  {
    area: 'audit',
    forbidden: /^(fastify|@fastify\/|@modelcontextprotocol\/|commander)|\/(server|cli|mcp|sdk|gate)\//,
    why: 'evidence does not depend on the doors',
  },
  {
    area: 'identity',
    forbidden: /^(fastify|@fastify\/|@modelcontextprotocol\/|commander)|\/(server|cli|mcp|sdk|gate)\//,
    why: 'identity does not depend on the doors',
  },
  {
    area: 'store',
    forbidden: /^(fastify|@fastify\/|@modelcontextprotocol\/|commander)|\/(server|cli|mcp|sdk|gate|policy)\//,
    why: 'storage serves the core, not the reverse',
  },
  { area: 'server', forbidden: /^(commander)|\/(cli)\//, why: 'doors do not import each other' },
];

for (const rule of RULES) {
  test(`${rule.area}/ respects its boundary: ${rule.why}`, () => {
    const files = sourceFiles(join(SOURCE, rule.area));
    assert.ok(files.length > 0, `src/${rule.area} has no files`);
    const violations = files.flatMap((file) =>
      importsOf(file)
        .filter((specifier) => rule.forbidden.test(specifier))
        .map((specifier) => `${relative(SOURCE, file)} imports ${specifier}`),
    );
    assert.deepEqual(violations, []);
  });
}

test('the layering check sees real imports (it would catch a violation)', () => {
  const kernelImports = importsOf(join(SOURCE, 'gate', 'kernel.ts'));
  assert.ok(
    kernelImports.some((specifier) => specifier.includes('/registry/')),
    'expected the kernel to import the registry',
  );
  assert.ok(RULES[0]?.forbidden.test('fastify'));
  assert.ok(RULES[0]?.forbidden.test('../server/app.js'));
});

test('no export * barrels anywhere in src/', () => {
  const offenders = sourceFiles(SOURCE).filter((file) => /^\s*export \* from/m.test(readFileSync(file, 'utf8')));
  assert.deepEqual(offenders, []);
});
