import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { CallOutcome, CallRequest } from '../gate/call.js';
import type { Credential } from '../identity/principal.js';
import type { OperationContract } from '../registry/contract.js';
import type { Registry } from '../registry/registry.js';
import { NAMESPACE_SEPARATOR } from '../drift/tool-definition.js';
import { Passthrough, type PassthroughServer } from './passthrough.js';
import { toToolResult } from './tool-result.js';

export const GATEWAY_NAME = 'interlock';

/** What one virtual MCP server needs from the runtime; the gateway decides nothing itself. */
export interface GatewayServices {
  readonly version: string;
  call(request: CallRequest, credential: Credential): Promise<CallOutcome>;
  registry(): Registry;
  /** Whether some call of the agent to the operation could ever be permitted by policy. */
  couldEverPermit(agentId: string, qualifiedName: string): boolean;
  /** Whether the operation is shown now (MCP tools only while their definition matches the pin). */
  isListed(contract: OperationContract): boolean;
  /** Upstream servers whose resources or prompts are passed through. */
  passthroughServers(): readonly PassthroughServer[];
  /** Records a passed-through read (a resource or a prompt) in the audit log. */
  recordAccess(access: PassthroughAccess): void;
  /** The status of an approval requested by this agent, or null when there is none such. */
  approvalStatus(approvalId: string, tenant: string, agentId: string): Promise<string | null>;
}

/** A resource read or prompt fetched through the gateway: not a tool call, but evidence all the same. */
export interface PassthroughAccess {
  readonly type: 'mcp.resource.read' | 'mcp.prompt.get';
  readonly agentId: string;
  readonly tenant: string;
  readonly sessionId: string;
  /** The resource URI or the prompt name as the client asked for it. */
  readonly target: string;
  readonly ok: boolean;
}

/** Who is on the other end of one MCP session. */
export interface GatewaySession {
  readonly agentId: string;
  readonly tenant: string;
  /** Caps per session count against this id. */
  readonly sessionId: string;
  /** The credential of the request being handled (HTTP: its bearer token; stdio: the configured agent's). */
  credential(authToken: string | undefined): Credential;
  /** An acting-for-user assertion given for the whole session or request (HTTP header). */
  actingFor(requestAssertion: string | undefined): string | undefined;
}

/** How long a call waits for an approver once the user chose to wait (below clients' usual 60 s request timeout). */
const APPROVAL_WAIT_MS = 50_000;
const APPROVAL_POLL_MS = 500;

const ACTING_FOR_META = 'interlock/actingFor';
const TRACE_META = 'interlock/traceId';
const IDEMPOTENCY_META = 'interlock/idempotencyKey';
const APPROVAL_META = 'interlock/approvalId';

/**
 * One virtual MCP server for one agent: the tools it may use from every configured tool and
 * upstream MCP server, under `server__tool` names. `tools/call` is translated into a kernel call
 * and the kernel's answer back into an MCP result; upstream progress and client cancellation
 * cross over.
 */
export function createGatewayServer(services: GatewayServices, session: GatewaySession): Server {
  const passthrough = new Passthrough(services.passthroughServers(), session.tenant);
  const server = new Server(
    { name: GATEWAY_NAME, version: services.version, title: 'Interlock MCP gateway' },
    {
      capabilities: {
        tools: { listChanged: true },
        logging: {},
        ...(passthrough.offersResources() ? { resources: {} } : {}),
        ...(passthrough.offersPrompts() ? { prompts: {} } : {}),
      },
      instructions:
        'Every tool call passes through Interlock, which checks it against policy and records it. A refused call returns an error that says why; do not retry a denied call unchanged.',
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: visibleTools(services, session) }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name } = request.params;
    const contract = services.registry().resolveMcpName(name);
    const [tool, operation] = contract === undefined ? splitName(name) : [contract.tool, contract.operation];
    const meta = request.params._meta ?? {};
    const progressToken = meta.progressToken;
    const assertion = typeof meta[ACTING_FOR_META] === 'string' ? meta[ACTING_FOR_META] : undefined;
    const traceId = typeof meta[TRACE_META] === 'string' ? meta[TRACE_META] : undefined;
    const idempotencyKey = typeof meta[IDEMPOTENCY_META] === 'string' ? meta[IDEMPOTENCY_META] : undefined;
    const approvalId = typeof meta[APPROVAL_META] === 'string' ? meta[APPROVAL_META] : undefined;
    const citedMeta = meta['interlock/citations'];
    const citations = Array.isArray(citedMeta) ? citedMeta.filter((id): id is string => typeof id === 'string') : undefined;
    const callRequest: CallRequest = {
      tool,
      operation,
      arguments: request.params.arguments ?? {},
      traceId,
      sessionId: session.sessionId,
      // MCP clients rarely send keys: a write without one gets a key derived from the trace (or
      // the session) and the action, so the same write retried in this session runs once.
      idempotencyKey,
      deriveIdempotencyKey: idempotencyKey === undefined,
      approvalId,
      citations,
      actingFor: session.actingFor(assertion ?? actingForFromAuth(extra.authInfo?.extra)),
      signal: extra.signal,
      onProgress:
        progressToken === undefined
          ? undefined
          : (update) => {
              void extra
                .sendNotification({ method: 'notifications/progress', params: { progressToken, ...definedOnly(update) } })
                .catch(() => undefined);
            },
    };
    const credential = session.credential(extra.authInfo?.token);
    let outcome = await services.call(callRequest, credential);
    if (
      outcome.status === 'approval_required' &&
      outcome.approval !== undefined &&
      server.getClientCapabilities()?.elicitation !== undefined
    ) {
      outcome = await offerToWaitForApproval(
        server,
        services,
        session,
        outcome,
        () => services.call({ ...callRequest, approvalId: outcome.approval?.id }, credential),
        extra.signal,
      );
    }
    return toToolResult(outcome, contract);
  });

  // Clients may set a level; Interlock's own log stays in its logs, so there is nothing to forward yet.
  server.setRequestHandler(SetLevelRequestSchema, () => ({}));

  if (passthrough.offersResources()) {
    server.setRequestHandler(ListResourcesRequestSchema, (request, extra) =>
      passthrough.listResources(request.params?.cursor, extra.signal),
    );
    server.setRequestHandler(ListResourceTemplatesRequestSchema, (_request, extra) => passthrough.listResourceTemplates(extra.signal));
    server.setRequestHandler(ReadResourceRequestSchema, (request, extra) =>
      recorded(services, session, 'mcp.resource.read', request.params.uri, () =>
        passthrough.readResource(request.params.uri, extra.signal),
      ),
    );
  }
  if (passthrough.offersPrompts()) {
    server.setRequestHandler(ListPromptsRequestSchema, (_request, extra) => passthrough.listPrompts(extra.signal));
    server.setRequestHandler(GetPromptRequestSchema, (request, extra) =>
      recorded(services, session, 'mcp.prompt.get', request.params.name, () =>
        passthrough.getPrompt(request.params.name, request.params.arguments, extra.signal),
      ),
    );
  }
  return server;
}

/** The tools this agent is shown: its tenant's, that policy could ever permit, verified against their pins. */
export function visibleTools(services: GatewayServices, session: Pick<GatewaySession, 'agentId' | 'tenant'>): Tool[] {
  const registry = services.registry();
  const tools: Tool[] = [];
  for (const contract of registry.operations()) {
    if (!registry.toolVisibleTo(contract.tool, session.tenant)) continue;
    if (!services.isListed(contract)) continue;
    if (!services.couldEverPermit(session.agentId, contract.qualifiedName)) continue;
    tools.push({
      name: contract.mcpName,
      ...(contract.description === undefined ? {} : { description: contract.description }),
      inputSchema: contract.argumentsSchema as Tool['inputSchema'],
      // The effect Interlock enforces, not what the upstream claimed about itself.
      annotations: {
        readOnlyHint: contract.effect === 'read',
        destructiveHint: contract.effect === 'destructive',
        idempotentHint: contract.idempotent,
      },
    });
  }
  return tools;
}

async function recorded<Result>(
  services: GatewayServices,
  session: GatewaySession,
  type: PassthroughAccess['type'],
  target: string,
  read: () => Promise<Result>,
): Promise<Result> {
  const access = { type, agentId: session.agentId, tenant: session.tenant, sessionId: session.sessionId, target };
  try {
    const result = await read();
    services.recordAccess({ ...access, ok: true });
    return result;
  } catch (error) {
    services.recordAccess({ ...access, ok: false });
    throw error;
  }
}

function splitName(name: string): [string, string] {
  const at = name.indexOf(NAMESPACE_SEPARATOR);
  return at === -1 ? [name, ''] : [name.slice(0, at), name.slice(at + NAMESPACE_SEPARATOR.length)];
}

function actingForFromAuth(extra: Record<string, unknown> | undefined): string | undefined {
  const value = extra?.['actingFor'];
  return typeof value === 'string' ? value : undefined;
}

function definedOnly(update: { progress: number; total?: number | undefined; message?: string | undefined }) {
  return {
    progress: update.progress,
    ...(update.total === undefined ? {} : { total: update.total }),
    ...(update.message === undefined ? {} : { message: update.message }),
  };
}

/**
 * Where the client supports elicitation, a call waiting for approval asks the user whether to wait
 * for the approver's decision. The answer approves nothing: only an approver holding the policy's
 * role can. If the user waits and the request is decided in time, the call is retried under that
 * approval (so it runs, once, or ends as denied); otherwise the pending answer stands.
 */
async function offerToWaitForApproval(
  server: Server,
  services: GatewayServices,
  session: GatewaySession,
  pending: CallOutcome,
  retry: () => Promise<CallOutcome>,
  signal: AbortSignal,
): Promise<CallOutcome> {
  const approval = pending.approval;
  if (approval === undefined) return pending;
  const seconds = Math.round(APPROVAL_WAIT_MS / 1000);
  const answer = await server
    .elicitInput(
      {
        message: `This action needs approval by ${approval.quorum > 1 ? `${approval.quorum} holders` : 'a holder'} of the role "${approval.approverRole}" (approval ${approval.id}). Approvers have been asked; answering here approves nothing. Wait up to ${seconds} seconds for their decision?`,
        requestedSchema: {
          type: 'object',
          properties: {
            wait: {
              type: 'boolean',
              title: 'Wait for the decision',
              description: `Keep this call open for up to ${seconds} seconds while an approver decides.`,
              default: true,
            },
          },
        },
      },
      { signal },
    )
    .catch(() => null);
  if (answer === null || answer.action !== 'accept' || answer.content?.['wait'] === false) return pending;
  const deadline = Date.now() + APPROVAL_WAIT_MS;
  while (Date.now() < deadline && !signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, APPROVAL_POLL_MS));
    const status = await services.approvalStatus(approval.id, session.tenant, session.agentId).catch(() => 'pending');
    if (status !== 'pending') return retry();
  }
  return pending;
}
