import type { FastifyInstance } from 'fastify';
import { InterlockError } from '../../errors/interlock-error.js';
import { openApiDocument } from '../openapi.js';
import { sendError } from '../error-response.js';
import type { ServerServices } from '../services.js';

/** Liveness, readiness, metrics and the API description: unauthenticated by design. */
export function registerOperationalRoutes(app: FastifyInstance, services: ServerServices): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    try {
      await services.ready();
      return { status: 'ready' };
    } catch {
      return sendError(reply, new InterlockError('STORE_UNAVAILABLE', 'store is not reachable'));
    }
  });

  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await services.metrics();
    return reply.type(contentType).send(body);
  });

  app.get('/openapi.json', async () => openApiDocument());
}
