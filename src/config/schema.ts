import { z } from 'zod';
import { parseDuration } from './duration.js';

/**
 * The shape of `interlock.yaml`. Every secret-bearing field takes a reference (`env:NAME` or
 * `file:PATH`), never a literal; `secret-scan.ts` enforces that over the whole document.
 */

export const ID_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
const id = z.string().regex(ID_PATTERN, 'expected a lowercase identifier: a-z first, then a-z, 0-9, "_" or "-" (max 63)');

/** A secret reference, e.g. `env:ORDERS_API_TOKEN` or `file:secrets/orders.token`. */
export const secretRef = z
  .string()
  .regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$/, 'expected a secret reference "env:NAME" or "file:PATH", never a literal secret');

const durationText = z.string().regex(/^\d+(ms|s|m|h|d)$/, 'expected a duration such as "500ms", "30s", "15m", "1h" or "1d"');

export const environmentSchema = z.enum(['dev', 'staging', 'prod']);
export const stageSchema = z.enum(['shadow', 'pilot', 'governed', 'autonomous']);
export const effectSchema = z.enum(['read', 'write', 'destructive']);

const tenantSchema = z.strictObject({
  id,
  name: z.string().min(1).optional(),
});

const agentSchema = z.strictObject({
  id,
  tenant: id,
  owner: z.string().min(1, 'expected the accountable owner (a person or team)'),
  environment: environmentSchema,
  stage: stageSchema,
  description: z.string().optional(),
});

const operatorSchema = z.strictObject({
  id,
  /** Tenants this operator may read; `*` for all. */
  tenants: z.union([z.literal('*'), z.array(id).min(1)]),
  roles: z.array(z.string().min(1)).default([]),
});

const entitySelectorSchema = z.strictObject({
  type: id,
  /** Dotted path into the arguments; `[*]` walks arrays, e.g. `items[*].sku`. */
  path: z
    .string()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_]*(\[\*\])?(\.[A-Za-z_][A-Za-z0-9_]*(\[\*\])?)*$/,
      'expected a dotted path such as "order_id" or "items[*].sku"',
    ),
});

const httpBindingSchema = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  /** Path template; `{name}` is replaced by the URL-encoded argument `name`. */
  path: z.string().startsWith('/'),
});

/**
 * Where a derived argument comes from: a dotted path into the original call (`arguments.order_id`,
 * `result.refund.id`), the call's `idempotencyKey`, or a literal `{ value: ... }`.
 */
const argumentSourceSchema = z.union([
  z
    .string()
    .regex(
      /^(idempotencyKey|(arguments|result)(\.[A-Za-z_][A-Za-z0-9_]*)*)$/,
      'expected "arguments.NAME", "result.PATH", "idempotencyKey" or { value: ... }',
    ),
  z.strictObject({ value: z.unknown() }),
]);

/** Another operation of the same tool, called with arguments derived from the original call. */
const derivedCallSchema = z.strictObject({
  operation: id,
  arguments: z.record(z.string(), argumentSourceSchema).default({}),
});

const operationSchema = z.strictObject({
  name: id,
  description: z.string().optional(),
  effect: effectSchema,
  idempotent: z.boolean().default(false),
  arguments: z.record(z.string(), z.unknown()).describe('JSON Schema (draft-07) of the arguments object'),
  entities: z.array(entitySelectorSchema).default([]),
  cost: z.strictObject({ usd: z.number().nonnegative() }).default({ usd: 0 }),
  timeout: durationText.optional(),
  http: httpBindingSchema.optional(),
  /** How to undo a call: the compensating operation and its arguments (e.g. refund_id: result.id). */
  compensation: derivedCallSchema.optional(),
  /**
   * How far what this operation returns is trusted when it enters a session: the company's own
   * records are `trusted`; mail, web pages, tickets and other people's text are `untrusted` (default).
   */
  contentTrust: z.enum(['trusted', 'untrusted']).default('untrusted'),
  /**
   * `required`: a call must cite chunks retrieved in the same trace (`citations`), none stale,
   * unknown or from a quarantined source. Otherwise policy decides (e.g. asks for approval on the
   * `citation_*` signals); a call policy simply allows is denied.
   */
  citations: z.enum(['required', 'optional']).default('optional'),
  /** A read operation of the same tool that previews the change, shown to approvers. Called with the same arguments. */
  dryRun: id.optional(),
  /**
   * A read operation that finds out whether a call whose outcome is unknown (timeout) took effect.
   * A non-null result means it did (and becomes the outcome); null leaves the outcome unknown.
   */
  statusCheck: derivedCallSchema.optional(),
});

const inProcessUpstreamSchema = z.strictObject({ kind: z.literal('in_process') });
const httpUpstreamSchema = z.strictObject({
  kind: z.literal('http'),
  baseUrl: z.string().url(),
  /** Header values are secret references: credentials are injected server-side only. */
  headers: z.record(z.string(), secretRef).default({}),
  timeout: durationText.default('10s'),
});

const toolSchema = z.strictObject({
  name: id,
  description: z.string().optional(),
  /** Tenants allowed to use this tool; omitted means every tenant. */
  tenants: z.array(id).optional(),
  upstream: z.discriminatedUnion('kind', [inProcessUpstreamSchema, httpUpstreamSchema]),
  operations: z.array(operationSchema).min(1),
});

/** Upstream tool names (`read_*`, `*`); `*` matches any run of characters. */
const toolPattern = z.string().min(1).max(200);

const mcpEffectRuleSchema = z.strictObject({
  tools: z.array(toolPattern).min(1),
  effect: effectSchema,
  /** Trust of what these tools return when it enters a session (default untrusted). */
  contentTrust: z.enum(['trusted', 'untrusted']).default('untrusted'),
  idempotent: z.boolean().default(false),
  cost: z.strictObject({ usd: z.number().nonnegative() }).default({ usd: 0 }),
  entities: z.array(entitySelectorSchema).default([]),
});

const mcpStdioSchema = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  /** Working directory, relative to the project directory. */
  cwd: z.string().min(1).optional(),
  /** Environment of the child: a value is a secret reference (`env:NAME`, `file:PATH`) or a plain setting. */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'), z.string()).default({}),
});

const mcpHttpSchema = z.strictObject({
  url: z.string().url(),
  /** Header values are secret references, sent to the upstream only. */
  headers: z.record(z.string(), secretRef).default({}),
});

const mcpServerSchema = z
  .strictObject({
    /** Namespace of the server's tools: `fs` exposes `read_file` as `fs__read_file`, and policy sees tool `fs`. */
    name: id.refine((name) => !name.includes('__'), 'a server name must not contain "__" (it separates namespace and tool)'),
    description: z.string().optional(),
    /**
     * Expose tools (and passed-through prompts) as `name__tool` (default). `false` exposes the
     * upstream's own names, for a gateway in front of one server; clashes are refused at load.
     */
    namespace: z.boolean().default(true),
    tenants: z.array(id).optional(),
    stdio: mcpStdioSchema.optional(),
    http: mcpHttpSchema.optional(),
    /** Effects per upstream tool, first match wins; a tool no rule matches is `destructive`. */
    effects: z.array(mcpEffectRuleSchema).default([]),
    timeout: durationText.default('30s'),
    startupTimeout: durationText.default('15s'),
    restart: z
      .strictObject({ initialDelay: durationText.default('500ms'), maxDelay: durationText.default('30s') })
      .default({ initialDelay: '500ms', maxDelay: '30s' }),
    /** Pass the server's resources and prompts through to clients (listed and read, namespaced). */
    passthrough: z
      .strictObject({ resources: z.boolean().default(false), prompts: z.boolean().default(false) })
      .default({ resources: false, prompts: false }),
  })
  .refine((server) => (server.stdio === undefined) !== (server.http === undefined), {
    message: 'expected exactly one of stdio or http',
  });

const mcpSchema = z.strictObject({
  /** Approved tool definitions (hashes and full text), relative to the project directory. */
  lockFile: z.string().min(1).default('tools.lock.json'),
  /** Pin tools that have no pin yet when the gateway starts (trust on first use). Changed pins are never accepted silently. */
  pinOnFirstStart: z.boolean().default(false),
  /** Browser origins allowed to call `/mcp`; requests with any other Origin are refused. */
  allowedOrigins: z.array(z.string().url()).default([]),
  /** Idle MCP sessions over HTTP are closed after this long. */
  sessionIdleTimeout: durationText.default('30m'),
  /** Open HTTP sessions per agent; opening one more closes that agent's least recently used one. */
  maxSessionsPerAgent: z.number().int().positive().max(10_000).default(32),
  servers: z.array(mcpServerSchema).default([]),
});

const rateSchema = z.strictObject({
  limit: z.number().int().positive(),
  per: durationText,
});

const capsSchema = z.strictObject({
  toolCalls: z.number().int().positive().optional(),
  writes: z.number().int().nonnegative().optional(),
  entities: z.number().int().nonnegative().optional(),
});

const limitsSchema = z.strictObject({
  rate: z
    .strictObject({
      perAgent: rateSchema.optional(),
      perTool: rateSchema.optional(),
      perTenant: rateSchema.optional(),
    })
    .default({}),
  perRequest: capsSchema.default({}),
  perSession: capsSchema.default({}),
  /** Caps per agent per fixed window (e.g. writes per hour), whatever trace or session ids it sends. */
  perAgent: z
    .strictObject({
      toolCalls: z.number().int().positive().optional(),
      writes: z.number().int().nonnegative().optional(),
      entities: z.number().int().nonnegative().optional(),
      window: durationText.default('1h'),
    })
    .optional(),
  /** How long request/session counters are kept after their last use. */
  counterTtl: durationText.default('24h'),
});

const trustedIssuerSchema = z
  .strictObject({
    id,
    issuer: z.string().min(1),
    audience: z.string().min(1).default('interlock'),
    /** Tenants whose users this issuer may assert; omitted means every tenant. */
    tenants: z.array(id).min(1).optional(),
    /** Require assertions to name the agent they are for (`azp` or `act`), so no other agent can replay them. */
    requireAgentBinding: z.boolean().default(false),
    /** PEM (SPKI) public key file, e.g. `file:keys/sso.pub.pem`. */
    publicKey: z
      .string()
      .regex(/^file:.+/, 'expected "file:PATH" to a PEM public key')
      .optional(),
    /** JWKS document file, e.g. `file:keys/sso.jwks.json`. */
    jwks: z
      .string()
      .regex(/^file:.+/, 'expected "file:PATH" to a JWKS file')
      .optional(),
  })
  .refine((issuer) => (issuer.publicKey === undefined) !== (issuer.jwks === undefined), {
    message: 'expected exactly one of publicKey or jwks',
  });

const storageSchema = z.discriminatedUnion('driver', [
  z.strictObject({
    driver: z.literal('sqlite'),
    path: z.string().default('interlock.db'),
    durability: z.enum(['durable', 'relaxed']).default('durable'),
  }),
  z.strictObject({
    driver: z.literal('postgres'),
    url: secretRef,
    schema: id.default('interlock'),
    durability: z.enum(['durable', 'relaxed']).default('durable'),
    poolSize: z.number().int().positive().max(100).default(10),
  }),
]);

const executionSchema = z.strictObject({
  /** Writes and destructive operations need an idempotency key (or the caller opting in to a derived one). */
  requireIdempotencyKey: z.boolean().default(true),
  /** How long a key and its first outcome are kept. */
  idempotencyTtl: durationText.default('7d'),
  /** Reads (and writes declared idempotent) are retried on upstream failures; other writes never. */
  retries: z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(10).default(3),
      baseDelay: durationText.default('100ms'),
      maxDelay: durationText.default('2s'),
    })
    .default({ maxAttempts: 3, baseDelay: '100ms', maxDelay: '2s' }),
  /** Per upstream: open after this many consecutive failures, probe again after the cooldown. */
  circuitBreaker: z
    .strictObject({
      failureThreshold: z.number().int().min(1).max(1000).default(5),
      cooldown: durationText.default('10s'),
    })
    .default({ failureThreshold: 5, cooldown: '10s' }),
});

const approvalsSchema = z.strictObject({
  /** A request not decided within this time ends as denied. */
  expiry: durationText.default('1h'),
  /** How often `serve` (and `mcp`) expire overdue requests, so their expiry is audited and announced on time. */
  sweepInterval: durationText.refine((text) => parseDuration(text) > 0, 'expected a duration above zero').default('5s'),
  /** Role that approves writes of sessions, agents or tenants in `elevated` mode. */
  elevatedRole: z.string().min(1).default('approver'),
  /** Notified (signed, retried) when a request is opened and when it is decided. */
  webhook: z
    .strictObject({
      /** The endpoint, or a secret reference to it when the URL itself carries a credential. */
      url: z.union([secretRef, z.string().url()]),
      /** Shared secret for the `Interlock-Signature` HMAC. */
      secret: secretRef,
    })
    .optional(),
});

/** Data classification of a retrieval source, least to most restricted. */
export const classificationSchema = z.enum(['public', 'internal', 'pii', 'confidential', 'secret']);

const retrievalSourceSchema = z.strictObject({
  id,
  tenant: id,
  owner: z.string().min(1, 'expected the accountable owner (a person or team)'),
  description: z.string().optional(),
  classification: classificationSchema,
  /** `untrusted`: content an outsider can write (inbound e-mail, web pages, tickets). */
  trust: z.enum(['trusted', 'untrusted']),
  /** A chunk older than `budget` is stale; `response` says what a retrieval does with it. Omitted: never stale. */
  freshness: z.strictObject({ budget: durationText, response: z.enum(['exclude', 'warn', 'downgrade']).default('warn') }).optional(),
  /** Who may retrieve from the source at all: these agents (of the source's tenant), for these tasks (omitted: any task). */
  allow: z.strictObject({ agents: z.array(id).min(1), tasks: z.array(id).min(1).optional() }),
  /**
   * Entitled readers see personal data unredacted, and are the only ones who see `confidential`
   * and `secret` sources: an acting-for user holding one of `roles`, or, with no user, one of `agents`.
   */
  readers: z
    .strictObject({ roles: z.array(z.string().min(1)).default([]), agents: z.array(id).default([]) })
    .default({ roles: [], agents: [] }),
});

const retrievalSchema = z.strictObject({
  /** Chunks returned when a request names no limit (at most 50). */
  defaultLimit: z.number().int().min(1).max(50).default(8),
  sources: z
    .array(retrievalSourceSchema)
    .default([])
    .refine((sources) => new Set(sources.map((source) => source.id)).size === sources.length, {
      message: 'source ids must be unique',
    }),
});

const riskSchema = z.strictObject({
  /** Trust of content by origin (`user`, `email`, `web`, …); origins not listed are untrusted. `user` needs a verified user assertion. */
  origins: z.record(z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/), z.enum(['trusted', 'untrusted'])).default({ user: 'trusted' }),
  /** 0..1: content scoring at least this raises an injection signal. */
  injectionThreshold: z.number().min(0).max(1).default(0.5),
  /** The same call proposed this many times in a session within `window` raises `loop`. */
  loop: z
    .strictObject({ threshold: z.number().int().min(2).max(10_000).default(5), window: durationText.default('10m') })
    .default({ threshold: 5, window: '10m' }),
  /** 0..100: a reported confidence below this raises `low_confidence`. */
  lowConfidence: z.number().min(0).max(100).default(50),
  /**
   * An injection classifier over HTTP (POST {"text"} → {"score": 0..1}), combined with the rules by
   * taking the higher score. Unreachable or slow: the rules' score stands.
   */
  classifier: z
    .strictObject({
      url: z.union([secretRef, z.string().url()]),
      timeout: durationText.default('2s'),
    })
    .optional(),
  /** Most recent entries of a session's ledger taken into account. */
  ledgerLimit: z.number().int().min(1).max(10_000).default(500),
  /** When a signal is raised `count` times within `window` for one session, agent or tenant, set its mode. */
  runbooks: z
    .array(
      z.strictObject({
        id,
        signal: z
          .string()
          .regex(
            /^(taint|injection|loop|low_confidence|injection:[a-z_]+)$/,
            'expected taint, injection, injection:<category>, loop or low_confidence',
          ),
        count: z.number().int().min(1).default(1),
        window: durationText.default('10m'),
        scope: z.enum(['session', 'agent', 'tenant']).default('session'),
        /** The mode to set; omit with `quarantineSource` alone. */
        mode: z.enum(['elevated', 'read_only', 'locked']).optional(),
        /** Also quarantine the retrieval source whose chunk raised the signal (suspected poisoning). */
        quarantineSource: z.boolean().default(false),
        /** Also send a `risk.runbook` event to the webhook (approvals.webhook). */
        notify: z.boolean().default(false),
      }),
    )
    .default([]),
});

export const projectSchema = z.strictObject({
  version: z.literal(1, 'expected version: 1'),
  project: z.string().min(1),
  /** The environment this deployment serves; tokens for any other environment are refused. */
  environment: environmentSchema,
  dataDir: z.string().default('.interlock'),
  server: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8787),
      bodyLimitBytes: z
        .number()
        .int()
        .positive()
        .max(16 * 1024 * 1024)
        .default(1024 * 1024),
    })
    .default({ host: '127.0.0.1', port: 8787, bodyLimitBytes: 1024 * 1024 }),
  storage: storageSchema.default({ driver: 'sqlite', path: 'interlock.db', durability: 'durable' }),
  identity: z
    .strictObject({
      tokenTtl: durationText.default('15m'),
      maxTokenTtl: durationText.default('24h'),
      trustedIssuers: z.array(trustedIssuerSchema).default([]),
    })
    .default({ tokenTtl: '15m', maxTokenTtl: '24h', trustedIssuers: [] }),
  tenants: z.array(tenantSchema).min(1),
  agents: z.array(agentSchema).default([]),
  operators: z.array(operatorSchema).default([]),
  tools: z.array(toolSchema).default([]),
  /** MCP gateway: upstream MCP servers whose tools are governed like any other tool. */
  mcp: mcpSchema.default({
    lockFile: 'tools.lock.json',
    pinOnFirstStart: false,
    allowedOrigins: [],
    sessionIdleTimeout: '30m',
    maxSessionsPerAgent: 32,
    servers: [],
  }),
  policy: z.strictObject({ bundle: z.string().min(1) }),
  execution: executionSchema.default({
    requireIdempotencyKey: true,
    idempotencyTtl: '7d',
    retries: { maxAttempts: 3, baseDelay: '100ms', maxDelay: '2s' },
    circuitBreaker: { failureThreshold: 5, cooldown: '10s' },
  }),
  approvals: approvalsSchema.default({ expiry: '1h', elevatedRole: 'approver', sweepInterval: '5s' }),
  risk: riskSchema.default({
    origins: { user: 'trusted' },
    injectionThreshold: 0.5,
    loop: { threshold: 5, window: '10m' },
    lowConfidence: 50,
    ledgerLimit: 500,
    runbooks: [],
  }),
  containment: z
    .strictObject({
      /** How often each process checks for kill switches and modes set elsewhere (PostgreSQL also notifies at once). */
      pollInterval: durationText.default('250ms'),
    })
    .default({ pollInterval: '250ms' }),
  /** ES module exporting `handlers`: { 'tool.operation': function } for in-process tools run by `interlock serve`. */
  handlers: z.string().min(1).optional(),
  limits: limitsSchema.default({ rate: {}, perRequest: {}, perSession: {}, counterTtl: '24h' }),
  audit: z
    .strictObject({
      /** Dotted paths (with `*` for one segment) redacted from every event, e.g. `arguments.card_number`. */
      redactFields: z.array(z.string().min(1)).default([]),
      checkpointEvery: z.number().int().positive().default(1000),
    })
    .default({ redactFields: [], checkpointEvery: 1000 }),
  logging: z
    .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
    .default({ level: 'info' }),
  /** Governed retrieval: registered sources, their classification, trust, freshness and allowlists. */
  retrieval: retrievalSchema.default({ defaultLimit: 8, sources: [] }),
});

export type ProjectFile = z.infer<typeof projectSchema>;
export type Environment = z.infer<typeof environmentSchema>;
export type Stage = z.infer<typeof stageSchema>;
export type Effect = z.infer<typeof effectSchema>;
export type ToolConfig = ProjectFile['tools'][number];
export type OperationConfig = ToolConfig['operations'][number];
export type AgentConfig = ProjectFile['agents'][number];
export type OperatorConfig = ProjectFile['operators'][number];
export type LimitsConfig = ProjectFile['limits'];
export type StorageConfig = ProjectFile['storage'];
export type TrustedIssuerConfig = ProjectFile['identity']['trustedIssuers'][number];
export type McpConfig = ProjectFile['mcp'];
export type McpServerConfig = McpConfig['servers'][number];
export type McpEffectRule = McpServerConfig['effects'][number];
export type ExecutionConfig = ProjectFile['execution'];
export type RiskConfig = ProjectFile['risk'];
export type ApprovalsConfig = ProjectFile['approvals'];
export type DerivedCallConfig = z.infer<typeof derivedCallSchema>;
export type ArgumentSource = z.infer<typeof argumentSourceSchema>;
export type RetrievalConfig = ProjectFile['retrieval'];
export type RetrievalSourceConfig = RetrievalConfig['sources'][number];
export type Classification = z.infer<typeof classificationSchema>;
