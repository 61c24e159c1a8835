import { createHash } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import { InterlockError } from '../errors/interlock-error.js';
import type { OperationContract } from './contract.js';

export interface ArgumentProblem {
  /** JSON Pointer into the arguments, e.g. `/amount_cents`. */
  readonly path: string;
  readonly message: string;
}

/**
 * Validates call arguments against each operation's JSON Schema. Validators are compiled once and
 * cached by schema hash, so identical schemas share one compiled function.
 */
export class ArgumentsValidator {
  readonly #ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false, useDefaults: false, removeAdditional: false });
  readonly #bySchemaHash = new Map<string, ValidateFunction>();
  readonly #byOperation = new Map<string, ValidateFunction>();

  constructor(contracts: readonly OperationContract[]) {
    for (const contract of contracts) {
      const hash = createHash('sha256').update(JSON.stringify(contract.argumentsSchema)).digest('hex');
      let validate = this.#bySchemaHash.get(hash);
      if (validate === undefined) {
        try {
          validate = this.#ajv.compile(contract.argumentsSchema);
        } catch (error) {
          const reason = error instanceof Error ? error.message : 'unreadable schema';
          throw new InterlockError('CONFIG_INVALID', `arguments schema of ${contract.qualifiedName} is not a valid JSON Schema: ${reason}`);
        }
        this.#bySchemaHash.set(hash, validate);
      }
      this.#byOperation.set(contract.qualifiedName, validate);
    }
  }

  /** Problems found (empty when valid). Messages name paths and constraints, never values. */
  check(contract: OperationContract, args: unknown): ArgumentProblem[] {
    if (args === null || typeof args !== 'object' || Array.isArray(args)) return [{ path: '', message: 'arguments must be a JSON object' }];
    const validate = this.#byOperation.get(contract.qualifiedName);
    if (validate === undefined) return [{ path: '', message: 'operation has no compiled schema' }];
    if (validate(args)) return [];
    return (validate.errors ?? []).slice(0, 20).map((error) => ({
      path: error.instancePath,
      message:
        error.keyword === 'additionalProperties'
          ? `unknown property "${String(error.params['additionalProperty'])}"`
          : (error.message ?? 'invalid'),
    }));
  }
}
