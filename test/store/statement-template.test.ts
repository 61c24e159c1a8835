import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { isInterlockError } from '../../src/errors/interlock-error.js';
import { finishIdempotencyKey } from '../../src/store/safe-execution-queries.js';
import { createSqliteQueryBuilder } from '../../src/store/sqlite-query-builder.js';
import { statementTemplate } from '../../src/store/statement-template.js';

const db = createSqliteQueryBuilder();
type Settlement = { scopeKey: string; callId: string; outcome: string; at: string };
const fields = { scopeKey: true, callId: true, outcome: true, at: true } as const;

describe('statement templates', () => {
  test('each run binds its own values where the query layer put them, constants included', () => {
    const bind = statementTemplate(fields, (values: Settlement) =>
      finishIdempotencyKey(db, values.scopeKey, values.callId, 'completed', values.outcome, values.at),
    );
    const first = { scopeKey: 'acme/a/k1', callId: 'c1', outcome: '{"n":1}', at: '2026-03-01T00:00:01.000Z' };
    const second = { scopeKey: 'acme/a/k2', callId: 'c2', outcome: null as unknown as string, at: '2026-03-01T00:00:02.000Z' };
    for (const values of [first, second]) {
      const direct = finishIdempotencyKey(db, values.scopeKey, values.callId, 'completed', values.outcome, values.at).compile();
      const bound = bind(values).compile();
      assert.equal(bound.sql, direct.sql);
      assert.deepEqual(bound.parameters, direct.parameters);
    }
  });

  test('a template that leaves a value out of its statement is refused, not run without it', () => {
    const bind = statementTemplate(fields, (values: Settlement) =>
      // `at` is ignored: the statement would silently store the wrong time.
      finishIdempotencyKey(db, values.scopeKey, values.callId, 'completed', values.outcome, 'fixed'),
    );
    assert.throws(
      () => bind({ scopeKey: 'k', callId: 'c', outcome: '{}', at: 'now' }),
      (error: unknown) => isInterlockError(error) && error.code === 'INTERNAL' && String(error.details?.['missing']) === 'at',
    );
  });
});
