import type { FastifyInstance } from 'fastify';
import { API_SCHEMA_VERSION, bearerToken } from '../error-response.js';
import type { ServerServices } from '../services.js';

const sessionParamsSchema = {
  type: 'object',
  required: ['sessionId'],
  additionalProperties: false,
  properties: { sessionId: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' } },
} as const;

export const sessionContentSchema = {
  type: 'object',
  required: ['origin', 'text'],
  additionalProperties: false,
  properties: {
    origin: {
      type: 'string',
      pattern: '^[a-z][a-z0-9_-]{0,31}$',
      description:
        'Where the content came from: `user` (needs actingFor), `email`, `web`, `ticket`, … Its trust comes from `risk.origins`.',
    },
    text: { type: 'string', maxLength: 1048576, description: 'The content as the agent read it.' },
    sourceId: { type: 'string', maxLength: 300, description: 'What it came from, e.g. a message id or URL.' },
    label: { type: 'string', maxLength: 300 },
    traceId: { type: 'string', minLength: 1, maxLength: 128 },
    actingFor: { type: 'string', minLength: 1, maxLength: 8192, description: 'Signed user assertion; required for origin `user`.' },
  },
} as const;

interface SessionContentBody {
  origin: string;
  text: string;
  sourceId?: string;
  label?: string;
  traceId?: string;
  actingFor?: string;
}

/**
 * Content entering a session that Interlock did not fetch itself (the user's request, an e-mail
 * the agent read elsewhere): labelled with its origin and trust, scored for injection, and kept as
 * value hashes so that later writes can be checked for values it planted.
 */
export function registerSessionRoutes(app: FastifyInstance, services: ServerServices): void {
  app.post<{ Params: { sessionId: string }; Body: SessionContentBody }>(
    '/v1/sessions/:sessionId/content',
    { schema: { params: sessionParamsSchema, body: sessionContentSchema } },
    async (request, reply) => {
      const token = bearerToken(request);
      const recorded = await services.recordSessionContent({ kind: 'token', token }, request.params.sessionId, request.body);
      return reply.code(201).send({ schemaVersion: API_SCHEMA_VERSION, sessionId: request.params.sessionId, ...recorded });
    },
  );
}
