import type { EntityJson, EntityUidJson, PolicyJson } from './cedar-runtime.js';
import type { Effect } from '../config/schema.js';
import type { ArgumentShape } from './argument-shape.js';
import type { PolicyAnnotations } from './annotations.js';
import type { BundleProblem } from './bundle-report.js';
import type { GeneratedSchema } from './cedar-schema.js';
import type { PolicyTestCase } from './test-cases.js';

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

/**
 * The policies that can apply to one operation, preparsed in Cedar under `policySetId`, and the
 * request pieces that never change between calls (built once, reused on every call).
 */
export interface OperationSlice {
  readonly tool: string;
  readonly operation: string;
  readonly qualifiedName: string;
  readonly effect: Effect;
  /** Null when no policy can apply: every call is denied without asking Cedar. */
  readonly policySetId: string | null;
  readonly policyIds: readonly string[];
  readonly arguments: Extract<ArgumentShape, { kind: 'record' }>;
  readonly action: EntityUidJson;
  readonly toolUid: EntityUidJson;
  readonly toolEntity: EntityJson;
  /** Present when a policy in the slice names an effect group, which Cedar resolves through this entity's parent. */
  readonly actionEntity: EntityJson | null;
}

/** A bundle that parsed, validated and passed its own tests. Holds Cedar state until released. */
export interface PolicyBundle {
  /** `sha256:<hex>` over the sorted (relative path, content) pairs of its `.cedar` files. */
  readonly version: string;
  readonly policies: ReadonlyMap<string, CompiledPolicy>;
  readonly slices: ReadonlyMap<string, OperationSlice>;
  readonly schema: GeneratedSchema;
  readonly testCases: readonly PolicyTestCase[];
  readonly warnings: readonly BundleProblem[];
  /** Set once the bundle's preparsed Cedar sets were freed; a released bundle denies everything. */
  readonly lifecycle: { released: boolean };
}
