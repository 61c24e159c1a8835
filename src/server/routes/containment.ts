import type { FastifyInstance } from 'fastify';
import type { SessionMode } from '../../store/store.js';
import { API_SCHEMA_VERSION, bearerToken } from '../error-response.js';
import type { KillOrder, LiftOrder, ModeOrder, ServerServices } from '../services.js';

const KILL_SCOPES = ['fleet', 'tenant', 'agent', 'tool', 'operation'] as const;
const MODE_SCOPES = ['tenant', 'agent', 'session'] as const;
const MODES: readonly SessionMode[] = ['normal', 'elevated', 'read_only', 'locked'];

const target = {
  type: 'string',
  minLength: 1,
  maxLength: 300,
  description:
    'fleet: "*"; tenant: "TENANT"; agent: "TENANT/AGENT"; session: "TENANT/SESSION"; tool: "TENANT/TOOL" or "*/TOOL"; operation: "TENANT/TOOL.OPERATION" or "*/TOOL.OPERATION".',
} as const;
const reason = { type: 'string', minLength: 1, maxLength: 1000, description: 'Why (recorded in the audit log).' } as const;

export const killRequestSchema = {
  type: 'object',
  required: ['scope', 'target', 'reason'],
  additionalProperties: false,
  properties: {
    scope: { type: 'string', enum: KILL_SCOPES },
    target,
    reason,
    revokeCredentials: { type: 'boolean', description: 'Agent scope only: also revoke every token the agent holds.' },
  },
} as const;

export const liftRequestSchema = {
  type: 'object',
  required: ['scope', 'target', 'reason'],
  additionalProperties: false,
  properties: { scope: { type: 'string', enum: KILL_SCOPES }, target, reason },
} as const;

export const modeRequestSchema = {
  type: 'object',
  required: ['scope', 'target', 'mode', 'reason'],
  additionalProperties: false,
  properties: {
    scope: { type: 'string', enum: MODE_SCOPES },
    target,
    mode: { type: 'string', enum: MODES, description: '"normal" lifts the mode set on this target.' },
    reason,
  },
} as const;

/**
 * Kill switches and session modes, for operators only, within their tenants; fleet-wide and
 * all-tenant targets need an operator of every tenant. The operator's id is recorded as who acted.
 */
export function registerContainmentRoutes(app: FastifyInstance, services: ServerServices): void {
  app.get('/v1/kill-switches', async (request) => {
    const operator = await services.authenticateOperator(bearerToken(request));
    return { schemaVersion: API_SCHEMA_VERSION, ...(await services.listContainment(operator)) };
  });

  app.post<{ Body: KillOrder }>('/v1/kill-switches', { schema: { body: killRequestSchema } }, async (request, reply) => {
    const operator = await services.authenticateOperator(bearerToken(request));
    const rule = await services.kill(operator, request.body);
    return reply.code(201).send({ schemaVersion: API_SCHEMA_VERSION, rule });
  });

  app.post<{ Body: LiftOrder }>('/v1/kill-switches/lift', { schema: { body: liftRequestSchema } }, async (request) => {
    const operator = await services.authenticateOperator(bearerToken(request));
    return { schemaVersion: API_SCHEMA_VERSION, ...(await services.unkill(operator, request.body)) };
  });

  app.put<{ Body: ModeOrder }>('/v1/modes', { schema: { body: modeRequestSchema } }, async (request) => {
    const operator = await services.authenticateOperator(bearerToken(request));
    const { scope, target: on, mode } = request.body;
    const rule = await services.setMode(operator, request.body);
    return { schemaVersion: API_SCHEMA_VERSION, scope, target: on, mode, rule };
  });
}
