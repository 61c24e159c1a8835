import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { stopChild } from './server-process.js';

export const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The MCP reference server; `stdio` or `streamableHttp` as its first argument picks the transport. */
export const EVERYTHING_ENTRY = resolve(REPOSITORY_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
export const MCP_PROXY_BIN = resolve(REPOSITORY_ROOT, 'node_modules/.bin/mcp-proxy');
const START_TIMEOUT_MS = 30_000;
const OUTPUT_KEPT_CHARS = 8_000;

/** An SDK client connected to something that answers `tools/call`, and what it takes to stop it. */
export interface McpEndpoint {
  readonly client: Client;
  /** The process answering the client (the server itself, or the gateway in front of it). */
  readonly pid: number | null;
  /** The last output of that process (for failure reports). */
  recentOutput(): string;
  close(): Promise<void>;
}

/** Launches `node <args>` and talks MCP to it over its stdin and stdout, as a desktop client does. */
export async function connectStdio(args: readonly string[]): Promise<McpEndpoint> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [...args], cwd: REPOSITORY_ROOT, stderr: 'pipe' });
  const output = new RecentOutput();
  // Drained, so a chatty child never blocks on a full pipe.
  transport.stderr?.on('data', (chunk: Buffer) => output.add(chunk));
  const client = await connectClient(transport, output);
  return {
    client,
    pid: transport.pid,
    recentOutput: () => output.text(),
    close: () => client.close(),
  };
}

export interface HttpServerProcessOptions {
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
  readonly port: number;
  /** Where the MCP endpoint is, once the process listens on `port`. */
  readonly path: string;
  readonly headers?: Record<string, string>;
}

/**
 * Starts `node <args>` (a server that listens on `port`), waits until the port accepts connections
 * and connects an SDK client over Streamable HTTP.
 */
export async function connectHttpProcess(options: HttpServerProcessOptions): Promise<McpEndpoint> {
  // stdout is discarded: the reference server logs every request there.
  const child = spawn(process.execPath, [...options.args], {
    cwd: REPOSITORY_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const output = new RecentOutput();
  child.stderr?.on('data', (chunk: Buffer) => output.add(chunk));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  try {
    await untilListening(options.port, exited, output);
    const endpoint = await connectHttp(`http://127.0.0.1:${options.port}${options.path}`, options.headers ?? {}, output);
    return {
      ...endpoint,
      pid: child.pid ?? null,
      close: async () => {
        await endpoint.close();
        await stopChild(child, exited);
      },
    };
  } catch (error) {
    await stopChild(child, exited);
    throw error;
  }
}

/** An SDK client over Streamable HTTP to a server that is already listening. */
export async function connectHttp(url: string, headers: Record<string, string>, output = new RecentOutput()): Promise<McpEndpoint> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  const client = await connectClient(transport, output);
  return {
    client,
    pid: null,
    recentOutput: () => output.text(),
    close: async () => {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}

/** A TCP port that was free a moment ago, for servers that cannot be told to pick one. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function connectClient(transport: Transport, output: RecentOutput): Promise<Client> {
  const client = new Client({ name: 'interlock-bench', version: '1.0.0' });
  try {
    await client.connect(transport);
  } catch (error) {
    throw new Error(`MCP client could not connect: ${error instanceof Error ? error.message : String(error)}\n${output.text()}`);
  }
  return client;
}

async function untilListening(port: number, exited: Promise<number | null>, output: RecentOutput): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`server exited with code ${String(exitCode)} before listening:\n${output.text()}`);
    if (await accepts(port)) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  throw new Error(`server did not listen on port ${port} within ${START_TIMEOUT_MS} ms:\n${output.text()}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolveAccepts) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolveAccepts(true);
    });
    socket.once('error', () => resolveAccepts(false));
  });
}

/** The tail of what a child process wrote, for error messages. */
export class RecentOutput {
  #text = '';

  add(chunk: Buffer): void {
    this.#text = (this.#text + chunk.toString('utf8')).slice(-OUTPUT_KEPT_CHARS);
  }

  text(): string {
    return this.#text;
  }
}
