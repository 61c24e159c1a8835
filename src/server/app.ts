import { Ajv } from 'ajv';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { InterlockError } from '../errors/interlock-error.js';
import { errorHandler, sendError } from './error-response.js';
import { registerApprovalRoutes } from './routes/approvals.js';
import { registerCallRoutes } from './routes/calls.js';
import { registerCallResolutionRoutes } from './routes/call-resolution.js';
import { registerSessionRoutes } from './routes/sessions.js';
import { registerContainmentRoutes } from './routes/containment.js';
import { registerEvidenceRoutes } from './routes/evidence.js';
import { registerOperationalRoutes } from './routes/operations.js';
import { registerPlanRoutes } from './routes/plans.js';
import { registerRetrievalRoutes } from './routes/retrieval.js';
import type { ServerServices } from './services.js';
import { registerMcpRoutes } from '../mcp/http-door.js';

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
  });
  // Bodies are JSON and validated strictly (a number is never coerced to a string); query strings
  // and path parameters are text by nature, so their integers are coerced.
  const strict = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false, strict: false });
  const coercing = new Ajv({ coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false, strict: false });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new InterlockError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`)),
  );
  registerOperationalRoutes(app, services);
  registerCallRoutes(app, services);
  registerCallResolutionRoutes(app, services);
  registerSessionRoutes(app, services);
  registerEvidenceRoutes(app, services);
  registerApprovalRoutes(app, services);
  registerContainmentRoutes(app, services);
  registerPlanRoutes(app, services);
  registerRetrievalRoutes(app, services);
  if (services.mcp !== undefined) registerMcpRoutes(app, services.mcp, () => boundHost(app));
  return app;
}

/** The address the server listens on (loopback checks need it), or loopback before it listens. */
function boundHost(app: FastifyInstance): string {
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.address : '127.0.0.1';
}
