import type { FastifyInstance } from 'fastify';
import { InterlockError } from '../../errors/interlock-error.js';
import type { RetrievalService } from '../../retrieval/retrieval-service.js';
import { RETRIEVAL_SCHEMA_VERSION, type RetrieveRequest, type SourceActor } from '../../retrieval/retrieval-answer.js';
import { bearerToken, sendError } from '../error-response.js';
import type { Operator, ServerServices } from '../services.js';

/** What the retrieval routes need: the retrieval service's own methods. */
export type RetrievalHttpServices = Pick<
  RetrievalService,
  'retrieve' | 'listSources' | 'getSource' | 'ingest' | 'quarantine' | 'release' | 'influence'
>;

const idText = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]{1,128}$' } as const;
const sourceIdParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', minLength: 1, maxLength: 63 } },
} as const;
const reason = { type: 'string', minLength: 1, maxLength: 1000, description: 'Why (recorded in the audit log).' } as const;

export const retrieveRequestSchema = {
  type: 'object',
  required: ['query'],
  additionalProperties: false,
  properties: {
    schemaVersion: { type: 'integer' },
    query: { type: 'string', minLength: 1, maxLength: 2000 },
    task: {
      type: 'string',
      pattern: '^[a-z][a-z0-9_-]{0,62}$',
      description: 'The task retrieved for; sources that list tasks are searched only for those.',
    },
    sessionId: idText,
    traceId: { ...idText, description: 'Citations are bound to the trace: calls of the same trace can cite them.' },
    limit: { type: 'integer', minimum: 1, maximum: 50, description: 'Chunks wanted; default retrieval.defaultLimit.' },
    actingFor: { type: 'string', minLength: 1, maxLength: 8192, description: 'Signed user assertion (JWT) from a trusted issuer.' },
  },
} as const;

export const ingestRequestSchema = {
  type: 'object',
  required: ['documentId', 'text'],
  additionalProperties: false,
  properties: {
    documentId: { type: 'string', minLength: 1, maxLength: 200, description: 'Re-ingesting a document id replaces all of its chunks.' },
    text: { type: 'string', minLength: 1 },
    version: { type: 'string', minLength: 1, maxLength: 64, description: 'Default: sha256: and 16 hex digits of the text.' },
    title: { type: 'string', minLength: 1, maxLength: 200 },
    updatedAt: { type: 'string', maxLength: 40, description: 'When the content was last known current (ISO 8601); default now.' },
  },
} as const;

const reasonBody = { type: 'object', required: ['reason'], additionalProperties: false, properties: { reason } } as const;
const influenceQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
} as const;

interface RetrieveBody extends RetrieveRequest {
  readonly schemaVersion?: number;
}

interface IngestBody {
  readonly documentId: string;
  readonly text: string;
  readonly version?: string;
  readonly title?: string;
  readonly updatedAt?: string;
}

function actorOf(operator: Operator): SourceActor {
  return { by: operator.operatorId, tenants: operator.tenants };
}

/**
 * Governed retrieval over HTTP: agents retrieve (agent token, optionally acting for a user);
 * operators list sources, ingest documents, quarantine and release sources and ask what a source
 * influenced (operator token, within their tenants). The service decides; these routes translate.
 */
export function registerRetrievalRoutes(app: FastifyInstance, services: ServerServices): void {
  const retrieval = services.retrieval;

  app.post<{ Body: RetrieveBody }>('/v1/retrieve', { schema: { body: retrieveRequestSchema } }, async (request, reply) => {
    const { schemaVersion, ...body } = request.body;
    if (schemaVersion !== undefined && schemaVersion !== RETRIEVAL_SCHEMA_VERSION) {
      return sendError(
        reply,
        new InterlockError(
          'SCHEMA_VERSION_UNSUPPORTED',
          `schemaVersion ${schemaVersion} is not supported; use ${RETRIEVAL_SCHEMA_VERSION}`,
        ),
      );
    }
    return retrieval.retrieve(body, { kind: 'token', token: bearerToken(request) });
  });

  app.get('/v1/sources', async (request) => {
    const operator = await services.authenticateOperator(bearerToken(request));
    return { schemaVersion: RETRIEVAL_SCHEMA_VERSION, sources: await retrieval.listSources(actorOf(operator)) };
  });

  app.get<{ Params: { id: string } }>('/v1/sources/:id', { schema: { params: sourceIdParams } }, async (request) => {
    const operator = await services.authenticateOperator(bearerToken(request));
    return { schemaVersion: RETRIEVAL_SCHEMA_VERSION, source: await retrieval.getSource(request.params.id, actorOf(operator)) };
  });

  app.post<{ Params: { id: string }; Body: IngestBody }>(
    '/v1/sources/:id/documents',
    { schema: { params: sourceIdParams, body: ingestRequestSchema } },
    async (request, reply) => {
      const operator = await services.authenticateOperator(bearerToken(request));
      const report = await retrieval.ingest(request.params.id, request.body, actorOf(operator));
      return reply.code(201).send(report);
    },
  );

  app.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/v1/sources/:id/quarantine',
    { schema: { params: sourceIdParams, body: reasonBody } },
    async (request) => {
      const operator = await services.authenticateOperator(bearerToken(request));
      return {
        schemaVersion: RETRIEVAL_SCHEMA_VERSION,
        source: await retrieval.quarantine(request.params.id, request.body.reason, actorOf(operator)),
      };
    },
  );

  app.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/v1/sources/:id/release',
    { schema: { params: sourceIdParams, body: reasonBody } },
    async (request) => {
      const operator = await services.authenticateOperator(bearerToken(request));
      return {
        schemaVersion: RETRIEVAL_SCHEMA_VERSION,
        ...(await retrieval.release(request.params.id, request.body.reason, actorOf(operator))),
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit: number } }>(
    '/v1/sources/:id/influence',
    { schema: { params: sourceIdParams, querystring: influenceQuery } },
    async (request) => {
      const operator = await services.authenticateOperator(bearerToken(request));
      const calls = await retrieval.influence(request.params.id, actorOf(operator), request.query.limit);
      return { schemaVersion: RETRIEVAL_SCHEMA_VERSION, sourceId: request.params.id, calls };
    },
  );
}

const json = (schema: unknown) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const bearer = [{ bearerAuth: [] }];
const errorResponse = (description: string) => ({ description, content: json(ref('Error')) });
const sourceIdParameter = { name: 'id', in: 'path', required: true, schema: sourceIdParams.properties.id };

const redactionSchema = {
  type: 'object',
  properties: {
    kind: { type: 'string', description: 'e.g. phone, email, card_number, iban, us_ssn, stripe_key, aws_access_key_id' },
    category: { type: 'string', enum: ['secret', 'personal_data'] },
    count: { type: 'integer' },
  },
};

const sourceViewSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    tenant: { type: 'string' },
    owner: { type: 'string' },
    description: { type: ['string', 'null'] },
    classification: { type: 'string', enum: ['public', 'internal', 'pii', 'confidential', 'secret'] },
    trust: { type: 'string', enum: ['trusted', 'untrusted'] },
    freshness: {
      type: ['object', 'null'],
      properties: { budget: { type: 'string' }, response: { type: 'string', enum: ['exclude', 'warn', 'downgrade'] } },
    },
    allow: { type: 'object', properties: { agents: { type: 'array', items: { type: 'string' } }, tasks: { type: ['array', 'null'] } } },
    readers: { type: 'object', properties: { roles: { type: 'array' }, agents: { type: 'array' } } },
    documents: { type: 'integer' },
    chunks: { type: 'integer' },
    lastIngestedAt: { type: ['string', 'null'] },
    quarantine: {
      type: ['object', 'null'],
      properties: { id: { type: 'string' }, reason: { type: 'string' }, setBy: { type: 'string' }, setAt: { type: 'string' } },
    },
  },
};

const retrievalAnswerSchema = {
  type: 'object',
  required: ['schemaVersion', 'retrievalId', 'traceId', 'chunks', 'withheld', 'downgrade', 'auditEventId'],
  properties: {
    schemaVersion: { type: 'integer', const: 1 },
    retrievalId: { type: 'string' },
    traceId: { type: 'string' },
    sessionId: { type: ['string', 'null'] },
    task: { type: ['string', 'null'] },
    chunks: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          citationId: { type: 'string', description: 'Cite this id: bound to the chunk and the trace.' },
          chunkId: { type: 'string' },
          text: { type: 'string', description: 'Redacted per classification and entitlement.' },
          score: { type: 'number' },
          similarity: { type: 'number' },
          source: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              owner: { type: 'string' },
              classification: { type: 'string' },
              trust: { type: 'string' },
            },
          },
          document: {
            type: 'object',
            properties: { id: { type: 'string' }, version: { type: 'string' }, title: { type: 'string' }, updatedAt: { type: 'string' } },
          },
          contentHash: { type: 'string' },
          stale: { type: 'boolean' },
          warning: { type: ['string', 'null'] },
          redactions: { type: 'array', items: redactionSchema },
        },
      },
    },
    withheld: {
      type: 'array',
      items: {
        type: 'object',
        properties: { sourceId: { type: 'string' }, reason: { type: 'string', enum: ['needs_entitlement', 'stale_without_session'] } },
      },
    },
    downgrade: {
      type: ['object', 'null'],
      properties: { mode: { type: 'string' }, changed: { type: 'boolean' }, ruleId: { type: ['string', 'null'] } },
    },
    auditEventId: { type: 'string' },
  },
};

const operatorErrors = {
  '401': errorResponse('Authentication failed'),
  '403': errorResponse('FORBIDDEN: not an operator token'),
  '404': errorResponse("SOURCE_UNKNOWN: no such source in the operator's tenants"),
};

/** The retrieval part of /openapi.json. */
export const retrievalOpenApi = {
  schemas: {
    RetrieveRequest: retrieveRequestSchema,
    RetrievalAnswer: retrievalAnswerSchema,
    IngestRequest: ingestRequestSchema,
    Source: sourceViewSchema,
  },
  paths: {
    '/v1/retrieve': {
      post: {
        summary: 'Governed retrieval: allowlisted sources of the caller’s tenant only, redacted, freshness-checked, cited and audited',
        security: bearer,
        requestBody: { required: true, content: json(ref('RetrieveRequest')) },
        responses: {
          '200': { description: 'Chunks, best first', content: json(ref('RetrievalAnswer')) },
          '400': errorResponse('REQUEST_INVALID, SCHEMA_VERSION_UNSUPPORTED'),
          '401': errorResponse('Authentication failed (agent token, user assertion)'),
          '403': errorResponse('RETRIEVAL_FORBIDDEN (no source allowlisted for this agent and task), TENANT_MISMATCH, SESSION_LOCKED'),
          '503': errorResponse('KILL_SWITCH_ACTIVE, AUDIT_UNAVAILABLE, STORE_UNAVAILABLE'),
        },
      },
    },
    '/v1/sources': {
      get: {
        summary: "Retrieval sources of the operator's tenants, with document counts and quarantines",
        security: bearer,
        responses: {
          '200': {
            description: 'Sources',
            content: json({ type: 'object', properties: { sources: { type: 'array', items: ref('Source') } } }),
          },
          '401': operatorErrors['401'],
          '403': operatorErrors['403'],
        },
      },
    },
    '/v1/sources/{id}': {
      get: {
        summary: 'One retrieval source',
        security: bearer,
        parameters: [sourceIdParameter],
        responses: {
          '200': { description: 'The source', content: json({ type: 'object', properties: { source: ref('Source') } }) },
          ...operatorErrors,
        },
      },
    },
    '/v1/sources/{id}/documents': {
      post: {
        summary: 'Ingest a document: secrets removed, cut into chunks with provenance; replaces earlier chunks of the document',
        security: bearer,
        parameters: [sourceIdParameter],
        requestBody: { required: true, content: json(ref('IngestRequest')) },
        responses: { '201': { description: 'What was stored' }, '400': errorResponse('REQUEST_INVALID'), ...operatorErrors },
      },
    },
    '/v1/sources/{id}/quarantine': {
      post: {
        summary: 'Quarantine a source: it is never searched again until released',
        security: bearer,
        parameters: [sourceIdParameter],
        requestBody: { required: true, content: json({ type: 'object', properties: { reason: { type: 'string' } } }) },
        responses: { '200': { description: 'The source, quarantined' }, '400': errorResponse('REQUEST_INVALID'), ...operatorErrors },
      },
    },
    '/v1/sources/{id}/release': {
      post: {
        summary: 'Lift the quarantine of a source',
        security: bearer,
        parameters: [sourceIdParameter],
        requestBody: { required: true, content: json({ type: 'object', properties: { reason: { type: 'string' } } }) },
        responses: { '200': { description: 'How many quarantines were lifted, and the source' }, ...operatorErrors },
      },
    },
    '/v1/sources/{id}/influence': {
      get: {
        summary: 'Which actions did this source influence? Calls completed in traces that retrieved from it, after the retrieval',
        security: bearer,
        parameters: [sourceIdParameter, { name: 'limit', in: 'query', required: false, schema: influenceQuery.properties.limit }],
        responses: { '200': { description: 'Calls, oldest first' }, ...operatorErrors },
      },
    },
  },
};
