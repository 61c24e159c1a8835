import { randomUUID } from 'node:crypto';
import type { AuditEventInput } from '../audit/event.js';
import { InterlockError } from '../errors/interlock-error.js';
import { revokeAgent } from '../identity/revocation.js';
import type { ContainmentRule, ContainmentScope, SessionMode, Store } from '../store/store.js';
import { isValidTarget, targetTenant } from './containment-rules.js';

export interface ContainmentAudit {
  record(input: AuditEventInput): string;
  flush(): Promise<void>;
}

export interface KillRequest {
  readonly scope: ContainmentScope;
  readonly target: string;
  readonly reason: string;
  readonly by: string;
  /** For an agent kill: also revoke every token the agent holds. */
  readonly revokeCredentials?: boolean;
}

export interface ModeRequest {
  readonly scope: 'tenant' | 'agent' | 'session';
  readonly target: string;
  readonly mode: SessionMode;
  readonly reason: string;
  readonly by: string;
}

const MAX_REASON = 1000;
const MAX_BY = 200;

/**
 * Sets and lifts kill switches and session modes: persisted, audited with who and why, and seen by
 * every process on the same store (at once here, within a second on other replicas).
 */
export class ContainmentService {
  readonly #store: Store;
  readonly #audit: ContainmentAudit;
  readonly #now: () => number;
  readonly #changed: () => Promise<void>;

  constructor(options: { store: Store; audit: ContainmentAudit; now?: () => number; onChange?: () => Promise<void> }) {
    this.#store = options.store;
    this.#audit = options.audit;
    this.#now = options.now ?? Date.now;
    this.#changed = options.onChange ?? (async () => undefined);
  }

  async kill(request: KillRequest): Promise<ContainmentRule> {
    checkActor(request.by, request.reason);
    if (request.scope === 'session') {
      throw new InterlockError('REQUEST_INVALID', 'a session is stopped with mode "locked", not a kill switch');
    }
    checkTarget(request.scope, request.target);
    if (request.revokeCredentials === true && request.scope !== 'agent') {
      throw new InterlockError('REQUEST_INVALID', 'credentials can be revoked together with an agent kill switch only');
    }
    const rule: ContainmentRule = {
      id: randomUUID(),
      kind: 'kill',
      scope: request.scope,
      target: request.target,
      mode: null,
      reason: request.reason,
      setBy: request.by,
      setAt: new Date(this.#now()).toISOString(),
      liftedAt: null,
      liftedBy: null,
    };
    await this.#store.insertContainmentRule(rule);
    let revokedBefore: number | null = null;
    if (request.revokeCredentials === true) {
      const agentId = request.target.split('/')[1] ?? '';
      const revocation = await revokeAgent(this.#store, agentId, request.by, request.reason, { now: this.#now });
      revokedBefore = revocation.before;
      this.#record('token.revoked', targetTenant(request.scope, request.target), agentId, {
        tokenId: null,
        agentId,
        before: revocation.before,
        by: request.by,
        reason: request.reason,
      });
    }
    this.#record('containment.set', targetTenant(rule.scope, rule.target), agentOf(rule), {
      ruleId: rule.id,
      kind: 'kill',
      scope: rule.scope,
      target: rule.target,
      by: rule.setBy,
      reason: rule.reason,
      revokedCredentialsBefore: revokedBefore,
    });
    await this.#audit.flush();
    await this.#changed();
    return rule;
  }

  /** Lifts the kill switch on this scope and target; returns how many rules were lifted. */
  async unkill(request: { scope: ContainmentScope; target: string; reason: string; by: string }): Promise<number> {
    checkActor(request.by, request.reason);
    checkTarget(request.scope, request.target);
    const lifted = await this.#store.liftContainmentRules(
      'kill',
      request.scope,
      request.target,
      request.by,
      new Date(this.#now()).toISOString(),
    );
    this.#record('containment.lifted', targetTenant(request.scope, request.target), agentOfTarget(request.scope, request.target), {
      kind: 'kill',
      scope: request.scope,
      target: request.target,
      by: request.by,
      reason: request.reason,
      lifted,
    });
    await this.#audit.flush();
    await this.#changed();
    return lifted;
  }

  /** Sets the mode of a session, agent or tenant; `normal` lifts any mode set there. */
  async setMode(request: ModeRequest): Promise<ContainmentRule | null> {
    checkActor(request.by, request.reason);
    if (!['tenant', 'agent', 'session'].includes(request.scope)) {
      throw new InterlockError('REQUEST_INVALID', 'a mode is set on a tenant, an agent or a session');
    }
    checkTarget(request.scope, request.target);
    const at = new Date(this.#now()).toISOString();
    await this.#store.liftContainmentRules('mode', request.scope, request.target, request.by, at);
    let rule: ContainmentRule | null = null;
    if (request.mode !== 'normal') {
      rule = {
        id: randomUUID(),
        kind: 'mode',
        scope: request.scope,
        target: request.target,
        mode: request.mode,
        reason: request.reason,
        setBy: request.by,
        setAt: at,
        liftedAt: null,
        liftedBy: null,
      };
      await this.#store.insertContainmentRule(rule);
    }
    this.#record('containment.set', targetTenant(request.scope, request.target), agentOfTarget(request.scope, request.target), {
      ruleId: rule?.id ?? null,
      kind: 'mode',
      scope: request.scope,
      target: request.target,
      mode: request.mode,
      by: request.by,
      reason: request.reason,
    });
    await this.#audit.flush();
    await this.#changed();
    return rule;
  }

  list(): Promise<ContainmentRule[]> {
    return this.#store.listActiveContainmentRules();
  }

  #record(type: AuditEventInput['type'], tenant: string | null, agent: string | null, data: Record<string, unknown>): void {
    this.#audit.record({ type, tenant, agent, traceId: null, callId: null, data });
  }
}

function checkTarget(scope: ContainmentScope, target: string): void {
  if (!isValidTarget(scope, target)) {
    throw new InterlockError('REQUEST_INVALID', `"${target.slice(0, 80)}" is not a ${scope} target`, {
      scope,
      expected: TARGET_HELP[scope],
    });
  }
}

const TARGET_HELP: Readonly<Record<ContainmentScope, string>> = {
  fleet: '*',
  tenant: 'TENANT',
  agent: 'TENANT/AGENT',
  session: 'TENANT/SESSION_ID',
  tool: 'TENANT/TOOL or */TOOL',
  operation: 'TENANT/TOOL.OPERATION or */TOOL.OPERATION',
};

function checkActor(by: string, reason: string): void {
  if (typeof by !== 'string' || by.trim() === '' || by.length > MAX_BY) {
    throw new InterlockError('REQUEST_INVALID', `say who acts (1-${MAX_BY} characters)`);
  }
  if (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_REASON) {
    throw new InterlockError('REQUEST_INVALID', `give a reason (1-${MAX_REASON} characters)`);
  }
}

function agentOf(rule: ContainmentRule): string | null {
  return agentOfTarget(rule.scope, rule.target);
}

function agentOfTarget(scope: ContainmentScope, target: string): string | null {
  return scope === 'agent' ? (target.split('/')[1] ?? null) : null;
}
