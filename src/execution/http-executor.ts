import { InterlockError } from '../errors/interlock-error.js';
import type { OperationContract } from '../registry/contract.js';
import { deadline } from './deadline.js';
import type { ExecutionContext, ExecutionResult, Executor } from './executor.js';

const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Resolves a secret reference to its value; only called while building the upstream request. */
export type SecretLookup = (reference: string) => string;

/**
 * Calls HTTP upstreams. Credentials are injected here, from references, at the last moment:
 * they never pass through the kernel, the arguments, the result or the audit log.
 */
export class HttpExecutor implements Executor {
  readonly #lookupSecret: SecretLookup;

  constructor(lookupSecret: SecretLookup) {
    this.#lookupSecret = lookupSecret;
  }

  async execute(contract: OperationContract, args: Readonly<Record<string, unknown>>, context: ExecutionContext): Promise<ExecutionResult> {
    const binding = contract.upstream;
    if (binding.kind !== 'http') {
      return { ok: false, outcome: 'failed', error: new InterlockError('INTERNAL', `${contract.qualifiedName} has no HTTP binding`) };
    }
    const built = buildUrl(binding.baseUrl, binding.pathTemplate, args);
    if ('problem' in built) {
      return {
        ok: false,
        outcome: 'failed',
        error: new InterlockError('ARGUMENTS_INVALID', `${contract.qualifiedName}: ${built.problem}`),
      };
    }
    const { url, rest } = built;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'x-interlock-call-id': context.callId,
      'x-interlock-trace-id': context.traceId,
      // The upstream can deduplicate too: the same key arrives with every attempt of the same write.
      ...(context.idempotencyKey === undefined || context.idempotencyKey === null ? {} : { 'idempotency-key': context.idempotencyKey }),
    };
    for (const [name, reference] of Object.entries(binding.headerRefs)) headers[name.toLowerCase()] = this.#lookupSecret(reference);
    let body: string | undefined;
    if (binding.method === 'GET' || binding.method === 'DELETE') {
      for (const [key, value] of Object.entries(rest)) {
        if (value !== undefined && value !== null)
          url.searchParams.set(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
      }
    } else {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(rest);
    }

    // The deadline covers the answer and its body; it is held until both are in.
    const limit = deadline(context.signal, contract.timeoutMs);
    try {
      return await this.#send(contract, url, { method: binding.method, headers, body }, limit.signal);
    } finally {
      limit.dispose();
    }
  }

  async #send(
    contract: OperationContract,
    url: URL,
    request: { readonly method: string; readonly headers: Record<string, string>; readonly body: string | undefined },
    signal: AbortSignal,
  ): Promise<ExecutionResult> {
    const { headers, body } = request;
    let response: Response;
    try {
      // Redirects are not followed: the injected credentials must reach the configured origin only.
      const init = { method: request.method, headers, signal, redirect: 'manual' as const };
      response = await fetch(url, body === undefined ? init : { ...init, body });
    } catch (error) {
      const timedOut = error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError');
      // A request that may have reached the upstream leaves the outcome unknown for writes.
      const outcome = contract.effect === 'read' ? 'failed' : 'unknown';
      return timedOut
        ? {
            ok: false,
            outcome,
            error: new InterlockError('UPSTREAM_TIMEOUT', `${contract.qualifiedName} did not answer within ${contract.timeoutMs} ms`),
          }
        : { ok: false, outcome, error: new InterlockError('UPSTREAM_FAILED', `${contract.qualifiedName}: upstream unreachable`) };
    }
    let text: string;
    try {
      text = await readLimited(response, MAX_RESPONSE_BYTES);
    } catch {
      return {
        ok: false,
        outcome: contract.effect === 'read' ? 'failed' : 'unknown',
        error: new InterlockError(
          'UPSTREAM_FAILED',
          `${contract.qualifiedName}: response unreadable or larger than ${MAX_RESPONSE_BYTES} bytes`,
        ),
      };
    }
    if (!response.ok) {
      return {
        ok: false,
        outcome: 'failed',
        error: new InterlockError('UPSTREAM_FAILED', `${contract.qualifiedName}: upstream answered HTTP ${response.status}`, {
          upstreamStatus: response.status,
        }),
      };
    }
    if (text.length === 0) return { ok: true, result: null };
    try {
      return { ok: true, result: JSON.parse(text) as unknown };
    } catch {
      return {
        ok: false,
        outcome: 'failed',
        error: new InterlockError('UPSTREAM_FAILED', `${contract.qualifiedName}: upstream answered with invalid JSON`),
      };
    }
  }
}

function buildUrl(
  baseUrl: string,
  template: string,
  args: Readonly<Record<string, unknown>>,
): { url: URL; rest: Record<string, unknown> } | { problem: string } {
  const rest: Record<string, unknown> = { ...args };
  let problem: string | null = null;
  const path = template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_match, name: string) => {
    const value = Object.prototype.hasOwnProperty.call(args, name) ? args[name] : undefined;
    delete rest[name];
    const text = value === undefined || value === null ? '' : String(value);
    // encodeURIComponent leaves "." and ".." alone, and the URL parser would resolve them: an
    // argument could then walk the request, credentials and all, to another path of the upstream.
    if (text === '' || text === '.' || text === '..') problem ??= `path parameter "${name}" must not be empty, "." or ".."`;
    return encodeURIComponent(text);
  });
  if (problem !== null) return { problem };
  const base = baseUrl.endsWith('/') ? baseUrl.slice(0, -1) : baseUrl;
  return { url: new URL(base + path), rest };
}

async function readLimited(response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new RangeError('response too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
