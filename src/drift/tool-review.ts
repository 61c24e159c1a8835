import { flagDefinition } from './instruction-flags.js';
import { NAMESPACE_SEPARATOR, namespacedToolName, type InstructionFlag, type ToolDefinition, type ToolLock } from './tool-definition.js';
import { comparePin, definitionHash } from './tool-lock.js';

/**
 * What an operator reviews before approving tools: each offered or pinned tool of a server with
 * its standing against the lock. Pure: the listing is taken as given (the caller connects).
 *
 * `pinned`: offered exactly as pinned. `changed`: offered, but not as pinned (drifted).
 * `not-pinned`: offered, never approved. `missing`: pinned, no longer offered.
 * `unverified`: pinned, but the server could not be listed, so nothing is known.
 */
export type ToolReviewState = 'pinned' | 'changed' | 'not-pinned' | 'missing' | 'unverified';

export interface ToolReview {
  /** Namespaced name, `server__tool`. */
  readonly name: string;
  readonly server: string;
  readonly tool: string;
  readonly state: ToolReviewState;
  readonly pinnedHash: string | null;
  readonly liveHash: string | null;
  /** For `changed`: what differs between the pin and the live definition. */
  readonly changes: readonly string[];
  /** For `not-pinned` and `changed`: instruction-like text in the live definition. */
  readonly flags: readonly InstructionFlag[];
  /** The definition the server offers now, or null when it offers none (missing, unverified). */
  readonly live: ToolDefinition | null;
}

/**
 * Reviews one server's listing (`null`: the server could not be listed) against the lock: the
 * offered tools in name order, then the pins it no longer offers.
 */
export function reviewServer(lock: ToolLock, server: string, listing: readonly ToolDefinition[] | null): ToolReview[] {
  const live = new Map((listing ?? []).map((definition) => [definition.name, definition]));
  const reviews: ToolReview[] = [];
  for (const definition of [...live.values()].sort((a, b) => compareNames(a.name, b.name))) {
    const name = namespacedToolName(server, definition.name);
    const pin = Object.hasOwn(lock.tools, name) ? lock.tools[name] : undefined;
    const comparison = comparePin(pin, definition);
    const base = { name, server, tool: definition.name, pinnedHash: pin?.hash ?? null, live: definition };
    if (comparison.kind === 'match') {
      reviews.push({ ...base, state: 'pinned', liveHash: pin?.hash ?? null, changes: [], flags: [] });
    } else if (comparison.kind === 'drifted') {
      reviews.push({
        ...base,
        state: 'changed',
        liveHash: comparison.liveHash,
        changes: comparison.changes,
        flags: flagDefinition(definition),
      });
    } else {
      reviews.push({ ...base, state: 'not-pinned', liveHash: definitionHash(definition), changes: [], flags: flagDefinition(definition) });
    }
  }
  for (const pin of pinsOfServer(lock, server)) {
    if (live.has(pin.tool)) continue;
    reviews.push({
      name: namespacedToolName(server, pin.tool),
      server,
      tool: pin.tool,
      state: listing === null ? 'unverified' : 'missing',
      pinnedHash: pin.hash,
      liveHash: null,
      changes: [],
      flags: [],
      live: null,
    });
  }
  return reviews;
}

/** Pins of one server, in name order. */
export function pinsOfServer(lock: ToolLock, server: string): ToolLock['tools'][string][] {
  return Object.values(lock.tools)
    .filter((pin) => pin.server === server)
    .sort((a, b) => compareNames(a.tool, b.tool));
}

/** Pins whose server is not among `servers` (left behind when a server was removed from the configuration). */
export function pinsOfOtherServers(lock: ToolLock, servers: readonly string[]): ToolLock['tools'][string][] {
  const known = new Set(servers);
  return Object.entries(lock.tools)
    .filter(([, pin]) => !known.has(pin.server))
    .sort(([a], [b]) => compareNames(a, b))
    .map(([, pin]) => pin);
}

/** Splits `server__tool` at the first separator (server names cannot contain it; tool names may); undefined when there is none. */
export function splitToolName(name: string): { server: string; tool: string } | undefined {
  const at = name.indexOf(NAMESPACE_SEPARATOR);
  if (at <= 0 || at + NAMESPACE_SEPARATOR.length >= name.length) return undefined;
  return { server: name.slice(0, at), tool: name.slice(at + NAMESPACE_SEPARATOR.length) };
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
