import type { ContainmentRule, ContainmentScope, SessionMode } from '../store/store.js';

/**
 * Pure evaluation of containment: which active kill switch stops a call, and which session mode
 * applies to it. Targets are strings so that one rule table serves every scope:
 *
 * | scope     | target                                   |
 * | --------- | ---------------------------------------- |
 * | fleet     | `*`                                      |
 * | tenant    | `tenant`                                 |
 * | agent     | `tenant/agent`                           |
 * | session   | `tenant/session`                         |
 * | tool      | `tenant/tool` or `*\/tool`               |
 * | operation | `tenant/tool.operation` or `*\/tool.operation` |
 */

export interface ContainmentSubject {
  readonly tenant: string;
  readonly agentId: string;
  readonly sessionId: string | null;
  /** Null before the tool is resolved: only fleet, tenant and agent switches are checked then. */
  readonly tool: string | null;
  readonly operation: string | null;
}

export const MODE_ORDER: readonly SessionMode[] = ['normal', 'elevated', 'read_only', 'locked'];

export interface ModeVerdict {
  readonly mode: SessionMode;
  /** The rule that set it; null for `normal`. */
  readonly rule: ContainmentRule | null;
}

/** Rules indexed by kind, scope and target for lookups on every call. */
export class ContainmentRules {
  readonly #kills = new Map<string, ContainmentRule>();
  readonly #modes = new Map<string, ContainmentRule>();
  readonly rules: readonly ContainmentRule[];

  constructor(rules: readonly ContainmentRule[]) {
    this.rules = rules;
    for (const rule of rules) {
      if (rule.liftedAt !== null) continue;
      const index = rule.kind === 'kill' ? this.#kills : this.#modes;
      const key = `${rule.scope}|${rule.target}`;
      const earlier = index.get(key);
      // For modes the most restrictive active rule on one target wins; for kills any one will do.
      if (earlier === undefined || (rule.kind === 'mode' && modeRank(rule.mode) > modeRank(earlier.mode))) index.set(key, rule);
    }
  }

  /** The kill switch that stops this call, or null. */
  killSwitchFor(subject: ContainmentSubject): ContainmentRule | null {
    if (this.#kills.size === 0) return null;
    for (const [scope, target] of candidateTargets(subject)) {
      const rule = this.#kills.get(`${scope}|${target}`);
      if (rule !== undefined) return rule;
    }
    return null;
  }

  /** The most restrictive mode set on the call's session, agent or tenant. */
  modeFor(subject: ContainmentSubject): ModeVerdict {
    let verdict: ModeVerdict = { mode: 'normal', rule: null };
    if (this.#modes.size === 0) return verdict;
    const targets: Array<[ContainmentScope, string]> = [
      ['tenant', subject.tenant],
      ['agent', `${subject.tenant}/${subject.agentId}`],
    ];
    if (subject.sessionId !== null) targets.push(['session', `${subject.tenant}/${subject.sessionId}`]);
    for (const [scope, target] of targets) {
      const rule = this.#modes.get(`${scope}|${target}`);
      if (rule !== undefined && modeRank(rule.mode) > modeRank(verdict.mode)) verdict = { mode: rule.mode ?? 'normal', rule };
    }
    return verdict;
  }
}

function candidateTargets(subject: ContainmentSubject): Array<[ContainmentScope, string]> {
  const targets: Array<[ContainmentScope, string]> = [
    ['fleet', '*'],
    ['tenant', subject.tenant],
    ['agent', `${subject.tenant}/${subject.agentId}`],
  ];
  if (subject.tool !== null) {
    targets.push(['tool', `${subject.tenant}/${subject.tool}`], ['tool', `*/${subject.tool}`]);
    if (subject.operation !== null) {
      const name = `${subject.tool}.${subject.operation}`;
      targets.push(['operation', `${subject.tenant}/${name}`], ['operation', `*/${name}`]);
    }
  }
  return targets;
}

function modeRank(mode: SessionMode | null): number {
  return mode === null ? 0 : MODE_ORDER.indexOf(mode);
}

const TARGET_PATTERNS: Readonly<Record<ContainmentScope, RegExp>> = {
  fleet: /^\*$/,
  tenant: /^[a-z][a-z0-9_-]{0,62}$/,
  agent: /^[a-z][a-z0-9_-]{0,62}\/[a-z][a-z0-9_-]{0,62}$/,
  session: /^[a-z][a-z0-9_-]{0,62}\/[A-Za-z0-9._:-]{1,128}$/,
  tool: /^([a-z][a-z0-9_-]{0,62}|\*)\/[a-z][a-z0-9_-]{0,62}$/,
  operation: /^([a-z][a-z0-9_-]{0,62}|\*)\/[a-z][a-z0-9_-]{0,62}\.[A-Za-z0-9_.-]{1,128}$/,
};

/** Whether a target is well formed for its scope (see the table above). */
export function isValidTarget(scope: ContainmentScope, target: string): boolean {
  return TARGET_PATTERNS[scope].test(target);
}

/** The tenant a target belongs to, or null for fleet-wide and all-tenant targets. */
export function targetTenant(scope: ContainmentScope, target: string): string | null {
  if (scope === 'fleet') return null;
  if (scope === 'tenant') return target;
  const tenant = target.split('/')[0] ?? '';
  return tenant === '*' ? null : tenant;
}
