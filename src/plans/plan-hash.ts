import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/canonical-json.js';
import type { PlanBody } from './plan.js';

/**
 * SHA-256 over the canonical JSON (RFC 8785) of what the plan will run: who runs it (tenant,
 * agent, acting-for user), under which trace and session, and each step's tool, operation,
 * arguments and idempotency key, in order. Decisions, figures and outcomes are not part of it: they
 * describe the plan, they do not change what runs.
 */
export function planHash(body: Pick<PlanBody, 'id' | 'tenant' | 'agentId' | 'actingFor' | 'traceId' | 'sessionId' | 'steps'>): string {
  const subject = {
    plan: body.id,
    tenant: body.tenant,
    agent: body.agentId,
    actingFor: body.actingFor === null ? null : { userId: body.actingFor.userId, issuer: body.actingFor.issuer },
    traceId: body.traceId,
    sessionId: body.sessionId,
    steps: body.steps.map((step) => ({
      tool: step.tool,
      operation: step.operation,
      arguments: step.arguments,
      idempotencyKey: step.idempotencyKey,
    })),
  };
  return `sha256:${createHash('sha256').update(canonicalJson(subject)).digest('hex')}`;
}
