import { parseDuration } from '../../config/duration.js';
import { InterlockError } from '../../errors/interlock-error.js';
import type { RollbackEntry, RollbackFilter, RollbackPlan, RollbackReport, RollbackStep, RollbackStop } from '../../execution/rollback.js';
import { normaliseFilter } from '../../execution/rollback.js';
import { openRuntime } from '../../runtime/open-runtime.js';
import { EXIT_CHECK_FAILED, EXIT_OK } from '../output.js';

export interface RollbackCommandOptions {
  readonly project: string;
  readonly trace?: string;
  readonly session?: string;
  readonly agent?: string;
  readonly since?: string;
  readonly tenant?: string;
  readonly execute?: boolean;
  readonly quarantine?: boolean;
  readonly by?: string;
  readonly reason?: string;
  readonly json?: boolean;
}

const RELATIVE_TIME = /^\d+(ms|s|m|h|d)$/;
const ARGUMENTS_SHOWN = 70;

/**
 * `interlock rollback`: shows the compensations of a trace, session or agent, newest first (dry
 * run), or runs them through the kernel with --execute. Exit 0 when nothing failed, 1 when a
 * compensation did not execute (the rest stay pending), 2 on usage errors.
 */
export async function rollback(options: RollbackCommandOptions, now: number = Date.now()): Promise<number> {
  // Every usage mistake is refused before the project is opened.
  const filter = normaliseFilter(filterFrom(options, now));
  const execute = options.execute === true;
  if (execute && (options.reason === undefined || options.reason.trim() === '')) {
    throw new InterlockError('REQUEST_INVALID', '--execute needs --reason (recorded in the audit log with --by)');
  }
  const runtime = await openRuntime(options.project, {
    loadHandlers: true,
    startMcpUpstreams: true,
    logStream: process.stderr,
    logLevel: 'warn',
    processMetrics: false,
  });
  try {
    if (!execute) {
      const plan = await runtime.rollback.planRollback(filter);
      process.stdout.write(options.json === true ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan, options));
      return EXIT_OK;
    }
    const report = await runtime.rollback.executeRollback(filter, {
      by: options.by ?? '',
      reason: options.reason ?? '',
      quarantineIrreversible: options.quarantine === true,
    });
    process.stdout.write(options.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return report.ok ? EXIT_OK : EXIT_CHECK_FAILED;
  } finally {
    await runtime.close();
  }
}

function filterFrom(options: RollbackCommandOptions, now: number): RollbackFilter {
  const chosen = [options.trace, options.session, options.agent].filter((value) => value !== undefined).length;
  if (chosen !== 1) throw usage('choose exactly one of --trace ID, --session ID, or --agent ID --since TIME');
  const tenant = options.tenant === undefined ? {} : { tenant: options.tenant };
  if (options.agent === undefined && options.since !== undefined) throw usage('--since goes with --agent');
  if (options.trace !== undefined) return { traceId: options.trace, ...tenant };
  if (options.session !== undefined) return { sessionId: options.session, ...tenant };
  if (options.since === undefined) throw usage('--agent needs --since (an ISO time, or a duration back from now such as 2h)');
  return { agentId: options.agent ?? '', since: sinceTime(options.since, now), ...tenant };
}

/** An ISO time as given, or a duration back from now (`30m`, `2h`, `1d`). */
function sinceTime(text: string, now: number): string {
  if (RELATIVE_TIME.test(text)) return new Date(now - parseDuration(text)).toISOString();
  const parsed = Date.parse(text);
  if (!Number.isFinite(parsed)) throw usage(`--since "${text.slice(0, 40)}" is neither an ISO time nor a duration such as 2h`);
  return new Date(parsed).toISOString();
}

function describeFilter(filter: RollbackFilter): string {
  const what =
    filter.traceId !== undefined
      ? `trace ${filter.traceId}`
      : filter.sessionId !== undefined
        ? `session ${filter.sessionId}`
        : `agent ${filter.agentId ?? ''} since ${filter.since ?? ''}`;
  return filter.tenant === undefined ? what : `${what} (tenant ${filter.tenant})`;
}

function formatPlan(plan: RollbackPlan, options: RollbackCommandOptions): string {
  const { counts } = plan;
  const lines = [
    `Rollback plan for ${describeFilter(plan.filter)}: ${plural(counts.total, 'write')}; ${counts.pending} to compensate, ` +
      `${counts.irreversible} irreversible, ${counts.compensated} already compensated, ${counts.quarantined} quarantined.`,
  ];
  if (plan.entries.length === 0) {
    lines.push('No recorded writes match: nothing to roll back.');
    return `${lines.join('\n')}\n`;
  }
  lines.push(
    '',
    ...table(
      ['#', 'ORIGINAL CALL', 'CALL ID', 'EXECUTED AT', 'COMPENSATION', 'STATUS'],
      plan.entries.map((entry) => [
        String(entry.order),
        `${entry.tool}.${entry.operation}`,
        entry.callId,
        entry.executedAt,
        compensationText(entry),
        statusText(entry, options.quarantine === true),
      ]),
    ),
    '',
  );
  const command = executeCommand(plan.filter, options);
  if (counts.pending === 0 && (counts.irreversible === 0 || options.quarantine === true)) {
    lines.push('Dry run: nothing was changed, and nothing is left to compensate.');
    if (counts.irreversible > 0) lines.push(`To quarantine the irreversible writes for review:\n  ${command}`);
  } else {
    lines.push(
      `Dry run: nothing was changed. To run ${plural(counts.pending, 'compensation')} in this order (stopping at the first that does not execute):`,
      `  ${command}`,
    );
    if (counts.irreversible > 0 && options.quarantine !== true) {
      lines.push('Add --quarantine to mark the irreversible writes for review.');
    }
  }
  return `${lines.join('\n')}\n`;
}

function formatReport(report: RollbackReport): string {
  const lines = [`Rollback ${report.traceId} of ${describeFilter(report.filter)} by ${report.by}: ${report.reason}`, ''];
  if (report.steps.length === 0) {
    lines.push('No recorded writes match: nothing to roll back.');
    return `${lines.join('\n')}\n`;
  }
  lines.push(
    ...table(
      ['#', 'ORIGINAL CALL', 'CALL ID', 'COMPENSATION', 'RESULT'],
      report.steps.map((step) => [
        String(step.order),
        `${step.tool}.${step.operation}`,
        step.callId,
        stepCompensation(step),
        resultText(step, report.stoppedAt),
      ]),
    ),
    '',
  );
  const { counts } = report;
  lines.push(
    `Compensated ${counts.compensated}, already compensated ${counts.alreadyCompensated}, irreversible ${counts.irreversible}, ` +
      `quarantined ${counts.quarantined}, failed ${counts.failed}, not run ${counts.notRun}.`,
  );
  const stop = report.stoppedAt;
  if (stop !== null) {
    const left = counts.notRun;
    lines.push(
      `Stopped at #${stop.order} (${stop.callId}): ${stop.code === null ? '' : `${stop.code}: `}${stop.message}`,
      stop.approvalId === null
        ? `${plural(left + 1, 'write')} left pending. Fix the cause and run the rollback again: nothing compensated is run twice.`
        : `${plural(left + 1, 'write')} left pending. Once approval ${stop.approvalId} is granted, run the rollback again.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function compensationText(entry: RollbackEntry): string {
  if (entry.compensation === null) return entry.status === 'pending' ? 'UNREADABLE' : 'IRREVERSIBLE';
  return `${entry.compensation.tool}.${entry.compensation.operation} ${shorten(JSON.stringify(entry.compensation.arguments))}`;
}

function stepCompensation(step: RollbackStep): string {
  if (step.compensation === null) return step.result === 'failed' ? 'UNREADABLE' : 'IRREVERSIBLE';
  return `${step.compensation.tool}.${step.compensation.operation} ${shorten(JSON.stringify(step.compensation.arguments))}`;
}

function statusText(entry: RollbackEntry, quarantine: boolean): string {
  switch (entry.status) {
    case 'pending':
      return 'pending: will run';
    case 'compensated':
      return `compensated by ${entry.compensatedByCall ?? '?'}: skipped`;
    case 'irreversible':
      return quarantine ? 'irreversible: will be quarantined' : 'irreversible: skipped';
    case 'quarantined':
      return 'quarantined: skipped';
  }
}

function resultText(step: RollbackStep, stop: RollbackStop | null): string {
  switch (step.result) {
    case 'compensated':
      return step.replayed
        ? `compensated (earlier, by ${step.compensatingCallId ?? '?'})`
        : `compensated by ${step.compensatingCallId ?? '?'}`;
    case 'failed':
      // The reason in full is printed once, below the table.
      if (stop !== null && stop.approvalId !== null) return `WAITING for approval ${stop.approvalId}`;
      return `FAILED: ${stop?.code ?? stop?.callStatus ?? 'see below'}`;
    case 'already_compensated':
      return `already compensated by ${step.compensatingCallId ?? '?'}`;
    case 'irreversible':
      return 'irreversible: skipped';
    case 'quarantined':
      return step.note;
    case 'not_run':
      return 'not run (left pending)';
  }
}

/** The command that executes this plan (the start time is pinned, so it covers the same writes). */
function executeCommand(filter: RollbackFilter, options: RollbackCommandOptions): string {
  const parts = ['interlock rollback', '--project', quote(options.project)];
  if (filter.traceId !== undefined) parts.push('--trace', quote(filter.traceId));
  if (filter.sessionId !== undefined) parts.push('--session', quote(filter.sessionId));
  if (filter.agentId !== undefined) parts.push('--agent', quote(filter.agentId), '--since', quote(filter.since ?? ''));
  if (filter.tenant !== undefined) parts.push('--tenant', quote(filter.tenant));
  parts.push('--execute');
  if (options.quarantine === true) parts.push('--quarantine');
  parts.push('--by', options.by === undefined || options.by === '' ? 'WHO' : quote(options.by), '--reason', quote(options.reason ?? 'WHY'));
  return parts.join(' ');
}

/** Columns padded to their widest cell; the last column is not padded. */
function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].map((text) => `  ${text}`);
}

function shorten(text: string): string {
  return text.length > ARGUMENTS_SHOWN ? `${text.slice(0, ARGUMENTS_SHOWN - 1)}…` : text;
}

function quote(text: string): string {
  return /^[A-Za-z0-9._:/@=+-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function usage(message: string): InterlockError {
  return new InterlockError('REQUEST_INVALID', message);
}
