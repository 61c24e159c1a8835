import type { Stream } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  McpError,
  ResultSchema,
  ToolListChangedNotificationSchema,
  type Progress,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { parseDuration } from '../../config/duration.js';
import type { McpServerConfig } from '../../config/schema.js';
import type { ToolDefinition } from '../../drift/tool-definition.js';
import { InterlockError } from '../../errors/interlock-error.js';
import type { ExecutionResult } from '../executor.js';
import { classifyCallFailure, truncate } from './call-failure.js';
import { restartDelay, type RestartPolicy } from './restart-delay.js';
import type { McpUpstream, ProgressUpdate, UpstreamCallOptions, UpstreamEvents, UpstreamStatus } from './upstream.js';
import { buildUpstreamTransport, scrubSecrets, type UpstreamTransport } from './upstream-transport.js';

/** A connection that stayed up this long has recovered: the next loss starts the backoff afresh. */
const HEALTHY_AFTER_MS = 30_000;
/** A listing longer than this many pages is refused (an upstream looping on cursors). */
const MAX_TOOL_PAGES = 100;
const MAX_STDERR_LINE_CHARS = 2000;
/** How long a server whose event stream broke has to answer a ping. */
const PROBE_TIMEOUT_MS = 5000;
const SSE_DISCONNECTED = /^SSE stream disconnected|^Failed to reconnect|^Maximum reconnection attempts/;
const CLIENT_INFO = { name: 'interlock', version: '0.1.0' } as const;

export interface SdkUpstreamOptions {
  readonly config: McpServerConfig;
  /** Base for a relative `stdio.cwd`, and the child's working directory when none is set. */
  readonly projectDir: string;
  /** Resolves `env:NAME` / `file:PATH`; throws InterlockError. Called at every connection attempt. */
  readonly resolveSecret: (reference: string) => string;
  readonly logger?: Logger | undefined;
  readonly now?: (() => number) | undefined;
  /** Source of restart jitter, in [0, 1). */
  readonly random?: (() => number) | undefined;
}

/** One live (or being established) connection to the upstream. */
interface Connection {
  readonly client: Client;
  readonly transport: UpstreamTransport;
  readonly secrets: readonly string[];
  /** The transport closed or broke without Interlock asking. */
  lost: boolean;
  /** Interlock closed it (shutdown, failed attempt, replaced): its closing is not a crash. */
  retired: boolean;
  /** When it became ready; null while initialising. */
  readySince: number | null;
  /** A list_changed arrived before the first listing finished. */
  listChangedEarly: boolean;
  refreshing: boolean;
  refreshPending: boolean;
  probing: boolean;
  /** Progress listeners of calls in flight, by the progress token Interlock gave the call. */
  readonly progress: Map<string, (progress: Progress) => void>;
}

let progressTokens = 0;

class StartupTimeout extends Error {
  constructor(ms: number) {
    super(`no answer to initialize and tools/list within ${ms} ms`);
    this.name = 'StartupTimeout';
  }
}

/**
 * An upstream MCP server reached through the SDK client over stdio or Streamable HTTP. Connects
 * in the background and keeps reconnecting with backoff; nothing here throws out of `start()`,
 * `callTool()` or a timer, so a broken upstream can never take the gateway down with it.
 */
export class SdkUpstream implements McpUpstream {
  readonly name: string;
  readonly #config: McpServerConfig;
  readonly #projectDir: string;
  readonly #resolveSecret: (reference: string) => string;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #startupTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #restart: RestartPolicy;
  readonly #listeners: { [Event in keyof UpstreamEvents]: Set<UpstreamEvents[Event]> } = { tools: new Set(), status: new Set() };

  #status: UpstreamStatus = 'starting';
  #tools: readonly ToolDefinition[] | null = null;
  #capabilities: Readonly<Record<string, unknown>> | null = null;
  #connection: Connection | null = null;
  #started = false;
  #closed = false;
  /** Consecutive failed attempts or losses since the last healthy connection. */
  #failures = 0;
  #restartTimer: NodeJS.Timeout | null = null;

  constructor(options: SdkUpstreamOptions) {
    this.#config = options.config;
    this.name = options.config.name;
    this.#projectDir = options.projectDir;
    this.#resolveSecret = options.resolveSecret;
    this.#logger = options.logger?.child({ upstream: options.config.name });
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#startupTimeoutMs = parseDuration(options.config.startupTimeout);
    this.#requestTimeoutMs = parseDuration(options.config.timeout);
    this.#restart = {
      initialDelayMs: parseDuration(options.config.restart.initialDelay),
      maxDelayMs: parseDuration(options.config.restart.maxDelay),
    };
  }

  get status(): UpstreamStatus {
    return this.#status;
  }

  get tools(): readonly ToolDefinition[] | null {
    return this.#tools;
  }

  get capabilities(): Readonly<Record<string, unknown>> | null {
    return this.#capabilities;
  }

  on<Event extends keyof UpstreamEvents>(event: Event, listener: UpstreamEvents[Event]): void {
    this.#listeners[event].add(listener);
  }

  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    void this.#attempt();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    const connection = this.#connection;
    this.#connection = null;
    this.#setStatus('closed', {});
    if (connection !== null) await this.#retire(connection, { endSession: true });
  }

  async callTool(name: string, args: Readonly<Record<string, unknown>>, options: UpstreamCallOptions): Promise<ExecutionResult> {
    const what = `tools/call ${name}`;
    const connection = this.#readyConnection();
    if (connection === null) return { ok: false, outcome: 'failed', error: this.#unavailable() };
    if (options.signal.aborted) return { ok: false, outcome: 'failed', error: abortedBeforeSending(what, options.signal.reason) };
    const onProgress = options.onProgress;
    // Progress is routed by a token of our own, as each notification arrives (see routeProgressFirst).
    const progressToken = onProgress === undefined ? undefined : `interlock-${(progressTokens += 1)}`;
    if (progressToken !== undefined && onProgress !== undefined) {
      connection.progress.set(progressToken, (progress) => this.#forwardProgress(onProgress, progress));
    }
    try {
      const result = await this.#send(connection, what, options, (requestOptions) =>
        connection.client.callTool(
          { name, arguments: { ...args }, ...(progressToken === undefined ? {} : { _meta: { progressToken } }) },
          undefined,
          requestOptions,
        ),
      );
      return { ok: true, result };
    } catch (error) {
      if (error instanceof SendFailure) return { ok: false, outcome: error.outcome, error: error.error };
      // Not expected; the request may have left, so nothing is claimed about the upstream.
      return { ok: false, outcome: 'unknown', error: new InterlockError('UPSTREAM_FAILED', `${what} on upstream ${this.name} failed`) };
    } finally {
      if (progressToken !== undefined) connection.progress.delete(progressToken);
    }
  }

  async request(method: string, params: Readonly<Record<string, unknown>> | undefined, options: UpstreamCallOptions): Promise<unknown> {
    const connection = this.#readyConnection();
    if (connection === null) throw this.#unavailable();
    if (options.signal.aborted) throw abortedBeforeSending(method, options.signal.reason);
    const request = params === undefined ? { method } : { method, params: { ...params } };
    try {
      return await this.#send(connection, method, options, (requestOptions) =>
        connection.client.request(request, ResultSchema, requestOptions),
      );
    } catch (error) {
      throw error instanceof SendFailure ? error.error : new InterlockError('UPSTREAM_FAILED', `${method} on upstream ${this.name} failed`);
    }
  }

  /**
   * Sends one request with the caller's deadline and signal. The caller's signal is linked to a
   * signal of our own for the duration of the request only, so that aborting it later never
   * sends a stray cancellation for a request that already finished. Rejects with a SendFailure.
   */
  async #send<Result>(
    connection: Connection,
    what: string,
    options: UpstreamCallOptions,
    run: (requestOptions: RequestOptions) => Promise<Result>,
  ): Promise<Result> {
    const controller = new AbortController();
    const forwardAbort = (): void => controller.abort(options.signal.reason);
    options.signal.addEventListener('abort', forwardAbort, { once: true });
    try {
      return await run({ signal: controller.signal, timeout: options.timeoutMs, resetTimeoutOnProgress: false });
    } catch (error) {
      const failure = classifyCallFailure(error, {
        server: this.name,
        what,
        timeoutMs: options.timeoutMs,
        // Once aborted, the SDK ignores any later answer: the rejection is the cancellation itself.
        abortedWith: controller.signal.aborted ? { reason: options.signal.reason } : null,
        // Closed under the call, by a crash or by Interlock shutting down: either way it was sent.
        connectionLost: connection.lost || connection.retired,
        secrets: connection.secrets,
      });
      if (failure.connectionBroken) this.#connectionLost(connection, 'the connection broke during a request');
      throw new SendFailure(failure.outcome, failure.error);
    } finally {
      options.signal.removeEventListener('abort', forwardAbort);
    }
  }

  #forwardProgress(listener: (update: ProgressUpdate) => void, progress: Progress): void {
    try {
      listener({ progress: progress.progress, total: progress.total, message: progress.message });
    } catch (error) {
      this.#logger?.warn({ error: describe(error, []) }, 'progress listener failed');
    }
  }

  #readyConnection(): Connection | null {
    const connection = this.#connection;
    if (this.#status !== 'ready' || connection === null || connection.lost || connection.retired) return null;
    return connection;
  }

  #unavailable(): InterlockError {
    return new InterlockError('UPSTREAM_UNAVAILABLE', `upstream ${this.name} is ${this.#status}; nothing was sent`, {
      status: this.#status,
    });
  }

  /** One connection attempt, bounded by the startup timeout. Never rejects. */
  async #attempt(): Promise<void> {
    if (this.#closed) return;
    let transport: UpstreamTransport;
    try {
      transport = buildUpstreamTransport(this.#config, this.#projectDir, this.#resolveSecret);
    } catch (error) {
      this.#attemptFailed(describe(error, []));
      return;
    }
    const connection: Connection = {
      client: new Client(CLIENT_INFO, { capabilities: {} }),
      transport,
      secrets: transport.secrets,
      lost: false,
      retired: false,
      readySince: null,
      listChangedEarly: false,
      refreshing: false,
      refreshPending: false,
      progress: new Map(),
      probing: false,
    };
    this.#connection = connection;
    if (transport.kind === 'stdio') this.#drainStderr(transport.stderr, connection.secrets);
    const client = connection.client;
    client.onerror = (error) => {
      // Unparseable lines and stream errors arrive here; a dead child is reported by onclose.
      this.#logger?.debug({ error: describe(error, connection.secrets) }, 'upstream transport error');
      if (transport.kind === 'http' && SSE_DISCONNECTED.test(error.message)) void this.#probe(connection);
    };
    client.onclose = () => this.#connectionLost(connection, 'the connection closed');
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      if (connection.readySince === null) connection.listChangedEarly = true;
      else void this.#refreshTools(connection);
    });

    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new StartupTimeout(this.#startupTimeoutMs)), this.#startupTimeoutMs);
    try {
      const requestOptions: RequestOptions = { signal: deadline.signal, timeout: this.#startupTimeoutMs };
      await untilAborted(client.connect(transport.transport, requestOptions), deadline.signal);
      routeProgressFirst(transport.transport, connection.progress);
      const tools = await untilAborted(listAllTools(client, requestOptions), deadline.signal);
      if (connection.retired || this.#closed) return;
      if (connection.lost) throw new Error('the connection closed during start-up');
      connection.readySince = this.#now();
      this.#capabilities = { ...(client.getServerCapabilities() ?? {}) };
      this.#tools = tools;
      this.#logger?.info({ tools: tools.length }, 'upstream ready');
      this.#setStatus('ready', {});
      this.#emit('tools', tools);
      if (connection.listChangedEarly) void this.#refreshTools(connection);
    } catch (error) {
      if (connection.retired || this.#closed) return;
      const reason = deadline.signal.aborted ? describe(deadline.signal.reason, []) : describe(error, connection.secrets);
      void this.#retire(connection, { endSession: false });
      this.#attemptFailed(reason);
    } finally {
      clearTimeout(timer);
    }
  }

  #attemptFailed(reason: string): void {
    if (this.#closed) return;
    this.#connection = null;
    this.#scheduleRestart(reason);
  }

  /** The transport closed or broke. Before `ready`, the attempt's own failure path handles it. */
  #connectionLost(connection: Connection, reason: string): void {
    if (connection.retired || connection.lost) return;
    connection.lost = true;
    if (connection !== this.#connection || this.#closed || connection.readySince === null) return;
    if (this.#now() - connection.readySince >= HEALTHY_AFTER_MS) this.#failures = 0;
    this.#connection = null;
    this.#logger?.warn({ reason }, 'upstream connection lost');
    void this.#retire(connection, { endSession: false });
    this.#scheduleRestart(reason);
  }

  #scheduleRestart(reason: string): void {
    this.#failures += 1;
    const delayMs = restartDelay(this.#restart, this.#failures, this.#random);
    this.#logger?.warn({ reason, attempt: this.#failures, retryInMs: delayMs }, 'upstream unavailable; reconnecting');
    this.#setStatus('restarting', { reason, attempt: this.#failures });
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      void this.#attempt();
    }, delayMs);
    // A pending reconnection alone does not keep the process alive.
    this.#restartTimer.unref();
  }

  /** Closes a connection Interlock no longer wants (kills a stdio child). Never rejects. */
  async #retire(connection: Connection, options: { readonly endSession: boolean }): Promise<void> {
    if (connection.retired) return;
    connection.retired = true;
    try {
      if (options.endSession && connection.transport.kind === 'http' && connection.transport.transport.sessionId !== undefined) {
        await Promise.race([connection.transport.transport.terminateSession(), delay(1000)]);
      }
    } catch {
      // The session expires on the server side anyway.
    }
    try {
      await connection.client.close();
    } catch (error) {
      this.#logger?.debug({ error: describe(error, connection.secrets) }, 'closing the upstream connection failed');
    }
  }

  /**
   * Over HTTP nothing reports a server that went away: a broken event stream is the only sign,
   * and idle streams also break (body timeouts). A ping tells the two apart; if the server does
   * not answer, the connection is lost and requests still waiting on it end as such.
   */
  async #probe(connection: Connection): Promise<void> {
    if (connection.probing || connection.readySince === null || connection.lost || connection.retired) return;
    connection.probing = true;
    try {
      await connection.client.ping({ timeout: PROBE_TIMEOUT_MS });
    } catch (error) {
      const answered = error instanceof McpError && error.code !== ErrorCode.RequestTimeout && error.code !== ErrorCode.ConnectionClosed;
      if (!answered) this.#connectionLost(connection, 'the upstream stopped answering');
    } finally {
      connection.probing = false;
    }
  }

  /** Re-lists after `notifications/tools/list_changed`; notifications during a listing coalesce into one more. */
  async #refreshTools(connection: Connection): Promise<void> {
    if (connection.refreshing) {
      connection.refreshPending = true;
      return;
    }
    connection.refreshing = true;
    try {
      do {
        connection.refreshPending = false;
        const tools = await listAllTools(connection.client, { timeout: this.#requestTimeoutMs });
        if (connection !== this.#connection || connection.lost || this.#closed) return;
        this.#tools = tools;
        this.#emit('tools', tools);
      } while (connection.refreshPending);
    } catch (error) {
      this.#logger?.warn({ error: describe(error, connection.secrets) }, 'listing tools after list_changed failed');
    } finally {
      connection.refreshing = false;
    }
  }

  #drainStderr(stderr: Stream | null, secrets: readonly string[]): void {
    if (stderr === null) return;
    let pending = '';
    stderr.on('data', (chunk: Buffer | string) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      if (pending.length > MAX_STDERR_LINE_CHARS) pending = pending.slice(0, MAX_STDERR_LINE_CHARS);
      for (const line of lines) {
        if (line.trim() === '') continue;
        this.#logger?.debug({ stderr: truncate(scrubSecrets(line, secrets), MAX_STDERR_LINE_CHARS) }, 'upstream stderr');
      }
    });
    stderr.on('error', () => undefined);
  }

  #setStatus(status: UpstreamStatus, detail: { readonly reason?: string; readonly attempt?: number }): void {
    this.#status = status;
    this.#emit('status', status, detail);
  }

  #emit<Event extends keyof UpstreamEvents>(event: Event, ...args: Parameters<UpstreamEvents[Event]>): void {
    for (const listener of this.#listeners[event]) {
      try {
        (listener as (...values: Parameters<UpstreamEvents[Event]>) => void)(...args);
      } catch (error) {
        this.#logger?.warn({ event, err: describe(error, []) }, 'upstream listener failed');
      }
    }
  }
}

class SendFailure extends Error {
  readonly outcome: 'failed' | 'unknown';
  readonly error: InterlockError;

  constructor(outcome: 'failed' | 'unknown', error: InterlockError) {
    super(error.message);
    this.outcome = outcome;
    this.error = error;
  }
}

/** The caller gave up before anything was sent: nothing happened upstream. */
function abortedBeforeSending(what: string, reason: unknown): InterlockError {
  return reason instanceof DOMException && reason.name === 'TimeoutError'
    ? new InterlockError('UPSTREAM_TIMEOUT', `${what}: the deadline passed before the request was sent`)
    : new InterlockError('UPSTREAM_FAILED', `${what}: cancelled before the request was sent`, { cancelled: true });
}

/** Every page of `tools/list`, following `nextCursor`. */
async function listAllTools(client: Client, options: RequestOptions): Promise<ToolDefinition[]> {
  const tools: ToolDefinition[] = [];
  const seenCursors = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_TOOL_PAGES; page += 1) {
    const result = await client.listTools(cursor === undefined ? undefined : { cursor }, options);
    for (const tool of result.tools) tools.push(toToolDefinition(tool));
    cursor = result.nextCursor;
    if (cursor === undefined) return tools;
    if (seenCursors.has(cursor)) throw new Error('tools/list repeated a cursor');
    seenCursors.add(cursor);
  }
  throw new Error(`tools/list has more than ${MAX_TOOL_PAGES} pages`);
}

function toToolDefinition(tool: Tool): ToolDefinition {
  return {
    name: tool.name,
    ...(tool.title === undefined ? {} : { title: tool.title }),
    ...(tool.description === undefined ? {} : { description: tool.description }),
    inputSchema: tool.inputSchema,
    ...(tool.outputSchema === undefined ? {} : { outputSchema: tool.outputSchema }),
    ...(tool.annotations === undefined ? {} : { annotations: tool.annotations }),
  };
}

/** Settles with `work`, or rejects when `signal` aborts first; a late rejection of `work` is absorbed. */
function untilAborted<Value>(work: Promise<Value>, signal: AbortSignal): Promise<Value> {
  work.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<Value>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** A short, secret-free description of an error for logs and status details. */
function describe(error: unknown, secrets: readonly string[]): string {
  const text =
    error instanceof StreamableHTTPError && error.code !== undefined && error.code > 0
      ? `HTTP ${error.code}: ${error.message}`
      : error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error);
  return truncate(scrubSecrets(text, secrets));
}

/**
 * Hands progress notifications of our calls to their listeners synchronously, in arrival order.
 * The SDK dispatches notifications a microtask later but responses at once, so a last progress
 * notification read together with the result would reach a listener already removed.
 */
function routeProgressFirst(transport: Transport, listeners: Map<string, (progress: Progress) => void>): void {
  const protocolOnMessage = transport.onmessage;
  transport.onmessage = (message, extra) => {
    if ('method' in message && message.method === 'notifications/progress' && !('id' in message)) {
      const params = (message.params ?? {}) as { progressToken?: unknown; progress?: unknown; total?: unknown; message?: unknown };
      const listener = typeof params.progressToken === 'string' ? listeners.get(params.progressToken) : undefined;
      if (listener !== undefined && typeof params.progress === 'number') {
        listener({
          progress: params.progress,
          ...(typeof params.total === 'number' ? { total: params.total } : {}),
          ...(typeof params.message === 'string' ? { message: params.message } : {}),
        });
        return;
      }
    }
    protocolOnMessage?.(message, extra);
  };
}
