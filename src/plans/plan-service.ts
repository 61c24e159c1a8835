import { randomUUID } from 'node:crypto';
import { canonicalJson } from '../audit/canonical-json.js';
import { InterlockError, isInterlockError } from '../errors/interlock-error.js';
import type { CallOutcome, CallRequest } from '../gate/call.js';
import type { AuditPort, AuthenticationPort } from '../gate/ports.js';
import type { Credential, UserPrincipal } from '../identity/principal.js';
import type { OperationContract } from '../registry/contract.js';
import { extractEntities } from '../registry/entities.js';
import type { ApprovalRecord, PlanRecord, PlanStatus, SafeExecutionStore } from '../store/store.js';
import { capsExceeded, planTotals, type PlanCaps } from './plan-caps.js';
import { planHash } from './plan-hash.js';
import { parseProposal } from './plan-request.js';
import {
  PLAN_SCHEMA_VERSION,
  type PlanBlock,
  type PlanBody,
  type PlanExecution,
  type PlanStep,
  type PlanView,
  type StepEvaluation,
  type StepOutcome,
} from './plan.js';

/** The two kernel entry points a plan uses: decide a step without running it, and run it. */
export interface PlanKernel {
  evaluate(request: CallRequest, credential: Credential): Promise<CallOutcome>;
  call(request: CallRequest, credential: Credential): Promise<CallOutcome>;
}

/** The registry as a plan reads it: to size each step before anything is decided. */
export interface PlanRegistry {
  resolve(tool: string, operation: string): OperationContract | undefined;
  toolVisibleTo(tool: string, tenant: string): boolean;
}

/** Who reads a plan: an operator of its tenant, or the agent that proposed it. */
export type PlanReader =
  | { readonly kind: 'operator'; readonly operatorId: string; readonly tenants: readonly string[] | '*' }
  | { readonly kind: 'agent'; readonly agentId: string; readonly tenant: string };

export interface PlanServiceOptions {
  readonly store: Pick<SafeExecutionStore, 'insertPlan' | 'getPlan' | 'updatePlan'>;
  /** Read on every use: a policy or tool-lock reload swaps the kernel and the registry. */
  readonly kernel: () => PlanKernel;
  readonly registry: () => PlanRegistry;
  readonly authentication: AuthenticationPort;
  readonly approvals: { get(id: string): Promise<ApprovalRecord | null> };
  readonly audit: AuditPort;
  readonly caps: PlanCaps;
  /** Applied to step arguments in views (known secrets, credential shapes); the stored plan keeps them as proposed. */
  readonly redactArguments?: ((value: Readonly<Record<string, unknown>>) => unknown) | undefined;
  readonly now?: () => number;
}

/**
 * Two-phase plans: `propose` sizes and decides every step without running any, and stores the plan
 * bound to the hash of what will run; `execute` runs it once every approval is in, in order,
 * stopping at the first step that does not execute. Caps apply to the plan as a whole, so a chain
 * of individually allowed steps that together exceed one is stopped before its first side effect.
 */
export class PlanService {
  readonly #options: PlanServiceOptions;
  readonly #now: () => number;

  constructor(options: PlanServiceOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  async propose(request: unknown, credential: Credential): Promise<PlanView> {
    const proposal = parseProposal(request);
    const principal = await this.#options.authentication.authenticate(credential, proposal.actingFor);
    const { agent } = principal;
    const id = randomUUID();
    const traceId = proposal.traceId ?? `plan-${id}`;
    const sessionId = proposal.sessionId ?? null;
    const registry = this.#options.registry();

    // Size every step first: a plan that exceeds a cap asks nobody for an approval.
    const sized: PlanStep[] = proposal.actions.map((action, index) => {
      const contract = registry.toolVisibleTo(action.tool, agent.tenant) ? registry.resolve(action.tool, action.operation) : undefined;
      const write = contract !== undefined && contract.effect !== 'read';
      const entities = contract === undefined ? [] : extractEntities(contract, action.arguments);
      return {
        index,
        tool: action.tool,
        operation: action.operation,
        arguments: action.arguments,
        idempotencyKey: action.idempotencyKey ?? (write ? `plan:${id}:${index}` : null),
        effect: contract?.effect ?? null,
        blastRadius: { write, entityCount: entities.length, entities, costUsd: contract?.costUsd ?? 0 },
        evaluation: null,
      };
    });
    const totals = planTotals(sized.map((step) => step.blastRadius));
    const excess = capsExceeded(totals, this.#options.caps, sessionId !== null);
    let blocked: PlanBlock | null =
      excess.length === 0
        ? null
        : {
            reason: 'cap',
            message: `the plan as a whole exceeds ${excess.map((cap) => `${cap.limit} (${cap.planned} planned, at most ${cap.max})`).join(', ')}; no step was evaluated or run`,
            caps: excess,
          };

    // Decide each step in order; the first that could not run blocks the plan and ends the review.
    const steps: PlanStep[] = [];
    for (const step of sized) {
      if (blocked !== null) {
        steps.push(step);
        continue;
      }
      const outcome = await this.#options.kernel().evaluate(
        {
          tool: step.tool,
          operation: step.operation,
          arguments: step.arguments,
          traceId,
          sessionId: sessionId ?? undefined,
          actingFor: proposal.actingFor,
          idempotencyKey: step.idempotencyKey ?? undefined,
          evidence: proposal.actions[step.index]?.evidence,
        },
        credential,
      );
      const evaluation: StepEvaluation = {
        status: outcome.status,
        callId: outcome.callId,
        auditEventId: outcome.auditEventId,
        decision: outcome.decision,
        approval: outcome.approval ?? null,
        error: outcome.error ?? null,
      };
      steps.push({ ...step, evaluation });
      if (outcome.status !== 'evaluated' && outcome.status !== 'approval_required') {
        const code = outcome.error?.code ?? outcome.status.toUpperCase();
        blocked = {
          reason: 'step',
          step: step.index,
          code,
          message: `step ${step.index} (${step.tool}.${step.operation}) would not run: ${outcome.status}${outcome.error === undefined ? '' : ` ${outcome.error.code}: ${outcome.error.message}`}`,
        };
      }
    }

    const createdAt = new Date(this.#now()).toISOString();
    const body: PlanBody = {
      schemaVersion: PLAN_SCHEMA_VERSION,
      id,
      tenant: agent.tenant,
      agentId: agent.agentId,
      actingFor: userOf(principal.actingFor),
      traceId,
      sessionId,
      createdAt,
      steps,
      totals,
      blocked,
      execution: null,
    };
    const record: PlanRecord = {
      id,
      tenant: agent.tenant,
      agentId: agent.agentId,
      hash: planHash(body),
      status: blocked === null ? 'proposed' : 'blocked',
      body: canonicalJson(body),
      createdAt,
      updatedAt: createdAt,
    };
    await this.#options.store.insertPlan(record);
    // Names, decisions and figures only: argument values are in each step's call.received already.
    this.#record(body, 'plan.proposed', {
      planId: id,
      hash: record.hash,
      status: record.status,
      sessionId,
      actingForUserId: body.actingFor?.userId ?? null,
      totals,
      blocked: blockSummary(blocked),
      steps: steps.map((step) => ({
        index: step.index,
        tool: step.tool,
        operation: step.operation,
        write: step.blastRadius.write,
        entityCount: step.blastRadius.entityCount,
        costUsd: step.blastRadius.costUsd,
        status: step.evaluation?.status ?? null,
        decision: step.evaluation?.decision?.kind ?? null,
        callId: step.evaluation?.callId ?? null,
        approvalId: step.evaluation?.approval?.id ?? null,
        errorCode: step.evaluation?.error?.code ?? null,
      })),
    });
    await this.#options.audit.flush();
    return this.#view(record, body);
  }

  /** The plan, for the agent that proposed it or an operator of its tenant; NOT_FOUND for anyone else. */
  async get(id: string, reader: PlanReader): Promise<PlanView> {
    const record = await this.#find(id);
    if (record === null || !mayRead(reader, record)) throw notFound();
    return this.#view(record, parseBody(record));
  }

  /**
   * Runs a proposed plan for the agent that proposed it: refused while an approval is pending, once
   * closed, or when the stored plan no longer matches its hash; otherwise every step in order under
   * its idempotency key and approval, stopping at the first that does not execute.
   */
  async execute(id: string, credential: Credential, actingFor?: string): Promise<PlanView> {
    const principal = await this.#options.authentication.authenticate(credential, actingFor);
    const record = await this.#find(id);
    if (record === null || record.tenant !== principal.agent.tenant || record.agentId !== principal.agent.agentId) throw notFound();
    let body: PlanBody;
    try {
      body = parseBody(record);
    } catch {
      return this.#refuse(record, null, tampered());
    }
    if (record.status === 'blocked') {
      return this.#refuse(
        record,
        body,
        new InterlockError('PLAN_BLOCKED', `the plan is blocked: ${body.blocked?.message ?? 'it cannot run'}`, {
          planId: record.id,
          blocked: body.blocked,
        }),
      );
    }
    if (record.status !== 'proposed') {
      return this.#refuse(
        record,
        body,
        new InterlockError('PLAN_CLOSED', `the plan is ${record.status}; a plan runs once`, { planId: record.id, status: record.status }),
      );
    }
    // What runs is what was proposed: the stored steps must still hash to the proposal's hash.
    if (body.id !== record.id || body.tenant !== record.tenant || body.agentId !== record.agentId || planHash(body) !== record.hash) {
      return this.#refuse(record, body, tampered());
    }
    if (!sameUser(body.actingFor, principal.actingFor)) {
      return this.#refuse(
        record,
        body,
        new InterlockError(
          'FORBIDDEN',
          body.actingFor === null
            ? 'the plan was proposed without acting for a user; execute it the same way'
            : `the plan was proposed acting for user "${body.actingFor.userId}"; execute it with an assertion for the same user`,
          { planId: record.id },
        ),
      );
    }

    // Every approval must be in before the first step runs.
    const pending: string[] = [];
    for (const step of body.steps) {
      const approval = step.evaluation?.approval;
      if (approval === undefined || approval === null) continue;
      const current = await this.#options.approvals.get(approval.id);
      const status = current?.status ?? 'missing';
      if (status === 'pending') pending.push(approval.id);
      if (status === 'denied' || status === 'expired' || status === 'missing') {
        const block: PlanBlock = {
          reason: 'approval',
          step: step.index,
          approvalId: approval.id,
          status,
          message: `the approval ${approval.id} of step ${step.index} (${step.tool}.${step.operation}) is ${status}`,
        };
        const closedBody: PlanBody = { ...body, blocked: block };
        await this.#options.store.updatePlan(record.id, 'proposed', 'blocked', canonicalJson(closedBody), this.#timestamp());
        return this.#refuse(
          record,
          closedBody,
          new InterlockError('PLAN_BLOCKED', `the plan is blocked: ${block.message}`, { planId: record.id, blocked: block }),
        );
      }
    }
    if (pending.length > 0) {
      return this.#refuse(
        record,
        body,
        new InterlockError(
          'PLAN_NOT_READY',
          `the plan waits for ${pending.length} approval${pending.length === 1 ? '' : 's'} (${pending.join(', ')}); nothing ran`,
          { planId: record.id, pendingApprovals: pending },
        ),
      );
    }

    // One executor only: a concurrent execute finds the plan no longer `proposed`.
    let execution: PlanExecution = { startedAt: this.#timestamp(), finishedAt: null, steps: [] };
    if (
      !(await this.#options.store.updatePlan(
        record.id,
        'proposed',
        'executing',
        canonicalJson({ ...body, execution }),
        execution.startedAt,
      ))
    ) {
      const now = await this.#find(record.id);
      return this.#refuse(
        record,
        body,
        new InterlockError('PLAN_CLOSED', `the plan is ${now?.status ?? 'gone'}; a plan runs once`, {
          planId: record.id,
          status: now?.status ?? null,
        }),
      );
    }
    for (const step of body.steps) {
      const outcome = await this.#runStep(body, step, credential, actingFor);
      execution = { ...execution, steps: [...execution.steps, outcome] };
      if (outcome.status !== 'executed') break;
      // Progress is kept for whoever reads the plan meanwhile; the idempotency records are what
      // guarantee that no step runs twice, so a lost progress write is not an error.
      await this.#options.store
        .updatePlan(record.id, 'executing', 'executing', canonicalJson({ ...body, execution }), this.#timestamp())
        .catch(() => false);
    }
    const status: PlanStatus =
      execution.steps.length === body.steps.length && execution.steps.every((step) => step.status === 'executed') ? 'executed' : 'failed';
    execution = { ...execution, finishedAt: this.#timestamp() };
    const finalBody: PlanBody = { ...body, execution };
    await this.#options.store.updatePlan(record.id, 'executing', status, canonicalJson(finalBody), execution.finishedAt ?? '');
    this.#record(body, 'plan.executed', {
      planId: record.id,
      hash: record.hash,
      status,
      steps: execution.steps.map((step) => ({
        index: step.index,
        status: step.status,
        callId: step.callId,
        replayed: step.replayed,
        errorCode: step.error?.code ?? null,
      })),
    });
    await this.#options.audit.flush();
    const stored = await this.#find(record.id);
    return this.#view(stored ?? { ...record, status, body: canonicalJson(finalBody) }, stored === null ? finalBody : parseBody(stored));
  }

  async #runStep(body: PlanBody, step: PlanStep, credential: Credential, actingFor: string | undefined): Promise<StepOutcome> {
    const approvalId = step.evaluation?.approval?.id;
    let outcome: CallOutcome;
    try {
      outcome = await this.#options.kernel().call(
        {
          tool: step.tool,
          operation: step.operation,
          arguments: step.arguments,
          traceId: body.traceId,
          sessionId: body.sessionId ?? undefined,
          actingFor,
          idempotencyKey: step.idempotencyKey ?? undefined,
          approvalId,
        },
        credential,
      );
    } catch (error) {
      // The kernel answers rather than throws; should it ever throw, the plan stops here as failed.
      const failure = isInterlockError(error) ? error : new InterlockError('INTERNAL', 'internal error while running a plan step');
      return { index: step.index, status: 'failed', callId: '', auditEventId: '', replayed: false, error: failure.toData() };
    }
    return {
      index: step.index,
      status: outcome.status,
      callId: outcome.callId,
      auditEventId: outcome.auditEventId,
      replayed: outcome.replayed === true,
      ...(outcome.status === 'executed' ? { result: outcome.result ?? null } : {}),
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
    };
  }

  /** Records a refused execute as evidence, then throws the refusal. */
  async #refuse(record: PlanRecord, body: PlanBody | null, refusal: InterlockError): Promise<never> {
    this.#options.audit.record({
      type: 'plan.executed',
      tenant: record.tenant,
      agent: record.agentId,
      traceId: body?.traceId ?? null,
      callId: null,
      data: { planId: record.id, hash: record.hash, status: record.status, refused: refusal.code },
    });
    await this.#options.audit.flush();
    throw refusal;
  }

  async #find(id: string): Promise<PlanRecord | null> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 128) return null;
    return this.#options.store.getPlan(id);
  }

  async #view(record: PlanRecord, body: PlanBody): Promise<PlanView> {
    const steps: Array<PlanStep & { approvalStatus: string | null }> = [];
    const pendingApprovals: string[] = [];
    let allGranted = true;
    for (const step of body.steps) {
      const approval = step.evaluation?.approval ?? null;
      let approvalStatus: string | null = null;
      if (approval !== null) {
        approvalStatus = (await this.#options.approvals.get(approval.id))?.status ?? 'missing';
        if (approvalStatus === 'pending') pendingApprovals.push(approval.id);
        if (approvalStatus !== 'approved' && approvalStatus !== 'consumed') allGranted = false;
      }
      const redact = this.#options.redactArguments;
      const shown = redact === undefined ? step.arguments : (redact(step.arguments) as Readonly<Record<string, unknown>>);
      steps.push({ ...step, arguments: shown, approvalStatus });
    }
    return {
      schemaVersion: PLAN_SCHEMA_VERSION,
      id: record.id,
      status: record.status,
      hash: record.hash,
      tenant: record.tenant,
      agentId: record.agentId,
      actingFor: body.actingFor,
      traceId: body.traceId,
      sessionId: body.sessionId,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      ready: record.status === 'proposed' && allGranted,
      pendingApprovals,
      steps,
      totals: body.totals,
      blocked: body.blocked,
      execution: body.execution,
    };
  }

  #record(body: PlanBody, type: 'plan.proposed' | 'plan.executed', data: Record<string, unknown>): void {
    this.#options.audit.record({ type, tenant: body.tenant, agent: body.agentId, traceId: body.traceId, callId: null, data });
  }

  #timestamp(): string {
    return new Date(this.#now()).toISOString();
  }
}

function parseBody(record: PlanRecord): PlanBody {
  const body = JSON.parse(record.body) as PlanBody;
  if (body === null || typeof body !== 'object' || body.schemaVersion !== PLAN_SCHEMA_VERSION || !Array.isArray(body.steps)) {
    throw new InterlockError('SCHEMA_VERSION_UNSUPPORTED', 'the stored plan has a schema version this server does not understand');
  }
  return body;
}

function mayRead(reader: PlanReader, record: PlanRecord): boolean {
  if (reader.kind === 'agent') return reader.agentId === record.agentId && reader.tenant === record.tenant;
  return reader.tenants === '*' || reader.tenants.includes(record.tenant);
}

function userOf(user: UserPrincipal | null): PlanBody['actingFor'] {
  return user === null ? null : { userId: user.userId, issuer: user.issuer };
}

function sameUser(proposed: PlanBody['actingFor'], now: UserPrincipal | null): boolean {
  if (proposed === null || now === null) return proposed === null && now === null;
  return proposed.userId === now.userId && proposed.issuer === now.issuer;
}

function blockSummary(block: PlanBlock | null): Record<string, unknown> | null {
  if (block === null) return null;
  switch (block.reason) {
    case 'cap':
      return { reason: 'cap', caps: block.caps };
    case 'step':
      return { reason: 'step', step: block.step, code: block.code };
    case 'approval':
      return { reason: 'approval', step: block.step, approvalId: block.approvalId, status: block.status };
  }
}

function notFound(): InterlockError {
  return new InterlockError('NOT_FOUND', 'no such plan');
}

function tampered(): InterlockError {
  return new InterlockError(
    'PLAN_BLOCKED',
    'the stored plan no longer matches the hash it was proposed under; it was changed after proposal and nothing runs',
    { reason: 'hash_mismatch' },
  );
}
