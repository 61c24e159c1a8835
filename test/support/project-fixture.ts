/**
 * A real Interlock project for door-level tests: a temporary copy of a project directory (the
 * refunds example by default), optionally edited and switched to PostgreSQL, opened with
 * openRuntime and served by the real HTTP server on port 0.
 *
 *   const project = await startProject({ storage: 'postgres', edit: (config) => { ... } });
 *   const token = await project.mintAgentToken('support-bot');
 *   const answer = await project.call({ tool: 'orders', operation: 'lookup', arguments: { order_id: 'o-1001' } }, token);
 *   await project.close();
 *
 * Handlers are registered through runtime.registerHandler wrapped in counters, so every test can
 * prove that a refused call never reached its tool (`invocations('refunds.create')`).
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import pg from 'pg';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { Environment } from '../../src/config/schema.js';
import type { ToolHandler } from '../../src/execution/in-process-executor.js';
import { openRuntime, type Runtime } from '../../src/runtime/open-runtime.js';
import { loadHandlersModule } from '../../src/runtime/handlers-module.js';
import { buildServer } from '../../src/server/app.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store, StoredAuditEvent } from '../../src/store/store.js';
import { dropSchema, freshSchemaName, postgresTestUrl } from './postgres.js';

const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REFUNDS_EXAMPLE = join(REPOSITORY_ROOT, 'examples', 'refunds');
export const DEMO_ISSUER = 'https://sso.demo.example';
/** Name of the environment variable the PostgreSQL storage URL is read from (passed through RuntimeOptions.env). */
export const DATABASE_URL_VARIABLE = 'INTERLOCK_TEST_DB_URL';

export type StorageKind = 'sqlite' | 'postgres';
/** The parsed interlock.yaml, edited in place by `edit`. */
export type ProjectDocument = Record<string, unknown>;

export interface ProjectFixtureOptions {
  /** Project directory copied into a temporary directory. Default: examples/refunds. */
  readonly source?: string;
  readonly storage?: StorageKind;
  /** Extra or replacement files, relative to the project directory (e.g. `policies/extra.cedar`). */
  readonly files?: Readonly<Record<string, string>>;
  /** Changes the parsed interlock.yaml before the runtime opens it. */
  readonly edit?: (document: ProjectDocument) => void;
  /** Extra environment for `env:` references (the PostgreSQL URL variable is added). */
  readonly env?: Readonly<Record<string, string>>;
  /** Register the project's `handlers` module (wrapped in counters). Default true. */
  readonly loadHandlers?: boolean;
  /** More handlers, registered after (and overriding) the module's. */
  readonly handlers?: Readonly<Record<string, ToolHandler>>;
  /** Prefix of the PostgreSQL schema name. */
  readonly name?: string;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed JSON body ({} when the body is not a JSON object). */
  readonly body: ApiBody;
}

/** The fields of Interlock's answers that tests read; anything else stays `unknown`. */
export interface ApiBody {
  readonly [field: string]: unknown;
  readonly schemaVersion?: number;
  readonly status?: string;
  readonly callId?: string;
  readonly traceId?: string;
  readonly auditEventId?: string;
  readonly result?: unknown;
  readonly decision?: {
    readonly kind: string;
    readonly reasons: string[];
    readonly policyIds: string[];
    readonly bundleVersion: string;
    readonly obligations: {
      readonly approval: { role: string; quorum: number } | null;
      readonly redactFields: string[];
      readonly readOnly: boolean;
    };
  } | null;
  readonly error?: {
    readonly code: string;
    readonly message: string;
    readonly status: number;
    readonly retryable: boolean;
    readonly details?: Record<string, unknown>;
  };
}

export interface RequestOptions {
  readonly token?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as is, with the given content type (default application/json). */
  readonly rawBody?: string;
  readonly json?: unknown;
}

export interface UserAssertionRequest {
  readonly user: string;
  readonly tenant: string;
  readonly roles?: readonly string[];
  /** Signing key; default the demo issuer's private key. */
  readonly key?: KeyObject;
  readonly issuer?: string;
  readonly audience?: string;
  /** Seconds relative to now; default iat now, exp now + 300. */
  readonly issuedAtOffset?: number;
  readonly expiresAtOffset?: number;
  /** `azp`: the agent the assertion is bound to. */
  readonly agent?: string;
}

export interface ProjectFixture {
  readonly dir: string;
  readonly storage: StorageKind;
  /** PostgreSQL schema, or null on SQLite. */
  readonly schema: string | null;
  readonly baseUrl: string;
  readonly runtime: Runtime;
  readonly app: FastifyInstance;
  mintAgentToken(agentId: string, options?: { environment?: Environment; ttlSeconds?: number }): Promise<string>;
  mintOperatorToken(operatorId?: string): Promise<string>;
  userAssertion(request: UserAssertionRequest): Promise<string>;
  /** How many times the handler of `tool.operation` ran. */
  invocations(qualifiedName: string): number;
  /** Log lines written so far. */
  logs(): string[];
  request(method: string, path: string, options?: RequestOptions): Promise<HttpAnswer>;
  /** POST /v1/calls with a JSON body. */
  call(body: unknown, token: string | undefined, options?: Omit<RequestOptions, 'json' | 'token'>): Promise<HttpAnswer>;
  /** Audit events as stored (all committed: the runtime is durable before it answers). */
  auditEvents(filter?: { callId?: string; traceId?: string; type?: string }): Promise<StoredAuditEvent[]>;
  /** Highest committed seq, 0 when empty. */
  auditHeadSeq(): Promise<number>;
  /** Runs SQL against the project's database from outside the runtime (tampering, inspection). */
  execute(statement: string): Promise<Array<Record<string, unknown>>>;
  /** A second, independent store on the same database (what the CLI opens). */
  openSecondStore(): Promise<Store>;
  /** Stops the server and closes the runtime; files and schema stay for inspection. */
  stop(): Promise<void>;
  /** stop(), then removes the directory and drops the PostgreSQL schema. */
  close(): Promise<void>;
}

export async function startProject(options: ProjectFixtureOptions = {}): Promise<ProjectFixture> {
  const storage = options.storage ?? 'sqlite';
  const dir = mkdtempSync(join(tmpdir(), 'interlock-server-'));
  cpSync(options.source ?? REFUNDS_EXAMPLE, dir, { recursive: true, filter: (path) => !path.includes('.interlock') });
  for (const [relative, content] of Object.entries(options.files ?? {})) {
    const target = join(dir, relative);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }

  const projectFile = join(dir, 'interlock.yaml');
  const document = parseYaml(readFileSync(projectFile, 'utf8')) as ProjectDocument;
  const databaseUrl = postgresTestUrl();
  const schema = storage === 'postgres' ? freshSchemaName(options.name ?? 'server') : null;
  if (schema !== null)
    document['storage'] = { driver: 'postgres', url: `env:${DATABASE_URL_VARIABLE}`, schema, durability: 'durable', poolSize: 4 };
  options.edit?.(document);
  writeFileSync(projectFile, stringifyYaml(document));

  const lines: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((line) => line.length > 0),
      );
      done();
    },
  });

  const env = { ...(options.env ?? {}), [DATABASE_URL_VARIABLE]: databaseUrl };
  let runtime: Runtime;
  try {
    runtime = await openRuntime(dir, { env, logStream, processMetrics: false, loadHandlers: false });
  } catch (error) {
    if (schema !== null) await dropSchema(databaseUrl, schema).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const counts = new Map<string, number>();
  const register = (name: string, handler: ToolHandler): void => {
    runtime.registerHandler(name, (args, context) => {
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return handler(args, context);
    });
  };
  const handlersModule = runtime.config.handlers;
  if ((options.loadHandlers ?? true) && handlersModule !== undefined) {
    for (const [name, handler] of await loadHandlersModule(dir, handlersModule)) register(name, handler);
  }
  for (const [name, handler] of Object.entries(options.handlers ?? {})) register(name, handler);

  const app = buildServer(runtime.serverServices());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  const baseUrl = `http://127.0.0.1:${address.port}`;

  const sqlitePath = runtime.config.storage.driver === 'sqlite' ? resolve(runtime.dataDir, runtime.config.storage.path) : null;
  const demoIssuerKey = createPrivateKey(readFileSync(join(dir, 'demo-issuer', 'private.pem'), 'utf8'));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      await app.close();
    } finally {
      await runtime.close();
    }
  };

  const request = async (method: string, path: string, requestOptions: RequestOptions = {}): Promise<HttpAnswer> => {
    const headers: Record<string, string> = { ...(requestOptions.headers ?? {}) };
    if (requestOptions.token !== undefined) headers['authorization'] = `Bearer ${requestOptions.token}`;
    let body: string | undefined;
    if (requestOptions.rawBody !== undefined) {
      body = requestOptions.rawBody;
      headers['content-type'] ??= 'application/json';
    } else if (requestOptions.json !== undefined) {
      body = JSON.stringify(requestOptions.json);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${baseUrl}${path}`, body === undefined ? { method, headers } : { method, headers, body });
    const text = await response.text();
    let parsed: ApiBody = {};
    try {
      const value: unknown = JSON.parse(text);
      if (value !== null && typeof value === 'object') parsed = value as ApiBody;
    } catch {
      parsed = {};
    }
    return { status: response.status, headers: response.headers, text, body: parsed };
  };

  return {
    dir,
    storage,
    schema,
    baseUrl,
    runtime,
    app,
    async mintAgentToken(agentId, mintOptions = {}) {
      return (await runtime.identity.issuer.mintAgentToken({ agentId, ...mintOptions })).token;
    },
    async mintOperatorToken(operatorId = 'auditor') {
      return (await runtime.identity.issuer.mintOperatorToken({ operatorId })).token;
    },
    userAssertion: (assertion) => signUserAssertion(assertion, demoIssuerKey),
    invocations: (name) => counts.get(name) ?? 0,
    logs: () => [...lines],
    request,
    call: (body, token, callOptions = {}) =>
      request('POST', '/v1/calls', { ...callOptions, json: body, ...(token === undefined ? {} : { token }) }),
    async auditEvents(filter = {}) {
      return runtime.store.listAuditEvents({ ...filter, limit: 10_000 });
    },
    async auditHeadSeq() {
      return (await runtime.store.auditHead())?.seq ?? 0;
    },
    async execute(statement) {
      if (sqlitePath !== null) {
        const database = new Database(sqlitePath);
        try {
          const prepared = database.prepare(statement);
          if (prepared.reader) return prepared.all() as Array<Record<string, unknown>>;
          prepared.run();
          return [];
        } finally {
          database.close();
        }
      }
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query(`set search_path to ${client.escapeIdentifier(schema ?? 'public')}`);
        return (await client.query(statement)).rows as Array<Record<string, unknown>>;
      } finally {
        await client.end();
      }
    },
    async openSecondStore() {
      return sqlitePath !== null
        ? openStore({ driver: 'sqlite', path: sqlitePath, durability: 'durable' })
        : openStore({ driver: 'postgres', url: databaseUrl, schema: schema ?? 'interlock', durability: 'durable', poolSize: 2 });
    },
    stop,
    async close() {
      try {
        await stop();
      } finally {
        if (schema !== null) await dropSchema(databaseUrl, schema).catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Signs an acting-for-user assertion the way an identity provider does. */
export async function signUserAssertion(request: UserAssertionRequest, defaultKey: KeyObject): Promise<string> {
  const key = request.key ?? defaultKey;
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { tenant: request.tenant, roles: [...(request.roles ?? [])] };
  if (request.agent !== undefined) claims['azp'] = request.agent;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.asymmetricKeyType === 'ed25519' ? 'EdDSA' : 'ES256', typ: 'JWT' })
    .setIssuer(request.issuer ?? DEMO_ISSUER)
    .setAudience(request.audience ?? 'interlock')
    .setSubject(request.user)
    .setIssuedAt(now + (request.issuedAtOffset ?? 0))
    .setExpirationTime(now + (request.expiresAtOffset ?? 300))
    .sign(key);
}

/** A fresh Ed25519 private key nobody trusts. */
export function untrustedEd25519Key(): KeyObject {
  return generateKeyPairSync('ed25519').privateKey;
}
