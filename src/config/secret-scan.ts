import { SECRET_PATTERNS } from '../redaction/secret-patterns.js';

/**
 * Finds literal secrets in a configuration document. Two rules: a key that names a credential
 * must hold a reference, and no string anywhere may look like a well-known credential format.
 */

const CREDENTIAL_KEY = /(secret|password|passwd|token|api[_-]?key|credential|private[_-]?key|authorization|cookie)/i;
const REFERENCE = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$/;

export interface LiteralSecretFinding {
  readonly path: ReadonlyArray<string | number>;
  readonly reason: string;
}

export function findLiteralSecrets(document: unknown): LiteralSecretFinding[] {
  const findings: LiteralSecretFinding[] = [];
  walk(document, [], findings);
  return findings;
}

function walk(value: unknown, path: Array<string | number>, findings: LiteralSecretFinding[]): void {
  if (typeof value === 'string') {
    const key = path[path.length - 1];
    if (typeof key === 'string' && CREDENTIAL_KEY.test(key) && !REFERENCE.test(value) && !isSettingName(key)) {
      findings.push({ path, reason: `"${key}" holds a credential: give it as "env:NAME" or "file:PATH"` });
      return;
    }
    if (REFERENCE.test(value)) return;
    for (const { name, pattern } of SECRET_PATTERNS) {
      if (pattern.test(value)) {
        findings.push({ path, reason: `looks like a literal ${name}: give it as "env:NAME" or "file:PATH"` });
        return;
      }
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => walk(item, [...path, index], findings));
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      // Header maps: the header name is the key; its value must be a reference when it carries credentials.
      if (path[path.length - 1] === 'headers' && typeof item === 'string' && !REFERENCE.test(item)) {
        findings.push({
          path: [...path, key],
          reason: 'upstream header values are injected credentials: give them as "env:NAME" or "file:PATH"',
        });
        continue;
      }
      walk(item, [...path, key], findings);
    }
  }
}

/** Keys that mention a credential word but configure behaviour, not a secret value. */
function isSettingName(key: string): boolean {
  return key === 'tokenTtl' || key === 'maxTokenTtl';
}
