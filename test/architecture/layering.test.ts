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
  return importStatementsOf(file).map((statement) => statement.specifier);
}

/** Each import of a file, and whether it brings in types only (`import type`, `export type`). */
function importStatementsOf(file: string): { specifier: string; typeOnly: boolean }[] {
  const text = readFileSync(file, 'utf8');
  return [
    ...[...text.matchAll(/^\s*(import|export)(\s+type\s)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((match) => ({
      specifier: match[3] ?? '',
      typeOnly: match[2] !== undefined,
    })),
    ...[...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((match) => ({ specifier: match[1] ?? '', typeOnly: false })),
  ];
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
  {
    area: 'containment',
    forbidden: /^(fastify|@fastify\/|@modelcontextprotocol\/|commander|pg|better-sqlite3|kysely)|\/(server|cli|mcp|sdk|gate)\//,
    why: 'kill switches and modes are rules over the store interface, whichever door sets them',
  },
  {
    area: 'approvals',
    forbidden: /^(fastify|@fastify\/|@modelcontextprotocol\/|commander|pg|better-sqlite3|kysely)|\/(server|cli|mcp|sdk|gate)\//,
    why: 'approvals are decided the same way from the API, the CLI and MCP',
  },
  {
    area: 'risk',
    forbidden: /^(fastify|@fastify\/|@modelcontextprotocol\/|commander|pg|better-sqlite3|kysely)|\/(server|cli|mcp|sdk|gate)\//,
    why: 'risk signals are computed from values and the store interface, whichever door the content came through',
  },
  {
    area: 'retrieval',
    forbidden: /^(fastify|@fastify\/|@modelcontextprotocol\/|commander|pg|better-sqlite3|kysely)|\/(server|cli|mcp|sdk)\/|\/gate\/kernel/,
    why: 'governed retrieval is the same service behind the API, the SDK and the CLI',
  },
  {
    area: 'plans',
    forbidden: /^(fastify|@fastify\/|@modelcontextprotocol\/|commander|pg|better-sqlite3|kysely)|\/(server|cli|mcp|sdk)\//,
    why: 'plans run through the kernel, not through a door',
  },
  { area: 'server', forbidden: /^(commander)|\/(cli)\//, why: 'doors do not import each other' },
  { area: 'mcp', forbidden: /^(pg|better-sqlite3|kysely)$|\/store\//, why: 'a door reaches storage only through the kernel and its ports' },
];

/** Areas that may import only what is listed; anything else, other parts of src/ included, is a violation. */
const ALLOWED_IMPORTS: ReadonlyArray<{ area: string; values: RegExp; types: RegExp; why: string }> = [
  {
    area: 'drift',
    values: /^(node:[\w/]+|zod|\.\/[\w-]+\.js|\.\.\/errors\/[\w-]+\.js|\.\.\/audit\/canonical-json\.js)$/,
    types: /^\.\.\/(config\/[\w-]+|registry\/[\w-]+|execution\/mcp\/upstream|gate\/ports)\.js$/,
    why: 'definitions, pins and drift are pure values plus the lock file; they know the rest of Interlock by its types only',
  },
];

function disallowedImports(rule: (typeof ALLOWED_IMPORTS)[number], file: string): string[] {
  return importStatementsOf(file)
    .filter(({ specifier, typeOnly }) => !rule.values.test(specifier) && !(typeOnly && rule.types.test(specifier)))
    .map(({ specifier, typeOnly }) => `${relative(SOURCE, file)} imports ${typeOnly ? 'types from ' : ''}${specifier}`);
}

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

for (const rule of ALLOWED_IMPORTS) {
  test(`${rule.area}/ imports only what it is allowed: ${rule.why}`, () => {
    const files = sourceFiles(join(SOURCE, rule.area));
    assert.ok(files.length > 0, `src/${rule.area} has no files`);
    assert.deepEqual(
      files.flatMap((file) => disallowedImports(rule, file)),
      [],
    );
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
  const monitor = importStatementsOf(join(SOURCE, 'drift', 'tool-drift-monitor.ts'));
  assert.ok(monitor.some((statement) => statement.specifier === '../gate/ports.js' && statement.typeOnly));
  assert.ok(monitor.some((statement) => statement.specifier === '../errors/interlock-error.js' && !statement.typeOnly));
  const drift = ALLOWED_IMPORTS[0];
  assert.ok(drift !== undefined && !drift.values.test('../store/store.js') && !drift.types.test('../store/store.js'));
  assert.ok(drift !== undefined && !drift.values.test('../registry/registry.js') && drift.types.test('../registry/registry.js'));
});

test('no export * barrels anywhere in src/', () => {
  const offenders = sourceFiles(SOURCE).filter((file) => /^\s*export \* from/m.test(readFileSync(file, 'utf8')));
  assert.deepEqual(offenders, []);
});
