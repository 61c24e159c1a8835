import { loadProjectFile, type LoadedProjectFile } from '../../config/load.js';
import { parseDuration } from '../../config/duration.js';
import type { McpServerConfig } from '../../config/schema.js';
import { SecretResolver } from '../../config/secrets.js';
import { namespacedToolName, type ToolDefinition, type ToolLock, type ToolPin } from '../../drift/tool-definition.js';
import { pinDefinition, withoutPins, withPins, writeToolLock } from '../../drift/tool-lock.js';
import { pinsOfOtherServers, reviewServer, splitToolName, type ToolReview } from '../../drift/tool-review.js';
import { InterlockError } from '../../errors/interlock-error.js';
import { UpstreamPool } from '../../execution/mcp/upstream-pool.js';
import { projectToolLock } from '../../runtime/project-registry.js';
import { EXIT_CHECK_FAILED, EXIT_OK } from '../output.js';
import { formatFlags, formatReviewLine, formatToolDiff, shown } from './tools-report.js';

/**
 * The operator's side of the tool lock: connect to the configured MCP servers, compare what they
 * offer with the pins, show what drifted, and approve (pin) or withdraw (unpin) definitions.
 */

export const RESTART_HINT = 'A running Interlock uses the new pins after SIGHUP (kill -HUP <pid>) or a restart.';

/** Extra wait beyond the longest start-up timeout, so a server that times out is seen as failed with its reason. */
const SETTLE_MARGIN_MS = 1_000;

/** One configured server as this command saw it. */
interface ServerListing {
  readonly name: string;
  /** The tools it offers, or null when it did not connect. */
  readonly tools: readonly ToolDefinition[] | null;
  /** Why it did not connect. */
  readonly reason: string | null;
}

/** Connects to `servers`, waits until each is listed or has failed its first attempt, and closes them again. */
async function listServers(project: LoadedProjectFile, servers: readonly McpServerConfig[]): Promise<ServerListing[]> {
  if (servers.length === 0) return [];
  const secrets = new SecretResolver(project.dir, process.env);
  const pool = new UpstreamPool(servers, { projectDir: project.dir, resolveSecret: (reference) => secrets.resolve(reference) });
  const reasons = new Map<string, string>();
  for (const upstream of pool.all()) {
    upstream.on('status', (_status, detail) => {
      if (detail.reason !== undefined) reasons.set(upstream.name, detail.reason);
    });
  }
  const longestStartup = Math.max(...servers.map((server) => parseDuration(server.startupTimeout)));
  try {
    pool.start();
    await pool.waitUntilSettled(longestStartup + SETTLE_MARGIN_MS);
    return servers.map((server) => {
      const upstream = pool.get(server.name);
      if (upstream?.status === 'ready' && upstream.tools !== null) return { name: server.name, tools: upstream.tools, reason: null };
      const reason = reasons.get(server.name) ?? `still ${upstream?.status ?? 'starting'} after ${server.startupTimeout}`;
      return { name: server.name, tools: null, reason };
    });
  } finally {
    await pool.close();
  }
}

function configuredServer(project: LoadedProjectFile, name: string): McpServerConfig | undefined {
  return project.config.mcp.servers.find((server) => server.name === name);
}

/** Parses a namespaced tool name of a configured server; TOOL_UNKNOWN (exit 2) otherwise. */
function configuredToolName(project: LoadedProjectFile, name: string): { name: string; server: string; tool: string } {
  const parts = splitToolName(name);
  if (parts === undefined) {
    throw new InterlockError(
      'TOOL_UNKNOWN',
      `${shown(name)} is not a namespaced MCP tool name (expected server__tool, e.g. fs__read_file)`,
    );
  }
  if (configuredServer(project, parts.server) === undefined) {
    throw new InterlockError('TOOL_UNKNOWN', `${shown(name)}: no MCP server named "${shown(parts.server)}" is configured`);
  }
  return { name, ...parts };
}

function failedServersText(listings: readonly ServerListing[]): string {
  return listings
    .filter((listing) => listing.tools === null)
    .map((listing) => `MCP server "${listing.name}" did not connect: ${shown(listing.reason ?? 'unknown reason')}`)
    .join('\n');
}

const STATE_ORDER = ['pinned', 'changed', 'not-pinned', 'missing', 'unverified'] as const;

/** `interlock tools status`: every configured server, every tool, against the lock. */
export async function toolsStatus(options: { project: string; json?: boolean }): Promise<number> {
  const project = loadProjectFile(options.project);
  const { path, lock } = projectToolLock(project);
  const servers = project.config.mcp.servers;
  const listings = await listServers(project, servers);
  const reviews = listings.map((listing) => ({ listing, tools: reviewServer(lock, listing.name, listing.tools) }));
  const unconfigured = pinsOfOtherServers(
    lock,
    servers.map((server) => server.name),
  );
  const all = reviews.flatMap((review) => review.tools);
  const failedServers = listings.filter((listing) => listing.tools === null).length;
  const ok = failedServers === 0 && !all.some((review) => review.state === 'changed' || review.state === 'missing');

  if (options.json === true) {
    const report = {
      ok,
      lockFile: path,
      servers: reviews.map(({ listing, tools }) => ({
        name: listing.name,
        connected: listing.tools !== null,
        reason: listing.reason,
        tools: tools.map(({ live: _live, ...review }) => review),
      })),
      unconfiguredPins: unconfigured.map((pin) => namespacedToolName(pin.server, pin.tool)),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return ok ? EXIT_OK : EXIT_CHECK_FAILED;
  }

  const lines: string[] = [`tool lock: ${path} (${Object.keys(lock.tools).length} pins)`];
  if (servers.length === 0) lines.push('no MCP servers are configured (mcp.servers in interlock.yaml)');
  for (const { listing, tools } of reviews) {
    lines.push('');
    lines.push(
      listing.tools === null
        ? `${listing.name}: NOT CONNECTED: ${shown(listing.reason ?? 'unknown reason')}`
        : `${listing.name}: connected, ${listing.tools.length} tool${listing.tools.length === 1 ? '' : 's'} offered`,
    );
    for (const review of tools) {
      lines.push(formatReviewLine(review));
      if (review.state === 'changed') lines.push(...review.changes.map((change) => `      ${change}`));
      lines.push(...formatFlags(review.flags, '      '));
    }
  }
  if (unconfigured.length > 0) {
    lines.push('', 'pins of servers that are not configured (unused; remove them with `interlock tools unpin`):');
    for (const pin of unconfigured) lines.push(`  ${shown(namespacedToolName(pin.server, pin.tool))}`);
  }
  const counts = STATE_ORDER.map((state) => [state, all.filter((review) => review.state === state).length] as const)
    .filter(([, count]) => count > 0)
    .map(([state, count]) => `${count} ${state === 'changed' ? 'CHANGED' : state.replace('-', ' ')}`);
  lines.push('');
  lines.push(
    `summary: ${counts.length === 0 ? 'no tools' : counts.join(', ')}${failedServers > 0 ? `; ${failedServers} server(s) NOT CONNECTED` : ''}`,
  );
  if (all.some((review) => review.state === 'changed')) {
    lines.push('CHANGED tools are quarantined: review them with `interlock tools diff`, approve with `interlock tools pin NAME`.');
  }
  if (all.some((review) => review.state === 'not-pinned')) {
    lines.push('Tools that are not pinned stay hidden from agents until pinned (`interlock tools pin NAME` or `--all`).');
  }
  if (all.some((review) => review.state === 'missing')) {
    lines.push('Missing tools are pinned but no longer offered; `interlock tools unpin NAME` removes their pins.');
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return ok ? EXIT_OK : EXIT_CHECK_FAILED;
}

/** `interlock tools diff`: the full change description of drifted tools (named ones, or every one). */
export async function toolsDiff(options: { project: string; names: readonly string[] }): Promise<number> {
  const project = loadProjectFile(options.project);
  const { lock } = projectToolLock(project);
  const named = options.names.map((name) => configuredToolName(project, name));
  const serverNames =
    named.length === 0 ? project.config.mcp.servers.map((server) => server.name) : unique(named.map((entry) => entry.server));
  const listings = await listServers(project, serversNamed(project, serverNames));
  const reviews = new Map(
    listings.flatMap((listing) => reviewServer(lock, listing.name, listing.tools)).map((review) => [review.name, review] as const),
  );
  const failed = failedServersText(listings);
  if (failed !== '') process.stderr.write(`interlock: ${failed}\n`);

  const selected =
    named.length === 0
      ? [...reviews.values()].filter((review) => review.state === 'changed' || review.state === 'missing')
      : named.map((entry) => {
          const review = reviews.get(entry.name);
          if (review === undefined && listings.some((listing) => listing.name === entry.server && listing.tools !== null)) {
            throw new InterlockError(
              'TOOL_UNKNOWN',
              `${shown(entry.name)}: server "${entry.server}" does not offer it and it is not pinned`,
            );
          }
          return review;
        });
  const blocks: string[] = [];
  for (const review of selected) {
    if (review === undefined) continue;
    blocks.push(formatToolDiff(review, lock.tools[review.name]).join('\n'));
  }
  if (named.length === 0 && blocks.length === 0 && failed === '') {
    process.stdout.write('no drifted tools: every pinned tool is offered exactly as pinned\n');
    return EXIT_OK;
  }
  if (blocks.length > 0) process.stdout.write(`${blocks.join('\n\n')}\n`);
  const differs = selected.some((review) => review?.state === 'changed' || review?.state === 'missing');
  return differs || failed !== '' ? EXIT_CHECK_FAILED : EXIT_OK;
}

export interface ToolsPinOptions {
  readonly project: string;
  readonly names: readonly string[];
  readonly all?: boolean;
  readonly server?: string;
  readonly by: string;
  readonly yes?: boolean;
}

/** `interlock tools pin`: approves the live definitions of the named (or all unapproved) tools. */
export async function toolsPin(options: ToolsPinOptions): Promise<number> {
  const project = loadProjectFile(options.project);
  const { lock } = projectToolLock(project);
  if (options.names.length === 0 && options.all !== true) {
    throw new InterlockError('REQUEST_INVALID', 'name the tools to pin (e.g. fs__read_file), or pass --all');
  }
  if (options.names.length > 0 && options.all === true) {
    throw new InterlockError('REQUEST_INVALID', 'pass either tool names or --all, not both');
  }
  const pinnedBy = options.by.trim();
  if (pinnedBy === '') throw new InterlockError('REQUEST_INVALID', '--by must name who approves the pins');
  if (options.server !== undefined && configuredServer(project, options.server) === undefined) {
    throw new InterlockError('REQUEST_INVALID', `no MCP server named "${shown(options.server)}" is configured`);
  }
  const named = options.names.map((name) => configuredToolName(project, name));
  for (const entry of named) {
    if (options.server !== undefined && entry.server !== options.server) {
      throw new InterlockError('REQUEST_INVALID', `${shown(entry.name)} is not a tool of server "${options.server}" (--server)`);
    }
  }
  const serverNames =
    named.length > 0
      ? unique(named.map((entry) => entry.server))
      : options.server !== undefined
        ? [options.server]
        : project.config.mcp.servers.map((server) => server.name);
  if (serverNames.length === 0) {
    process.stdout.write('nothing to pin: no MCP servers are configured\n');
    return EXIT_OK;
  }

  const listings = await listServers(project, serversNamed(project, serverNames));
  const failed = failedServersText(listings);
  if (failed !== '') {
    process.stderr.write(`interlock: nothing was pinned: ${failed}\n`);
    return EXIT_CHECK_FAILED;
  }
  const reviews = new Map(
    listings.flatMap((listing) => reviewServer(lock, listing.name, listing.tools)).map((review) => [review.name, review] as const),
  );

  const lines: string[] = [];
  let selected: (ToolReview & { live: ToolDefinition })[];
  if (named.length > 0) {
    selected = [];
    for (const entry of unique(named.map((item) => item.name))) {
      const review = reviews.get(entry);
      if (review === undefined || review.live === null) {
        const parts = splitToolName(entry);
        throw new InterlockError(
          'TOOL_UNKNOWN',
          `${shown(entry)}: server "${parts?.server ?? ''}" does not offer a tool named "${shown(parts?.tool ?? '')}"; nothing was pinned`,
        );
      }
      if (review.state === 'pinned') lines.push(`already pinned: ${shown(review.name)} ${review.pinnedHash ?? ''}`);
      else selected.push({ ...review, live: review.live });
    }
  } else {
    selected = [...reviews.values()].flatMap((review) =>
      (review.state === 'changed' || review.state === 'not-pinned') && review.live !== null ? [{ ...review, live: review.live }] : [],
    );
  }
  if (selected.length === 0) {
    lines.push(named.length > 0 ? 'nothing to pin' : 'nothing to pin: every offered tool is pinned as offered');
    process.stdout.write(`${lines.join('\n')}\n`);
    return EXIT_OK;
  }

  for (const review of selected) {
    if (review.state === 'changed') lines.push(...formatToolDiff(review, lock.tools[review.name], false), '');
    if (review.flags.length > 0) {
      lines.push(`warning: ${shown(review.name)} has instruction-like text in its definition:`, ...formatFlags(review.flags, '  '));
    }
  }
  const flagged = selected.filter((review) => review.flags.length > 0);
  if (flagged.length > 0 && options.yes !== true) {
    process.stdout.write(`${lines.join('\n')}\n`);
    process.stderr.write(
      `interlock: refusing to pin: ${flagged.map((review) => shown(review.name)).join(', ')} ${flagged.length === 1 ? 'has' : 'have'} ` +
        'text that reads like instructions to the model (see the warnings above); nothing was pinned. ' +
        'Review the definition, then pin again with --yes to approve it anyway, or leave the tool out.\n',
    );
    return EXIT_CHECK_FAILED;
  }

  const now = new Date();
  const pins: ToolPin[] = selected.map((review) => pinDefinition(review.server, review.live, pinnedBy, now));
  // Read again just before writing, so pins made since this command started are kept.
  const { path, lock: current } = projectToolLock(project);
  const next = withPins(current, pins);
  writeToolLock(path, next);
  for (const pin of pins) {
    const name = namespacedToolName(pin.server, pin.tool);
    const previous = current.tools[name];
    lines.push(`pinned ${shown(name)} ${pin.hash}${previous === undefined ? '' : ` (was ${previous.hash})`}`);
  }
  lines.push(`wrote ${path} (${Object.keys(next.tools).length} pins, by ${pinnedBy})`, RESTART_HINT);
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}

/** `interlock tools unpin`: withdraws approval; the tools are hidden and refused once the server reloads (SIGHUP) or restarts. */
export function toolsUnpin(options: { project: string; names: readonly string[] }): number {
  const project = loadProjectFile(options.project);
  const { path, lock } = projectToolLock(project);
  const names = unique(options.names);
  const notPinned = names.filter((name) => !Object.hasOwn(lock.tools, name));
  if (notPinned.length > 0) {
    throw new InterlockError('TOOL_UNKNOWN', `not pinned: ${notPinned.map(shown).join(', ')}; nothing was unpinned`);
  }
  const next: ToolLock = withoutPins(lock, names);
  writeToolLock(path, next);
  const lines = names.map((name) => `unpinned ${shown(name)} (was ${lock.tools[name]?.hash ?? ''})`);
  lines.push(`wrote ${path} (${Object.keys(next.tools).length} pins)`, `${RESTART_HINT} Unpinned tools are then hidden from agents.`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}

function serversNamed(project: LoadedProjectFile, names: readonly string[]): McpServerConfig[] {
  return project.config.mcp.servers.filter((server) => names.includes(server.name));
}

function unique<Value>(values: readonly Value[]): Value[] {
  return [...new Set(values)];
}
