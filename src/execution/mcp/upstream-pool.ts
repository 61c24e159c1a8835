import type { Logger } from 'pino';
import type { McpServerConfig } from '../../config/schema.js';
import { InterlockError } from '../../errors/interlock-error.js';
import { SdkUpstream } from './sdk-upstream.js';
import type { McpUpstream } from './upstream.js';

/** Builds the upstream for one configured server. */
export type UpstreamFactory = (config: McpServerConfig) => McpUpstream;

export interface UpstreamPoolOptions {
  readonly projectDir: string;
  readonly resolveSecret: (reference: string) => string;
  readonly logger?: Logger | undefined;
  /** Replaces the SDK upstream (tests inject their own). */
  readonly createUpstream?: UpstreamFactory | undefined;
}

/** One upstream per configured MCP server, started and closed together. */
export class UpstreamPool {
  readonly #upstreams = new Map<string, McpUpstream>();

  constructor(servers: readonly McpServerConfig[], options: UpstreamPoolOptions) {
    const create: UpstreamFactory =
      options.createUpstream ??
      ((config) =>
        new SdkUpstream({ config, projectDir: options.projectDir, resolveSecret: options.resolveSecret, logger: options.logger }));
    for (const config of servers) {
      if (this.#upstreams.has(config.name)) throw new InterlockError('CONFIG_INVALID', `MCP server ${config.name} is configured twice`);
      this.#upstreams.set(config.name, create(config));
    }
  }

  /** The upstream of a configured server, or undefined (a name from outside is never trusted). */
  get(name: string): McpUpstream | undefined {
    return this.#upstreams.get(name);
  }

  all(): readonly McpUpstream[] {
    return [...this.#upstreams.values()];
  }

  /** Starts every upstream in the background; returns at once. */
  start(): void {
    for (const upstream of this.#upstreams.values()) upstream.start();
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#upstreams.values()].map((upstream) => upstream.close()));
  }

  /**
   * Resolves once every upstream is ready or has failed its first attempt (or is closed), or when
   * `timeoutMs` passes, whichever comes first. Never rejects: an upstream that is still starting
   * simply stays unavailable until it is ready.
   */
  async waitUntilSettled(timeoutMs: number): Promise<void> {
    const pending = [...this.#upstreams.values()].filter((upstream) => upstream.status === 'starting');
    if (pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const settledAll = Promise.all(
      pending.map(
        (upstream) =>
          new Promise<void>((resolve) => {
            // Listeners cannot be removed: this one becomes inert once it has fired.
            let waiting = true;
            upstream.on('status', (status) => {
              if (waiting && status !== 'starting') {
                waiting = false;
                resolve();
              }
            });
            if (upstream.status !== 'starting') {
              waiting = false;
              resolve();
            }
          }),
      ),
    );
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    try {
      await Promise.race([settledAll, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
