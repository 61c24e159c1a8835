import { ERROR_CATALOGUE } from '../errors/catalogue.js';
import { approvalDecisionSchema, approvalIdParamsSchema, approvalQuerySchema, APPROVAL_STATUSES } from './routes/approvals.js';
import { callRequestSchema } from './routes/calls.js';
import { callResolutionOpenApi } from './routes/call-resolution.js';
import { killRequestSchema, liftRequestSchema, modeRequestSchema } from './routes/containment.js';
import { auditQuerySchema } from './routes/evidence.js';
import { planOpenApi } from './routes/plans.js';
import { retrievalOpenApi } from './routes/retrieval.js';
import { sessionContentSchema } from './routes/sessions.js';

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

const approvalSchema = {
  type: 'object',
  required: ['schemaVersion', 'id', 'status', 'tenant', 'agentId', 'tool', 'operation', 'approverRole', 'quorum', 'approvals', 'expiresAt'],
  properties: {
    schemaVersion: { type: 'integer', const: 1 },
    id: { type: 'string' },
    status: { type: 'string', enum: APPROVAL_STATUSES, description: 'consumed: approved and used by the one call it allowed' },
    tenant: { type: 'string' },
    agentId: { type: 'string' },
    actingForUserId: { type: ['string', 'null'] },
    tool: { type: 'string' },
    operation: { type: 'string' },
    approverRole: { type: 'string' },
    quorum: { type: 'integer', description: 'Distinct approvers needed.' },
    approvals: { type: 'integer', description: 'Approving votes so far.' },
    votes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          approver: { type: 'string' },
          decision: { type: 'string', enum: ['approve', 'deny'] },
          comment: { type: 'string' },
          at: { type: 'string' },
        },
      },
    },
    createdAt: { type: 'string' },
    expiresAt: { type: 'string' },
    decidedAt: { type: ['string', 'null'] },
    consumedByCall: { type: ['string', 'null'] },
    details: {
      type: 'object',
      description: 'What the action is and why it needs approval: redacted arguments, reasons, policy ids, evidence, dry run.',
      properties: {
        traceId: { type: 'string' },
        sessionId: { type: ['string', 'null'] },
        callId: { type: 'string' },
        effect: { type: 'string' },
        arguments: {},
        reasons: { type: 'array', items: { type: 'string' } },
        policyIds: { type: 'array', items: { type: 'string' } },
        bundleVersion: { type: 'string' },
        entities: { type: 'array', items: { type: 'string' } },
        costUsd: { type: 'number' },
        evidence: {},
        dryRun: {},
      },
    },
  },
};

const containmentRuleSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['kill', 'mode'] },
    scope: { type: 'string', enum: ['fleet', 'tenant', 'agent', 'session', 'tool', 'operation'] },
    target: { type: 'string' },
    mode: { type: ['string', 'null'], enum: ['elevated', 'read_only', 'locked', null] },
    reason: { type: 'string' },
    setBy: { type: 'string' },
    setAt: { type: 'string' },
    liftedAt: { type: ['string', 'null'] },
    liftedBy: { type: ['string', 'null'] },
  },
};

const bearer = [{ bearerAuth: [] }];
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const json = (schema: unknown) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const approvalIdParameter = { name: 'id', in: 'path', required: true, schema: approvalIdParamsSchema.properties.id };
const operatorOnly = errorResponse("FORBIDDEN: an agent token, or a target outside the operator's tenants");

function approvalDecisionPath(verb: 'approve' | 'deny') {
  return {
    post: {
      summary: verb === 'approve' ? 'Approve: one vote towards the quorum' : 'Deny: the request ends as denied',
      description:
        'Operator token only. Roles and tenants come from the token; the requesting agent and the user it acts for cannot decide.',
      security: bearer,
      parameters: [approvalIdParameter],
      requestBody: { required: false, content: json(ref('ApprovalDecision')) },
      responses: {
        '200': { description: 'The request after the vote', content: json(ref('Approval')) },
        '400': errorResponse('REQUEST_INVALID'),
        '401': errorResponse('Authentication failed'),
        '403': errorResponse('FORBIDDEN (not an operator token), APPROVER_NOT_ALLOWED (missing role, requester, acting-for user)'),
        '404': errorResponse("NOT_FOUND: no such request in the operator's tenants"),
        '409': errorResponse('APPROVAL_CLOSED: already decided, expired or used'),
      },
    },
  };
}

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
        Approval: approvalSchema,
        ApprovalDecision: approvalDecisionSchema,
        ContainmentRule: containmentRuleSchema,
        KillRequest: killRequestSchema,
        LiftRequest: liftRequestSchema,
        ModeRequest: modeRequestSchema,
        ...planOpenApi.schemas,
        ...retrievalOpenApi.schemas,
        ...callResolutionOpenApi.schemas,
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
            replayed: { type: 'boolean', description: 'The first outcome of the same idempotency key, repeated; nothing ran again' },
            resolution: {
              type: 'object',
              description: 'An operator resolved an unknown outcome as executed (interlock calls resolve); the result is not known',
              properties: {
                resolvedAs: { const: 'executed' },
                resolvedBy: { type: 'string' },
                reason: { type: 'string' },
                resolvedAt: { type: 'string' },
              },
            },
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
      '/v1/approvals': {
        get: {
          summary: "Approval requests: an operator sees its tenants', an agent its own",
          security: bearer,
          parameters: queryParameters(approvalQuerySchema),
          responses: {
            '200': {
              description: 'Newest first',
              content: json({
                type: 'object',
                properties: { schemaVersion: { const: 1 }, approvals: { type: 'array', items: ref('Approval') } },
              }),
            },
            '400': errorResponse('REQUEST_INVALID'),
            '401': errorResponse('Authentication failed'),
            '403': errorResponse('FORBIDDEN: an agent asking for another agent'),
          },
        },
      },
      '/v1/approvals/{id}': {
        get: {
          summary: 'One approval request (the requesting agent may poll it)',
          security: bearer,
          parameters: [approvalIdParameter],
          responses: {
            '200': { description: 'The request, its votes and details', content: json(ref('Approval')) },
            '401': errorResponse('Authentication failed'),
            '404': errorResponse('NOT_FOUND: no such request visible to this caller'),
          },
        },
      },
      '/v1/approvals/{id}/approve': approvalDecisionPath('approve'),
      '/v1/approvals/{id}/deny': approvalDecisionPath('deny'),
      '/v1/kill-switches': {
        get: {
          summary: "Kill switches and modes in force for the operator's tenants (fleet-wide ones included)",
          security: bearer,
          responses: {
            '200': {
              description: 'Active rules',
              content: json({
                type: 'object',
                properties: {
                  schemaVersion: { const: 1 },
                  killSwitches: { type: 'array', items: ref('ContainmentRule') },
                  modes: { type: 'array', items: ref('ContainmentRule') },
                },
              }),
            },
            '401': errorResponse('Authentication failed'),
            '403': operatorOnly,
          },
        },
        post: {
          summary: 'Stop tool execution for the fleet, a tenant, an agent, a tool or an operation',
          description: 'Takes effect on the next call in this process and within a second on every replica sharing the store.',
          security: bearer,
          requestBody: { required: true, content: json(ref('KillRequest')) },
          responses: {
            '201': {
              description: 'The kill switch set',
              content: json({ type: 'object', properties: { schemaVersion: { const: 1 }, rule: ref('ContainmentRule') } }),
            },
            '400': errorResponse('REQUEST_INVALID (malformed target, revokeCredentials without agent scope)'),
            '401': errorResponse('Authentication failed'),
            '403': operatorOnly,
          },
        },
      },
      '/v1/kill-switches/lift': {
        post: {
          summary: 'Lift the kill switches on one scope and target',
          security: bearer,
          requestBody: { required: true, content: json(ref('LiftRequest')) },
          responses: {
            '200': {
              description: 'How many were lifted (0 when none was active), and which',
              content: json({
                type: 'object',
                properties: {
                  schemaVersion: { const: 1 },
                  lifted: { type: 'integer' },
                  rules: { type: 'array', items: ref('ContainmentRule') },
                },
              }),
            },
            '400': errorResponse('REQUEST_INVALID'),
            '401': errorResponse('Authentication failed'),
            '403': operatorOnly,
          },
        },
      },
      '/v1/modes': {
        put: {
          summary: 'Set the mode of a tenant, agent or session: normal, elevated (writes need approval), read_only, locked',
          security: bearer,
          requestBody: { required: true, content: json(ref('ModeRequest')) },
          responses: {
            '200': {
              description: 'The mode in force on the target; rule is null for normal',
              content: json({
                type: 'object',
                properties: {
                  schemaVersion: { const: 1 },
                  scope: { type: 'string' },
                  target: { type: 'string' },
                  mode: { type: 'string' },
                  rule: { oneOf: [ref('ContainmentRule'), { type: 'null' }] },
                },
              }),
            },
            '400': errorResponse('REQUEST_INVALID'),
            '401': errorResponse('Authentication failed'),
            '403': operatorOnly,
          },
        },
      },
      '/v1/sessions/{sessionId}/content': {
        post: {
          summary:
            'Record content that entered a session (the user request, an e-mail, a web page): labelled with its trust, scored for injection, kept as value fingerprints for taint checks',
          security: bearer,
          parameters: [{ name: 'sessionId', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: { required: true, content: json(sessionContentSchema) },
          responses: {
            '201': {
              description: 'Recorded',
              content: json({
                type: 'object',
                properties: {
                  schemaVersion: { const: 1 },
                  sessionId: { type: 'string' },
                  entryId: { type: 'string' },
                  trust: { enum: ['trusted', 'untrusted'] },
                  injectionScore: { type: 'integer', minimum: 0, maximum: 100 },
                  signals: { type: 'array', items: { type: 'string' } },
                  values: { type: 'integer' },
                },
              }),
            },
            '400': errorResponse('REQUEST_INVALID'),
            '401': errorResponse('Authentication failed'),
            '403': errorResponse('FORBIDDEN'),
          },
        },
      },
      ...planOpenApi.paths,
      ...retrievalOpenApi.paths,
      ...callResolutionOpenApi.paths,
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
