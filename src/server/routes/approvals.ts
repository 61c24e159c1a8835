import type { FastifyInstance } from 'fastify';
import type { ApprovalStatus } from '../../store/store.js';
import { API_SCHEMA_VERSION, bearerToken } from '../error-response.js';
import type { ServerServices } from '../services.js';

export const APPROVAL_STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'denied', 'expired', 'consumed'];

export const approvalIdParamsSchema = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' } },
} as const;

export const approvalQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: APPROVAL_STATUSES },
    agent: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,62}$', description: 'Only requests of this agent.' },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  },
} as const;

export const approvalDecisionSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { comment: { type: 'string', maxLength: 2000, description: 'Recorded with the vote in the audit log.' } },
} as const;

interface ApprovalQueryString {
  status?: ApprovalStatus;
  agent?: string;
  limit: number;
}

/**
 * Approval requests: read by operators of the tenant and by the requesting agent (so it can poll),
 * decided by operators only. Roles and tenants come from the verified operator token.
 */
export function registerApprovalRoutes(app: FastifyInstance, services: ServerServices): void {
  app.get<{ Querystring: ApprovalQueryString }>('/v1/approvals', { schema: { querystring: approvalQuerySchema } }, async (request) => {
    const reader = await services.authenticateReader(bearerToken(request));
    const { status, agent, limit } = request.query;
    const approvals = await services.listApprovals(reader, { status, agent, limit });
    return { schemaVersion: API_SCHEMA_VERSION, approvals };
  });

  app.get<{ Params: { id: string } }>('/v1/approvals/:id', { schema: { params: approvalIdParamsSchema } }, async (request) => {
    const reader = await services.authenticateReader(bearerToken(request));
    return services.getApproval(reader, request.params.id);
  });

  for (const decision of ['approve', 'deny'] as const) {
    app.post<{ Params: { id: string }; Body: { comment?: string } | undefined }>(
      `/v1/approvals/:id/${decision}`,
      {
        schema: { params: approvalIdParamsSchema, body: approvalDecisionSchema },
        // The comment is optional, and so is the body that carries it.
        preValidation: async (request) => {
          request.body ??= {};
        },
      },
      async (request) => {
        const operator = await services.authenticateOperator(bearerToken(request));
        return services.decideApproval(operator, request.params.id, decision, request.body?.comment ?? '');
      },
    );
  }
}
