import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { InterlockError } from '../errors/interlock-error.js';
import { errorHandler, sendError } from './error-response.js';
import { registerCallRoutes } from './routes/calls.js';
import { registerEvidenceRoutes } from './routes/evidence.js';
import { registerOperationalRoutes } from './routes/operations.js';
import type { ServerServices } from './services.js';

/** Builds the HTTP door. It translates HTTP to kernel calls and back, and adds no policy of its own. */
export function buildServer(services: ServerServices): FastifyInstance {
  const logger: FastifyBaseLogger = services.logger;
  const app: FastifyInstance = Fastify({
    loggerInstance: logger,
    // Per-request access logs are off: every call is already an audit event and a metric.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: services.bodyLimitBytes,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false } },
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => sendError(reply, new InterlockError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`)));
  registerOperationalRoutes(app, services);
  registerCallRoutes(app, services);
  registerEvidenceRoutes(app, services);
  return app;
}
