import type { FastifyInstance } from 'fastify';
import { MAX_PLAN_STEPS } from '../../plans/plan.js';
import { bearerToken } from '../error-response.js';
import type { ServerServices } from '../services.js';

const idText = { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' } as const;
const assertion = {
  type: 'string',
  minLength: 1,
  maxLength: 8192,
  description: 'Signed user assertion (JWT) from a trusted issuer, when the agent acts for a user.',
} as const;

export const planActionSchema = {
  type: 'object',
  required: ['tool', 'operation', 'arguments'],
  additionalProperties: false,
  properties: {
    tool: { type: 'string', minLength: 1, maxLength: 128 },
    operation: { type: 'string', minLength: 1, maxLength: 128 },
    arguments: { type: 'object' },
    idempotencyKey: { ...idText, description: 'The key this step runs under; default for writes: plan:<planId>:<index>.' },
    evidence: { description: 'Supporting material for approvers of this step (JSON).' },
  },
} as const;

export const planProposalSchema = {
  type: 'object',
  required: ['actions'],
  additionalProperties: false,
  properties: {
    schemaVersion: { type: 'integer' },
    actions: { type: 'array', minItems: 1, maxItems: MAX_PLAN_STEPS, items: planActionSchema },
    traceId: { ...idText, description: 'The trace every step is decided and run under; default plan-<planId>.' },
    sessionId: idText,
    actingFor: assertion,
  },
} as const;

export const planExecuteSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { actingFor: assertion },
} as const;

const planParams = { type: 'object', required: ['id'], properties: { id: idText } } as const;

export function registerPlanRoutes(app: FastifyInstance, services: ServerServices): void {
  app.post<{ Body: Record<string, unknown> }>('/v1/plans', { schema: { body: planProposalSchema } }, async (request, reply) => {
    const token = bearerToken(request);
    const plan = await services.proposePlan(request.body, { kind: 'token', token });
    void reply.header('location', `/v1/plans/${plan.id}`);
    return reply.code(201).send(plan);
  });

  app.get<{ Params: { id: string } }>('/v1/plans/:id', { schema: { params: planParams } }, async (request) => {
    const reader = await services.authenticateReader(bearerToken(request));
    return services.getPlan(reader, request.params.id);
  });

  app.post<{ Params: { id: string }; Body: { actingFor?: string } }>(
    '/v1/plans/:id/execute',
    {
      schema: { params: planParams, body: planExecuteSchema },
      // The body is optional: without one, the plan runs without acting for a user.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
    },
    async (request) => {
      const token = bearerToken(request);
      // A plan that ran (executed, or stopped at a failing step) is 200 with its outcomes; refusals to run are typed errors.
      return services.executePlan(request.params.id, { kind: 'token', token }, request.body.actingFor);
    },
  );
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const errorResponse = (description: string) => ({ description, content: json(ref('Error')) });
const bearer = [{ bearerAuth: [] }];
const planIdParameter = { name: 'id', in: 'path', required: true, schema: idText };

const planViewSchema = {
  type: 'object',
  required: ['schemaVersion', 'id', 'status', 'hash', 'traceId', 'steps', 'totals', 'blocked', 'execution', 'ready', 'pendingApprovals'],
  properties: {
    schemaVersion: { const: 1 },
    id: { type: 'string' },
    status: {
      type: 'string',
      enum: ['proposed', 'blocked', 'executing', 'executed', 'failed'],
      description:
        'blocked: it can never run (a cap, a refused step, a denied approval); failed: it stopped at a step that did not execute',
    },
    hash: {
      type: 'string',
      description: 'sha256 of the canonical JSON of what runs: agent, tenant, acting-for user, trace, session, steps.',
    },
    tenant: { type: 'string' },
    agentId: { type: 'string' },
    actingFor: { type: ['object', 'null'], properties: { userId: { type: 'string' }, issuer: { type: 'string' } } },
    traceId: { type: 'string' },
    sessionId: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    ready: { type: 'boolean', description: 'Proposed, and every approval it needs is granted.' },
    pendingApprovals: { type: 'array', items: { type: 'string' } },
    steps: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          index: { type: 'integer' },
          tool: { type: 'string' },
          operation: { type: 'string' },
          arguments: { type: 'object', description: 'Known secrets redacted.' },
          idempotencyKey: { type: ['string', 'null'] },
          effect: { type: ['string', 'null'], enum: ['read', 'write', 'destructive', null] },
          blastRadius: {
            type: 'object',
            properties: {
              write: { type: 'boolean' },
              entityCount: { type: 'integer' },
              entities: { type: 'array', items: { type: 'string' } },
              costUsd: { type: 'number' },
            },
          },
          evaluation: {
            type: ['object', 'null'],
            description: 'null when the step was not evaluated (the plan was blocked before it).',
            properties: {
              status: { type: 'string', description: 'evaluated or approval_required; anything else blocks the plan' },
              callId: { type: 'string' },
              auditEventId: { type: 'string' },
              decision: ref('Decision'),
              approval: {
                type: ['object', 'null'],
                properties: {
                  id: { type: 'string' },
                  status: { type: 'string' },
                  approverRole: { type: 'string' },
                  quorum: { type: 'integer' },
                  expiresAt: { type: 'string' },
                },
              },
              error: { type: ['object', 'null'] },
            },
          },
          approvalStatus: { type: ['string', 'null'], description: 'The approval as it stands now.' },
        },
      },
    },
    totals: {
      type: 'object',
      properties: {
        toolCalls: { type: 'integer' },
        writes: { type: 'integer' },
        entities: { type: 'integer', description: 'Summed per step, as caps count them.' },
        distinctEntities: { type: 'integer' },
        costUsd: { type: 'number' },
      },
    },
    blocked: {
      type: ['object', 'null'],
      properties: {
        reason: { type: 'string', enum: ['cap', 'step', 'approval'] },
        message: { type: 'string' },
        caps: {
          type: 'array',
          items: { type: 'object', properties: { limit: { type: 'string' }, max: { type: 'integer' }, planned: { type: 'integer' } } },
        },
        step: { type: 'integer' },
        code: { type: 'string' },
        approvalId: { type: 'string' },
      },
    },
    execution: {
      type: ['object', 'null'],
      properties: {
        startedAt: { type: 'string' },
        finishedAt: { type: ['string', 'null'] },
        steps: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              index: { type: 'integer' },
              status: { type: 'string' },
              callId: { type: 'string' },
              auditEventId: { type: 'string' },
              replayed: { type: 'boolean' },
              result: {},
              error: { type: 'object' },
            },
          },
        },
      },
    },
  },
} as const;

/** The plan endpoints' part of /openapi.json. */
export const planOpenApi = {
  schemas: { PlanProposal: planProposalSchema, PlanExecute: planExecuteSchema, Plan: planViewSchema },
  paths: {
    '/v1/plans': {
      post: {
        summary: 'Propose a plan: every step decided (approvals opened), none run; caps checked on the plan as a whole',
        security: bearer,
        requestBody: { required: true, content: json(ref('PlanProposal')) },
        responses: {
          '201': { description: 'The plan, proposed or blocked (see blocked)', content: json(ref('Plan')) },
          '400': errorResponse('BODY_MALFORMED, REQUEST_INVALID, SCHEMA_VERSION_UNSUPPORTED'),
          '401': errorResponse('Authentication failed (agent token; acting-for assertion)'),
        },
      },
    },
    '/v1/plans/{id}': {
      get: {
        summary: 'One plan: for the agent that proposed it, or an operator of its tenant',
        security: bearer,
        parameters: [planIdParameter],
        responses: {
          '200': { description: 'The plan, with approvals as they stand now', content: json(ref('Plan')) },
          '401': errorResponse('Authentication failed'),
          '404': errorResponse('NOT_FOUND'),
        },
      },
    },
    '/v1/plans/{id}/execute': {
      post: {
        summary: 'Run a proposed plan once every approval is in: steps in order, stopping at the first that does not execute',
        description: 'Only the proposing agent, acting for the same user. 200 also when a step failed: see status and execution.',
        security: bearer,
        parameters: [planIdParameter],
        requestBody: { required: false, content: json(ref('PlanExecute')) },
        responses: {
          '200': { description: 'The plan, executed or failed, with each step outcome', content: json(ref('Plan')) },
          '400': errorResponse('REQUEST_INVALID'),
          '401': errorResponse('Authentication failed'),
          '403': errorResponse('FORBIDDEN: not acting for the user the plan was proposed for'),
          '404': errorResponse('NOT_FOUND: no such plan of this agent'),
          '409': errorResponse(
            'PLAN_BLOCKED (a cap, a refused step, a denied approval, or changed since proposal), PLAN_NOT_READY (details.pendingApprovals), PLAN_CLOSED (already run)',
          ),
        },
      },
    },
  },
} as const;
