/**
 * MCP clients of the gateway under test, built from the official SDK client: over Streamable
 * HTTP against a running `interlock serve`, or over stdio by launching `interlock mcp --agent ID`.
 * Also: reading tool results and Interlock's `_meta`, reading the audit log (over HTTP, or from the
 * SQLite file of a stdio gateway), and polling with generous limits.
 */
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ToolListChangedNotificationSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { join } from 'node:path';
import { openStore } from '../../../src/store/open-store.js';
import { CLI_ENTRY, REPOSITORY_ROOT } from '../../cli/interlock-process.js';

export type Door = 'http' | 'stdio';

/** One client session with the gateway. */
export interface GatewayConnection {
  readonly door: Door;
  readonly client: Client;
  /** The protocol version the gateway answered `initialize` with. */
  readonly protocolVersion: string | undefined;
  /** The HTTP session id (undefined over stdio). */
  readonly sessionId: string | undefined;
  /** How many `notifications/tools/list_changed` arrived so far. */
  listChangedCount(): number;
  /** Everything the `interlock mcp` process wrote on stderr (empty over HTTP). */
  stderr(): string;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Ask for this protocol version in `initialize` instead of the SDK's newest. */
  readonly protocolVersion?: string;
}

/**
 * Wraps a transport to ask for a given protocol version: the SDK client always offers its newest
 * one, so `initialize` is rewritten on the way out, and the version in the answer is kept.
 */
export class ProtocolVersionTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;
  negotiated: string | undefined;
  readonly #inner: Transport;
  readonly #version: string | undefined;
  #initializeId: string | number | undefined;

  constructor(inner: Transport, version: string | undefined) {
    this.#inner = inner;
    this.#version = version;
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }

  async start(): Promise<void> {
    this.#inner.onclose = () => this.onclose?.();
    this.#inner.onerror = (error) => this.onerror?.(error);
    this.#inner.onmessage = (message, extra) => {
      if ('id' in message && message.id === this.#initializeId && 'result' in message) {
        const version = (message.result as { protocolVersion?: unknown }).protocolVersion;
        if (typeof version === 'string') this.negotiated = version;
      }
      this.onmessage?.(message, extra);
    };
    await this.#inner.start();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if ('method' in message && message.method === 'initialize' && 'id' in message) {
      this.#initializeId = message.id;
      if (this.#version !== undefined) {
        const rewritten = { ...message, params: { ...message.params, protocolVersion: this.#version } };
        return this.#inner.send(rewritten, options);
      }
    }
    return this.#inner.send(message, options);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  setProtocolVersion(version: string): void {
    this.#inner.setProtocolVersion?.(version);
  }
}

async function connectClient(door: Door, inner: Transport, options: ConnectOptions, stderr: () => string): Promise<GatewayConnection> {
  const transport = new ProtocolVersionTransport(inner, options.protocolVersion);
  const client = new Client({ name: 'interlock-gateway-tests', version: '1.0.0' });
  let listChanged = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    listChanged += 1;
  });
  await client.connect(transport);
  return {
    door,
    client,
    protocolVersion: transport.negotiated,
    sessionId: transport.sessionId,
    listChangedCount: () => listChanged,
    stderr,
    close: () => client.close(),
  };
}

/** A client of `baseUrl`/mcp presenting `token` on every request. */
export function connectHttp(
  baseUrl: string,
  token: string,
  options: ConnectOptions & { headers?: Readonly<Record<string, string>> } = {},
): Promise<GatewayConnection> {
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}`, ...(options.headers ?? {}) } },
  });
  return connectClient('http', transport, options, () => '');
}

/** Launches `interlock mcp --project P --agent ID` and connects to it over its stdin/stdout. */
export function connectStdio(
  project: string,
  agent: string,
  options: ConnectOptions & { env?: Readonly<Record<string, string>> } = {},
): Promise<GatewayConnection> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_ENTRY, 'mcp', '--project', project, '--agent', agent],
    env: { ...env, ...(options.env ?? {}) },
    cwd: REPOSITORY_ROOT,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return connectClient('stdio', transport, options, () => stderr);
}

/** A tool result as the SDK client returns it (only the fields these tests read). */
export interface ToolResultView {
  readonly content?: unknown;
  readonly isError?: unknown;
  readonly structuredContent?: unknown;
  readonly _meta?: unknown;
}

/** Interlock's evidence keys of a result (`interlock/status`, `interlock/code`…). */
export function metaOf(result: ToolResultView): Record<string, unknown> {
  const meta = result._meta;
  if (typeof meta !== 'object' || meta === null) throw new Error(`the result has no _meta: ${JSON.stringify(result)}`);
  return meta as Record<string, unknown>;
}

/** The text blocks of a result, joined by newlines. */
export function textOf(result: ToolResultView): string {
  const content = Array.isArray(result.content) ? (result.content as Array<{ type?: unknown; text?: unknown }>) : [];
  return content
    .filter((block) => block.type === 'text' && typeof block.text === 'string')
    .map((block) => block.text as string)
    .join('\n');
}

/** Polls `check` until it returns something other than undefined; fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Lists tools until every one of `names` is shown (upstreams connect in the background). */
export function waitForTools(client: Client, names: readonly string[], timeoutMs = 30_000): Promise<Tool[]> {
  return eventually(
    async () => {
      const { tools } = await client.listTools();
      const shown = new Set(tools.map((tool) => tool.name));
      return names.every((name) => shown.has(name)) ? tools : undefined;
    },
    `tools ${names.join(', ')} to be listed`,
    timeoutMs,
  );
}

/** An audit event as recorded (the fields these tests read). */
export interface AuditEventView {
  readonly id: string;
  readonly type: string;
  readonly agent: string | null;
  readonly traceId: string | null;
  readonly callId: string | null;
  readonly data: Record<string, unknown>;
}

export interface AuditQuery {
  readonly callId?: string;
  readonly traceId?: string;
  readonly type?: string;
}

export type AuditReader = (query: AuditQuery) => Promise<AuditEventView[]>;

/** Reads GET /v1/audit with an operator token. */
export function httpAuditReader(baseUrl: string, operatorToken: string): AuditReader {
  return async (query) => {
    const parameters = new URLSearchParams({ limit: '1000' });
    for (const [name, value] of Object.entries(query)) if (typeof value === 'string') parameters.set(name, value);
    const response = await fetch(`${baseUrl}/v1/audit?${parameters.toString()}`, { headers: { authorization: `Bearer ${operatorToken}` } });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`GET /v1/audit answered ${response.status}: ${text}`);
    return (JSON.parse(text) as { events: Array<{ event: AuditEventView }> }).events.map((entry) => entry.event);
  };
}

/** Reads the audit log of a project on SQLite from outside its process (what a stdio gateway writes). */
export async function sqliteAuditReader(projectDir: string): Promise<{ read: AuditReader; close: () => Promise<void> }> {
  const store = await openStore({ driver: 'sqlite', path: join(projectDir, '.interlock', 'interlock.db'), durability: 'durable' });
  return {
    read: async (query) => {
      const rows = await store.listAuditEvents({ ...query, limit: 10_000 });
      return rows.map((row) => JSON.parse(row.body) as AuditEventView);
    },
    close: () => store.close(),
  };
}
