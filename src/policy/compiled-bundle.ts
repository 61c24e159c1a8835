import type { PolicyJson } from './cedar-runtime.js';
import type { PolicyAnnotations } from './annotations.js';
import type { BundleProblem } from './bundle-report.js';
import type { GeneratedSchema } from './cedar-schema.js';
import type { PolicyTestCase } from './test-cases.js';
import type { EvaluationSetCache } from './evaluation-set-cache.js';
import type { OperationSlice } from './slices.js';

/** One policy of a bundle, as parsed and validated. */
export interface CompiledPolicy {
  readonly id: string;
  readonly file: string;
  readonly line: number;
  readonly effect: 'permit' | 'forbid';
  readonly annotations: PolicyAnnotations;
  /** The policy's text exactly as in its file. */
  readonly text: string;
  readonly json: PolicyJson;
}

/** A bundle that parsed, validated and passed its own tests. Holds Cedar state until released. */
export interface PolicyBundle {
  /** `sha256:<hex>` over the sorted (relative path, content) pairs of its `.cedar` files. */
  readonly version: string;
  readonly policies: ReadonlyMap<string, CompiledPolicy>;
  readonly slices: ReadonlyMap<string, OperationSlice>;
  /** The preparsed Cedar sets, built on first use; freed with the bundle. */
  readonly evaluationSets: EvaluationSetCache;
  readonly schema: GeneratedSchema;
  readonly testCases: readonly PolicyTestCase[];
  readonly warnings: readonly BundleProblem[];
  /** Set once the bundle's preparsed Cedar sets were freed; a released bundle denies everything. */
  readonly lifecycle: { released: boolean };
}
