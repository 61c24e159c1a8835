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
  /** Makes a write run at most once: retry with the same key to get the first outcome. */
  readonly idempotencyKey?: string;
  /** Opt in to a key derived from the trace (or session) and the action. */
  readonly deriveIdempotencyKey?: boolean;
  /** Run under this approval. */
  readonly approvalId?: string;
  /** Supporting material for approvers (e.g. cited sources). */
  readonly evidence?: unknown;
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
  /** The approval this call waits for or ran under. */
  readonly approval?: {
    readonly id: string;
    readonly status: string;
    readonly approverRole: string;
    readonly quorum: number;
    readonly expiresAt: string;
  };
  /** True when the answer repeats the first outcome of the idempotency key. */
  readonly replayed?: boolean;
  readonly idempotencyKey?: string;
}

/** One action of a plan. */
export interface RemotePlanAction {
  readonly tool: string;
  readonly operation: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  /** Default for writes: plan:<planId>:<index>. */
  readonly idempotencyKey?: string;
  /** Supporting material for approvers of this step. */
  readonly evidence?: unknown;
}

export interface RemotePlanProposal {
  readonly actions: readonly RemotePlanAction[];
  readonly traceId?: string;
  readonly sessionId?: string;
  /** Signed user assertion when acting for a user; execute the plan with one for the same user. */
  readonly actingFor?: string;
}

/** A plan as the server shows it (see the PlanView schema in /openapi.json for every field). */
export interface RemotePlan {
  readonly schemaVersion: 1;
  readonly id: string;
  readonly status: 'proposed' | 'blocked' | 'executing' | 'executed' | 'failed';
  readonly hash: string;
  readonly traceId: string;
  readonly sessionId: string | null;
  /** True when the plan is proposed and every approval it needs is granted. */
  readonly ready: boolean;
  readonly pendingApprovals: readonly string[];
  readonly steps: ReadonlyArray<Record<string, unknown>>;
  readonly totals: { toolCalls: number; writes: number; entities: number; distinctEntities: number; costUsd: number };
  readonly blocked: ({ reason: 'cap' | 'step' | 'approval'; message: string } & Record<string, unknown>) | null;
  readonly execution: {
    readonly startedAt: string;
    readonly finishedAt: string | null;
    readonly steps: ReadonlyArray<{
      index: number;
      status: string;
      callId: string;
      replayed: boolean;
      result?: unknown;
      error?: RemoteError;
    }>;
  } | null;
  readonly [field: string]: unknown;
}

export interface RemoteRetrieveRequest {
  readonly query: string;
  /** The task retrieved for; sources that list tasks are searched only for those. */
  readonly task?: string;
  readonly sessionId?: string;
  /** Citations are bound to the trace: calls of the same trace can cite them. */
  readonly traceId?: string;
  /** 1-50. */
  readonly limit?: number;
  /** Signed user assertion when acting for a user. */
  readonly actingFor?: string;
}

/** A governed retrieval's answer (see the RetrievalAnswer schema in /openapi.json for every field). */
export interface RemoteRetrieval {
  readonly schemaVersion: 1;
  readonly retrievalId: string;
  readonly traceId: string;
  readonly sessionId: string | null;
  readonly task: string | null;
  readonly chunks: ReadonlyArray<{
    readonly citationId: string;
    readonly chunkId: string;
    /** Already redacted for this reader. */
    readonly text: string;
    readonly score: number;
    readonly source: { readonly id: string; readonly owner: string; readonly classification: string; readonly trust: string };
    readonly document: { readonly id: string; readonly version: string; readonly title: string; readonly updatedAt: string };
    readonly contentHash: string;
    readonly stale: boolean;
    readonly warning: string | null;
    readonly redactions: ReadonlyArray<{ readonly kind: string; readonly category: string; readonly count: number }>;
  }>;
  readonly withheld: ReadonlyArray<{ readonly sourceId: string; readonly reason: string }>;
  readonly downgrade: { readonly mode: string; readonly changed: boolean; readonly ruleId: string | null } | null;
  readonly auditEventId: string;
}

/** Thrown for transport problems and for error answers of the read endpoints. */
export class InterlockRemoteError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  /** e.g. `pendingApprovals` of PLAN_NOT_READY. */
  readonly details: Record<string, unknown> | undefined;

  constructor(error: RemoteError) {
    super(error.message);
    this.name = 'InterlockRemoteError';
    this.code = error.code;
    this.status = error.status;
    this.retryable = error.retryable;
    this.details = error.details;
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

  /** Decides every step without running any. A plan over a cap or with a refused step comes back `blocked`. */
  async proposePlan(proposal: RemotePlanProposal): Promise<RemotePlan> {
    return this.#postJson('/v1/plans', { schemaVersion: 1, ...proposal }) as Promise<RemotePlan>;
  }

  async getPlan(planId: string): Promise<RemotePlan> {
    return this.#getJson(`/v1/plans/${encodeURIComponent(planId)}`) as Promise<RemotePlan>;
  }

  /**
   * Runs a proposed plan; the answer says `executed` or `failed` (with the outcome of each step that
   * ran). Throws PLAN_NOT_READY (details.pendingApprovals), PLAN_BLOCKED or PLAN_CLOSED when it does not run.
   */
  async executePlan(planId: string, options: { actingFor?: string } = {}): Promise<RemotePlan> {
    return this.#postJson(`/v1/plans/${encodeURIComponent(planId)}/execute`, options) as Promise<RemotePlan>;
  }

  /**
   * Governed retrieval: chunks of the sources allowlisted for this agent (and task), redacted for
   * the reader, each with a citation id bound to the trace. Throws RETRIEVAL_FORBIDDEN when no
   * source is allowlisted, and the usual authentication and containment errors.
   */
  async retrieve(request: RemoteRetrieveRequest): Promise<RemoteRetrieval> {
    return this.#postJson('/v1/retrieve', { schemaVersion: 1, ...request }) as Promise<RemoteRetrieval>;
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

  async #postJson(path: string, payload: unknown): Promise<unknown> {
    const response = await this.#fetch(path, { method: 'POST', body: JSON.stringify(payload) });
    const body = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw toRemoteError(body, response.status);
    return body;
  }

  async #getJson(path: string): Promise<unknown> {
    const response = await this.#fetch(path, { method: 'GET' });
    const body = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw toRemoteError(body, response.status);
    return body;
  }

  async #fetch(path: string, init: { method: string; body?: string }): Promise<RemoteAnswer> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, accept: 'application/json' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    // A controller and timer held here, not AbortSignal.timeout(): its timer holds the signal only
    // weakly, and a collected signal would let a request outlive the client's timeout.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    try {
      const response = await fetch(`${this.#baseUrl}${path}`, { ...init, headers, signal: controller.signal });
      // The body is read under the same timeout.
      const text = await response.text();
      return { status: response.status, ok: response.ok, json: () => Promise.resolve(JSON.parse(text) as unknown) };
    } catch {
      throw new InterlockRemoteError({
        code: 'UNREACHABLE',
        message: `Interlock at ${this.#baseUrl} did not answer`,
        status: 0,
        retryable: true,
      });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** An answer read in full within the client's timeout. */
interface RemoteAnswer {
  readonly status: number;
  readonly ok: boolean;
  json(): Promise<unknown>;
}

function toRemoteError(body: Record<string, unknown>, status: number): InterlockRemoteError {
  const error = body['error'] as RemoteError | undefined;
  return new InterlockRemoteError(error ?? { code: 'INTERNAL', message: `HTTP ${status}`, status, retryable: status >= 500 });
}
