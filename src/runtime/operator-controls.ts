import type { ApprovalService, ApprovalView } from '../approvals/approval-service.js';
import { isValidTarget, targetTenant } from '../containment/containment-rules.js';
import type { ContainmentService } from '../containment/containment-service.js';
import { InterlockError } from '../errors/interlock-error.js';
import type { Operator, Reader, ServerServices } from '../server/services.js';
import type { ApprovalRecord, ContainmentScope } from '../store/store.js';

export type OperatorControls = Pick<
  ServerServices,
  'listApprovals' | 'getApproval' | 'decideApproval' | 'listContainment' | 'kill' | 'unkill' | 'setMode'
>;

/**
 * Approvals, kill switches and modes on behalf of a caller proven by token, scoped to what that
 * caller may see and touch. The services decide; this only keeps each caller inside its tenants.
 * A record outside the caller's scope is reported as absent, so its existence does not leak.
 */
export function operatorControls(approvals: ApprovalService, containment: ContainmentService): OperatorControls {
  return {
    async listApprovals(reader, query) {
      if (reader.kind === 'agent') {
        if (query.agent !== undefined && query.agent !== reader.agentId) {
          throw new InterlockError('FORBIDDEN', 'an agent token can list only its own approval requests');
        }
        return approvals.list({
          tenants: [reader.tenant],
          agentId: reader.agentId,
          limit: query.limit,
          ...(query.status === undefined ? {} : { status: query.status }),
        });
      }
      return approvals.list({
        tenants: reader.tenants,
        limit: query.limit,
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.agent === undefined ? {} : { agentId: query.agent }),
      });
    },

    async getApproval(reader, id) {
      const record = await approvals.get(id);
      if (record === null || !mayRead(reader, record)) throw new InterlockError('NOT_FOUND', 'no such approval request');
      return approvals.view(record);
    },

    decideApproval(operator, id, decision, comment): Promise<ApprovalView> {
      return approvals.decide(id, operator, decision, comment);
    },

    async listContainment(operator) {
      // Fleet-wide and all-tenant rules stop this operator's tenants too, so they are shown to all.
      const visible = (await containment.list()).filter((rule) => {
        const tenant = targetTenant(rule.scope, rule.target);
        return tenant === null || mayTouch(operator, rule.scope, rule.target);
      });
      return {
        killSwitches: visible.filter((rule) => rule.kind === 'kill'),
        modes: visible.filter((rule) => rule.kind === 'mode'),
      };
    },

    kill(operator, order) {
      requireScope(operator, order.scope, order.target);
      return containment.kill({
        scope: order.scope,
        target: order.target,
        reason: order.reason,
        by: operator.operatorId,
        ...(order.revokeCredentials === undefined ? {} : { revokeCredentials: order.revokeCredentials }),
      });
    },

    async unkill(operator, order) {
      requireScope(operator, order.scope, order.target);
      const active = (await containment.list()).filter(
        (rule) => rule.kind === 'kill' && rule.scope === order.scope && rule.target === order.target,
      );
      const lifted = await containment.unkill({ scope: order.scope, target: order.target, reason: order.reason, by: operator.operatorId });
      return { lifted, rules: lifted === 0 ? [] : active };
    },

    setMode(operator, order) {
      requireScope(operator, order.scope, order.target);
      return containment.setMode({ ...order, by: operator.operatorId });
    },
  };
}

function mayRead(reader: Reader, record: ApprovalRecord): boolean {
  if (reader.kind === 'agent') return record.tenant === reader.tenant && record.agentId === reader.agentId;
  return reader.tenants === '*' || reader.tenants.includes(record.tenant);
}

/** Fleet-wide and all-tenant (`*\/...`) targets belong to operators of every tenant only. */
function mayTouch(operator: Operator, scope: ContainmentScope, target: string): boolean {
  if (operator.tenants === '*') return true;
  const tenant = targetTenant(scope, target);
  return tenant !== null && operator.tenants.includes(tenant);
}

function requireScope(operator: Operator, scope: ContainmentScope, target: string): void {
  // A malformed target is refused by the containment service with the expected form.
  if (!isValidTarget(scope, target) || mayTouch(operator, scope, target)) return;
  throw new InterlockError(
    'FORBIDDEN',
    targetTenant(scope, target) === null
      ? `operator "${operator.operatorId}" may not act on ${scope === 'fleet' ? 'the whole fleet' : 'every tenant'}: that needs tenants "*"`
      : `operator "${operator.operatorId}" may not act on tenant "${targetTenant(scope, target) ?? ''}"`,
  );
}
