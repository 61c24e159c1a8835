import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../error-response.js';
import type { ServerServices } from '../services.js';

const idText = { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' } as const;
/** RFC 3339 date-time, e.g. 2026-11-21T15:04:05Z or 2026-11-21T15:04:05.123+01:00. */
const dateTimeText = {
  type: 'string',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$',
} as const;

export const auditQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    agent: idText,
    tenant: idText,
    traceId: idText,
    callId: idText,
    type: { type: 'string', pattern: '^[a-z_]+(\\.[a-z_]+)+$' },
    since: dateTimeText,
    until: dateTimeText,
    after: { type: 'integer', minimum: 0, description: 'Cursor: return events with seq greater than this.' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  },
} as const;

interface AuditQueryString {
  agent?: string;
  tenant?: string;
  traceId?: string;
  callId?: string;
  type?: string;
  since?: string;
  until?: string;
  after?: number;
  limit: number;
}

export function registerEvidenceRoutes(app: FastifyInstance, services: ServerServices): void {
  app.get<{ Querystring: AuditQueryString }>('/v1/audit', { schema: { querystring: auditQuerySchema } }, async (request) => {
    const reader = await services.authenticateReader(bearerToken(request));
    const query = request.query;
    return services.readAudit(reader, {
      agent: query.agent,
      tenant: query.tenant,
      traceId: query.traceId,
      callId: query.callId,
      type: query.type,
      since: query.since,
      until: query.until,
      afterSeq: query.after,
      limit: query.limit,
    });
  });

  app.get<{ Params: { id: string } }>(
    '/v1/traces/:id',
    { schema: { params: { type: 'object', required: ['id'], properties: { id: idText } } } },
    async (request) => {
      const reader = await services.authenticateReader(bearerToken(request));
      return services.traceStory(reader, request.params.id);
    },
  );

  app.get('/v1/audit/verify', async (request, reply) => {
    const reader = await services.authenticateReader(bearerToken(request));
    const { ok, report } = await services.verifyAudit(reader);
    return reply.code(ok ? 200 : 409).send(report);
  });
}
