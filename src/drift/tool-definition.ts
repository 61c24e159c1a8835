/**
 * What an upstream says a tool is, and the pinned (operator-approved) record of it. The hash
 * covers exactly what steers the model and the call: name, description and input schema.
 */

/** A tool as an upstream MCP server lists it (only the fields Interlock keeps). */
export interface ToolDefinition {
  readonly name: string;
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  readonly inputSchema: Readonly<Record<string, unknown>>;
  readonly outputSchema?: Readonly<Record<string, unknown>> | undefined;
  /** Upstream hints (readOnlyHint, destructiveHint, idempotentHint, openWorldHint): recorded, never trusted. */
  readonly annotations?: Readonly<Record<string, unknown>> | undefined;
}

/** Text in a description that reads like an instruction aimed at the model, found at pin time. */
export interface InstructionFlag {
  /** Stable rule id, e.g. `override-instructions`. */
  readonly rule: string;
  /** The matching text, shortened to at most 120 characters. */
  readonly excerpt: string;
  /** Where in the definition the text is: `description`, `title`, `inputSchema.properties.path.description`. */
  readonly location?: string | undefined;
}

/** One approved tool definition. */
export interface ToolPin {
  readonly server: string;
  readonly tool: string;
  /** `sha256:` + hex of the canonical JSON of { name, description, inputSchema }. */
  readonly hash: string;
  readonly definition: ToolDefinition;
  readonly pinnedAt: string;
  readonly pinnedBy: string;
  readonly flags: readonly InstructionFlag[];
}

/** The lock file: approved definitions by namespaced name (`server__tool`). */
export interface ToolLock {
  readonly version: 1;
  readonly tools: Readonly<Record<string, ToolPin>>;
}

export const EMPTY_TOOL_LOCK: ToolLock = { version: 1, tools: {} };

/** Separator between a server's namespace and its tool's own name. */
export const NAMESPACE_SEPARATOR = '__';

export function namespacedToolName(server: string, tool: string): string {
  return `${server}${NAMESPACE_SEPARATOR}${tool}`;
}

/** How a live definition compares with its pin. */
export type PinComparison =
  | { readonly kind: 'match' }
  | { readonly kind: 'unpinned' }
  | { readonly kind: 'drifted'; readonly liveHash: string; readonly changes: readonly string[] }
  | { readonly kind: 'missing' };
