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
import { ResilientExecutor } from '../execution/resilient-executor.js';
import { Kernel, type KernelLimits } from '../gate/kernel.js';
import { createIdentityServices, type IdentityServices } from '../identity/identity-services.js';
import { loadOrCreateSigningKey, type SigningKey } from '../keys/keystore.js';
import { bundleRefusal } from '../policy/bundle.js';
import { formatBundleReport, type BundleReport } from '../policy/bundle-report.js';
import { PolicyEngine } from '../policy/engine.js';
import { Redactor } from '../redaction/redactor.js';
import { ArgumentsValidator } from '../registry/arguments-validator.js';
import { Registry } from '../registry/registry.js';
import type { Operator, Reader, ServerServices } from '../server/services.js';
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
import { ContainmentView } from '../containment/containment-view.js';
import { ContainmentService } from '../containment/containment-service.js';
import { ApprovalService } from '../approvals/approval-service.js';
import { ApprovalSweeper } from '../approvals/approval-sweeper.js';
import { RiskService } from '../risk/risk-service.js';
import { createHttpInjectionClassifier } from '../risk/injection/http-classifier.js';
import { isValidExternalId } from '../gate/call.js';
import { defaultFingerprintKey, injectionScanner, taintAnalyzer } from '../risk/risk-engine.js';
import { WebhookNotifier } from '../approvals/webhook-notifier.js';
import { RollbackService } from '../execution/rollback.js';
import { OutcomeResolutionService, processDiedAfterMs } from '../execution/outcome-resolution.js';
import { PlanService } from '../plans/plan-service.js';
import { operatorControls } from './operator-controls.js';
import { ContentRedactor } from '../retrieval/content-redaction.js';
import type { EmbeddingsProvider } from '../retrieval/embeddings.js';
import { RetrievalService } from '../retrieval/retrieval-service.js';
import { SourceRegistry } from '../retrieval/source-registry.js';

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
  /** Re-orders full-text retrieval candidates by meaning (none is built in). */
  readonly retrievalEmbeddings?: EmbeddingsProvider;
  /** Expire overdue approval requests every `approvals.sweepInterval` (what `serve` and `mcp` do). Default false. */
  readonly sweepApprovals?: boolean;
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
  /** Kill switches and session modes: set, lift, list. */
  readonly containment: ContainmentService;
  /** This process's view of the kill switches and modes in force. */
  readonly containmentView: ContainmentView;
  readonly approvals: ApprovalService;
  /** Plans and runs compensations of what agents did (through this runtime's kernel). */
  readonly rollback: RollbackService;
  /** Two-phase plans: propose (decide every step, run none), then execute once approved. */
  readonly plans: PlanService;
  /** Governed retrieval: sources, ingest, search, quarantine, citations. */
  readonly retrieval: RetrievalService;
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
    // Every upstream behind its own circuit breaker; reads (and idempotent writes) retried, other writes never.
    const { retries, circuitBreaker } = config.execution;
    const executor = new ResilientExecutor(
      new RoutingExecutor({
        in_process: inProcess,
        http: new HttpExecutor((reference) => secrets.resolve(reference)),
        mcp: new McpExecutor(upstreams),
      }),
      {
        observer: metrics,
        failureThreshold: circuitBreaker.failureThreshold,
        cooldownMs: parseDuration(circuitBreaker.cooldown),
        maxAttempts: retries.maxAttempts,
        baseDelayMs: parseDuration(retries.baseDelay),
        maxDelayMs: parseDuration(retries.maxDelay),
      },
    );
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
    // Kill switches and modes are loaded before the first call can run, then kept current.
    const containmentView = new ContainmentView({
      store,
      pollIntervalMs: parseDuration(config.containment.pollInterval),
      onError: (error) =>
        logger.warn({ code: error instanceof InterlockError ? error.code : 'unknown' }, 'kill switches and modes could not be refreshed'),
    });
    await containmentView.start();
    const containment = new ContainmentService({ store, audit, onChange: () => containmentView.refresh() });
    const webhook = config.approvals.webhook;
    const notifier =
      webhook === undefined
        ? undefined
        : new WebhookNotifier({
            url: isSecretReference(webhook.url) ? secrets.resolve(webhook.url) : webhook.url,
            secret: secrets.resolve(webhook.secret),
            logger: logger.child({ component: 'approval-webhook' }),
            onFailed: (deliveryId, type, reason) =>
              audit.record({
                type: 'approval.notified',
                tenant: null,
                agent: null,
                traceId: null,
                callId: null,
                data: { deliveryId, event: type, delivered: false, reason },
              }),
            onDelivered: (deliveryId, type, attempts) =>
              audit.record({
                type: 'approval.notified',
                tenant: null,
                agent: null,
                traceId: null,
                callId: null,
                data: { deliveryId, event: type, delivered: true, attempts },
              }),
          });
    const approvals = new ApprovalService({ store, audit, expiryMs: parseDuration(config.approvals.expiry), notifier });
    const approvalSweeper =
      options.sweepApprovals === true
        ? new ApprovalSweeper({
            expireDue: () => approvals.expireDue(),
            intervalMs: parseDuration(config.approvals.sweepInterval),
            onError: (error) =>
              logger.warn({ code: error instanceof InterlockError ? error.code : 'unknown' }, 'overdue approvals could not be expired'),
          })
        : null;
    const retrieval = new RetrievalService({
      store,
      audit,
      sources: SourceRegistry.fromConfig(config),
      authentication: identity.authenticator,
      containmentRules: () => containmentView.rules,
      containment,
      redactor: new ContentRedactor(secrets.knownValues()),
      defaultLimit: config.retrieval.defaultLimit,
      durable: durability === 'durable',
      embeddings: options.retrievalEmbeddings,
    });
    // Retrieved chunks enter the session ledger with their source's trust, before the answer
    // leaves: one ledger commit per retrieval, however many chunks, and in durable mode their
    // session.content events are committed before the answer too.
    retrieval.onRetrieved(async (content) => {
      const sessionId = content.sessionId;
      if (sessionId === null) return;
      await risk.recordContents(
        content.chunks.map((chunk) => ({
          tenant: content.tenant,
          sessionId,
          origin: 'retrieval',
          trust: chunk.trust,
          sourceId: `${chunk.sourceId}:${chunk.citationId}`,
          label: `chunk of source ${chunk.sourceId}`,
          retrievalSourceId: chunk.sourceId,
          text: chunk.text,
          agentId: content.agentId,
          traceId: content.traceId,
        })),
      );
      if (durability === 'durable') await audit.flush();
    });
    const riskConfig = config.risk;
    const risk = new RiskService({
      store,
      audit,
      scanner: injectionScanner(),
      classifier:
        riskConfig.classifier === undefined
          ? undefined
          : createHttpInjectionClassifier({
              url: isSecretReference(riskConfig.classifier.url) ? secrets.resolve(riskConfig.classifier.url) : riskConfig.classifier.url,
              timeoutMs: parseDuration(riskConfig.classifier.timeout),
            }),
      taint: taintAnalyzer(defaultFingerprintKey(config.project)),
      settings: {
        origins: riskConfig.origins,
        injectionThreshold: riskConfig.injectionThreshold,
        loopThreshold: riskConfig.loop.threshold,
        loopWindowMs: parseDuration(riskConfig.loop.window),
        lowConfidence: riskConfig.lowConfidence,
        ledgerLimit: riskConfig.ledgerLimit,
        runbooks: riskConfig.runbooks.map((runbook) => ({ ...runbook, windowMs: parseDuration(runbook.window) })),
      },
      setMode: (request) => containment.setMode(request),
      containment: () => containmentView.rules,
      quarantineSource: (sourceId, reason, by) => retrieval.quarantine(sourceId, reason, { by, tenants: '*' }),
      notify: notifier === undefined ? undefined : (event) => notifier.notify(event),
    });
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
        containment: { rules: () => containmentView.rules },
        risk,
        citations: retrieval,
        approvals,
        idempotency: store,
        requireIdempotencyKey: config.execution.requireIdempotencyKey,
        idempotencyTtlMs: parseDuration(config.execution.idempotencyTtl),
        elevatedRole: config.approvals.elevatedRole,
        retryBudget: { attempts: retries.maxAttempts, maxDelayMs: parseDuration(retries.maxDelay) },
      });
      return { ok: true, governance: { lock, registry, policy, drift, kernel } };
    };
    const first = await buildGovernance(toolLock);
    if (!first.ok) throw bundleRefusal(first.report);
    let current: Governance = first.governance;

    const evidence = new EvidenceReader(store, () => [auditKey.publicKey]);
    const outcomes = new OutcomeResolutionService({
      store,
      audit,
      idempotencyTtlMs: parseDuration(config.execution.idempotencyTtl),
      processDiedAfterMs: processDiedAfterMs(config),
    });
    const rollback = new RollbackService({
      store,
      audit,
      kernel: { call: (request, credential) => current.kernel.call(request, credential) },
    });

    const plans = new PlanService({
      store,
      kernel: () => current.kernel,
      registry: () => current.registry,
      authentication: identity.authenticator,
      approvals,
      audit,
      caps: { perRequest: limits.perRequest, perSession: limits.perSession, perAgent: limits.perAgent?.caps },
      redactArguments: (value) => outputRedaction.redactResult(value, []).value,
    });

    const authenticateReader = async (token: string): Promise<Reader> => {
      if (tokenKind(token) === 'operator') {
        const operator = await identity.authenticator.authenticateOperator(token);
        return { kind: 'operator', operatorId: operator.operatorId, tenants: operator.tenants };
      }
      const principal = await identity.authenticator.authenticate({ kind: 'token', token }, undefined);
      return { kind: 'agent', agentId: principal.agent.agentId, tenant: principal.agent.tenant };
    };
    const authenticateOperator = async (token: string): Promise<Operator> => {
      if (tokenKind(token) !== 'operator') {
        // A bad token is a 401 first; a good agent token is refused: agents never decide or contain.
        await identity.authenticator.authenticate({ kind: 'token', token }, undefined);
        throw new InterlockError('FORBIDDEN', 'this needs an operator token; an agent token cannot decide approvals, kill or set modes');
      }
      const operator = await identity.authenticator.authenticateOperator(token);
      return { operatorId: operator.operatorId, roles: operator.roles, tenants: operator.tenants };
    };

    // Expired request/session counters are dropped in the background; failures only delay cleanup.
    const purgeTimer = setInterval(() => {
      const now = new Date().toISOString();
      store.purgeExpiredCounters(now).catch(() => logger.warn('expired counters could not be purged'));
      store.purgeExpiredIdempotency(now).catch(() => logger.warn('expired idempotency records could not be purged'));
    }, COUNTER_PURGE_INTERVAL_MS);
    purgeTimer.unref();
    // Checkpoints are also signed on a clock, so a quiet period or a crash leaves at most a few
    // seconds of events unattested, not up to checkpointEvery of them.
    const checkpointTimer = setInterval(() => {
      audit.checkpointNow().catch(() => logger.warn('audit checkpoint could not be signed'));
    }, CHECKPOINT_INTERVAL_MS);
    checkpointTimer.unref();
    approvalSweeper?.start();

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
      containment,
      containmentView,
      approvals,
      rollback,
      plans,
      retrieval,
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
        approvalStatus: async (approvalId, tenant, agentId) => {
          const record = await approvals.get(approvalId);
          return record === null || record.tenant !== tenant || record.agentId !== agentId ? null : record.status;
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
        authenticateOperator,
        ...operatorControls(approvals, containment),
        resolveCall: (operator, order) => outcomes.resolve(operator, order),
        unresolvedCalls: (operator, query) => outcomes.unresolved(operator, query),
        proposePlan: (request, credential) => plans.propose(request, credential),
        getPlan: (reader, id) => plans.get(id, reader),
        executePlan: (id, credential, actingFor) => plans.execute(id, credential, actingFor),
        readAudit: (reader, query) => evidence.readAudit(reader, query),
        traceStory: (reader, traceId) => evidence.traceStory(reader, traceId),
        async verifyAudit(reader) {
          await audit.flush();
          // Sign the head first, so the answer covers every event committed so far.
          await audit.checkpointNow();
          const report = await evidence.verify(reader);
          return { ok: report.ok, report };
        },
        async recordSessionContent(credential, sessionId, content) {
          const principal = await identity.authenticator.authenticate(credential, content.actingFor);
          if (!isValidExternalId(sessionId) || (content.traceId !== undefined && !isValidExternalId(content.traceId))) {
            throw new InterlockError('REQUEST_INVALID', 'session and trace ids are 1-128 characters of A-Z a-z 0-9 . _ : -');
          }
          const trust = risk.trustOf(content.origin);
          // Only the user can vouch for the user's words: trusted content needs their verified assertion.
          if (trust === 'trusted' && principal.actingFor === null) {
            throw new InterlockError(
              'FORBIDDEN',
              `content of origin "${content.origin}" is trusted: send it with the user's assertion (actingFor)`,
            );
          }
          const recorded = await risk.recordContent({
            tenant: principal.agent.tenant,
            sessionId,
            origin: content.origin,
            sourceId: content.sourceId ?? content.origin,
            label: content.label ?? `${content.origin} content`,
            text: content.text,
            agentId: principal.agent.agentId,
            traceId: content.traceId ?? null,
          });
          await audit.flush();
          return {
            entryId: recorded.id,
            trust: recorded.trust,
            injectionScore: recorded.injectionScore,
            signals: recorded.signals,
            values: recorded.values,
          };
        },
        retrieval,
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
          await containmentView.close();
          await approvalSweeper?.close();
          await notifier?.close();
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
