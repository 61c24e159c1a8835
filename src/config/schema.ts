import { z } from 'zod';

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
