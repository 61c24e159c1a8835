import { readFileSync } from 'node:fs';
import { InterlockError, isInterlockError } from '../../errors/interlock-error.js';
import type { PlanView } from '../../plans/plan.js';
import { openRuntime, type Runtime } from '../../runtime/open-runtime.js';
import { EXIT_CHECK_FAILED, EXIT_OK } from '../output.js';

export interface PlanProposeOptions {
  readonly project: string;
  readonly file: string;
  readonly agent: string;
  readonly json?: boolean;
}

export interface PlanShowOptions {
  readonly project: string;
  readonly json?: boolean;
}

export interface PlanExecuteOptions {
  readonly project: string;
  readonly agent: string;
  readonly json?: boolean;
}

/** Acting-for assertions come from the environment, never the command line (where `ps` shows them). */
const ACTING_FOR_VARIABLE = 'INTERLOCK_ACTING_FOR';
const MAX_PLAN_FILE_BYTES = 1024 * 1024;

/**
 * `interlock plans propose`: decides every action in the file as the agent, runs none, and stores
 * the plan. Exit 0 when it is proposed, 1 when it is blocked (a cap, a refused step).
 */
export async function planPropose(options: PlanProposeOptions): Promise<number> {
  const proposal = readProposal(options.file);
  return withRuntime(options.project, async (runtime) => {
    const plan = await runtime.plans.propose(proposal, { kind: 'in_process', agentId: options.agent });
    print(plan, options.json === true, options);
    return plan.status === 'blocked' ? EXIT_CHECK_FAILED : EXIT_OK;
  });
}

/** `interlock plans show ID`: the plan as stored, with its approvals as they stand now. */
export async function planShow(id: string, options: PlanShowOptions): Promise<number> {
  return withRuntime(options.project, async (runtime) => {
    // Whoever can open the project's store reads every plan in it, as an operator of every tenant.
    const plan = await runtime.plans.get(id, { kind: 'operator', operatorId: 'cli', tenants: '*' });
    print(plan, options.json === true, options);
    return EXIT_OK;
  });
}

/**
 * `interlock plans execute ID --agent ID`: runs a proposed plan as the agent that proposed it. Exit 0
 * when every step executed; 1 when a step failed or the plan may not run (blocked, waiting for
 * approvals, already run).
 */
export async function planExecute(id: string, options: PlanExecuteOptions): Promise<number> {
  return withRuntime(options.project, async (runtime) => {
    let plan: PlanView;
    try {
      plan = await runtime.plans.execute(id, { kind: 'in_process', agentId: options.agent }, actingFor());
    } catch (error) {
      if (!isInterlockError(error) || !error.code.startsWith('PLAN_')) throw error;
      if (options.json === true) process.stdout.write(`${JSON.stringify({ schemaVersion: 1, error: error.toData() }, null, 2)}\n`);
      process.stderr.write(`interlock: ${error.code}: ${error.message}\n`);
      return EXIT_CHECK_FAILED;
    }
    print(plan, options.json === true, options);
    return plan.status === 'executed' ? EXIT_OK : EXIT_CHECK_FAILED;
  });
}

async function withRuntime(project: string, body: (runtime: Runtime) => Promise<number>): Promise<number> {
  const runtime = await openRuntime(project, {
    loadHandlers: true,
    startMcpUpstreams: true,
    logStream: process.stderr,
    logLevel: 'warn',
    processMetrics: false,
  });
  try {
    return await body(runtime);
  } finally {
    await runtime.close();
  }
}

/** The file holds a list of actions, or a proposal object `{ actions, traceId?, sessionId? }`. */
function readProposal(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InterlockError('REQUEST_INVALID', `--file ${file} cannot be read`);
  }
  if (Buffer.byteLength(text) > MAX_PLAN_FILE_BYTES) throw new InterlockError('REQUEST_INVALID', `--file ${file} is larger than 1 MiB`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InterlockError('REQUEST_INVALID', `--file ${file} is not valid JSON`);
  }
  const proposal: Record<string, unknown> = Array.isArray(parsed)
    ? { actions: parsed }
    : parsed !== null && typeof parsed === 'object'
      ? { ...(parsed as Record<string, unknown>) }
      : {};
  if (proposal['actingFor'] !== undefined) {
    throw new InterlockError('REQUEST_INVALID', `the acting-for assertion is read from ${ACTING_FOR_VARIABLE}, not from the file`);
  }
  const assertion = actingFor();
  if (assertion !== undefined) proposal['actingFor'] = assertion;
  return proposal;
}

function actingFor(): string | undefined {
  const value = process.env[ACTING_FOR_VARIABLE];
  return value === undefined || value === '' ? undefined : value;
}

function print(plan: PlanView, json: boolean, options: { project: string }): void {
  process.stdout.write(json ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan, options.project));
}

function formatPlan(plan: PlanView, project: string): string {
  const lines = [`Plan ${plan.id}: ${headline(plan)}`, `  agent ${plan.agentId} (tenant ${plan.tenant}), trace ${plan.traceId}`];
  if (plan.actingFor !== null) lines.push(`  acting for ${plan.actingFor.userId}`);
  lines.push(`  hash ${plan.hash}`, '');
  const outcomes = new Map((plan.execution?.steps ?? []).map((step) => [step.index, step]));
  lines.push(
    ...table(
      ['#', 'STEP', 'EFFECT', 'DECISION', 'APPROVAL', 'ENTITIES', 'COST', 'OUTCOME'],
      plan.steps.map((step) => {
        const outcome = outcomes.get(step.index);
        const approval = step.evaluation?.approval;
        return [
          String(step.index),
          `${step.tool}.${step.operation}`,
          step.effect ?? '?',
          step.evaluation === null
            ? 'not evaluated'
            : step.evaluation.error === null
              ? (step.evaluation.decision?.kind ?? step.evaluation.status)
              : `${step.evaluation.status} ${step.evaluation.error.code}`,
          approval === null || approval === undefined
            ? '-'
            : `${approval.id} (${approval.approverRole}, ${step.approvalStatus ?? approval.status})`,
          String(step.blastRadius.entityCount),
          `$${step.blastRadius.costUsd}`,
          outcome === undefined ? '-' : outcome.error === undefined ? outcome.status : `${outcome.status} ${outcome.error.code}`,
        ];
      }),
    ),
    '',
  );
  const { totals } = plan;
  lines.push(
    `Totals: ${plural(totals.toolCalls, 'tool call')}, ${plural(totals.writes, 'write')}, ${plural(totals.entities, 'entity', 'entities')} (${totals.distinctEntities} distinct), $${totals.costUsd}`,
  );
  if (plan.blocked !== null) lines.push(`Blocked: ${plan.blocked.message}`);
  if (plan.status === 'proposed') {
    const run = `interlock plans execute ${plan.id} --agent ${plan.agentId} --project ${quote(project)}`;
    lines.push(
      plan.ready
        ? `Ready. Run it with:\n  ${run}`
        : `Waiting for ${plural(plan.pendingApprovals.length, 'approval')}: ${plan.pendingApprovals.join(', ')}. Once approved, run:\n  ${run}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function headline(plan: PlanView): string {
  switch (plan.status) {
    case 'proposed':
      return plan.ready ? 'PROPOSED, ready to run' : 'PROPOSED, waiting for approvals';
    case 'blocked':
      return 'BLOCKED, it will not run';
    case 'executing':
      return 'EXECUTING';
    case 'executed':
      return 'EXECUTED, every step ran';
    case 'failed':
      return `FAILED at step ${plan.execution?.steps.at(-1)?.index ?? '?'}; later steps did not run`;
  }
}

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].map((text) => `  ${text}`);
}

function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

function quote(text: string): string {
  return /^[A-Za-z0-9._:/@=+-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
