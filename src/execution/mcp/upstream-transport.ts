import { resolve } from 'node:path';
import type { Stream } from 'node:stream';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { McpServerConfig } from '../../config/schema.js';
import { InterlockError } from '../../errors/interlock-error.js';

/** Variables a child may inherit besides the SDK's safe set (PATH, HOME, USER, SHELL, TERM, LOGNAME). */
const INHERITED_LOCALE_VARIABLES = ['LANG', 'LC_ALL', 'TZ', 'TMPDIR'] as const;

export type UpstreamTransport =
  | {
      readonly kind: 'stdio';
      readonly transport: StdioClientTransport;
      readonly stderr: Stream | null;
      readonly secrets: readonly string[];
    }
  | { readonly kind: 'http'; readonly transport: StreamableHTTPClientTransport; readonly secrets: readonly string[] };

/** A configured value is a secret reference when it says where to read the secret from. */
export function isSecretReference(value: string): boolean {
  return value.startsWith('env:') || value.startsWith('file:');
}

/**
 * Builds a fresh transport for one connection attempt. Secrets are resolved here, at every
 * attempt (a rotated file is picked up on restart), and returned so that whatever the upstream
 * or its transport says can be scrubbed of them before it is logged or shown.
 * Throws InterlockError (SECRET_UNRESOLVED) when a reference cannot be resolved.
 */
export function buildUpstreamTransport(
  config: McpServerConfig,
  projectDir: string,
  resolveSecret: (reference: string) => string,
): UpstreamTransport {
  const secrets: string[] = [];
  const reveal = (reference: string): string => {
    const value = resolveSecret(reference);
    secrets.push(value);
    return value;
  };

  if (config.stdio !== undefined) {
    // The child gets a minimal environment, never Interlock's own (which holds its keys).
    const env: Record<string, string> = getDefaultEnvironment();
    for (const name of INHERITED_LOCALE_VARIABLES) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
    for (const [name, value] of Object.entries(config.stdio.env)) {
      env[name] = isSecretReference(value) ? reveal(value) : withProjectDir(value, projectDir);
    }
    const transport = new StdioClientTransport({
      command: config.stdio.command,
      args: config.stdio.args.map((arg) => withProjectDir(arg, projectDir)),
      env,
      cwd: config.stdio.cwd === undefined ? projectDir : resolve(projectDir, config.stdio.cwd),
      // Piped and drained to the debug log: the child must never write on Interlock's stdout or stderr.
      stderr: 'pipe',
    });
    return { kind: 'stdio', transport, stderr: transport.stderr, secrets };
  }
  if (config.http !== undefined) {
    const headers: Record<string, string> = {};
    for (const [name, reference] of Object.entries(config.http.headers)) headers[name] = reveal(reference);
    const transport = new StreamableHTTPClientTransport(new URL(config.http.url), { requestInit: { headers } });
    return { kind: 'http', transport, secrets };
  }
  throw new InterlockError('CONFIG_INVALID', `MCP server ${config.name} has neither stdio nor http`);
}

/**
 * `${PROJECT_DIR}` in an argument or a plain environment value is the absolute project directory,
 * for servers that resolve relative paths against something else (their own install folder).
 */
export function withProjectDir(text: string, projectDir: string): string {
  return text.split('${PROJECT_DIR}').join(projectDir);
}

/** Replaces every known secret value in `text`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let scrubbed = text;
  for (const secret of secrets) if (secret.length > 0) scrubbed = scrubbed.split(secret).join('[REDACTED]');
  return scrubbed;
}
