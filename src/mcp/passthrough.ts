import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type {
  GetPromptResult,
  ListPromptsResult,
  ListResourcesResult,
  ListResourceTemplatesResult,
  ReadResourceResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { McpUpstream } from '../execution/mcp/upstream.js';
import { isInterlockError } from '../errors/interlock-error.js';
import { namespacedToolName, NAMESPACE_SEPARATOR } from '../drift/tool-definition.js';

/** An upstream whose resources or prompts the operator chose to pass through. */
export interface PassthroughServer {
  readonly name: string;
  readonly tenants: readonly string[] | null;
  readonly resources: boolean;
  readonly prompts: boolean;
  /** Prefix prompt and resource names with `name__` (like tools). */
  readonly namespace: boolean;
  readonly upstream: McpUpstream;
  readonly timeoutMs: number;
}

/**
 * Resources and prompts of upstream servers, merged for one session's tenant. Resource URIs are
 * kept as the upstream gave them (they are already global); prompt names get the server's
 * namespace like tools do. Tool calls are governed by the kernel; these reads are passed through
 * only from servers the operator opted in, and only to tenants the server is for.
 */
export class Passthrough {
  readonly #resourceServers: readonly PassthroughServer[];
  readonly #promptServers: readonly PassthroughServer[];
  readonly #uriOwners = new Map<string, PassthroughServer>();

  constructor(servers: readonly PassthroughServer[], tenant: string) {
    const forTenant = servers.filter((server) => server.tenants === null || server.tenants.includes(tenant));
    this.#resourceServers = forTenant.filter((server) => server.resources);
    this.#promptServers = forTenant.filter((server) => server.prompts);
  }

  offersResources(): boolean {
    return this.#resourceServers.length > 0;
  }

  offersPrompts(): boolean {
    return this.#promptServers.length > 0;
  }

  /** One page of one server at a time; the cursor says which server and which of its pages. */
  async listResources(cursor: string | undefined, signal: AbortSignal): Promise<ListResourcesResult> {
    const position = decodeCursor(cursor, this.#resourceServers.length);
    const server = this.#resourceServers[position.server];
    if (server === undefined || !offers(server, 'resources')) return this.#nextServerPage(position.server, signal);
    const page = (await this.#request(
      server,
      'resources/list',
      position.cursor === undefined ? {} : { cursor: position.cursor },
      signal,
    )) as ListResourcesResult;
    const resources = (page.resources ?? []).map((resource) => {
      this.#uriOwners.set(resource.uri, server);
      return { ...resource, name: exposedName(server, resource.name) };
    });
    const nextCursor =
      typeof page.nextCursor === 'string'
        ? encodeCursor(position.server, page.nextCursor)
        : position.server + 1 < this.#resourceServers.length
          ? encodeCursor(position.server + 1, undefined)
          : undefined;
    return { resources, ...(nextCursor === undefined ? {} : { nextCursor }) };
  }

  async listResourceTemplates(signal: AbortSignal): Promise<ListResourceTemplatesResult> {
    const resourceTemplates: ListResourceTemplatesResult['resourceTemplates'] = [];
    for (const server of this.#resourceServers) {
      if (!offers(server, 'resources')) continue;
      try {
        const page = (await this.#request(server, 'resources/templates/list', {}, signal)) as ListResourceTemplatesResult;
        for (const template of page.resourceTemplates ?? [])
          resourceTemplates.push({ ...template, name: exposedName(server, template.name) });
      } catch {
        // One server without templates (or down) does not hide the others'.
      }
    }
    return { resourceTemplates };
  }

  async readResource(uri: string, signal: AbortSignal): Promise<ReadResourceResult> {
    const owner = this.#uriOwners.get(uri);
    const candidates = owner === undefined ? this.#resourceServers.filter((server) => offers(server, 'resources')) : [owner];
    let lastError: unknown = new McpError(ErrorCode.InvalidParams, `Resource ${uri} not found`);
    for (const server of candidates) {
      try {
        return (await this.#request(server, 'resources/read', { uri }, signal)) as ReadResourceResult;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  async listPrompts(signal: AbortSignal): Promise<ListPromptsResult> {
    const prompts: ListPromptsResult['prompts'] = [];
    for (const server of this.#promptServers) {
      if (!offers(server, 'prompts')) continue;
      try {
        const page = (await this.#request(server, 'prompts/list', {}, signal)) as ListPromptsResult;
        for (const prompt of page.prompts ?? []) prompts.push({ ...prompt, name: exposedName(server, prompt.name) });
      } catch {
        // A server that is down contributes nothing until it is back.
      }
    }
    return { prompts };
  }

  async getPrompt(name: string, args: Record<string, string> | undefined, signal: AbortSignal): Promise<GetPromptResult> {
    const owner = this.#promptOwner(name);
    if (owner === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${name}`);
    const { server, upstreamName } = owner;
    const params = { name: upstreamName, ...(args === undefined ? {} : { arguments: args }) };
    return (await this.#request(server, 'prompts/get', params, signal)) as GetPromptResult;
  }

  #promptOwner(name: string): { server: PassthroughServer; upstreamName: string } | undefined {
    const at = name.indexOf(NAMESPACE_SEPARATOR);
    if (at !== -1) {
      const server = this.#promptServers.find((candidate) => candidate.namespace && candidate.name === name.slice(0, at));
      if (server !== undefined) return { server, upstreamName: name.slice(at + NAMESPACE_SEPARATOR.length) };
    }
    const plain = this.#promptServers.find((candidate) => !candidate.namespace);
    return plain === undefined ? undefined : { server: plain, upstreamName: name };
  }

  async #nextServerPage(index: number, signal: AbortSignal): Promise<ListResourcesResult> {
    if (index + 1 >= this.#resourceServers.length) return { resources: [] };
    return this.listResources(encodeCursor(index + 1, undefined), signal);
  }

  async #request(server: PassthroughServer, method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    try {
      return await server.upstream.request(method, params, { signal, timeoutMs: server.timeoutMs });
    } catch (error) {
      if (error instanceof McpError) throw error;
      const message = isInterlockError(error) ? `${error.code}: ${error.message}` : `MCP server "${server.name}" could not answer`;
      throw new McpError(ErrorCode.InternalError, message);
    }
  }
}

function exposedName(server: PassthroughServer, name: string): string {
  return server.namespace ? namespacedToolName(server.name, name) : name;
}

function offers(server: PassthroughServer, capability: 'resources' | 'prompts'): boolean {
  return server.upstream.status === 'ready' && server.upstream.capabilities?.[capability] !== undefined;
}

function encodeCursor(server: number, cursor: string | undefined): string {
  return Buffer.from(JSON.stringify({ s: server, c: cursor ?? null })).toString('base64url');
}

function decodeCursor(cursor: string | undefined, servers: number): { server: number; cursor: string | undefined } {
  if (cursor === undefined) return { server: 0, cursor: undefined };
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { s?: unknown; c?: unknown };
    if (typeof parsed.s === 'number' && Number.isInteger(parsed.s) && parsed.s >= 0 && parsed.s < servers) {
      return { server: parsed.s, cursor: typeof parsed.c === 'string' ? parsed.c : undefined };
    }
  } catch {
    // fall through
  }
  throw new McpError(ErrorCode.InvalidParams, 'Invalid cursor');
}
