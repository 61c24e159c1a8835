import type { CompiledPolicy } from './compiled-bundle.js';
import { buildEvaluationSet, releaseEvaluationSet, type EvaluationSet } from './evaluation-set.js';
import { PolicyEvaluationFailure } from './evaluation-failure.js';
import type { OperationSlice } from './slices.js';

/** Preparsed set ids are process-wide in Cedar; a sequence keeps every bundle's ids distinct. */
let bundleSequence = 0;

/**
 * The preparsed Cedar sets of one bundle, built on first use and kept until the bundle is
 * released. Preparsing costs about 0.1 ms per policy, so building every set when a bundle loads
 * would make loading slow for sets that are never asked for.
 *
 * - Per operation and principal type, a shared set answers every principal that no policy of the
 *   operation names by id. There are at most two per operation.
 * - Most policies name one agent (`principal == Interlock::Agent::"…"`); a principal named so gets
 *   a set of its own: the shared policies plus its own. Those sets are bounded by a budget of
 *   policies held in all; once it is spent, a principal without a set of its own is answered by
 *   the operation's complete set for its type (shared policies plus every named one), which is
 *   correct for any principal, only slower.
 */
export class EvaluationSetCache {
  readonly #prefix: string;
  readonly #policyBudget: number;
  readonly #shared = new Map<string, EvaluationSet>();
  readonly #named = new Map<string, EvaluationSet>();
  readonly #complete = new Map<string, EvaluationSet>();
  #namedPoliciesHeld = 0;
  #sequence = 0;

  constructor(namedPolicyBudget: number) {
    bundleSequence += 1;
    this.#prefix = `interlock-bundle-${bundleSequence}`;
    this.#policyBudget = namedPolicyBudget;
  }

  /** How many sets were built, by kind (for tests and diagnostics). */
  get counts(): { shared: number; named: number; complete: number } {
    return { shared: this.#shared.size, named: this.#named.size, complete: this.#complete.size };
  }

  /** The set answering `principalType::"principalId"` for the slice's operation. Throws PolicyEvaluationFailure if Cedar refuses it. */
  setFor(slice: OperationSlice, principalType: string, principalId: string): EvaluationSet {
    const typeSlice = slice.principals.get(principalType);
    if (typeSlice === undefined) throw new PolicyEvaluationFailure([`principal type ${principalType} cannot be named by policy`]);
    const typeKey = `${slice.qualifiedName}\u0000${principalType}`;
    const own = typeSlice.named.get(principalId);
    if (own === undefined) return this.#cached(this.#shared, typeKey, slice, () => typeSlice.sharedPolicies);

    const key = `${typeKey}\u0000${principalId}`;
    const existing = this.#named.get(key);
    if (existing !== undefined) return existing;
    const size = typeSlice.sharedPolicies.length + own.length;
    if (this.#namedPoliciesHeld + size > this.#policyBudget) {
      return this.#cached(this.#complete, typeKey, slice, () => [...typeSlice.sharedPolicies, ...[...typeSlice.named.values()].flat()]);
    }
    this.#namedPoliciesHeld += size;
    return this.#cached(this.#named, key, slice, () => typeSlice.sharedPolicies.concat(own));
  }

  /** Frees every set this cache built. */
  release(): void {
    for (const sets of [this.#shared, this.#named, this.#complete]) {
      for (const set of sets.values()) releaseEvaluationSet(set);
      sets.clear();
    }
    this.#namedPoliciesHeld = 0;
  }

  #cached(sets: Map<string, EvaluationSet>, key: string, slice: OperationSlice, policies: () => readonly CompiledPolicy[]): EvaluationSet {
    const existing = sets.get(key);
    if (existing !== undefined) return existing;
    this.#sequence += 1;
    const target = { tool: slice.tool, effect: slice.effect, action: slice.action, toolUid: slice.toolUid };
    const built = buildEvaluationSet(`${this.#prefix}/${this.#sequence}`, policies(), target);
    if (!built.ok) throw new PolicyEvaluationFailure([`Cedar refused the policies for ${slice.qualifiedName}: ${built.message}`]);
    sets.set(key, built.set);
    return built.set;
  }
}
