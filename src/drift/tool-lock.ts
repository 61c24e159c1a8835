import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { canonicalJson, CanonicalJsonError } from '../audit/canonical-json.js';
import { InterlockError } from '../errors/interlock-error.js';
import { describeChanges } from './definition-diff.js';
import { flagDefinition } from './instruction-flags.js';
import {
  EMPTY_TOOL_LOCK,
  NAMESPACE_SEPARATOR,
  namespacedToolName,
  type PinComparison,
  type ToolDefinition,
  type ToolLock,
  type ToolPin,
} from './tool-definition.js';

/**
 * The tool lock: operator-approved tool definitions, kept in a JSON file beside the project. A
 * definition is identified by the hash of what steers the model and the call (name, description,
 * input schema); title, output schema and annotations are recorded with the pin but not hashed.
 */

/** A lock file larger than this is refused before it is parsed. */
export const MAX_TOOL_LOCK_BYTES = 32 * 1024 * 1024;

const HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

/**
 * `sha256:` + hex of the RFC 8785 canonical JSON of `{ name, description, inputSchema }`, an
 * absent description hashing as the empty one. Throws CanonicalJsonError for values with no JSON
 * form (which a definition read from the wire cannot have).
 */
export function definitionHash(definition: ToolDefinition): string {
  const pinned = { name: definition.name, description: definition.description ?? '', inputSchema: definition.inputSchema };
  return `sha256:${createHash('sha256').update(canonicalJson(pinned), 'utf8').digest('hex')}`;
}

/** Copies the fields a pin keeps, so a definition object with extra upstream fields stores only these. */
function keptDefinition(definition: ToolDefinition): ToolDefinition {
  return {
    name: definition.name,
    ...(definition.title === undefined ? {} : { title: definition.title }),
    ...(definition.description === undefined ? {} : { description: definition.description }),
    inputSchema: definition.inputSchema,
    ...(definition.outputSchema === undefined ? {} : { outputSchema: definition.outputSchema }),
    ...(definition.annotations === undefined ? {} : { annotations: definition.annotations }),
  };
}

export function pinDefinition(server: string, definition: ToolDefinition, pinnedBy: string, now: Date): ToolPin {
  const kept = keptDefinition(definition);
  return {
    server,
    tool: kept.name,
    hash: definitionHash(kept),
    definition: kept,
    pinnedAt: now.toISOString(),
    pinnedBy,
    flags: flagDefinition(kept),
  };
}

/**
 * How a live definition compares with its pin. No pin is `unpinned` whether or not the tool is
 * live (nothing was approved); a pin whose tool the upstream no longer lists is `missing`.
 */
export function comparePin(pin: ToolPin | undefined, live: ToolDefinition | undefined): PinComparison {
  if (pin === undefined) return { kind: 'unpinned' };
  if (live === undefined) return { kind: 'missing' };
  const liveHash = definitionHash(live);
  if (liveHash === pin.hash) return { kind: 'match' };
  return { kind: 'drifted', liveHash, changes: describeChanges(pin.definition, live) };
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// JSON objects from upstreams are kept as parsed (a schema may name a property `__proto__`, which a copying validator would drop).
const jsonObject = z.custom<Record<string, unknown>>(isJsonObject, 'expected a JSON object');

const definitionSchema = z.strictObject({
  name: z.string().min(1),
  title: z.string().optional(),
  description: z.string().optional(),
  inputSchema: jsonObject,
  outputSchema: jsonObject.optional(),
  annotations: jsonObject.optional(),
});

const flagSchema = z.strictObject({
  rule: z.string().min(1),
  excerpt: z.string(),
  location: z.string().optional(),
});

const pinSchema = z.strictObject({
  server: z.string().min(1),
  tool: z.string().min(1),
  hash: z.string().regex(HASH_PATTERN, 'expected "sha256:" and 64 lowercase hex digits'),
  definition: definitionSchema,
  pinnedAt: z.iso.datetime({ offset: true }),
  pinnedBy: z.string().min(1),
  flags: z.array(flagSchema),
});

const lockSchema = z.strictObject({
  version: z.literal(1, 'expected version 1 (a lock written by a newer Interlock cannot be read)'),
  tools: jsonObject,
});

function lockError(file: string, problem: string, details: Record<string, unknown> = {}): InterlockError {
  return new InterlockError('CONFIG_INVALID', `tool lock ${file}: ${problem}`, { file, ...details });
}

function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: string): string {
  return issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`))].join(
        '',
      );
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}

/** Everything a pin must satisfy beyond its shape; returns the problem, or undefined when the pin is sound. */
function pinProblem(name: string, pin: ToolPin): string | undefined {
  if (pin.server.includes(NAMESPACE_SEPARATOR)) return `server name must not contain "${NAMESPACE_SEPARATOR}"`;
  if (name !== namespacedToolName(pin.server, pin.tool))
    return `entry name does not match its server and tool (expected "${namespacedToolName(pin.server, pin.tool)}")`;
  if (pin.tool !== pin.definition.name) return 'tool does not match the name in its definition';
  let hash: string;
  try {
    hash = definitionHash(pin.definition);
  } catch (error) {
    if (error instanceof CanonicalJsonError) return `definition cannot be hashed (${error.problem.replaceAll('_', ' ')} at ${error.path})`;
    throw error;
  }
  // A hand-edited definition under an old hash would otherwise be served as approved.
  if (hash !== pin.hash) return 'stored hash does not match its definition (the definition was changed after it was pinned)';
  return undefined;
}

/**
 * Reads the lock file. A missing file is the empty lock; anything else that is not a sound lock
 * (unreadable, not JSON, wrong shape, unknown version, a pin whose hash does not match its
 * definition) throws CONFIG_INVALID naming the file and the problem.
 */
export function readToolLock(path: string): ToolLock {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_TOOL_LOCK_BYTES) throw lockError(path, `file is larger than ${MAX_TOOL_LOCK_BYTES} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof InterlockError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_TOOL_LOCK;
    throw lockError(path, `file cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // The parser's message quotes the text; the position is enough to find the fault.
    throw lockError(path, 'file is not valid JSON');
  }
  const top = lockSchema.safeParse(raw);
  if (!top.success) throw lockError(path, formatIssues(top.error.issues, ''));
  const tools: [string, ToolPin][] = [];
  for (const [name, entry] of Object.entries(top.data.tools)) {
    const parsed = pinSchema.safeParse(entry);
    if (!parsed.success) throw lockError(path, formatIssues(parsed.error.issues, `tools[${JSON.stringify(name)}]`), { tool: name });
    const pin = parsed.data as ToolPin;
    const problem = pinProblem(name, pin);
    if (problem !== undefined) throw lockError(path, `tool ${JSON.stringify(name)}: ${problem}`, { tool: name });
    tools.push([name, pin]);
  }
  return { version: 1, tools: sortedRecord(tools) };
}

/** Builds a record from entries in name order; Object.fromEntries defines own properties, so no name can reach a prototype. */
function sortedRecord<T>(entries: readonly [string, T][]): Record<string, T> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Returns `lock` with each pin added or replacing the pin of the same namespaced name (a later pin in `pins` wins). */
export function withPins(lock: ToolLock, pins: readonly ToolPin[]): ToolLock {
  const tools = new Map(Object.entries(lock.tools));
  for (const pin of pins) tools.set(namespacedToolName(pin.server, pin.tool), pin);
  return { version: 1, tools: sortedRecord([...tools]) };
}

/** Returns `lock` without the pins of the given namespaced names; names it does not hold are ignored. */
export function withoutPins(lock: ToolLock, names: readonly string[]): ToolLock {
  const removed = new Set(names);
  return { version: 1, tools: sortedRecord(Object.entries(lock.tools).filter(([name]) => !removed.has(name))) };
}

/** Recursively sorts object members (UTF-16 order, as canonical JSON does) so the file diffs cleanly under version control. */
function sortedJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedJson);
  if (isJsonObject(value)) {
    return sortedRecord(
      Object.entries(value)
        .filter(([, member]) => member !== undefined)
        .map(([name, member]): [string, unknown] => [name, sortedJson(member)]),
    );
  }
  return value;
}

/** The exact text writeToolLock puts in the file. */
export function toolLockText(lock: ToolLock): string {
  return `${JSON.stringify(sortedJson(lock), null, 2)}\n`;
}

/**
 * Writes the lock atomically: a temporary file in the same directory is written, flushed to disk
 * and renamed over the lock, so a reader sees the old lock or the new one, never a torn file.
 * Refuses (CONFIG_INVALID) a lock that readToolLock would refuse, so a written lock always reads back.
 */
export function writeToolLock(path: string, lock: ToolLock): void {
  for (const [name, pin] of Object.entries(lock.tools)) {
    const problem = pinProblem(name, pin);
    if (problem !== undefined) throw lockError(path, `refusing to write tool ${JSON.stringify(name)}: ${problem}`, { tool: name });
  }
  const text = toolLockText(lock);
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const descriptor = openSync(temporary, 'wx', 0o644);
  try {
    try {
      // The creation mode is filtered by the umask; the lock is meant to be readable by every reader of the project.
      fchmodSync(descriptor, 0o644);
      const bytes = Buffer.from(text, 'utf8');
      let written = 0;
      while (written < bytes.length) written += writeSync(descriptor, bytes, written, bytes.length - written);
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
    renameSync(temporary, path);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // Already renamed or never fully created: nothing left to remove.
    }
    throw error;
  }
  syncDirectory(directory);
}

/** Makes the rename itself durable; some platforms cannot open a directory for syncing, and there the rename is as durable as it gets. */
function syncDirectory(directory: string): void {
  let descriptor: number | undefined;
  try {
    descriptor = openSync(directory, 'r');
    fsyncSync(descriptor);
  } catch {
    // Best effort: see above.
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}
