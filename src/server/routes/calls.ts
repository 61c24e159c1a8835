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
    idempotencyKey: {
      type: 'string',
      minLength: 1,
      maxLength: 128,
      description:
        'Makes a write run at most once; a retry with the same key returns the first outcome. Also read from the Idempotency-Key header.',
    },
    deriveIdempotencyKey: {
      type: 'boolean',
      description: 'Opt in to a key derived from the trace (or session) and the action.',
    },
    approvalId: { type: 'string', minLength: 1, maxLength: 128, description: 'Run under this approval (granted for exactly this action).' },
    evidence: { description: 'Supporting material for approvers, e.g. cited sources (JSON).' },
    citations: {
      type: 'array',
      maxItems: 100,
      items: { type: 'string', minLength: 1, maxLength: 128 },
      description: 'Citation ids of chunks retrieved in this trace (POST /v1/retrieve) that support the action.',
    },
    confidence: { type: 'number', minimum: 0, maximum: 1, description: 'How confident the agent is in this action (0..1).' },
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
  idempotencyKey?: string;
  deriveIdempotencyKey?: boolean;
  approvalId?: string;
  evidence?: unknown;
  citations?: string[];
  confidence?: number;
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
    const header = request.headers['idempotency-key'];
    const headerKey = typeof header === 'string' && header.length > 0 ? header : undefined;
    if (headerKey !== undefined && body.idempotencyKey !== undefined && headerKey !== body.idempotencyKey) {
      return sendError(reply, new InterlockError('REQUEST_INVALID', 'the Idempotency-Key header and the idempotencyKey field differ'));
    }
    const callRequest: CallRequest = {
      tool: body.tool,
      operation: body.operation,
      arguments: body.arguments,
      traceId: body.traceId,
      sessionId: body.sessionId,
      actingFor: body.actingFor,
      idempotencyKey: body.idempotencyKey ?? headerKey,
      deriveIdempotencyKey: body.deriveIdempotencyKey,
      approvalId: body.approvalId,
      evidence: body.evidence,
      citations: body.citations,
      confidence: body.confidence,
    };
    const outcome = await services.call(callRequest, { kind: 'token', token });
    if (outcome.status === 'executed' || outcome.status === 'shadowed') return reply.code(200).send(outcome);
    if (outcome.approval !== undefined) void reply.header('location', `/v1/approvals/${outcome.approval.id}`);
    const status = outcome.error?.status ?? 500;
    if (outcome.error?.code === 'RATE_LIMITED' && typeof outcome.error.details?.['retryAfterMs'] === 'number') {
      void reply.header('retry-after', Math.max(1, Math.ceil(outcome.error.details['retryAfterMs'] / 1000)));
    }
    const { error, ...rest } = outcome;
    return reply.code(status).send(error === undefined ? outcome : errorBody(error, rest));
  });
}
