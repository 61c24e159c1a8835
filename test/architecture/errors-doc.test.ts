import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERROR_CATALOGUE } from '../../src/errors/catalogue.js';

test('docs/reference/errors.md lists exactly the catalogue, with the same status and retryability', () => {
  const text = readFileSync(new URL('../../docs/reference/errors.md', import.meta.url), 'utf8');
  const documented = new Map<string, { status: number; retryable: boolean }>();
  for (const match of text.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})\s*\|\s*(yes|no)\s*\|/gm)) {
    documented.set(match[1] ?? '', { status: Number(match[2]), retryable: match[3] === 'yes' });
  }
  const catalogue = new Map(
    Object.entries(ERROR_CATALOGUE).map(([code, spec]) => [code, { status: spec.status, retryable: spec.retryable }]),
  );
  assert.deepEqual([...documented.keys()].sort(), [...catalogue.keys()].sort(), 'codes differ between catalogue and docs');
  for (const [code, spec] of catalogue) assert.deepEqual(documented.get(code), spec, `row for ${code} is out of date`);
});
