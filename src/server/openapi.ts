import { ERROR_CATALOGUE } from '../errors/catalogue.js';
import { callRequestSchema } from './routes/calls.js';
import { auditQuerySchema } from './routes/evidence.js';

const errorSchema = {
  type: 'object',
  required: ['schemaVersion', 'error'],
  properties: {
    schemaVersion: { type: 'integer', const: 1 },
    callId: { type: 'string' },
    traceId: { type: 'string' },
    auditEventId: { type: 'string' },
    decision: { $ref: '#/components/schemas/Decision' },
    error: {
      type: 'object',
      required: ['code', 'message', 'status', 'retryable'],
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_CATALOGUE) },
        message: { type: 'string' },
        status: { type: 'integer' },
        retryable: { type: 'boolean' },
        details: { type: 'object' },
      },
    },
  },
};

const decisionSchema = {
  type: ['object', 'null'],
  properties: {
    kind: { type: 'string', enum: ['allow', 'deny', 'require_approval'] },
    reasons: { type: 'array', items: { type: 'string' } },
    policyIds: { type: 'array', items: { type: 'string' } },
    bundleVersion: { type: 'string' },
    obligations: {
      type: 'object',
      properties: {
        approval: { type: ['object', 'null'], properties: { role: { type: 'string' }, quorum: { type: 'integer' } } },
        redactFields: { type: 'array', items: { type: 'string' } },
        readOnly: { type: 'boolean' },
      },
    },
  },
};

const bearer = [{ bearerAuth: [] }];
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

function queryParameters(schema: { properties: Record<string, unknown> }) {
  return Object.entries(schema.properties).map(([name, property]) => ({ name, in: 'query', required: false, schema: property }));
}

/** The OpenAPI 3.1 description of the HTTP API, served at /openapi.json. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'Interlock', version: '1', description: 'Govern, execute and prove every tool call an AI agent makes.' },
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (EdDSA)' } },
      schemas: {
        CallRequest: callRequestSchema,
        Decision: decisionSchema,
        Error: errorSchema,
        CallOutcome: {
          type: 'object',
          required: ['schemaVersion', 'status', 'callId', 'traceId', 'decision', 'auditEventId'],
          properties: {
            schemaVersion: { type: 'integer', const: 1 },
            status: {
              type: 'string',
              enum: ['executed', 'shadowed'],
              description: 'shadowed: the agent is in the shadow stage; nothing ran',
            },
            callId: { type: 'string' },
            traceId: { type: 'string' },
            decision: { $ref: '#/components/schemas/Decision' },
            result: {},
            auditEventId: { type: 'string' },
          },
        },
      },
    },
    paths: {
      '/v1/calls': {
        post: {
          summary: 'Govern and execute one tool call',
          security: bearer,
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/CallRequest' } } } },
          responses: {
            '200': { description: 'Executed', content: { 'application/json': { schema: { $ref: '#/components/schemas/CallOutcome' } } } },
            '202': errorResponse('APPROVAL_REQUIRED: policy requires a human approval'),
            '400': errorResponse('BODY_MALFORMED, REQUEST_INVALID, SCHEMA_VERSION_UNSUPPORTED'),
            '401': errorResponse('Authentication failed'),
            '403': errorResponse('POLICY_DENIED, TENANT_MISMATCH'),
            '404': errorResponse('TOOL_UNKNOWN, OPERATION_UNKNOWN'),
            '413': errorResponse('BODY_TOO_LARGE'),
            '422': errorResponse('ARGUMENTS_INVALID'),
            '429': errorResponse('RATE_LIMITED, BLAST_RADIUS_EXCEEDED'),
            '502': errorResponse('UPSTREAM_FAILED'),
            '503': errorResponse('AUDIT_UNAVAILABLE, STORE_UNAVAILABLE'),
            '504': errorResponse('UPSTREAM_TIMEOUT'),
          },
        },
      },
      '/v1/traces/{id}': {
        get: {
          summary: 'The story of a trace: every call, decision, execution and outcome in order',
          security: bearer,
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'Trace story' },
            '401': errorResponse('Authentication failed'),
            '404': errorResponse('NOT_FOUND'),
          },
        },
      },
      '/v1/audit': {
        get: {
          summary: 'Audit events, filtered and paginated by sequence cursor',
          security: bearer,
          parameters: queryParameters(auditQuerySchema),
          responses: { '200': { description: 'A page of events and the next cursor' }, '401': errorResponse('Authentication failed') },
        },
      },
      '/v1/audit/verify': {
        get: {
          summary: 'Verify the hash chain and signed checkpoints',
          security: bearer,
          responses: { '200': { description: 'Chain intact' }, '409': { description: 'Tampering found; the report names each event' } },
        },
      },
      '/healthz': { get: { summary: 'Liveness', responses: { '200': { description: 'Process is up' } } } },
      '/readyz': {
        get: {
          summary: 'Readiness (store reachable)',
          responses: { '200': { description: 'Ready' }, '503': errorResponse('STORE_UNAVAILABLE') },
        },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text/plain exposition format' } } } },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } } },
    },
  };
}
