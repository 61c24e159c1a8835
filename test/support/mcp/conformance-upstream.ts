/**
 * An MCP server that implements what the server scenarios of the MCP conformance suite
 * (`@modelcontextprotocol/conformance`) call: its test tools, resources, prompts, completion,
 * logging, progress, sampling and elicitation. It stands behind the Interlock gateway in
 * `scripts/mcp-conformance.ts`, so the suite measures what the gateway passes on.
 *
 * Run: `node --import tsx test/support/mcp/conformance-upstream.ts` (stdio), or with
 * CONFORMANCE_UPSTREAM_HTTP_PORT set (Streamable HTTP, stateful sessions, on 127.0.0.1:<port>/mcp;
 * prints `listening <port>` on stderr) to run the suite against the server alone.
 *
 * Tools:
 *   test_simple_text                  → one text block.
 *   test_image_content                → one PNG image (1×1 red pixel).
 *   test_audio_content                → one WAV clip (a few samples of silence).
 *   test_embedded_resource            → one embedded text resource.
 *   test_multiple_content_types       → text, image and an embedded JSON resource.
 *   test_tool_with_logging            → three `info` log notifications 50 ms apart, then text.
 *   test_error_handling               → a result with `isError: true`.
 *   test_tool_with_progress           → progress 0, 50, 100 of 100 (when asked for), 50 ms apart, then text after 250 ms.
 *   test_sampling {prompt}            → asks the client for `sampling/createMessage`, answers with the reply.
 *   test_elicitation {message}        → asks the client for `elicitation/create` (username, email).
 *   test_elicitation_sep1034_defaults → elicitation whose schema has a default for every primitive type.
 *   test_elicitation_sep1330_enums    → elicitation whose schema has the five enum shapes.
 *   json_schema_2020_12_tool          → lists a 2020-12 input schema ($schema, $defs, additionalProperties).
 * Resources: test://static-text, test://static-binary, test://watched-resource (subscribable) and
 * the template test://template/{id}/data. Prompts: test_simple_prompt, test_prompt_with_arguments
 * {arg1, arg2} (with completion of arg1), test_prompt_with_embedded_resource {resourceUri},
 * test_prompt_with_image.
 */
import type { IncomingMessage } from 'node:http';
import { pathToFileURL } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { hostStreamableHttp } from './streamable-http-host.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  LoggingLevelSchema,
  McpError,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CallToolResult,
  type ElicitRequestFormParams,
  type GetPromptResult,
  type LoggingLevel,
  type Prompt,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';

export const UPSTREAM_NAME = 'conformance-upstream';

/** The texts the suite's scenario descriptions ask for; the gateway run compares answers with them. */
export const EXPECTED_TEXT = {
  simpleText: 'This is a simple text response for testing.',
  error: 'This tool intentionally returns an error for testing',
  staticResource: 'This is the content of the static text resource.',
  embeddedResource: 'This is an embedded resource content.',
  simplePrompt: 'This is a simple prompt for testing.',
} as const;

const PROGRESS_STEPS = [0, 50, 100] as const;
const STEP_DELAY_MS = 50;
const LAST_PROGRESS_PAUSE_MS = 250;

/** A 1×1 red PNG, built rather than pasted so its bytes are explained. */
function onePixelPng(): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  // Width 1, height 1, bit depth 8, colour type 2 (RGB), default compression, filter and interlace.
  const header = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  // One scanline: filter byte 0, then red.
  const pixels = deflateSync(Buffer.from([0, 255, 0, 0]));
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
}

/** A WAV file: PCM, mono, 8 kHz, 16 bit, 80 samples of silence (10 ms). */
function silentWav(): Buffer {
  const samples = 80;
  const dataBytes = samples * 2;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(8000 * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return Buffer.concat([header, Buffer.alloc(dataBytes)]);
}

const PNG_BASE64 = onePixelPng().toString('base64');
const WAV_BASE64 = silentWav().toString('base64');

const noArguments: Tool['inputSchema'] = { type: 'object', properties: {} };

function stringArguments(...names: string[]): Tool['inputSchema'] {
  return {
    type: 'object',
    properties: Object.fromEntries(names.map((name) => [name, { type: 'string' }])),
    required: names,
  };
}

const TOOLS: readonly Tool[] = [
  { name: 'test_simple_text', description: 'Returns one text block.', inputSchema: noArguments },
  { name: 'test_image_content', description: 'Returns one PNG image.', inputSchema: noArguments },
  { name: 'test_audio_content', description: 'Returns one WAV audio clip.', inputSchema: noArguments },
  { name: 'test_embedded_resource', description: 'Returns one embedded text resource.', inputSchema: noArguments },
  { name: 'test_multiple_content_types', description: 'Returns text, an image and an embedded resource.', inputSchema: noArguments },
  { name: 'test_tool_with_logging', description: 'Sends three log messages while it runs.', inputSchema: noArguments },
  { name: 'test_error_handling', description: 'Always answers with a tool error.', inputSchema: noArguments },
  { name: 'test_tool_with_progress', description: 'Reports progress 0, 50 and 100 of 100.', inputSchema: noArguments },
  { name: 'test_sampling', description: 'Asks the client to sample the model with a prompt.', inputSchema: stringArguments('prompt') },
  {
    name: 'test_elicitation',
    description: 'Asks the user, through the client, for a username and email.',
    inputSchema: stringArguments('message'),
  },
  {
    name: 'test_elicitation_sep1034_defaults',
    description: 'Asks the user for values whose schema gives a default for every primitive type.',
    inputSchema: noArguments,
  },
  {
    name: 'test_elicitation_sep1330_enums',
    description: 'Asks the user to choose from the five kinds of enum schema.',
    inputSchema: noArguments,
  },
  {
    name: 'json_schema_2020_12_tool',
    description: 'Tool with JSON Schema 2020-12 features',
    inputSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: { address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
      properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
      additionalProperties: false,
    },
  },
];

const RESOURCES: readonly Resource[] = [
  { uri: 'test://static-text', name: 'static-text', description: 'A fixed text resource.', mimeType: 'text/plain' },
  { uri: 'test://static-binary', name: 'static-binary', description: 'A fixed PNG image.', mimeType: 'image/png' },
  { uri: 'test://watched-resource', name: 'watched-resource', description: 'A resource clients may subscribe to.', mimeType: 'text/plain' },
];

const TEMPLATES: readonly ResourceTemplate[] = [
  { uriTemplate: 'test://template/{id}/data', name: 'template-data', description: 'Data for one id.', mimeType: 'application/json' },
];
const TEMPLATE_URI = /^test:\/\/template\/([^/]+)\/data$/;

const PROMPTS: readonly Prompt[] = [
  { name: 'test_simple_prompt', description: 'A prompt without arguments.' },
  {
    name: 'test_prompt_with_arguments',
    description: 'A prompt with two arguments.',
    arguments: [
      { name: 'arg1', description: 'First test argument', required: true },
      { name: 'arg2', description: 'Second test argument', required: true },
    ],
  },
  {
    name: 'test_prompt_with_embedded_resource',
    description: 'A prompt that embeds a resource.',
    arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }],
  },
  { name: 'test_prompt_with_image', description: 'A prompt with an image.' },
];

/** What the server offers, by name, for checks that a list passed on through the gateway is complete. */
export const UPSTREAM_OFFERS = {
  tools: TOOLS.map((tool) => tool.name),
  prompts: PROMPTS.map((prompt) => prompt.name),
  resources: RESOURCES.map((resource) => resource.uri),
} as const;

const ARG1_COMPLETIONS = ['test', 'testing', 'tested', 'paris', 'park', 'party'];

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function stringArgument(args: Record<string, unknown>, name: string): string {
  const value = args[name];
  if (typeof value !== 'string') throw new McpError(ErrorCode.InvalidParams, `argument "${name}" must be a string`);
  return value;
}

const ELICITATION_SCHEMAS: Record<string, ElicitRequestFormParams['requestedSchema']> = {
  basic: {
    type: 'object',
    properties: {
      username: { type: 'string', description: "User's response" },
      email: { type: 'string', description: "User's email address" },
    },
    required: ['username', 'email'],
  },
  defaults: {
    type: 'object',
    properties: {
      name: { type: 'string', description: 'Name', default: 'John Doe' },
      age: { type: 'integer', description: 'Age', default: 30 },
      score: { type: 'number', description: 'Score', default: 95.5 },
      status: { type: 'string', description: 'Status', enum: ['active', 'inactive', 'pending'], default: 'active' },
      verified: { type: 'boolean', description: 'Verified', default: true },
    },
  },
  enums: {
    type: 'object',
    properties: {
      untitledSingle: { type: 'string', description: 'Untitled single choice', enum: ['option1', 'option2', 'option3'] },
      titledSingle: {
        type: 'string',
        description: 'Titled single choice',
        oneOf: [
          { const: 'value1', title: 'First Option' },
          { const: 'value2', title: 'Second Option' },
          { const: 'value3', title: 'Third Option' },
        ],
      },
      legacyEnum: {
        type: 'string',
        description: 'Titled single choice, deprecated form',
        enum: ['opt1', 'opt2', 'opt3'],
        enumNames: ['Option One', 'Option Two', 'Option Three'],
      },
      untitledMulti: {
        type: 'array',
        description: 'Untitled multiple choice',
        items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
      },
      titledMulti: {
        type: 'array',
        description: 'Titled multiple choice',
        items: {
          anyOf: [
            { const: 'value1', title: 'First Choice' },
            { const: 'value2', title: 'Second Choice' },
            { const: 'value3', title: 'Third Choice' },
          ],
        },
      },
    },
  },
};

const LEVELS = LoggingLevelSchema.options;

/** One server per session (the stdio one, or one per HTTP session): its log level is per session. */
export function buildConformanceServer(): Server {
  const server = new Server(
    { name: UPSTREAM_NAME, version: '1.0.0' },
    {
      capabilities: {
        tools: {},
        resources: { subscribe: true },
        prompts: {},
        completions: {},
        logging: {},
      },
    },
  );
  let level: LoggingLevel | null = null;
  const subscriptions = new Set<string>();

  server.setRequestHandler(SetLevelRequestSchema, (request) => {
    level = request.params.level;
    return {};
  });
  const levelEnabled = (wanted: LoggingLevel): boolean => level === null || LEVELS.indexOf(wanted) >= LEVELS.indexOf(level);

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [...TOOLS] }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const args = request.params.arguments ?? {};
    const client = server.getClientCapabilities();
    switch (request.params.name) {
      case 'test_simple_text':
        return text(EXPECTED_TEXT.simpleText);
      case 'test_image_content':
        return { content: [{ type: 'image', data: PNG_BASE64, mimeType: 'image/png' }] };
      case 'test_audio_content':
        return { content: [{ type: 'audio', data: WAV_BASE64, mimeType: 'audio/wav' }] };
      case 'test_embedded_resource':
        return {
          content: [
            {
              type: 'resource',
              resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: EXPECTED_TEXT.embeddedResource },
            },
          ],
        };
      case 'test_multiple_content_types':
        return {
          content: [
            { type: 'text', text: 'Multiple content types test:' },
            { type: 'image', data: PNG_BASE64, mimeType: 'image/png' },
            {
              type: 'resource',
              resource: {
                uri: 'test://mixed-content-resource',
                mimeType: 'application/json',
                text: JSON.stringify({ test: 'data', value: 123 }),
              },
            },
          ],
        };
      case 'test_tool_with_logging': {
        const messages = ['Tool execution started', 'Tool processing data', 'Tool execution completed'];
        for (const [index, data] of messages.entries()) {
          if (index > 0) await delay(STEP_DELAY_MS);
          if (levelEnabled('info'))
            await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', logger: UPSTREAM_NAME, data } });
        }
        return text('Tool with logging executed successfully');
      }
      case 'test_error_handling':
        return { isError: true, content: [{ type: 'text', text: EXPECTED_TEXT.error }] };
      case 'test_tool_with_progress': {
        const progressToken = request.params._meta?.progressToken;
        for (const [index, progress] of PROGRESS_STEPS.entries()) {
          if (index > 0) await delay(STEP_DELAY_MS);
          if (progressToken !== undefined) {
            await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, total: 100 } });
          }
        }
        // A last notification written back to back with the result reaches an SDK client in the same
        // read and is dropped there (typescript-sdk#2580), whoever forwards it; the pause keeps this
        // scenario about forwarding progress, not about that race.
        await delay(LAST_PROGRESS_PAUSE_MS);
        return text('Tool with progress executed successfully');
      }
      case 'test_sampling': {
        const prompt = stringArgument(args, 'prompt');
        if (client?.sampling === undefined)
          return { isError: true, content: [{ type: 'text', text: 'The client does not support sampling.' }] };
        const reply = await extra.sendRequest(
          {
            method: 'sampling/createMessage',
            params: { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 },
          },
          CreateMessageResultSchema,
        );
        const answer = reply.content.type === 'text' ? reply.content.text : `[${reply.content.type}]`;
        return text(`LLM response: ${answer}`);
      }
      case 'test_elicitation':
      case 'test_elicitation_sep1034_defaults':
      case 'test_elicitation_sep1330_enums': {
        if (client?.elicitation === undefined)
          return { isError: true, content: [{ type: 'text', text: 'The client does not support elicitation.' }] };
        const kind = request.params.name === 'test_elicitation' ? 'basic' : request.params.name.endsWith('defaults') ? 'defaults' : 'enums';
        const message = kind === 'basic' ? stringArgument(args, 'message') : `Conformance elicitation (${kind})`;
        const answer = await extra.sendRequest(
          { method: 'elicitation/create', params: { mode: 'form', message, requestedSchema: ELICITATION_SCHEMAS[kind]! } },
          ElicitResultSchema,
        );
        const content = JSON.stringify(answer.content ?? {});
        return text(
          kind === 'basic'
            ? `User response: action=${answer.action}, content=${content}`
            : `Elicitation completed: action=${answer.action}, content=${content}`,
        );
      }
      case 'json_schema_2020_12_tool':
        return text(`Received ${JSON.stringify(args)}`);
      default:
        throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: [...RESOURCES] }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({ resourceTemplates: [...TEMPLATES] }));
  server.setRequestHandler(ReadResourceRequestSchema, (request): ReadResourceResult => {
    const { uri } = request.params;
    if (uri === 'test://static-text') return { contents: [{ uri, mimeType: 'text/plain', text: EXPECTED_TEXT.staticResource }] };
    if (uri === 'test://static-binary') return { contents: [{ uri, mimeType: 'image/png', blob: PNG_BASE64 }] };
    if (uri === 'test://watched-resource') return { contents: [{ uri, mimeType: 'text/plain', text: 'Watched resource content.' }] };
    const match = TEMPLATE_URI.exec(uri);
    if (match?.[1] !== undefined) {
      const id = decodeURIComponent(match[1]);
      return {
        contents: [{ uri, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }],
      };
    }
    throw new McpError(ErrorCode.InvalidParams, `Resource ${uri} not found`);
  });
  server.setRequestHandler(SubscribeRequestSchema, (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });

  server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: [...PROMPTS] }));
  server.setRequestHandler(GetPromptRequestSchema, (request): GetPromptResult => {
    const args = request.params.arguments ?? {};
    switch (request.params.name) {
      case 'test_simple_prompt':
        return { messages: [{ role: 'user', content: { type: 'text', text: EXPECTED_TEXT.simplePrompt } }] };
      case 'test_prompt_with_arguments':
        return {
          messages: [
            {
              role: 'user',
              content: {
                type: 'text',
                text: `Prompt with arguments: arg1='${stringArgument(args, 'arg1')}', arg2='${stringArgument(args, 'arg2')}'`,
              },
            },
          ],
        };
      case 'test_prompt_with_embedded_resource':
        return {
          messages: [
            {
              role: 'user',
              content: {
                type: 'resource',
                resource: {
                  uri: stringArgument(args, 'resourceUri'),
                  mimeType: 'text/plain',
                  text: 'Embedded resource content for testing.',
                },
              },
            },
            { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
          ],
        };
      case 'test_prompt_with_image':
        return {
          messages: [
            { role: 'user', content: { type: 'image', data: PNG_BASE64, mimeType: 'image/png' } },
            { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
          ],
        };
      default:
        throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${request.params.name}`);
    }
  });

  server.setRequestHandler(CompleteRequestSchema, (request) => {
    const { ref, argument } = request.params;
    const known = ref.type === 'ref/prompt' && ref.name === 'test_prompt_with_arguments' && argument.name === 'arg1';
    const values = known ? ARG1_COMPLETIONS.filter((value) => value.startsWith(argument.value)) : [];
    return { completion: { values, total: values.length, hasMore: false } };
  });

  return server;
}

async function runStdio(): Promise<void> {
  await buildConformanceServer().connect(new StdioServerTransport());
  // The client closing our stdin is the signal to stop.
  process.stdin.on('end', () => process.exit(0));
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A loopback server answers only to loopback Host and Origin names (DNS rebinding). */
function loopbackOnly(request: IncomingMessage): boolean {
  const host = request.headers.host;
  if (host === undefined || !LOOPBACK.has(new URL(`http://${host}`).hostname)) return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return LOOPBACK.has(new URL(origin).hostname);
  } catch {
    return false;
  }
}

function runHttp(port: number): void {
  hostStreamableHttp({
    port,
    createServer: buildConformanceServer,
    refuse: (request, response) => {
      if (loopbackOnly(request)) return false;
      response.writeHead(403, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Host or Origin is not loopback' }, id: null }));
      return true;
    },
  });
}

// Imported for its constants by the conformance run; started as a process, it serves.
if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const httpPort = process.env['CONFORMANCE_UPSTREAM_HTTP_PORT'];
  if (httpPort !== undefined && httpPort !== '') runHttp(Number(httpPort));
  else await runStdio();
}
