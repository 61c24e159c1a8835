/**
 * Tells humans about approval requests by POSTing signed JSON to a webhook (a chat bridge, a
 * paging service, an internal tool). The wire format and the signature scheme are described in
 * `webhook-signature.ts`; the body is
 *
 *   { "schemaVersion": 1, "type": "<event type>", "deliveryId": "<uuid>", "at": "<ISO time>", "data": { ... } }
 *
 * Delivery is at least once: a receiver may see a delivery more than once (same
 * `Interlock-Delivery` id and body, new signature timestamp) and, since several deliveries run at
 * once, not necessarily in the order they were notified.
 *
 * Notifying never throws and never waits on the network: events are queued in memory and
 * delivered in the background, with retries. The queue is bounded; a process that exits loses
 * what is still queued, so the approval request itself (in the store) remains the source of
 * truth and the webhook only a prompt to look at it.
 */
import { randomUUID } from 'node:crypto';
import { InterlockError } from '../errors/interlock-error.js';
import { WEBHOOK_DELIVERY_HEADER, WEBHOOK_EVENT_HEADER, WEBHOOK_SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

export const WEBHOOK_SCHEMA_VERSION = 1;

/** Larger bodies are refused at notify time: an approval prompt links to details, it does not carry them. */
const MAX_BODY_BYTES = 256 * 1024;
/** Event types are sent as a header and read by machines: `approval.requested`, not free text. */
const EVENT_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ERROR_CODE_PATTERN = /^[A-Z][A-Z0-9_]{1,63}$/;

export interface WebhookEvent {
  /** Noun then action, e.g. `approval.requested`. */
  readonly type: string;
  readonly payload: Record<string, unknown>;
}

/** Structured logging as pino offers it; only origins, ids and reasons are ever logged. */
export interface WebhookLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface WebhookNotifierOptions {
  /** Where deliveries are POSTed (http or https). Credentials in userinfo are sent as Basic authorization. */
  readonly url: string;
  /** Shared with the receiver, which verifies `Interlock-Signature` with it. */
  readonly secret: string;
  /** Attempts per delivery, the first included. */
  readonly maxAttempts?: number;
  /** Ceiling of the first retry delay; the ceiling doubles with each failed attempt. */
  readonly baseDelayMs?: number;
  /** No retry waits longer than this, `Retry-After` included. */
  readonly maxDelayMs?: number;
  /** One attempt, from sending the request to receiving the status, is abandoned after this. */
  readonly timeoutMs?: number;
  /** Deliveries waiting for an attempt (new or between retries); beyond it the oldest is dropped. */
  readonly maxQueued?: number;
  /** Attempts in flight at once. */
  readonly maxConcurrent?: number;
  readonly fetch?: typeof globalThis.fetch;
  /** Uniform in [0, 1), for jitter. */
  readonly random?: () => number;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
  readonly onDelivered?: (deliveryId: string, type: string, attempts: number) => void;
  readonly onFailed?: (deliveryId: string, type: string, reason: string) => void;
  readonly logger?: WebhookLogger;
}

/**
 * The delay before the next attempt, after `failedAttempts` (1-based) consecutive failures:
 * "full jitter", uniform between zero and a ceiling that doubles with each failure up to
 * `maxDelayMs`, so that receivers coming back from an outage are not hit by every sender at once.
 */
export function webhookRetryDelay(failedAttempts: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const exponent = Math.min(Math.max(failedAttempts, 1) - 1, 30);
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** exponent);
  const draw = random();
  const fraction = Number.isFinite(draw) ? Math.min(Math.max(draw, 0), 1) : 1;
  return Math.round(fraction * ceiling);
}

/** Seconds in a numeric `Retry-After`, as milliseconds; the HTTP-date form is not used. */
function retryAfterMs(header: string | null): number | null {
  if (header === null) return null;
  const text = header.trim();
  return /^[0-9]{1,10}$/.test(text) ? Number(text) * 1000 : null;
}

interface Delivery {
  readonly id: string;
  readonly type: string;
  readonly body: string;
  attempts: number;
  state: 'ready' | 'waiting' | 'in-flight';
  timer: NodeJS.Timeout | null;
  lastReason: string | null;
}

type AttemptOutcome =
  { kind: 'delivered' } | { kind: 'retry'; reason: string; delayMs: number | null } | { kind: 'permanent'; reason: string };

export class WebhookNotifier {
  readonly #target: URL;
  readonly #origin: string;
  readonly #authorization: string | null;
  readonly #secret: string;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #timeoutMs: number;
  readonly #maxQueued: number;
  readonly #maxConcurrent: number;
  readonly #fetch: typeof globalThis.fetch;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #onDelivered: WebhookNotifierOptions['onDelivered'];
  readonly #onFailed: WebhookNotifierOptions['onFailed'];
  readonly #logger: WebhookLogger | undefined;

  /** Every unfinished delivery, oldest first (a delivery keeps its place across retries). */
  readonly #deliveries = new Map<string, Delivery>();
  /** Deliveries due for an attempt, in the order they became due. */
  readonly #ready = new Set<Delivery>();
  readonly #inFlight = new Map<Delivery, Promise<void>>();
  #pumpScheduled = false;
  #closing: Promise<void> | null = null;

  constructor(options: WebhookNotifierOptions) {
    const target = parseTarget(options.url);
    this.#origin = target.origin;
    if (typeof options.secret !== 'string' || options.secret.length === 0) {
      throw new InterlockError('CONFIG_INVALID', `webhook for ${this.#origin}: the signing secret must not be empty`);
    }
    // fetch refuses URLs that carry credentials, so userinfo becomes an Authorization header.
    this.#authorization = basicAuthorization(target);
    target.username = '';
    target.password = '';
    this.#target = target;
    this.#secret = options.secret;
    this.#maxAttempts = wholeNumber(options.maxAttempts ?? 6, 1, 100, 'maxAttempts', this.#origin);
    this.#baseDelayMs = wholeNumber(options.baseDelayMs ?? 500, 0, 86_400_000, 'baseDelayMs', this.#origin);
    this.#maxDelayMs = wholeNumber(options.maxDelayMs ?? 60_000, 0, 86_400_000, 'maxDelayMs', this.#origin);
    this.#timeoutMs = wholeNumber(options.timeoutMs ?? 5_000, 1, 600_000, 'timeoutMs', this.#origin);
    this.#maxQueued = wholeNumber(options.maxQueued ?? 1000, 1, 1_000_000, 'maxQueued', this.#origin);
    this.#maxConcurrent = wholeNumber(options.maxConcurrent ?? 4, 1, 1000, 'maxConcurrent', this.#origin);
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#onDelivered = options.onDelivered;
    this.#onFailed = options.onFailed;
    this.#logger = options.logger;
  }

  /** Where deliveries go, without credentials, path or query: safe to show and log. */
  get origin(): string {
    return this.#origin;
  }

  /** Deliveries accepted and not yet delivered or given up on (queued, between retries or in flight). */
  get pending(): number {
    return this.#deliveries.size;
  }

  /**
   * Queues one delivery of `event`. Returns at once and never throws; an event that cannot be
   * sent (after close, unserialisable, too large, badly named) is reported through `onFailed`.
   */
  notify(event: WebhookEvent): void {
    const id = randomUUID();
    let type = '';
    try {
      type = typeof event.type === 'string' ? event.type : '';
      if (this.#closing !== null) return this.#fail(id, type, 'notifier closed');
      if (!EVENT_TYPE_PATTERN.test(type)) return this.#fail(id, type, 'invalid event type');
      const body = JSON.stringify({
        schemaVersion: WEBHOOK_SCHEMA_VERSION,
        type,
        deliveryId: id,
        at: new Date(this.#now()).toISOString(),
        data: event.payload,
      });
      if (Buffer.byteLength(body) > MAX_BODY_BYTES) return this.#fail(id, type, `payload larger than ${MAX_BODY_BYTES} bytes`);
      const delivery: Delivery = { id, type, body, attempts: 0, state: 'ready', timer: null, lastReason: null };
      this.#deliveries.set(id, delivery);
      this.#ready.add(delivery);
      this.#dropOverflow();
      this.#schedulePump();
    } catch {
      // JSON.stringify throws on cycles and BigInt, a payload getter may throw, the clock may.
      this.#fail(id, type, 'payload not serialisable');
    }
  }

  /**
   * Stops accepting events, cancels queued deliveries and retries (each reported to `onFailed`
   * as 'notifier closed') and waits for attempts in flight, each bounded by `timeoutMs`.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    for (const delivery of [...this.#deliveries.values()]) {
      if (delivery.state === 'in-flight') continue;
      this.#forget(delivery);
      this.#fail(delivery.id, delivery.type, 'notifier closed');
    }
    await Promise.all(this.#inFlight.values());
  }

  /** Drops the oldest deliveries not in flight until the queue is within bounds. */
  #dropOverflow(): void {
    let queued = this.#deliveries.size - this.#inFlight.size;
    if (queued <= this.#maxQueued) return;
    for (const delivery of [...this.#deliveries.values()]) {
      if (queued <= this.#maxQueued) break;
      if (delivery.state === 'in-flight') continue;
      this.#forget(delivery);
      queued -= 1;
      this.#logger?.warn(
        { deliveryId: delivery.id, type: delivery.type, origin: this.#origin },
        'webhook queue full; oldest delivery dropped',
      );
      this.#fail(delivery.id, delivery.type, 'queue full');
    }
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    for (const delivery of this.#ready) {
      if (this.#inFlight.size >= this.#maxConcurrent || this.#closing !== null) return;
      this.#ready.delete(delivery);
      delivery.state = 'in-flight';
      const running = this.#run(delivery).finally(() => {
        this.#inFlight.delete(delivery);
        this.#schedulePump();
      });
      this.#inFlight.set(delivery, running);
    }
  }

  async #run(delivery: Delivery): Promise<void> {
    delivery.attempts += 1;
    const outcome = await this.#attempt(delivery);
    if (outcome.kind === 'delivered') {
      this.#deliveries.delete(delivery.id);
      this.#logger?.debug(this.#fields(delivery), 'webhook delivered');
      this.#call(() => this.#onDelivered?.(delivery.id, delivery.type, delivery.attempts));
      return;
    }
    delivery.lastReason = outcome.reason;
    if (outcome.kind === 'permanent') return this.#giveUp(delivery, outcome.reason);
    if (delivery.attempts >= this.#maxAttempts) {
      return this.#giveUp(delivery, `gave up after ${delivery.attempts} attempts: ${outcome.reason}`);
    }
    if (this.#closing !== null) return this.#giveUp(delivery, `notifier closed after ${delivery.attempts} attempts: ${outcome.reason}`);

    const backoff = webhookRetryDelay(delivery.attempts, this.#baseDelayMs, this.#maxDelayMs, this.#random);
    const delayMs = Math.min(outcome.delayMs ?? backoff, this.#maxDelayMs);
    this.#logger?.debug({ ...this.#fields(delivery), reason: outcome.reason, retryInMs: delayMs }, 'webhook attempt failed; will retry');
    delivery.state = 'waiting';
    delivery.timer = setTimeout(() => {
      delivery.timer = null;
      delivery.state = 'ready';
      this.#ready.add(delivery);
      this.#pump();
    }, delayMs);
    // A retry alone must not keep the process alive; close() is how callers wait for deliveries.
    delivery.timer.unref();
  }

  async #attempt(delivery: Delivery): Promise<AttemptOutcome> {
    const controller = new AbortController();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    // Settles when the attempt times out, even if the fetch implementation ignores its signal.
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
        reject(new Error('timeout'));
      }, this.#timeoutMs);
      timer.unref();
    });
    deadline.catch(() => undefined);
    try {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'Interlock-Webhook/1',
        [WEBHOOK_EVENT_HEADER]: delivery.type,
        [WEBHOOK_DELIVERY_HEADER]: delivery.id,
        [WEBHOOK_SIGNATURE_HEADER]: signWebhook(delivery.body, this.#secret, Math.floor(this.#now() / 1000)),
      };
      if (this.#authorization !== null) headers.authorization = this.#authorization;
      const response = await Promise.race([
        // Redirects are not followed: the signed body and any credentials go to the configured origin only.
        this.#fetch(this.#target, { method: 'POST', headers, body: delivery.body, redirect: 'manual', signal: controller.signal }),
        deadline,
      ]);
      // The answer's body is not needed; discarding it frees the connection.
      response.body?.cancel().catch(() => undefined);
      return this.#classify(response);
    } catch (error) {
      if (timedOut) return { kind: 'retry', reason: `no answer within ${this.#timeoutMs} ms from ${this.#origin}`, delayMs: null };
      return { kind: 'retry', reason: `could not reach ${this.#origin}${errorCodeSuffix(error)}`, delayMs: null };
    } finally {
      clearTimeout(timer);
    }
  }

  #classify(response: Response): AttemptOutcome {
    const status = response.status;
    if (status >= 200 && status <= 299) return { kind: 'delivered' };
    const reason = `HTTP ${status} from ${this.#origin}`;
    // 408 is the receiver saying it timed out: as retryable as our own timeout.
    if (status >= 500 || status === 429 || status === 408) {
      return { kind: 'retry', reason, delayMs: retryAfterMs(response.headers.get('retry-after')) };
    }
    return { kind: 'permanent', reason };
  }

  #giveUp(delivery: Delivery, reason: string): void {
    this.#forget(delivery);
    this.#logger?.warn({ ...this.#fields(delivery), reason }, 'webhook delivery failed');
    this.#fail(delivery.id, delivery.type, reason);
  }

  #forget(delivery: Delivery): void {
    if (delivery.timer !== null) clearTimeout(delivery.timer);
    delivery.timer = null;
    this.#ready.delete(delivery);
    this.#deliveries.delete(delivery.id);
  }

  #fail(deliveryId: string, type: string, reason: string): void {
    this.#call(() => this.#onFailed?.(deliveryId, type, reason));
  }

  /** A callback that throws (or rejects) is logged and otherwise ignored: delivery goes on. */
  #call(callback: () => unknown): void {
    try {
      const result: unknown = callback();
      if (result instanceof Promise) result.catch(() => this.#logger?.warn({ origin: this.#origin }, 'webhook callback rejected'));
    } catch {
      this.#logger?.warn({ origin: this.#origin }, 'webhook callback threw');
    }
  }

  #fields(delivery: Delivery): Record<string, unknown> {
    return { deliveryId: delivery.id, type: delivery.type, attempts: delivery.attempts, origin: this.#origin };
  }
}

function parseTarget(url: string): URL {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    // The text is not echoed: it may hold credentials.
    throw new InterlockError('CONFIG_INVALID', 'the webhook URL is not a valid absolute URL');
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new InterlockError('CONFIG_INVALID', `the webhook URL must use http or https, not ${target.protocol}`);
  }
  return target;
}

function basicAuthorization(target: URL): string | null {
  if (target.username === '' && target.password === '') return null;
  let credentials: string;
  try {
    credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
  } catch {
    throw new InterlockError('CONFIG_INVALID', `webhook for ${target.origin}: the credentials in the URL are not valid percent-encoding`);
  }
  return `Basic ${Buffer.from(credentials).toString('base64')}`;
}

function wholeNumber(value: number, min: number, max: number, name: string, origin: string): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InterlockError('CONFIG_INVALID', `webhook for ${origin}: ${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** The system error code behind a failed fetch (ECONNREFUSED, ENOTFOUND...), never its message, which may quote the URL. */
function errorCodeSuffix(error: unknown): string {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth += 1) {
    const code: unknown = (current as { code?: unknown }).code;
    if (typeof code === 'string' && ERROR_CODE_PATTERN.test(code)) return ` (${code})`;
  }
  return '';
}
