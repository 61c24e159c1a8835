import { InterlockError } from '../../errors/interlock-error.js';
import type { ClassifierVerdict, InjectionClassifier } from './classifier.js';

/**
 * A classifier served over HTTP: POST {"text": "..."} as JSON, answer {"score": 0..1, "label"?: "..."}.
 * Any failure — timeout, refused connection, non-2xx status, malformed answer — yields no score, so a
 * classifier outage degrades to rules only instead of failing the session.
 */

export interface HttpInjectionClassifierOptions {
  readonly url: string;
  /** The whole exchange, body included. Default 2,000 ms. */
  readonly timeoutMs?: number;
  /** Sent with every request, e.g. Authorization. Never logged or reported. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Text beyond this many characters is not sent (models read a few thousand tokens at most). Default 8,192. */
  readonly maxChars?: number;
  readonly name?: string;
  readonly fetch?: typeof globalThis.fetch;
}

export const DEFAULT_CLASSIFIER_TIMEOUT_MS = 2_000;
export const DEFAULT_CLASSIFIER_MAX_CHARS = 8_192;
const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_LABEL_LENGTH = 64;

function configError(message: string, details?: Record<string, unknown>): InterlockError {
  return new InterlockError('CONFIG_INVALID', `HTTP injection classifier: ${message}`, details);
}

function parseUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError('url is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw configError('url must use http or https', { protocol: url.protocol });
  if (url.username !== '' || url.password !== '') throw configError('url must not carry credentials; put them in headers');
  return url;
}

function boundedInteger(value: number, minimum: number, maximum: number, name: string): number {
  if (!Number.isInteger(value) || value < minimum || value > maximum) {
    throw configError(`${name} must be an integer from ${minimum} to ${maximum}`, { [name]: value });
  }
  return value;
}

/** The first `limit` characters, never ending inside a surrogate pair. */
function truncate(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const code = text.charCodeAt(limit - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit);
}

async function readBounded(response: Response, limit: number): Promise<string | null> {
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function verdictFrom(body: string): ClassifierVerdict {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { unavailable: 'invalid_response', detail: 'body is not JSON' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { unavailable: 'invalid_response', detail: 'body is not a JSON object' };
  }
  const score: unknown = Object.prototype.hasOwnProperty.call(parsed, 'score') ? (parsed as { score: unknown }).score : undefined;
  if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 1) {
    return { unavailable: 'invalid_response', detail: 'score is missing or not a number from 0 to 1' };
  }
  const label: unknown = Object.prototype.hasOwnProperty.call(parsed, 'label') ? (parsed as { label: unknown }).label : undefined;
  if (typeof label === 'string' && label.length <= MAX_LABEL_LENGTH) return { score, label };
  return { score };
}

/** The system error code behind a failed fetch (ECONNREFUSED...), never its message, which may quote the URL. */
function networkCode(error: unknown): string {
  const cause = error instanceof Error ? (error as Error & { cause?: unknown }).cause : undefined;
  const code = cause !== null && typeof cause === 'object' && 'code' in cause ? (cause as { code: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'fetch failed';
}

export function createHttpInjectionClassifier(options: HttpInjectionClassifierOptions): InjectionClassifier {
  const url = parseUrl(options.url);
  const timeoutMs = boundedInteger(options.timeoutMs ?? DEFAULT_CLASSIFIER_TIMEOUT_MS, 1, 60_000, 'timeoutMs');
  const maxChars = boundedInteger(options.maxChars ?? DEFAULT_CLASSIFIER_MAX_CHARS, 1, 1_000_000, 'maxChars');
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  const headers = { ...options.headers, 'content-type': 'application/json', accept: 'application/json' };
  const name = options.name ?? url.origin;

  async function exchange(text: string, signal: AbortSignal): Promise<ClassifierVerdict> {
    const response = await fetchImplementation(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ text: truncate(text, maxChars) }),
      redirect: 'error',
      signal,
    });
    if (!response.ok) {
      await response.body?.cancel();
      return { unavailable: 'http_status', detail: `HTTP ${response.status}` };
    }
    const body = await readBounded(response, MAX_RESPONSE_BYTES);
    if (body === null) return { unavailable: 'invalid_response', detail: `body larger than ${MAX_RESPONSE_BYTES} bytes` };
    return verdictFrom(body);
  }

  async function classify(text: string): Promise<ClassifierVerdict> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // Settles at the deadline even if the fetch implementation ignores its abort signal.
    const deadline = new Promise<ClassifierVerdict>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve({ unavailable: 'timeout', detail: `no answer within ${timeoutMs} ms` });
      }, timeoutMs);
    });
    const attempt = exchange(text, controller.signal).catch((error: unknown): ClassifierVerdict => {
      if (controller.signal.aborted) return { unavailable: 'timeout', detail: `no answer within ${timeoutMs} ms` };
      return { unavailable: 'network', detail: networkCode(error) };
    });
    try {
      return await Promise.race([attempt, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  return { name, classify };
}
