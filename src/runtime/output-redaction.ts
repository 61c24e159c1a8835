import type { OutputRedactionPort } from '../gate/ports.js';
import { Redactor } from '../redaction/redactor.js';

/**
 * Governs what a tool returns to the agent: known secret values and credential shapes are always
 * stripped; fields named by policy obligations (`@redact`) are removed on top.
 */
export class OutputRedaction implements OutputRedactionPort {
  readonly #knownSecrets: ReadonlySet<string>;
  readonly #base: Redactor;
  readonly #withFields = new Map<string, Redactor>();

  constructor(knownSecrets: ReadonlySet<string>) {
    this.#knownSecrets = knownSecrets;
    this.#base = new Redactor({ knownSecrets, redactCredentialFields: true });
  }

  redactResult(value: unknown, extraFields: readonly string[]): { value: unknown; redactedPaths: readonly string[] } {
    const redactor = extraFields.length === 0 ? this.#base : this.#forFields(extraFields);
    const { value: redacted, redactions } = redactor.redact(value);
    return { value: redacted, redactedPaths: redactions.map((redaction) => redaction.path) };
  }

  #forFields(fields: readonly string[]): Redactor {
    const key = [...fields].sort().join('\n');
    let redactor = this.#withFields.get(key);
    if (redactor === undefined) {
      // Obligation paths are relative to the result; the set of distinct paths is bounded by the bundle.
      redactor = new Redactor({ knownSecrets: this.#knownSecrets, fieldPaths: fields, redactCredentialFields: true });
      if (this.#withFields.size < 1000) this.#withFields.set(key, redactor);
    }
    return redactor;
  }
}
