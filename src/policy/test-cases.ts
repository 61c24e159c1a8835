import { isNode, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { environmentSchema, stageSchema } from '../config/schema.js';
import type { AgentPrincipal, UserPrincipal } from '../identity/principal.js';
import { extractEntities } from '../registry/entities.js';
import type { BundleProblem } from './bundle-report.js';
import type { PolicyBundle } from './compiled-bundle.js';
import { decideWithBundle } from './decide.js';
import type { Decision, DecisionKind, PolicyRequest } from './decision.js';
import type { CedarAuthorizer } from './evaluate-side.js';

const nonEmpty = z.string().min(1);

const testCaseSchema = z.strictObject({
  name: nonEmpty,
  agent: z.strictObject({
    id: nonEmpty,
    tenant: nonEmpty,
    environment: environmentSchema,
    stage: stageSchema,
    owner: nonEmpty.default('unspecified'),
  }),
  actingFor: z.strictObject({ id: nonEmpty, tenant: nonEmpty, roles: z.array(nonEmpty).default([]) }).optional(),
  tool: nonEmpty,
  operation: nonEmpty,
  arguments: z.record(z.string(), z.unknown()).default({}),
  /** Environment serving the call; defaults to the agent's. */
  environment: environmentSchema.optional(),
  risk: z
    .strictObject({
      score: z.number().default(0),
      taintedArgs: z.array(z.string()).default([]),
      taintSources: z.array(z.string()).default([]),
      injectionScore: z.number().default(0),
      signals: z.array(z.string()).default([]),
      repeats: z.number().default(0),
      confidence: z.number().default(100),
      citations: z
        .strictObject({
          cited: z.number().int().default(0),
          valid: z.number().int().default(0),
          stale: z.number().int().default(0),
          quarantined: z.number().int().default(0),
          unknown: z.number().int().default(0),
        })
        .default({ cited: 0, valid: 0, stale: 0, quarantined: 0, unknown: 0 }),
    })
    .optional(),
  expect: z.enum(['allow', 'deny', 'require_approval']),
  /** Checked only when given. */
  obligations: z
    .strictObject({
      approvalRole: nonEmpty.optional(),
      quorum: z.number().int().positive().optional(),
      redactFields: z.array(nonEmpty).optional(),
      readOnly: z.boolean().optional(),
    })
    .optional(),
  /** The exact determining policy ids, in any order, when given. */
  policyIds: z.array(nonEmpty).optional(),
  /** A case may expect evaluation errors (a fail-closed deny); otherwise errors fail the case. */
  expectErrors: z.boolean().default(false),
});

const testFileSchema = z.strictObject({ cases: z.array(testCaseSchema).min(1) });

export type PolicyTestCaseInput = z.infer<typeof testCaseSchema>;

/** One test case with where it came from. */
export interface PolicyTestCase extends PolicyTestCaseInput {
  readonly file: string;
  readonly line: number | null;
}

export interface PolicyTestResult {
  readonly file: string;
  readonly line: number | null;
  readonly name: string;
  readonly passed: boolean;
  readonly expected: DecisionKind;
  /** Null when the case could not be run (for example, it names an operation the registry lacks). */
  readonly decision: Decision | null;
  readonly failures: readonly string[];
}

/** Parses a `*.test.yaml` file; problems carry the file and line of the offending node. */
export function parseTestFile(
  file: string,
  content: string,
): { ok: true; cases: PolicyTestCase[] } | { ok: false; problems: BundleProblem[] } {
  const lineCounter = new LineCounter();
  const document = parseDocument(content, { lineCounter, prettyErrors: false });
  const problem = (offset: number | null, message: string): BundleProblem => {
    const position = offset === null ? null : lineCounter.linePos(offset);
    return { stage: 'test', file, policyId: null, line: position?.line ?? null, column: position?.col ?? null, message };
  };
  if (document.errors.length > 0) {
    return { ok: false, problems: document.errors.map((error) => problem(error.pos[0], `YAML: ${error.message}`)) };
  }
  const offsetOf = (path: ReadonlyArray<PropertyKey>): number | null => {
    const node: unknown = document.getIn(
      path.filter((part): part is string | number => typeof part !== 'symbol'),
      true,
    );
    return isNode(node) && node.range !== null && node.range !== undefined ? node.range[0] : null;
  };
  const parsed = testFileSchema.safeParse(document.toJS());
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) =>
        problem(offsetOf(issue.path), `${issue.path.map(String).join('.') || '<file>'}: ${issue.message}`),
      ),
    };
  }
  const cases = parsed.data.cases.map((testCase, index) => {
    const offset = offsetOf(['cases', index]);
    return { ...testCase, file, line: offset === null ? null : lineCounter.linePos(offset).line };
  });
  return { ok: true, cases };
}

/** The request a test case describes, with effect and entities taken from the bundle's registry. */
export function testCaseRequest(bundle: PolicyBundle, testCase: PolicyTestCaseInput): PolicyRequest | null {
  const operation = bundle.schema.operations.get(`${testCase.tool}.${testCase.operation}`);
  if (operation === undefined) return null;
  const agent: AgentPrincipal = {
    agentId: testCase.agent.id,
    tenant: testCase.agent.tenant,
    environment: testCase.agent.environment,
    stage: testCase.agent.stage,
    owner: testCase.agent.owner,
    tokenId: null,
  };
  const actingFor: UserPrincipal | null =
    testCase.actingFor === undefined
      ? null
      : { userId: testCase.actingFor.id, tenant: testCase.actingFor.tenant, roles: testCase.actingFor.roles, issuer: 'policy-test' };
  return {
    agent,
    actingFor,
    tool: testCase.tool,
    operation: testCase.operation,
    effect: operation.contract.effect,
    arguments: testCase.arguments,
    environment: testCase.environment ?? testCase.agent.environment,
    risk: testCase.risk ?? { score: 0, taintedArgs: [] },
    entities: extractEntities(operation.contract, testCase.arguments),
  };
}

export interface PolicyTestOptions {
  readonly authorize?: CedarAuthorizer;
}

/** Runs test cases against a bundle through the same decision path production uses. */
export function runPolicyTests(
  bundle: PolicyBundle,
  cases: readonly PolicyTestCase[],
  options: PolicyTestOptions = {},
): PolicyTestResult[] {
  return cases.map((testCase) => {
    const base = { file: testCase.file, line: testCase.line, name: testCase.name, expected: testCase.expect };
    const request = testCaseRequest(bundle, testCase);
    if (request === null) {
      return {
        ...base,
        passed: false,
        decision: null,
        failures: [`operation ${testCase.tool}.${testCase.operation} is not in the registry`],
      };
    }
    const decision =
      options.authorize === undefined ? decideWithBundle(bundle, request) : decideWithBundle(bundle, request, options.authorize);
    const failures = checkDecision(testCase, decision);
    return { ...base, passed: failures.length === 0, decision, failures };
  });
}

function checkDecision(testCase: PolicyTestCaseInput, decision: Decision): string[] {
  const failures: string[] = [];
  if (decision.kind !== testCase.expect)
    failures.push(`expected ${testCase.expect}, got ${decision.kind} (${decision.reasons.join('; ')})`);
  if (decision.errors.length > 0 && !testCase.expectErrors) failures.push(`evaluation errors: ${decision.errors.join('; ')}`);
  if (decision.errors.length === 0 && testCase.expectErrors) failures.push('expected evaluation errors, got none');
  const expected = testCase.obligations;
  if (expected !== undefined) {
    const actual = decision.obligations;
    if (expected.approvalRole !== undefined && actual.approval?.role !== expected.approvalRole) {
      failures.push(`expected approval by ${expected.approvalRole}, got ${actual.approval?.role ?? 'no approval'}`);
    }
    if (expected.quorum !== undefined && actual.approval?.quorum !== expected.quorum) {
      failures.push(`expected quorum ${expected.quorum}, got ${actual.approval?.quorum ?? 'no approval'}`);
    }
    if (expected.redactFields !== undefined && !sameSet(expected.redactFields, actual.redactFields)) {
      failures.push(`expected redactFields [${expected.redactFields.join(', ')}], got [${actual.redactFields.join(', ')}]`);
    }
    if (expected.readOnly !== undefined && actual.readOnly !== expected.readOnly) {
      failures.push(`expected readOnly ${expected.readOnly}, got ${actual.readOnly}`);
    }
  }
  if (testCase.policyIds !== undefined && !sameSet(testCase.policyIds, decision.policyIds)) {
    failures.push(`expected policies [${testCase.policyIds.join(', ')}], got [${decision.policyIds.join(', ')}]`);
  }
  return failures;
}

function sameSet(left: readonly string[], right: readonly string[]): boolean {
  const leftSet = new Set(left);
  const rightSet = new Set(right);
  return leftSet.size === rightSet.size && [...leftSet].every((item) => rightSet.has(item));
}

/** A printable summary of test results, one line per case and the failures beneath. */
export function formatPolicyTestReport(results: readonly PolicyTestResult[]): string {
  const passed = results.filter((result) => result.passed).length;
  const lines: string[] = [];
  for (const result of results) {
    const where = result.line === null ? result.file : `${result.file}:${result.line}`;
    lines.push(`${result.passed ? 'PASS' : 'FAIL'} ${where} ${result.name}`);
    for (const failure of result.failures) lines.push(`     ${failure}`);
  }
  lines.push(`${passed}/${results.length} policy test case(s) passed`);
  return `${lines.join('\n')}\n`;
}
