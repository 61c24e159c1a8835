import { statefulIsAuthorized } from './cedar-runtime.js';
import type { Registry } from '../registry/registry.js';
import { compileBundle, loadBundleDirectory, releaseBundle, type BundleLoadResult } from './bundle.js';
import type { BundleFile } from './bundle-files.js';
import type { PolicyBundle } from './compiled-bundle.js';
import { decideWithBundle } from './decide.js';
import { couldEverPermit } from './reachability.js';
import type { Decision, PolicyRequest } from './decision.js';
import type { CedarAuthorizer } from './evaluate-side.js';

export interface PolicyEngineOptions {
  /** Replaces Cedar's authorizer (for tests that force an engine failure). */
  readonly authorize?: CedarAuthorizer;
}

/**
 * The policy decision point: holds the active bundle and decides requests against it. A new
 * bundle replaces the active one only after it parsed, validated and passed its own tests; until
 * then (and if it is refused) the previous bundle keeps deciding. With no bundle, everything is denied.
 */
export class PolicyEngine {
  readonly #registry: Registry;
  readonly #authorize: CedarAuthorizer;
  #active: PolicyBundle | null = null;

  constructor(registry: Registry, options: PolicyEngineOptions = {}) {
    this.#registry = registry;
    this.#authorize = options.authorize ?? statefulIsAuthorized;
  }

  /** The bundle deciding now, or null before the first successful load. */
  get activeBundle(): PolicyBundle | null {
    return this.#active;
  }

  get version(): string | null {
    return this.#active?.version ?? null;
  }

  /** Loads a bundle directory; activates it only if it is accepted. */
  async loadDirectory(directory: string): Promise<BundleLoadResult> {
    return this.#activate(await loadBundleDirectory(directory, this.#registry, { authorize: this.#authorize }));
  }

  /** Loads bundle files already in memory (for example from the store); activates them only if accepted. */
  loadFiles(files: readonly BundleFile[]): BundleLoadResult {
    return this.#activate(compileBundle(files, this.#registry, { authorize: this.#authorize }));
  }

  /** Decides a request. Never throws: any failure is a deny with `errors` filled. */
  decide(request: PolicyRequest): Decision {
    return decideWithBundle(this.#active, request, this.#authorize);
  }

  /** Frees the active bundle's Cedar state; the engine denies everything afterwards. */
  release(): void {
    const active = this.#active;
    this.#active = null;
    if (active !== null) releaseBundle(active);
  }

  /** Whether some call of the agent to the operation could be permitted (what a client may be shown). */
  couldEverPermit(agentId: string, qualifiedName: string): boolean {
    return couldEverPermit(this.#active, agentId, qualifiedName);
  }

  #activate(result: BundleLoadResult): BundleLoadResult {
    if (!result.ok) return result;
    const previous = this.#active;
    this.#active = result.bundle;
    if (previous !== null && previous !== result.bundle) releaseBundle(previous);
    return result;
  }
}
