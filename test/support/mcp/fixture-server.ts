/**
 * A small real MCP server for tests of upstream connections and their faults.
 *
 * Run: `node --import tsx test/support/mcp/fixture-server.ts` (stdio), or with FIXTURE_HTTP_PORT set
 * (Streamable HTTP, stateful sessions, on 127.0.0.1:<port>/mcp).
 *
 * Tools:
 *   echo {text}               → one text block holding `text`.
 *   counter {label?}          → a write-ish tool: answers how many times it ran in this process.
 *   slow {ms}                 → answers after `ms` milliseconds; a cancelled call logs `{"event":"cancelled"}`.
 *   crash {}                  → the process exits with code 1 while the call is in flight.
 *   progress {steps, delayMs?}→ sends `steps` progress notifications (when asked for), then answers.
 *   secret_env {}             → "set" or "unset" for FIXTURE_SECRET; never its value.
 *   fail {message?}           → a JSON-RPC error (code -32603) with `message`.
 *   tool_error {}             → a result with `isError: true`.
 *   malformed {}              → (stdio only) an answer whose result is not a valid CallToolResult.
 *
 * Environment:
 *   FIXTURE_LOG               file path; every tools/call appends one JSON line `{"tool","args","pid"}`
 *                             before it runs, and a cancelled `slow` appends `{"event":"cancelled","tool":"slow"}`.
 *   FIXTURE_DESCRIPTION_FILE  the echo tool's description is read from this file at every tools/list;
 *                             the file is watched and `notifications/tools/list_changed` sent when it changes.
 *   FIXTURE_START_DELAY_MS    sleep this long before answering anything.
 *   FIXTURE_GARBAGE           when set, non-JSON lines are written to stdout at start and before each answer.
 *   FIXTURE_HANG_INIT         when set, never answer `initialize` (stdin is read and ignored).
 *   FIXTURE_SECRET            only reported as set or unset by `secret_env`.
 *   FIXTURE_LEAK_SECRET       when set, FIXTURE_SECRET is written to stderr at start (a misbehaving server).
 *   FIXTURE_HTTP_PORT         serve Streamable HTTP on this port (0: any); prints `listening <port>` on stderr.
 *   FIXTURE_REQUIRE_AUTH      HTTP only: the exact `Authorization` header value required, else 401.
 */
import { appendFileSync, readFileSync, unwatchFile, watchFile } from 'node:fs';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { hostStreamableHttp } from './streamable-http-host.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';

const env = process.env;
const logFile = env['FIXTURE_LOG'];
const descriptionFile = env['FIXTURE_DESCRIPTION_FILE'];
const garbage = env['FIXTURE_GARBAGE'] !== undefined && env['FIXTURE_GARBAGE'] !== '';
let counterCalls = 0;

function log(entry: Record<string, unknown>): void {
  if (logFile !== undefined && logFile !== '') appendFileSync(logFile, `${JSON.stringify({ ...entry, pid: process.pid })}\n`);
}

function writeGarbage(): void {
  if (garbage) process.stdout.write('this is not JSON\n{"half": \n[1,2,3]\n');
}

function echoDescription(): string {
  if (descriptionFile === undefined || descriptionFile === '') return 'Echoes the given text.';
  try {
    return readFileSync(descriptionFile, 'utf8');
  } catch {
    return 'Echoes the given text.';
  }
}

const objectSchema = (properties: Record<string, unknown>, required: string[] = []): Tool['inputSchema'] => ({
  type: 'object',
  properties: properties as Tool['inputSchema']['properties'],
  required,
});

function listTools(): Tool[] {
  return [
    { name: 'echo', description: echoDescription(), inputSchema: objectSchema({ text: { type: 'string' } }, ['text']) },
    {
      name: 'counter',
      description: 'Counts its calls (a write).',
      inputSchema: objectSchema({ label: { type: 'string' } }),
      annotations: { readOnlyHint: false },
    },
    { name: 'slow', description: 'Answers after a delay.', inputSchema: objectSchema({ ms: { type: 'number' } }, ['ms']) },
    { name: 'crash', description: 'Exits while the call is in flight.', inputSchema: objectSchema({}) },
    {
      name: 'progress',
      description: 'Reports progress, then answers.',
      inputSchema: objectSchema({ steps: { type: 'number' }, delayMs: { type: 'number' } }, ['steps']),
    },
    { name: 'secret_env', description: 'Says whether FIXTURE_SECRET is set.', inputSchema: objectSchema({}) },
    { name: 'fail', description: 'Answers with a JSON-RPC error.', inputSchema: objectSchema({ message: { type: 'string' } }) },
    { name: 'tool_error', description: 'Answers with isError.', inputSchema: objectSchema({}) },
    { name: 'malformed', description: 'Answers with an invalid result.', inputSchema: objectSchema({}) },
  ];
}

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new Error('cancelled'));
      },
      { once: true },
    );
  });
}

function numberArgument(args: Record<string, unknown>, name: string, fallback: number): number {
  const value = args[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function buildServer(mode: 'stdio' | 'http'): Server {
  const server = new Server({ name: 'interlock-fixture', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listTools() }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const args = request.params.arguments ?? {};
    const tool = request.params.name;
    log({ tool, args });
    writeGarbage();
    switch (tool) {
      case 'echo':
        return text(typeof args['text'] === 'string' ? args['text'] : '');
      case 'counter':
        counterCalls += 1;
        return text(String(counterCalls));
      case 'slow': {
        try {
          await delay(numberArgument(args, 'ms', 1000), extra.signal);
        } catch {
          log({ event: 'cancelled', tool: 'slow' });
          throw new McpError(ErrorCode.RequestTimeout, 'cancelled');
        }
        return text('slow done');
      }
      case 'crash':
        setTimeout(() => process.exit(1), 20);
        return new Promise<CallToolResult>(() => undefined);
      case 'progress': {
        const steps = numberArgument(args, 'steps', 3);
        const stepDelay = numberArgument(args, 'delayMs', 10);
        const token = request.params._meta?.progressToken;
        for (let step = 1; step <= steps; step += 1) {
          if (token !== undefined) {
            await extra.sendNotification({
              method: 'notifications/progress',
              params: { progressToken: token, progress: step, total: steps, message: `step ${step}` },
            });
          }
          // A pause after each notification, so the last one is not read in the same chunk as the answer.
          await delay(stepDelay, extra.signal);
        }
        return text(`${steps} steps done`);
      }
      case 'secret_env':
        return text(env['FIXTURE_SECRET'] !== undefined && env['FIXTURE_SECRET'] !== '' ? 'set' : 'unset');
      case 'fail':
        throw new McpError(ErrorCode.InternalError, typeof args['message'] === 'string' ? args['message'] : 'the fixture failed');
      case 'tool_error':
        return { content: [{ type: 'text', text: 'the tool says no' }], isError: true };
      case 'malformed':
        if (mode === 'stdio') {
          // Written past the SDK, which would refuse to send an invalid result.
          process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', id: extra.requestId, result: { content: 'not a list' } })}\n`);
          return new Promise<CallToolResult>(() => undefined);
        }
        throw new McpError(ErrorCode.InvalidRequest, 'malformed is only available over stdio');
      default:
        throw new McpError(ErrorCode.InvalidParams, `unknown tool ${tool}`);
    }
  });
  return server;
}

/** Servers to tell when the description file changes (one per HTTP session, or the stdio one). */
const connected = new Set<Server>();

function watchDescription(): void {
  if (descriptionFile === undefined || descriptionFile === '') return;
  let last = echoDescription();
  watchFile(descriptionFile, { interval: 50 }, () => {
    const now = echoDescription();
    if (now === last) return;
    last = now;
    for (const server of connected) server.sendToolListChanged().catch(() => undefined);
  });
}

async function runStdio(): Promise<void> {
  if (env['FIXTURE_HANG_INIT'] !== undefined && env['FIXTURE_HANG_INIT'] !== '') {
    process.stdin.resume();
    process.stdin.on('end', () => process.exit(0));
    return;
  }
  const delayMs = Number(env['FIXTURE_START_DELAY_MS'] ?? '0');
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  writeGarbage();
  const server = buildServer('stdio');
  connected.add(server);
  await server.connect(new StdioServerTransport());
  // The client closing our stdin is the signal to stop.
  process.stdin.on('end', () => process.exit(0));
}

async function runHttp(port: number): Promise<void> {
  const requiredAuth = env['FIXTURE_REQUIRE_AUTH'];
  const delayMs = Number(env['FIXTURE_START_DELAY_MS'] ?? '0');
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  hostStreamableHttp({
    port,
    createServer: () => buildServer('http'),
    refuse: (request, response) => {
      if (requiredAuth === undefined || requiredAuth === '' || request.headers.authorization === requiredAuth) return false;
      response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'unauthorized' }));
      return true;
    },
    onSessionOpened: (server) => connected.add(server),
    onSessionClosed: (server) => connected.delete(server),
    onStop: () => unwatchFile(descriptionFile ?? ''),
  });
}

if (env['FIXTURE_LEAK_SECRET'] !== undefined && env['FIXTURE_SECRET'] !== undefined) {
  process.stderr.write(`starting with secret ${env['FIXTURE_SECRET']}\n`);
}
process.stderr.write('fixture starting\n');
watchDescription();
const httpPort = env['FIXTURE_HTTP_PORT'];
if (httpPort !== undefined && httpPort !== '') await runHttp(Number(httpPort));
else await runStdio();
