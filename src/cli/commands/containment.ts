import { ContainmentService } from '../../containment/containment-service.js';
import { InterlockError } from '../../errors/interlock-error.js';
import type { ProjectFile } from '../../config/schema.js';
import type { ContainmentRule, ContainmentScope, SessionMode } from '../../store/store.js';
import { projectContext } from '../project-context.js';
import { withAuditedStore } from './audited-store.js';

export const MODE_CHOICES: readonly SessionMode[] = ['normal', 'elevated', 'read_only', 'locked'];

/** One of these names what is stopped; `--agent` also takes a configured agent id alone. */
export interface Selectors {
  readonly fleet?: boolean;
  readonly tenant?: string;
  readonly agent?: string;
  readonly tool?: string;
  readonly operation?: string;
  readonly session?: string;
}

interface Actor {
  readonly project: string;
  readonly reason?: string;
  readonly by: string;
  readonly json?: boolean;
}

export type KillOptions = Selectors & Actor & { readonly revoke?: boolean; readonly list?: boolean };
export type UnkillOptions = Selectors & Actor;
export type ModeOptions = Selectors & Actor & { readonly set: SessionMode };

const KILL_SELECTORS = '--fleet, --tenant T, --agent T/A, --tool T/TOOL or --operation T/TOOL.OP';

/**
 * `interlock kill`: stops tool execution for the fleet, a tenant, an agent, a tool or an operation.
 * Written to the store; `interlock serve` processes on it refuse the next call once their view
 * refreshes (at once on PostgreSQL, within containment.pollInterval otherwise). `--list` shows
 * the kill switches and modes in force instead.
 */
export async function kill(options: KillOptions): Promise<void> {
  if (options.list === true) return list(options);
  const config = configOf(options.project);
  const { scope, target } = selected(options, config, ['fleet', 'tenant', 'agent', 'tool', 'operation'], KILL_SELECTORS, 'kill', true);
  const reason = requiredReason(options.reason);
  const rule = await withAuditedStore(options.project, ({ store, audit }) =>
    new ContainmentService({ store, audit }).kill({ scope, target, reason, by: options.by, revokeCredentials: options.revoke === true }),
  );
  if (options.json === true) return printJson({ rule });
  const revoked = options.revoke === true ? '; every token it holds is revoked' : '';
  process.stdout.write(
    `kill switch set on ${describeTarget(scope, target)} by ${rule.setBy}: ${rule.reason} (rule ${rule.id})${revoked}\n`,
  );
}

/** `interlock unkill`: lifts the kill switches on exactly one scope and target. */
export async function unkill(options: UnkillOptions): Promise<void> {
  const config = configOf(options.project);
  const { scope, target } = selected(options, config, ['fleet', 'tenant', 'agent', 'tool', 'operation'], KILL_SELECTORS, 'unkill', false);
  const reason = requiredReason(options.reason);
  const result = await withAuditedStore(options.project, async ({ store, audit }) => {
    const containment = new ContainmentService({ store, audit });
    const active = (await containment.list()).filter((rule) => rule.kind === 'kill' && rule.scope === scope && rule.target === target);
    const lifted = await containment.unkill({ scope, target, reason, by: options.by });
    return { lifted, rules: lifted === 0 ? [] : active };
  });
  if (options.json === true) return printJson(result);
  process.stdout.write(
    result.lifted === 0
      ? `no kill switch was active on ${describeTarget(scope, target)}; nothing lifted\n`
      : `lifted ${result.lifted} kill switch${result.lifted === 1 ? '' : 'es'} on ${describeTarget(scope, target)} by ${options.by}: ${reason}\n`,
  );
}

/** `interlock mode`: sets the mode of a tenant, an agent or a session; `normal` lifts it. */
export async function mode(options: ModeOptions): Promise<void> {
  if (!MODE_CHOICES.includes(options.set)) throw usage(`--set must be one of ${MODE_CHOICES.join(', ')}`);
  const config = configOf(options.project);
  const { scope, target } = selected(
    options,
    config,
    ['tenant', 'agent', 'session'],
    '--tenant T, --agent T/A or --session T/S',
    'mode',
    true,
  );
  if (scope !== 'tenant' && scope !== 'agent' && scope !== 'session') throw usage('a mode is set on a tenant, an agent or a session');
  const reason = requiredReason(options.reason);
  const rule = await withAuditedStore(options.project, ({ store, audit }) =>
    new ContainmentService({ store, audit }).setMode({ scope, target, mode: options.set, reason, by: options.by }),
  );
  if (options.json === true) return printJson({ scope, target, mode: options.set, rule });
  process.stdout.write(
    options.set === 'normal'
      ? `${describeTarget(scope, target)} is back to normal (by ${options.by}: ${reason})\n`
      : `${describeTarget(scope, target)} is now ${options.set} (by ${options.by}: ${reason}; rule ${rule?.id ?? '?'})\n`,
  );
}

async function list(options: KillOptions): Promise<void> {
  const chosen = [options.fleet === true, options.tenant, options.agent, options.tool, options.operation, options.reason, options.revoke];
  if (chosen.some((value) => value !== undefined && value !== false)) {
    throw usage('--list takes no selector, --reason or --revoke');
  }
  const rules = await withAuditedStore(options.project, ({ store, audit }) => new ContainmentService({ store, audit }).list());
  const killSwitches = rules.filter((rule) => rule.kind === 'kill');
  const modes = rules.filter((rule) => rule.kind === 'mode');
  if (options.json === true) return printJson({ killSwitches, modes });
  if (rules.length === 0) {
    process.stdout.write('no kill switches or modes in force\n');
    return;
  }
  process.stdout.write([...killSwitches, ...modes].map(describeRule).join(''));
}

function describeRule(rule: ContainmentRule): string {
  const what = rule.kind === 'kill' ? 'kill' : `mode ${rule.mode ?? '?'}`;
  return `${what.padEnd(16)} ${describeTarget(rule.scope, rule.target).padEnd(40)} set by ${rule.setBy} at ${rule.setAt}: ${rule.reason}\n`;
}

function describeTarget(scope: ContainmentScope, target: string): string {
  return scope === 'fleet' ? 'the whole fleet' : `${scope} ${target}`;
}

/**
 * The one scope and target the selectors name. When setting (`mustExist`), tenants and agents must
 * be configured, so a typo does not set a rule that stops nothing; lifting takes any well-formed
 * target, so a rule that outlived a configuration change can still be lifted.
 */
function selected(
  options: Selectors,
  config: ProjectFile,
  allowed: readonly ContainmentScope[],
  help: string,
  command: string,
  mustExist: boolean,
): { scope: ContainmentScope; target: string } {
  const given: Array<{ scope: ContainmentScope; value: string }> = [];
  if (options.fleet === true) given.push({ scope: 'fleet', value: '*' });
  for (const scope of ['tenant', 'agent', 'tool', 'operation', 'session'] as const) {
    const value = options[scope];
    if (value !== undefined) given.push({ scope, value });
  }
  const [choice, ...rest] = given;
  if (choice === undefined || rest.length > 0) throw usage(`${command} needs exactly one of ${help}`);
  if (!allowed.includes(choice.scope)) throw usage(`${command} takes ${help}, not --${choice.scope}`);
  const target = choice.scope === 'agent' && !choice.value.includes('/') ? qualifiedAgent(choice.value, config) : choice.value;
  if (mustExist) checkConfigured(choice.scope, target, config);
  return { scope: choice.scope, target };
}

/** `--agent support-bot` for the configured agent of that id, in its tenant. */
function qualifiedAgent(agentId: string, config: ProjectFile): string {
  const agent = config.agents.find((candidate) => candidate.id === agentId);
  if (agent === undefined) throw usage(`--agent "${agentId.slice(0, 80)}" is not a configured agent; give TENANT/AGENT`);
  return `${agent.tenant}/${agent.id}`;
}

function checkConfigured(scope: ContainmentScope, target: string, config: ProjectFile): void {
  if (scope === 'fleet') return;
  const [tenant = '', rest = ''] = scope === 'tenant' ? [target] : target.split('/');
  if (tenant !== '*' && !config.tenants.some((candidate) => candidate.id === tenant)) {
    throw usage(
      `tenant "${tenant.slice(0, 80)}" is not in the project (tenants: ${config.tenants.map((candidate) => candidate.id).join(', ')})`,
    );
  }
  if (scope === 'agent' && !config.agents.some((agent) => agent.tenant === tenant && agent.id === rest)) {
    throw usage(`agent "${rest.slice(0, 80)}" is not configured in tenant "${tenant}"`);
  }
}

function requiredReason(reason: string | undefined): string {
  if (reason === undefined || reason.trim() === '') throw usage('--reason is required (recorded in the audit log with --by)');
  return reason;
}

/** The configuration alone, to check the selectors before the store is opened. */
function configOf(projectPath: string): ProjectFile {
  return projectContext(projectPath).project.config;
}

function printJson(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ schemaVersion: 1, ...value }, null, 2)}\n`);
}

function usage(message: string): InterlockError {
  return new InterlockError('REQUEST_INVALID', message);
}
