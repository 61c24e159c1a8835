import type { DetailedError, PolicyJson } from './cedar-runtime.js';
import { policyToJson, validate } from './cedar-runtime.js';
import { InterlockError } from '../errors/interlock-error.js';
import type { Registry } from '../registry/registry.js';
import { readAnnotations } from './annotations.js';
import { bundleVersion, comparePaths, isPolicyFile, isTestFile, readBundleDirectory, type BundleFile } from './bundle-files.js';
import { formatBundleReport, type BundleProblem, type BundleReport } from './bundle-report.js';
import { generateCedarSchema } from './cedar-schema.js';
import type { CompiledPolicy, PolicyBundle } from './compiled-bundle.js';
import type { CedarAuthorizer } from './evaluate-side.js';
import { characterOffset, policyStart, positionAt, splitPolicies, type PolicySource } from './policy-source.js';
import { unknownTools } from './policy-references.js';
import { EvaluationSetCache } from './evaluation-set-cache.js';
import { buildSlices } from './slices.js';
import { parseTestFile, runPolicyTests, type PolicyTestCase, type PolicyTestResult } from './test-cases.js';

const MIN_NAMED_SET_BUDGET = 20_000;
const NAMED_SET_BUDGET_PER_POLICY = 20;

export type BundleLoadResult =
  | { readonly ok: true; readonly bundle: PolicyBundle; readonly tests: readonly PolicyTestResult[] }
  | { readonly ok: false; readonly report: BundleReport };

export interface CompileOptions {
  /** Replaces Cedar's authorizer while the bundle's own tests run (tests of the engine only). */
  readonly authorize?: CedarAuthorizer;
}

/** Reads a bundle directory and compiles it; every failure comes back as a report, never a throw. */
export async function loadBundleDirectory(directory: string, registry: Registry, options: CompileOptions = {}): Promise<BundleLoadResult> {
  const read = await readBundleDirectory(directory);
  if (!read.ok) return { ok: false, report: { version: bundleVersion([]), problems: read.problems, warnings: [], tests: [] } };
  return compileBundle(read.files, registry, options);
}

interface ParsedPolicy {
  readonly source: PolicySource;
  readonly fileContent: string;
  readonly policy: CompiledPolicy;
}

/**
 * Compiles bundle files against the schema generated from `registry`: split and parse every
 * policy, read its annotations, validate all of them in strict mode, sort them into slices per
 * operation and principal (Cedar sets are preparsed on first use), then run the bundle's own tests. Any problem refuses the whole bundle.
 */
export function compileBundle(files: readonly BundleFile[], registry: Registry, options: CompileOptions = {}): BundleLoadResult {
  const sorted = [...files].sort(comparePaths);
  const version = bundleVersion(sorted);
  const problems: BundleProblem[] = [];
  const warnings: BundleProblem[] = [];
  const refuse = (tests: readonly PolicyTestResult[] = []): BundleLoadResult => ({
    ok: false,
    report: { version, problems, warnings, tests },
  });
  const schema = generateCedarSchema(registry);

  const parsed = new Map<string, ParsedPolicy>();
  for (const file of sorted.filter((candidate) => isPolicyFile(candidate.path))) {
    for (const source of splitPolicies(file.path, file.content)) {
      const result = parsePolicy(source, file.content, schema.tools, problems);
      if (result === null) continue;
      const existing = parsed.get(result.id);
      if (existing !== undefined) {
        const first = `${existing.policy.file}:${existing.policy.line}`;
        problems.push(
          problemAt(
            'parse',
            source,
            file.content,
            result.id,
            null,
            `policy id ${JSON.stringify(result.id)} is already used by the policy at ${first}; @id must be unique in a bundle`,
          ),
        );
        continue;
      }
      parsed.set(result.id, { source, fileContent: file.content, policy: result });
    }
  }
  if (parsed.size === 0 && problems.length === 0) {
    problems.push({
      stage: 'parse',
      file: null,
      policyId: null,
      line: null,
      column: null,
      message: 'the bundle holds no policies (no *.cedar file, or only comments)',
    });
  }

  const testCases: PolicyTestCase[] = [];
  for (const file of sorted.filter((candidate) => isTestFile(candidate.path))) {
    const result = parseTestFile(file.path, file.content);
    if (result.ok) testCases.push(...result.cases);
    else problems.push(...result.problems);
  }

  if (parsed.size > 0) validatePolicies(schema.json, parsed, problems, warnings);
  if (problems.length > 0) return refuse();

  const policies = [...parsed.values()].map((entry) => entry.policy);
  const bundle: PolicyBundle = {
    version,
    policies: new Map(policies.map((policy) => [policy.id, policy])),
    slices: buildSlices(schema, policies),
    evaluationSets: new EvaluationSetCache(namedSetBudget(policies.length)),
    schema,
    testCases,
    warnings,
    lifecycle: { released: false },
  };

  const tests = runPolicyTests(bundle, testCases, options.authorize === undefined ? {} : { authorize: options.authorize });
  for (const failed of tests.filter((result) => !result.passed)) {
    problems.push({
      stage: 'test',
      file: failed.file,
      policyId: null,
      line: failed.line,
      column: null,
      message: `test case "${failed.name}" failed: ${failed.failures.join('; ')}`,
    });
  }
  if (problems.length > 0) {
    releaseBundle(bundle);
    return refuse(tests);
  }
  return { ok: true, bundle, tests };
}

/** Frees a bundle's Cedar state; it then denies every request. Call it once nothing decides with it. */
export function releaseBundle(bundle: PolicyBundle): void {
  if (bundle.lifecycle.released) return;
  bundle.lifecycle.released = true;
  bundle.evaluationSets.release();
}

/** Policies the sets of named principals may hold in all: generous for hot principals, bounded for Cedar's memory. */
function namedSetBudget(policyCount: number): number {
  return Math.max(MIN_NAMED_SET_BUDGET, policyCount * NAMED_SET_BUDGET_PER_POLICY);
}

/** The typed error a door returns for a refused bundle; the message is the printable report. */
export function bundleRefusal(report: BundleReport): InterlockError {
  return new InterlockError('POLICY_BUNDLE_INVALID', formatBundleReport(report).trimEnd(), {
    version: report.version,
    problems: report.problems.map((problem) => ({ ...problem })),
  });
}

function parsePolicy(
  source: PolicySource,
  fileContent: string,
  tools: ReadonlySet<string>,
  problems: BundleProblem[],
): CompiledPolicy | null {
  const answer = policyToJson(source.text);
  if (answer.type !== 'success') {
    for (const error of answer.errors)
      problems.push(problemAt('parse', source, fileContent, null, firstOffset(error), describeCedarError(error)));
    return null;
  }
  const json: PolicyJson = answer.json;
  const annotationsFound = json.annotations ?? {};
  const fallbackId = `${source.file}#${source.index}`;
  const idLabel = Object.prototype.hasOwnProperty.call(annotationsFound, 'id') ? (annotationsFound['id'] ?? fallbackId) : fallbackId;
  const read = readAnnotations(json.effect, annotationsFound);
  let failed = false;
  if (!read.ok) {
    for (const annotationProblem of read.problems) {
      problems.push(
        problemAt(
          'annotation',
          source,
          fileContent,
          idLabel,
          annotationOffset(source.text, annotationProblem.annotation),
          annotationProblem.message,
        ),
      );
    }
    failed = true;
  }
  for (const tool of unknownTools(json, tools)) {
    problems.push(
      problemAt(
        'validation',
        source,
        fileContent,
        idLabel,
        toolOffset(source.text, tool),
        `unknown tool ${JSON.stringify(tool)}: Interlock::Tool::${JSON.stringify(tool)} is not in the registry`,
      ),
    );
    failed = true;
  }
  if (failed || !read.ok) return null;
  const id = read.value.id ?? fallbackId;
  return {
    id,
    file: source.file,
    line: policyStart(source, fileContent).line,
    effect: json.effect,
    annotations: read.value,
    text: source.text,
    json,
  };
}

function validatePolicies(
  schemaJson: Parameters<typeof validate>[0]['schema'],
  parsed: ReadonlyMap<string, ParsedPolicy>,
  problems: BundleProblem[],
  warnings: BundleProblem[],
): void {
  const staticPolicies: Record<string, string> = {};
  for (const [id, entry] of parsed) staticPolicies[id] = entry.source.text;
  const answer = validate({ schema: schemaJson, policies: { staticPolicies }, validationSettings: { mode: 'strict' } });
  if (answer.type === 'failure') {
    for (const error of answer.errors)
      problems.push({ stage: 'validation', file: null, policyId: null, line: null, column: null, message: describeCedarError(error) });
    return;
  }
  const place = (stage: 'validation', policyId: string, error: DetailedError): BundleProblem => {
    const entry = parsed.get(policyId);
    if (entry === undefined) return { stage, file: null, policyId, line: null, column: null, message: describeCedarError(error) };
    return problemAt(stage, entry.source, entry.fileContent, policyId, firstOffset(error), describeCedarError(error));
  };
  for (const error of answer.validationErrors) problems.push(place('validation', error.policyId, error.error));
  for (const warning of answer.validationWarnings) warnings.push(place('validation', warning.policyId, warning.error));
}

/** A problem located in its file: at Cedar's byte offset within the policy when known, else at the policy's start. */
function problemAt(
  stage: BundleProblem['stage'],
  source: PolicySource,
  fileContent: string,
  policyId: string | null,
  byteOffsetInPolicy: number | null,
  message: string,
): BundleProblem {
  const position =
    byteOffsetInPolicy === null
      ? policyStart(source, fileContent)
      : positionAt(fileContent, source.offset + characterOffset(source.text, byteOffsetInPolicy));
  return { stage, file: source.file, policyId, line: position.line, column: position.column, message };
}

function firstOffset(error: DetailedError): number | null {
  const location = error.sourceLocations?.[0];
  return location === undefined ? null : location.start;
}

function describeCedarError(error: DetailedError): string {
  const label = error.sourceLocations?.find((location) => location.label !== null)?.label;
  let message = error.message;
  if (label !== undefined && label !== null) message += ` (${label})`;
  if (error.help !== null && error.help !== '') message += `; help: ${error.help}`;
  return message;
}

/** Byte offset of `@name` in a policy's text, for pointing at a bad annotation. */
function annotationOffset(text: string, name: string): number | null {
  const match = new RegExp(`@${name.replace(/[^A-Za-z0-9_]/g, '')}\\b`).exec(text);
  return match === null ? null : Buffer.byteLength(text.slice(0, match.index), 'utf8');
}

function toolOffset(text: string, tool: string): number | null {
  const needle = `Interlock::Tool::${JSON.stringify(tool)}`;
  const index = text.indexOf(needle);
  return index === -1 ? null : Buffer.byteLength(text.slice(0, index), 'utf8');
}
