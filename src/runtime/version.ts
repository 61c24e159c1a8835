import { readFileSync } from 'node:fs';

/** The package version, as reported to MCP clients and in `--version`. */
export const INTERLOCK_VERSION: string = readVersion();

function readVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
