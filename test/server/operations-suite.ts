/** Liveness, readiness, metrics, the API description and unknown routes. */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { startProject, type ProjectFixture, type StorageKind } from '../support/project-fixture.js';
import { assertError } from './assertions.js';

export function operationsSuite(storage: StorageKind): void {
  describe(`operational endpoints (${storage})`, () => {
    let project: ProjectFixture;

    before(async () => {
      project = await startProject({ storage, name: 'operations' });
    });
    after(async () => {
      await project?.close();
    });

    it('/healthz and /readyz answer 200 without a token', async () => {
      const health = await project.request('GET', '/healthz');
      assert.equal(health.status, 200);
      assert.equal(health.body['status'], 'ok');
      const ready = await project.request('GET', '/readyz');
      assert.equal(ready.status, 200);
      assert.equal(ready.body['status'], 'ready');
    });

    it('/metrics counts calls by status', async () => {
      const token = await project.mintAgentToken('support-bot');
      assert.equal((await project.call({ tool: 'orders', operation: 'lookup', arguments: { order_id: 'o-1001' } }, token)).status, 200);
      const deletion = { tool: 'orders', operation: 'delete', arguments: { order_id: 'o-1001' }, idempotencyKey: 'metrics-delete-1' };
      assert.equal((await project.call(deletion, token)).status, 403);
      const metrics = await project.request('GET', '/metrics');
      assert.equal(metrics.status, 200);
      assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
      assert.match(metrics.text, /^interlock_calls_total\{[^}]*status="executed"[^}]*\} 1$/m);
      assert.match(metrics.text, /^interlock_calls_total\{[^}]*status="denied"[^}]*\} 1$/m);
      assert.doesNotMatch(metrics.text, /interlock_process_/, 'process metrics were asked to be off');
    });

    it('/openapi.json is an OpenAPI 3.1 document listing /v1/calls', async () => {
      const answer = await project.request('GET', '/openapi.json');
      assert.equal(answer.status, 200);
      assert.match(String(answer.body['openapi']), /^3\.1\./);
      const paths = answer.body['paths'] as Record<string, Record<string, unknown>>;
      assert.ok(paths['/v1/calls']?.['post'], 'POST /v1/calls is not described');
      for (const path of ['/v1/traces/{id}', '/v1/audit', '/v1/audit/verify', '/healthz', '/readyz', '/metrics'])
        assert.ok(paths[path], `${path} is not described`);
    });

    it('unknown routes and methods are 404 NOT_FOUND in the error envelope', async () => {
      const unknown = assertError(await project.request('GET', '/v2/calls'), 404, 'NOT_FOUND');
      assert.equal(unknown.retryable, false);
      assertError(await project.request('GET', '/v1/calls'), 404, 'NOT_FOUND');
      assertError(await project.request('DELETE', '/v1/audit'), 404, 'NOT_FOUND');
      const withQuery = assertError(await project.request('GET', '/nothing-here?token=secret-value-in-query'), 404, 'NOT_FOUND');
      assert.ok(!withQuery.message.includes('secret-value-in-query'), 'the query string was echoed');
    });
  });
}
