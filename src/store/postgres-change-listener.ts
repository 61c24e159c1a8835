/**
 * Hears containment changes made by other replicas through PostgreSQL LISTEN/NOTIFY. The listener
 * holds one dedicated connection (a pooled one would be handed to other queries and lose its
 * LISTEN), reconnects with backoff when that connection drops, and never lets an error escape
 * into the process: a notification is only a hint to re-read, and callers keep polling the
 * containment version as the backstop.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';

/** PostgreSQL truncates identifiers past 63 bytes; pg_notify refuses such channel names. */
const MAX_CHANNEL_BYTES = 63;
const CHANNEL_PREFIX = 'interlock_containment_';
const FIRST_RETRY_DELAY_MS = 100;
const MAX_RETRY_DELAY_MS = 5000;
/** A connection that died without closing (half-open TCP) shows up here rather than never. */
const HEARTBEAT_INTERVAL_MS = 10_000;
const HEARTBEAT_TIMEOUT_MS = 5000;

/**
 * The channel of one schema's containment changes: `interlock_containment_<schema>` with `-` as
 * `_`, or a hash of the schema when that would be too long. Two schemas that map to one channel
 * only wake each other's listeners needlessly; what they then read is still their own.
 */
export function containmentChannel(schema: string): string {
  const readable = `${CHANNEL_PREFIX}${schema.replaceAll('-', '_')}`;
  if (Buffer.byteLength(readable) <= MAX_CHANNEL_BYTES) return readable;
  return `${CHANNEL_PREFIX}${createHash('sha256').update(schema).digest('hex').slice(0, 32)}`;
}

export interface ChangeListenerOptions {
  readonly url: string;
  readonly channel: string;
  readonly connectTimeoutMs: number;
  /** Called per notification, and once after each reconnection (notifications may have been missed). */
  readonly onChange: () => void;
}

export class PostgresChangeListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private retryDelayMs = FIRST_RETRY_DELAY_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  /** A connection attempt in flight, so stop() can wait for it and close what it opened. */
  private connecting: Promise<void> | null = null;

  private constructor(private readonly options: ChangeListenerOptions) {}

  /** Resolves once the channel is listened on; rejects (with the driver's error) if the first connection fails. */
  static async start(options: ChangeListenerOptions): Promise<PostgresChangeListener> {
    const listener = new PostgresChangeListener(options);
    await listener.connectOnce();
    return listener;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.stopHeartbeat();
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private connectOnce(): Promise<void> {
    const attempt = this.connect().finally(() => {
      if (this.connecting === attempt) this.connecting = null;
    });
    this.connecting = attempt;
    return attempt;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.url,
      connectionTimeoutMillis: this.options.connectTimeoutMs,
      keepAlive: true,
      application_name: 'interlock containment listener',
    });
    client.on('error', () => this.connectionLost(client));
    client.on('end', () => this.connectionLost(client));
    client.on('notification', (message) => {
      if (client === this.client && message.channel === this.options.channel) this.callListener();
    });
    try {
      await client.connect();
      await client.query(`listen ${client.escapeIdentifier(this.options.channel)}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.startHeartbeat(client);
  }

  private connectionLost(client: pg.Client): void {
    if (this.stopped || client !== this.client) return;
    this.client = null;
    this.stopHeartbeat();
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retryTimer !== null) return;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connectOnce().then(
        () => {
          if (this.stopped) return;
          this.retryDelayMs = FIRST_RETRY_DELAY_MS;
          // Changes made while the connection was down were not heard: let the caller re-read.
          this.callListener();
        },
        () => this.scheduleReconnect(),
      );
    }, delay);
    // A listener alone is no reason for the process to stay alive.
    this.retryTimer.unref();
  }

  private startHeartbeat(client: pg.Client): void {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => {
      let timeout: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timeout = setTimeout(() => reject(new Error('heartbeat timed out')), HEARTBEAT_TIMEOUT_MS);
        timeout.unref();
      });
      Promise.race([client.query('select 1'), expired])
        .catch(() => this.connectionLost(client))
        .finally(() => clearTimeout(timeout));
    }, HEARTBEAT_INTERVAL_MS);
    this.heartbeatTimer.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  /** The caller's listener may throw or reject; neither reaches the connection's event handlers. */
  private callListener(): void {
    try {
      const result: unknown = this.options.onChange();
      if (result instanceof Promise) result.catch(() => undefined);
    } catch {
      // The listener's failure is the listener's to report; this connection carries on.
    }
  }
}
