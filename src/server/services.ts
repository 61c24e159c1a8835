import type { Logger } from 'pino';
import type { CallOutcome, CallRequest } from '../gate/call.js';
import type { Credential } from '../identity/principal.js';
import type { McpHttpServices } from '../mcp/http-door.js';

/** Who is reading evidence: an operator (scoped to tenants) or an agent (its own calls only). */
export type Reader =
  | { readonly kind: 'operator'; readonly operatorId: string; readonly tenants: readonly string[] | '*' }
  | { readonly kind: 'agent'; readonly agentId: string; readonly tenant: string };

export interface AuditQuery {
  readonly agent?: string | undefined;
  readonly traceId?: string | undefined;
  readonly callId?: string | undefined;
  readonly type?: string | undefined;
  readonly tenant?: string | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly afterSeq?: number | undefined;
  readonly limit: number;
}

export interface AuditPage {
  readonly events: ReadonlyArray<{ readonly seq: number; readonly hash: string; readonly prevHash: string; readonly event: unknown }>;
  /** Pass as `after` to get the next page; null when this page is the last. */
  readonly nextCursor: number | null;
}

/** Everything the HTTP door needs, as plain async functions: it holds no domain logic. */
export interface ServerServices {
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  call(request: CallRequest, credential: Credential): Promise<CallOutcome>;
  /** Accepts an operator token, or an agent token (restricted to that agent's own evidence). */
  authenticateReader(token: string): Promise<Reader>;
  readAudit(reader: Reader, query: AuditQuery): Promise<AuditPage>;
  traceStory(reader: Reader, traceId: string): Promise<unknown>;
  verifyAudit(reader: Reader): Promise<{ ok: boolean; report: unknown }>;
  ready(): Promise<void>;
  metrics(): Promise<{ contentType: string; body: string }>;
  /** The MCP gateway's Streamable HTTP door at `/mcp`, when the runtime offers it. */
  readonly mcp?: McpHttpServices | undefined;
}
