import type { FastifyInstance } from 'fastify';
import { InterlockError } from '../../errors/interlock-error.js';
import { MAX_UNRESOLVED_LISTED, RESOLUTIONS, type Resolution, type UnresolvedCallSelector } from '../../execution/outcome-resolution.js';
import { bearerToken } from '../error-response.js';
import type { ServerServices } from '../services.js';

export const callResolutionRequestSchema = {
  type: 'object',
  required: ['as', 'reason'],
  additionalProperties: false,
  description: 'Names the call by callId, or by agent and idempotencyKey (exactly one of the two).',
  properties: {
    callId: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$', description: 'The call whose outcome is unknown.' },
    agent: {
      type: 'string',
      pattern: '^[a-z][a-z0-9_-]{0,62}/[a-z][a-z0-9_-]{0,62}$',
      description: 'TENANT/AGENT holding idempotencyKey.',
    },
    idempotencyKey: { type: 'string', minLength: 1, maxLength: 128 },
    as: {
      type: 'string',
      enum: RESOLUTIONS,
      description:
        'executed: the write took effect; retries with the key get that outcome, replayed. not_executed: it did not; the key is free and a retry runs it once.',
    },
    reason: { type: 'string', minLength: 1, maxLength: 1000, description: 'What the upstream showed (recorded in the audit log).' },
  },
} as const;

export const unresolvedQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tenant: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,62}$', description: "Only this tenant's calls." },
    limit: { type: 'integer', minimum: 1, maximum: MAX_UNRESOLVED_LISTED, default: 100 },
  },
} as const;

interface CallResolutionBody {
  callId?: string;
  agent?: string;
  idempotencyKey?: string;
  as: Resolution;
  reason: string;
}

/**
 * Resolving writes whose outcome is unknown (`interlock calls resolve` over HTTP): operators only,
 * within their tenants; the operator's id is recorded as who resolved.
 */
export function registerCallResolutionRoutes(app: FastifyInstance, services: ServerServices): void {
  app.get<{ Querystring: { tenant?: string; limit?: number } }>(
    '/v1/calls/unresolved',
    { schema: { querystring: unresolvedQuerySchema } },
    async (request) => {
      const operator = await services.authenticateOperator(bearerToken(request));
      return { calls: await services.unresolvedCalls(operator, request.query) };
    },
  );

  app.post<{ Body: CallResolutionBody }>('/v1/calls/resolve', { schema: { body: callResolutionRequestSchema } }, async (request) => {
    const operator = await services.authenticateOperator(bearerToken(request));
    const { as, reason } = request.body;
    return services.resolveCall(operator, { call: selector(request.body), as, reason });
  });
}

function selector(body: CallResolutionBody): UnresolvedCallSelector {
  const byKey = body.agent !== undefined || body.idempotencyKey !== undefined;
  if (body.callId !== undefined && !byKey) return { callId: body.callId };
  const [tenant, agentId] = body.agent?.split('/') ?? [];
  if (body.callId === undefined && tenant !== undefined && agentId !== undefined && body.idempotencyKey !== undefined) {
    return { tenant, agentId, idempotencyKey: body.idempotencyKey };
  }
  throw new InterlockError('REQUEST_INVALID', 'name the call by callId, or by agent (TENANT/AGENT) and idempotencyKey, not both');
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const errorResponse = (description: string) => ({ description, content: json(ref('Error')) });

export const callResolutionOpenApi = {
  schemas: {
    CallResolutionRequest: callResolutionRequestSchema,
    CallResolution: {
      type: 'object',
      required: ['schemaVersion', 'callId', 'traceId', 'tenant', 'agentId', 'tool', 'operation', 'idempotencyKey', 'resolvedAs'],
      properties: {
        schemaVersion: { const: 1 },
        callId: { type: 'string' },
        traceId: { type: 'string' },
        tenant: { type: 'string' },
        agentId: { type: 'string' },
        tool: { type: 'string' },
        operation: { type: 'string' },
        idempotencyKey: { type: 'string' },
        resolvedAs: { type: 'string', enum: RESOLUTIONS },
        resolvedBy: { type: 'string' },
        reason: { type: 'string' },
        resolvedAt: { type: 'string' },
        auditEventId: { type: 'string', description: 'The call.resolved audit event.' },
      },
    },
  },
  paths: {
    '/v1/calls/unresolved': {
      get: {
        summary: "Writes whose outcome is unknown (timed out, or their process died mid-call), in the operator's tenants",
        description:
          'Oldest first. They are never run again under the same key until an operator resolves them (POST /v1/calls/resolve) or a declared status check does.',
        security: [{ bearerAuth: [] }],
        parameters: [
          { name: 'tenant', in: 'query', required: false, schema: unresolvedQuerySchema.properties.tenant },
          { name: 'limit', in: 'query', required: false, schema: unresolvedQuerySchema.properties.limit },
        ],
        responses: {
          '200': {
            description: 'The unresolved calls',
            content: json({
              type: 'object',
              required: ['calls'],
              properties: {
                calls: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      tenant: { type: 'string' },
                      agentId: { type: 'string' },
                      tool: { type: 'string' },
                      operation: { type: 'string' },
                      state: { type: 'string', enum: ['unknown', 'process_died'] },
                      callId: { type: 'string' },
                      traceId: { type: 'string' },
                      idempotencyKey: { type: 'string' },
                      createdAt: { type: 'string' },
                    },
                  },
                },
              },
            }),
          },
          '400': errorResponse('REQUEST_INVALID'),
          '401': errorResponse('Authentication failed'),
          '403': errorResponse("FORBIDDEN: an agent token, or a tenant outside the operator's"),
        },
      },
    },
    '/v1/calls/resolve': {
      post: {
        summary: 'Resolve a write whose outcome is unknown (timed out, or its process died) as executed or not_executed',
        description:
          'Only an unknown outcome can be resolved, once. executed: a retry with the same key answers executed, replayed, with `resolution` saying who resolved it; nothing runs. not_executed: the key is released; a retry with it runs once.',
        security: [{ bearerAuth: [] }],
        requestBody: { required: true, content: json(ref('CallResolutionRequest')) },
        responses: {
          '200': { description: 'Resolved', content: json(ref('CallResolution')) },
          '400': errorResponse('REQUEST_INVALID'),
          '401': errorResponse('Authentication failed'),
          '403': errorResponse("FORBIDDEN: an agent token, or an agent outside the operator's tenants"),
          '404': errorResponse("NOT_FOUND: no such call (or key) in the operator's tenants"),
          '409': errorResponse('OUTCOME_NOT_UNKNOWN: the call completed, is still running, or was resolved already'),
        },
      },
    },
  },
};
