import { createHash } from 'node:crypto';
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { InterlockError } from '../errors/interlock-error.js';
import type { OperationContract } from './contract.js';

const AJV_OPTIONS: Options = {
  allErrors: true,
  strict: false,
  coerceTypes: false,
  useDefaults: false,
  removeAdditional: false,
  // Unknown formats are ignored without a console warning (stdout may be an MCP stdio stream).
  logger: false,
};

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
  // One instance per JSON Schema dialect: configured tools use draft-07; MCP servers often declare 2020-12.
  readonly #ajv = new Ajv(AJV_OPTIONS);
  readonly #ajv2019 = new Ajv2019(AJV_OPTIONS);
  readonly #ajv2020 = new Ajv2020(AJV_OPTIONS);
  readonly #bySchemaHash = new Map<string, ValidateFunction>();
  readonly #byOperation = new Map<string, ValidateFunction>();
  /** Upstream-declared schemas that do not compile: their operations refuse every call, the rest keep working. */
  readonly #unusable = new Map<string, string>();

  constructor(contracts: readonly OperationContract[]) {
    for (const contract of contracts) {
      const hash = createHash('sha256').update(JSON.stringify(contract.argumentsSchema)).digest('hex');
      let validate = this.#bySchemaHash.get(hash);
      if (validate === undefined) {
        try {
          validate = this.#compile(contract.argumentsSchema);
        } catch (error) {
          const reason = error instanceof Error ? error.message : 'unreadable schema';
          if (contract.upstream.kind === 'mcp') {
            this.#unusable.set(contract.qualifiedName, reason);
            continue;
          }
          throw new InterlockError('CONFIG_INVALID', `arguments schema of ${contract.qualifiedName} is not a valid JSON Schema: ${reason}`);
        }
        this.#bySchemaHash.set(hash, validate);
      }
      this.#byOperation.set(contract.qualifiedName, validate);
    }
  }

  #compile(schema: Readonly<Record<string, unknown>>): ValidateFunction {
    const dialect = typeof schema['$schema'] === 'string' ? schema['$schema'] : '';
    if (dialect.includes('2020-12')) return this.#ajv2020.compile(schema);
    if (dialect.includes('2019-09')) return this.#ajv2019.compile(schema);
    if (dialect === '' || /draft-0[67]/.test(dialect)) return this.#ajv.compile(schema);
    // Another dialect (draft-04, a private URI): validated with draft-07 rules rather than refused.
    const { $schema: _dialect, ...rest } = schema;
    return this.#ajv.compile(rest);
  }

  /** Problems found (empty when valid). Messages name paths and constraints, never values. */
  check(contract: OperationContract, args: unknown): ArgumentProblem[] {
    if (args === null || typeof args !== 'object' || Array.isArray(args)) return [{ path: '', message: 'arguments must be a JSON object' }];
    const unusable = this.#unusable.get(contract.qualifiedName);
    if (unusable !== undefined) return [{ path: '', message: `the upstream's input schema cannot be used: ${unusable}` }];
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
