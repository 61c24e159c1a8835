/**
 * A small client for Interlock's HTTP API. It depends on nothing but `fetch`, so agents in any
 * Node or browser runtime can use it.
 */

export interface RemoteCallRequest {
  readonly tool: string;
  readonly operation: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  readonly traceId?: string;
  readonly sessionId?: string;
  /** Signed user assertion when acting for a user. */
  readonly actingFor?: string;
}

export interface RemoteError {
  readonly code: string;
  readonly message: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly details?: Record<string, unknown>;
}

export interface RemoteCallOutcome {
  readonly schemaVersion: 1;
  readonly status: 'executed' | 'shadowed' | 'denied' | 'approval_required' | 'refused' | 'failed';
  readonly callId?: string;
  readonly traceId?: string;
  readonly decision?: unknown;
  readonly result?: unknown;
  readonly error?: RemoteError;
  readonly auditEventId?: string;
}

/** Thrown for transport problems and for error answers of the read endpoints. */
export class InterlockRemoteError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;

  constructor(error: RemoteError) {
    super(error.message);
    this.name = 'InterlockRemoteError';
    this.code = error.code;
    this.status = error.status;
    this.retryable = error.retryable;
  }
}

export interface InterlockClientOptions {
  readonly baseUrl: string;
  /** Agent token for calls; an operator token for the audit endpoints. */
  readonly token: string;
  readonly timeoutMs?: number;
}

export class InterlockClient {
  readonly #baseUrl: string;
  readonly #token: string;
  readonly #timeoutMs: number;

  constructor(options: InterlockClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /**
   * Governs and executes one call. Policy outcomes (denied, approval required, failed) are
   * returned as data, not thrown: the agent is expected to read them and adapt.
   */
  async call(request: RemoteCallRequest): Promise<RemoteCallOutcome> {
    const response = await this.#fetch('/v1/calls', { method: 'POST', body: JSON.stringify({ schemaVersion: 1, ...request }) });
    const body = (await response.json()) as Record<string, unknown>;
    if (response.ok) return body as unknown as RemoteCallOutcome;
    const error = body['error'] as RemoteError | undefined;
    if (error === undefined)
      throw new InterlockRemoteError({ code: 'INTERNAL', message: `HTTP ${response.status}`, status: response.status, retryable: true });
    const status = typeof body['status'] === 'string' ? (body['status'] as RemoteCallOutcome['status']) : 'refused';
    return { ...(body as object), schemaVersion: 1, status, error } as RemoteCallOutcome;
  }

  async audit(query: Record<string, string | number> = {}): Promise<{ events: unknown[]; nextCursor: number | null }> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) search.set(key, String(value));
    return this.#getJson(`/v1/audit${search.size > 0 ? `?${search.toString()}` : ''}`) as Promise<{
      events: unknown[];
      nextCursor: number | null;
    }>;
  }

  async trace(traceId: string): Promise<unknown> {
    return this.#getJson(`/v1/traces/${encodeURIComponent(traceId)}`);
  }

  async verify(): Promise<{ ok: boolean } & Record<string, unknown>> {
    const response = await this.#fetch('/v1/audit/verify', { method: 'GET' });
    const body = (await response.json()) as { ok: boolean } & Record<string, unknown>;
    if (response.status !== 200 && response.status !== 409) throw toRemoteError(body, response.status);
    return body;
  }

  async #getJson(path: string): Promise<unknown> {
    const response = await this.#fetch(path, { method: 'GET' });
    const body = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw toRemoteError(body, response.status);
    return body;
  }

  async #fetch(path: string, init: { method: string; body?: string }): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, accept: 'application/json' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(`${this.#baseUrl}${path}`, { ...init, headers, signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch {
      throw new InterlockRemoteError({
        code: 'UNREACHABLE',
        message: `Interlock at ${this.#baseUrl} did not answer`,
        status: 0,
        retryable: true,
      });
    }
  }
}

function toRemoteError(body: Record<string, unknown>, status: number): InterlockRemoteError {
  const error = body['error'] as RemoteError | undefined;
  return new InterlockRemoteError(error ?? { code: 'INTERNAL', message: `HTTP ${status}`, status, retryable: status >= 500 });
}
