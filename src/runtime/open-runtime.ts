import { mkdirSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { decodeJwt } from 'jose';
import type { Logger } from 'pino';
import { AuditLog } from '../audit/audit-log.js';
import { AUDIT_SIGNING_KEY_NAME } from '../audit/checkpoint.js';
import { RateLimiter } from '../bounds/rate-limiter.js';
import { parseDuration } from '../config/duration.js';
import { loadProjectFile, type LoadedProjectFile } from '../config/load.js';
import type { ProjectFile } from '../config/schema.js';
import { SecretResolver } from '../config/secrets.js';
import { InterlockError } from '../errors/interlock-error.js';
import { HttpExecutor } from '../execution/http-executor.js';
import { InProcessExecutor, type ToolHandler } from '../execution/in-process-executor.js';
import { RoutingExecutor } from '../execution/routing-executor.js';
import { Kernel, type KernelLimits } from '../gate/kernel.js';
import { createIdentityServices, type IdentityServices } from '../identity/identity-services.js';
import { loadOrCreateSigningKey, type SigningKey } from '../keys/keystore.js';
import { bundleRefusal } from '../policy/bundle.js';
import { formatBundleReport, type BundleReport } from '../policy/bundle-report.js';
import { PolicyEngine } from '../policy/engine.js';
import { Redactor } from '../redaction/redactor.js';
import { ArgumentsValidator } from '../registry/arguments-validator.js';
import { Registry } from '../registry/registry.js';
import type { Reader, ServerServices } from '../server/services.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { createLogger } from '../telemetry/logger.js';
import { Metrics } from '../telemetry/metrics.js';
import { EvidenceReader } from './evidence-reader.js';
import { McpExecutor } from '../execution/mcp/mcp-executor.js';
import { UpstreamPool } from '../execution/mcp/upstream-pool.js';
import { ToolDriftMonitor } from '../drift/tool-drift-monitor.js';
import { projectToolLock } from './project-registry.js';
import type { ToolLock } from '../drift/tool-definition.js';
import type { GatewayServices } from '../mcp/gateway-server.js';
import { pinFirstSeen } from './first-start-pins.js';
import { INTERLOCK_VERSION } from './version.js';
import { loadHandlersModule } from './handlers-module.js';
import { OutputRedaction } from './output-redaction.js';

const COUNTER_PURGE_INTERVAL_MS = 10 * 60 * 1000;
const CHECKPOINT_INTERVAL_MS = 5_000;
const RELEASE_DELAY_MS = 60_000;

/** What is derived from the tool lock and the policy bundle; replaced whole on reload. */
interface Governance {
  readonly lock: ToolLock;
  readonly registry: Registry;
  readonly policy: PolicyEngine;
  readonly drift: ToolDriftMonitor;
  readonly kernel: Kernel;
}

export interface RuntimeOptions {
  /** Environment used to resolve `env:` secret references. Defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Where log lines go (default stdout). */
  readonly logStream?: NodeJS.WritableStream;
  readonly logLevel?: ProjectFile['logging']['level'];
  /** Load the project's `handlers` module (what `interlock serve` does). Default false. */
  readonly loadHandlers?: boolean;
  /** Overrides the configured durability (benchmarks compare both modes). */
  readonly durability?: 'durable' | 'relaxed';
  /** Prometheus default process metrics. Default true. */
  readonly processMetrics?: boolean;
  /** Connect to the configured upstream MCP servers (what `serve` and `mcp` do). Default false. */
  readonly startMcpUpstreams?: boolean;
}

/** A project opened for business: every component wired, nothing listening yet. */
export interface Runtime {
  readonly project: LoadedProjectFile;
  readonly config: ProjectFile;
  readonly dataDir: string;
  readonly logger: Logger;
  readonly store: Store;
  readonly registry: Registry;
  readonly policy: PolicyEngine;
  readonly identity: IdentityServices;
  readonly audit: AuditLog;
  readonly auditKey: SigningKey;
  readonly metrics: Metrics;
  readonly kernel: Kernel;
  readonly evidence: EvidenceReader;
  /** Upstream MCP servers (connected only when `startMcpUpstreams` was set). */
  readonly upstreams: UpstreamPool;
  /** Pinned MCP tool definitions in force, and their live state. */
  readonly toolLock: ToolLock;
  readonly toolLockPath: string;
  readonly drift: ToolDriftMonitor;
  /** What the MCP doors need. */
  gatewayServices(): GatewayServices;
  /** Subscribes to changes of what MCP clients may see (tool drift, upstreams lost or back, policy reloads). */
  onToolsChanged(listener: () => void): () => void;
  /** Registers an in-process implementation of `tool.operation`. */
  registerHandler(qualifiedName: string, handler: ToolHandler): void;
  /**
   * Reloads the policy bundle and the tool lock (new pins take effect); on refusal the running
   * ones stay and the report is returned.
   */
  reload(): Promise<{ ok: true; version: string } | { ok: false; report: string }>;
  /** The functions the HTTP door needs. */
  serverServices(): ServerServices;
  close(): Promise<void>;
}

export async function openRuntime(projectPath: string, options: RuntimeOptions = {}): Promise<Runtime> {
  const project = loadProjectFile(projectPath);
  const { config } = project;
  const dataDir = isAbsolute(config.dataDir) ? config.dataDir : resolve(project.dir, config.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });

  // Secrets first: every reference is resolved at start, so a missing one fails now, not mid-call,
  // and every value is known to the redactors before anything is logged.
  const secrets = new SecretResolver(project.dir, options.env ?? process.env);
  for (const tool of config.tools) {
    if (tool.upstream.kind === 'http') for (const reference of Object.values(tool.upstream.headers)) secrets.resolve(reference);
  }
  for (const server of config.mcp.servers) {
    for (const value of Object.values(server.stdio?.env ?? {})) if (isSecretReference(value)) secrets.resolve(value);
    for (const reference of Object.values(server.http?.headers ?? {})) secrets.resolve(reference);
  }
  const storageUrl = config.storage.driver === 'postgres' ? secrets.resolve(config.storage.url) : null;

  const logRedactor = new Redactor({ knownSecrets: secrets.knownValues() });
  const logger = createLogger(options.logLevel ?? config.logging.level, (line) => logRedactor.redactText(line), options.logStream);
  const durability = options.durability ?? config.storage.durability;

  const store =
    config.storage.driver === 'sqlite'
      ? await openStore({
          driver: 'sqlite',
          path: isAbsolute(config.storage.path) ? config.storage.path : resolve(dataDir, config.storage.path),
          durability,
        })
      : await openStore({
          driver: 'postgres',
          url: storageUrl ?? '',
          schema: config.storage.schema,
          durability,
          poolSize: config.storage.poolSize,
        });

  const upstreams = new UpstreamPool(config.mcp.servers, {
    projectDir: project.dir,
    resolveSecret: (reference) => secrets.resolve(reference),
    logger: logger.child({ component: 'mcp-upstream' }),
  });
  try {
    // Pinned MCP tool definitions are operations like any other; unpinned ones do not exist.
    const { path: toolLockPath, lock: lockAtStart } = projectToolLock(project);
    let toolLock = lockAtStart;
    let firstStartPins: readonly string[] = [];
    if (options.startMcpUpstreams === true && config.mcp.servers.length > 0) {
      upstreams.start();
      if (config.mcp.pinOnFirstStart) {
        const pinned = await pinFirstSeen(config.mcp.servers, upstreams, toolLock, toolLockPath);
        toolLock = pinned.lock;
        firstStartPins = pinned.names;
      }
    }
    const bundleDirectory = resolve(project.dir, config.policy.bundle);

    const identity = await createIdentityServices({ config: { ...config, dataDir }, projectDir: project.dir, revocations: store });
    const auditKey = loadOrCreateSigningKey(dataDir, AUDIT_SIGNING_KEY_NAME);
    const auditRedactor = new Redactor({ knownSecrets: secrets.knownValues(), fieldPaths: config.audit.redactFields });
    const audit = new AuditLog({
      store,
      redactor: auditRedactor,
      mode: durability,
      signingKey: auditKey,
      checkpointEvery: config.audit.checkpointEvery,
    });
    const metrics = new Metrics({ defaultMetrics: options.processMetrics ?? true });
    audit.onCommitted((batch) => metrics.auditCommitted(batch.count));
    audit.onFailure((error, stage) =>
      logger.error({ stage, code: error instanceof InterlockError ? error.code : 'unknown' }, 'audit log could not commit'),
    );

    const inProcess = new InProcessExecutor();
    if (options.loadHandlers === true && config.handlers !== undefined) {
      for (const [name, handler] of await loadHandlersModule(project.dir, config.handlers)) inProcess.register(name, handler);
    }
    const executor = new RoutingExecutor({
      in_process: inProcess,
      http: new HttpExecutor((reference) => secrets.resolve(reference)),
      mcp: new McpExecutor(upstreams),
    });
    for (const name of firstStartPins) {
      const pin = toolLock.tools[name];
      audit.record({
        type: 'mcp.tool.pinned',
        tenant: null,
        agent: null,
        traceId: null,
        callId: null,
        data: {
          name,
          server: pin?.server ?? null,
          tool: pin?.tool ?? null,
          hash: pin?.hash ?? null,
          pinnedBy: 'first-start',
          flags: pin?.flags ?? [],
        },
      });
    }
    // What MCP clients may see changes with tool drift and with policy: both notify the doors.
    const toolListeners = new Set<() => void>();
    const toolsChanged = () => {
      for (const listener of toolListeners) listener();
    };
    const rateLimiter = new RateLimiter();
    const outputRedaction = new OutputRedaction(secrets.knownValues());
    const limits = kernelLimits(config);

    /**
     * Everything derived from the tool lock and the policy bundle, built whole and swapped as one on
     * reload: a call runs on one registry, one bundle and one view of the pins from start to end.
     */
    const buildGovernance = async (lock: ToolLock): Promise<{ ok: true; governance: Governance } | { ok: false; report: BundleReport }> => {
      const registry = Registry.fromConfig(config, lock);
      const argumentsValidator = new ArgumentsValidator(registry.operations());
      const policy = new PolicyEngine(registry);
      const loaded = await policy.loadDirectory(bundleDirectory);
      if (!loaded.ok) return { ok: false, report: loaded.report };
      const drift = new ToolDriftMonitor({
        lock,
        upstreams: upstreams.all(),
        audit,
        observer: metrics,
        warn: (message, details) => logger.warn(details, message),
      });
      drift.onChange(toolsChanged);
      const kernel = new Kernel({
        environment: config.environment,
        durability,
        authentication: identity.authenticator,
        registry,
        argumentsValidator,
        policy,
        rateLimiter,
        counters: store,
        limits,
        executor,
        outputRedaction,
        audit,
        observer: metrics,
        availability: drift,
      });
      return { ok: true, governance: { lock, registry, policy, drift, kernel } };
    };
    const first = await buildGovernance(toolLock);
    if (!first.ok) throw bundleRefusal(first.report);
    let current: Governance = first.governance;

    const evidence = new EvidenceReader(store, () => [auditKey.publicKey]);

    const authenticateReader = async (token: string): Promise<Reader> => {
      if (tokenKind(token) === 'operator') {
        const operator = await identity.authenticator.authenticateOperator(token);
        return { kind: 'operator', operatorId: operator.operatorId, tenants: operator.tenants };
      }
      const principal = await identity.authenticator.authenticate({ kind: 'token', token }, undefined);
      return { kind: 'agent', agentId: principal.agent.agentId, tenant: principal.agent.tenant };
    };

    // Expired request/session counters are dropped in the background; failures only delay cleanup.
    const purgeTimer = setInterval(() => {
      store.purgeExpiredCounters(new Date().toISOString()).catch(() => logger.warn('expired counters could not be purged'));
    }, COUNTER_PURGE_INTERVAL_MS);
    purgeTimer.unref();
    // Checkpoints are also signed on a clock, so a quiet period or a crash leaves at most a few
    // seconds of events unattested, not up to checkpointEvery of them.
    const checkpointTimer = setInterval(() => {
      audit.checkpointNow().catch(() => logger.warn('audit checkpoint could not be signed'));
    }, CHECKPOINT_INTERVAL_MS);
    checkpointTimer.unref();

    const refuseReload = async (version: string | null, report: string): Promise<{ ok: false; report: string }> => {
      audit.record({ type: 'policy.rejected', tenant: null, agent: null, traceId: null, callId: null, data: { version, report } });
      await audit.flush();
      return { ok: false, report };
    };

    let closed = false;
    const runtime: Runtime = {
      project,
      config,
      dataDir,
      logger,
      store,
      get registry() {
        return current.registry;
      },
      get policy() {
        return current.policy;
      },
      identity,
      audit,
      auditKey,
      metrics,
      get kernel() {
        return current.kernel;
      },
      evidence,
      upstreams,
      get toolLock() {
        return current.lock;
      },
      toolLockPath,
      get drift() {
        return current.drift;
      },
      onToolsChanged(listener) {
        toolListeners.add(listener);
        return () => toolListeners.delete(listener);
      },
      gatewayServices: () => ({
        version: INTERLOCK_VERSION,
        call: (request, credential) => current.kernel.call(request, credential),
        registry: () => current.registry,
        couldEverPermit: (agentId, qualifiedName) => current.policy.couldEverPermit(agentId, qualifiedName),
        isListed: (contract) => current.drift.isListed(contract),
        recordAccess: (access) => {
          audit.record({
            type: access.type,
            tenant: access.tenant,
            agent: access.agentId,
            traceId: null,
            callId: null,
            data: { target: access.target, sessionId: access.sessionId, ok: access.ok },
          });
        },
        passthroughServers: () =>
          config.mcp.servers.flatMap((server) => {
            const upstream = upstreams.get(server.name);
            if (upstream === undefined || (!server.passthrough.resources && !server.passthrough.prompts)) return [];
            return [
              {
                name: server.name,
                tenants: server.tenants ?? null,
                resources: server.passthrough.resources,
                prompts: server.passthrough.prompts,
                namespace: server.namespace,
                upstream,
                timeoutMs: parseDuration(server.timeout),
              },
            ];
          }),
      }),
      registerHandler: (qualifiedName, handler) => inProcess.register(qualifiedName, handler),
      async reload() {
        let built: Awaited<ReturnType<typeof buildGovernance>>;
        let lock: ToolLock;
        try {
          lock = projectToolLock(project).lock;
          built = await buildGovernance(lock);
        } catch (error) {
          // A malformed lock file or a tool name clash: nothing changes.
          const report = error instanceof InterlockError ? `${error.code}: ${error.message}` : 'the tool lock could not be loaded';
          return refuseReload(null, report);
        }
        if (!built.ok) return refuseReload(built.report.version, formatBundleReport(built.report));
        const previous = current;
        current = built.governance;
        previous.drift.dispose();
        // Calls that started on the previous bundle may still decide on it: free it a little later.
        setTimeout(() => previous.policy.release(), RELEASE_DELAY_MS).unref();
        const version = current.policy.version ?? '';
        audit.record({
          type: 'policy.loaded',
          tenant: null,
          agent: null,
          traceId: null,
          callId: null,
          data: { version, pinnedTools: Object.keys(lock.tools).length },
        });
        await audit.flush();
        toolsChanged();
        return { ok: true, version };
      },
      serverServices: () => ({
        logger,
        bodyLimitBytes: config.server.bodyLimitBytes,
        call: (request, credential) => current.kernel.call(request, credential),
        authenticateReader,
        readAudit: (reader, query) => evidence.readAudit(reader, query),
        traceStory: (reader, traceId) => evidence.traceStory(reader, traceId),
        async verifyAudit(reader) {
          await audit.flush();
          // Sign the head first, so the answer covers every event committed so far.
          await audit.checkpointNow();
          const report = await evidence.verify(reader);
          return { ok: report.ok, report };
        },
        ready: () => store.ping(),
        mcp: {
          gateway: runtime.gatewayServices(),
          async authenticateAgent(token: string) {
            const principal = await identity.authenticator.authenticate({ kind: 'token', token }, undefined);
            return { agentId: principal.agent.agentId, tenant: principal.agent.tenant };
          },
          onToolsChanged: (listener: () => void) => runtime.onToolsChanged(listener),
          allowedOrigins: config.mcp.allowedOrigins,
          sessionIdleTimeoutMs: parseDuration(config.mcp.sessionIdleTimeout),
          maxSessionsPerAgent: config.mcp.maxSessionsPerAgent,
        },
        async metrics() {
          return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
        },
      }),
      async close() {
        if (closed) return;
        closed = true;
        clearInterval(purgeTimer);
        clearInterval(checkpointTimer);
        try {
          await upstreams.close();
          await audit.close();
        } finally {
          await store.close();
        }
      },
    };
    return runtime;
  } catch (error) {
    await upstreams.close();
    await store.close();
    throw error;
  }
}

function isSecretReference(value: string): boolean {
  return value.startsWith('env:') || value.startsWith('file:');
}

function kernelLimits(config: ProjectFile): KernelLimits {
  const rule = (rate: { limit: number; per: string } | undefined) =>
    rate === undefined ? undefined : { limit: rate.limit, perMs: parseDuration(rate.per) };
  return {
    rate: {
      perAgent: rule(config.limits.rate.perAgent),
      perTool: rule(config.limits.rate.perTool),
      perTenant: rule(config.limits.rate.perTenant),
    },
    perRequest: config.limits.perRequest,
    perSession: config.limits.perSession,
    perAgent:
      config.limits.perAgent === undefined
        ? undefined
        : {
            caps: {
              toolCalls: config.limits.perAgent.toolCalls,
              writes: config.limits.perAgent.writes,
              entities: config.limits.perAgent.entities,
            },
            windowMs: parseDuration(config.limits.perAgent.window),
          },
    counterTtlMs: parseDuration(config.limits.counterTtl),
  };
}

/** Reads the unverified `kind` claim only to pick the verifier; the chosen verifier checks everything. */
function tokenKind(token: string): 'agent' | 'operator' | 'unknown' {
  try {
    const kind = decodeJwt(token)['kind'];
    return kind === 'operator' ? 'operator' : kind === 'agent' ? 'agent' : 'unknown';
  } catch {
    return 'unknown';
  }
}
