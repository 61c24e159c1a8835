import type { FastifyInstance } from 'fastify';
import { InterlockError } from '../../errors/interlock-error.js';
import { CALL_SCHEMA_VERSION, type CallRequest } from '../../gate/call.js';
import { bearerToken, errorBody, sendError } from '../error-response.js';
import type { ServerServices } from '../services.js';

export const callRequestSchema = {
  type: 'object',
  required: ['tool', 'operation', 'arguments'],
  additionalProperties: false,
  properties: {
    schemaVersion: { type: 'integer' },
    tool: { type: 'string', minLength: 1, maxLength: 128 },
    operation: { type: 'string', minLength: 1, maxLength: 128 },
    arguments: { type: 'object' },
    traceId: { type: 'string', minLength: 1, maxLength: 128 },
    sessionId: { type: 'string', minLength: 1, maxLength: 128 },
    actingFor: { type: 'string', minLength: 1, maxLength: 8192, description: 'Signed user assertion (JWT) from a trusted issuer.' },
  },
} as const;

interface CallBody {
  schemaVersion?: number;
  tool: string;
  operation: string;
  arguments: Record<string, unknown>;
  traceId?: string;
  sessionId?: string;
  actingFor?: string;
}

export function registerCallRoutes(app: FastifyInstance, services: ServerServices): void {
  app.post<{ Body: CallBody }>('/v1/calls', { schema: { body: callRequestSchema } }, async (request, reply) => {
    const body = request.body;
    if (body.schemaVersion !== undefined && body.schemaVersion !== CALL_SCHEMA_VERSION) {
      return sendError(
        reply,
        new InterlockError(
          'SCHEMA_VERSION_UNSUPPORTED',
          `schemaVersion ${body.schemaVersion} is not supported; use ${CALL_SCHEMA_VERSION}`,
        ),
      );
    }
    const token = bearerToken(request);
    const callRequest: CallRequest = {
      tool: body.tool,
      operation: body.operation,
      arguments: body.arguments,
      traceId: body.traceId,
      sessionId: body.sessionId,
      actingFor: body.actingFor,
    };
    const outcome = await services.call(callRequest, { kind: 'token', token });
    if (outcome.status === 'executed' || outcome.status === 'shadowed') return reply.code(200).send(outcome);
    const status = outcome.error?.status ?? 500;
    if (outcome.error?.code === 'RATE_LIMITED' && typeof outcome.error.details?.['retryAfterMs'] === 'number') {
      void reply.header('retry-after', Math.max(1, Math.ceil(outcome.error.details['retryAfterMs'] / 1000)));
    }
    const { error, ...rest } = outcome;
    return reply.code(status).send(error === undefined ? outcome : errorBody(error, rest));
  });
}
