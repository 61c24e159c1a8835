import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { InterlockError } from '../errors/interlock-error.js';

/**
 * Resolves secret references. Resolved values are kept in a registry so that every output path
 * (audit, logs, errors, results) can strip them even if an upstream echoes them back.
 */
export class SecretResolver {
  readonly #baseDir: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #resolved = new Set<string>();

  constructor(baseDir: string, env: NodeJS.ProcessEnv = process.env) {
    this.#baseDir = baseDir;
    this.#env = env;
  }

  resolve(reference: string): string {
    let value: string | undefined;
    if (reference.startsWith('env:')) {
      const name = reference.slice(4);
      value = this.#env[name];
      if (value === undefined || value === '') {
        throw new InterlockError('SECRET_UNRESOLVED', `secret reference ${reference}: environment variable ${name} is not set`);
      }
    } else if (reference.startsWith('file:')) {
      const path = reference.slice(5);
      const full = isAbsolute(path) ? path : resolve(this.#baseDir, path);
      try {
        value = readFileSync(full, 'utf8').trim();
      } catch {
        throw new InterlockError('SECRET_UNRESOLVED', `secret reference ${reference}: file cannot be read`);
      }
      if (value === '') throw new InterlockError('SECRET_UNRESOLVED', `secret reference ${reference}: file is empty`);
    } else {
      throw new InterlockError('SECRET_UNRESOLVED', 'secret reference must start with "env:" or "file:"');
    }
    // Very short values would make output scrubbing strip ordinary words; refuse them.
    if (value.length < 8) {
      throw new InterlockError('SECRET_UNRESOLVED', `secret reference ${reference}: value is shorter than 8 characters`);
    }
    this.#resolved.add(value);
    return value;
  }

  /** Every secret value resolved so far; used by redaction to scrub outputs. */
  knownValues(): ReadonlySet<string> {
    return this.#resolved;
  }
}
