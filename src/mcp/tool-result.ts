import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { CallOutcome } from '../gate/call.js';
import type { OperationContract } from '../registry/contract.js';

/** Keys under `_meta` through which a client finds the evidence of a call. */
export const META = {
  status: 'interlock/status',
  code: 'interlock/code',
  callId: 'interlock/callId',
  traceId: 'interlock/traceId',
  auditEventId: 'interlock/auditEventId',
  approvalId: 'interlock/approvalId',
  approvalStatus: 'interlock/approvalStatus',
  idempotencyKey: 'interlock/idempotencyKey',
  replayed: 'interlock/replayed',
} as const;

/**
 * The kernel's answer as an MCP tool result. An executed call returns what the tool returned (an
 * MCP upstream's own result, or a configured tool's JSON as text and structured content). Anything
 * else is a tool error (`isError: true`) whose text tells the model what happened and what it can
 * do, in words written for it: policy reasons and typed error messages, never argument values.
 */
export function toToolResult(outcome: CallOutcome, contract: OperationContract | undefined): CallToolResult {
  const meta = {
    [META.status]: outcome.status,
    [META.callId]: outcome.callId,
    [META.traceId]: outcome.traceId,
    [META.auditEventId]: outcome.auditEventId,
    ...(outcome.error === undefined ? {} : { [META.code]: outcome.error.code }),
    ...(outcome.approval === undefined ? {} : { [META.approvalId]: outcome.approval.id, [META.approvalStatus]: outcome.approval.status }),
    ...(outcome.idempotencyKey === undefined ? {} : { [META.idempotencyKey]: outcome.idempotencyKey }),
    ...(outcome.replayed === true ? { [META.replayed]: true } : {}),
  };
  if (outcome.status === 'executed') {
    if (contract?.upstream.kind === 'mcp' && isToolResult(outcome.result)) {
      const upstreamMeta = isRecord(outcome.result._meta) ? outcome.result._meta : {};
      return { ...outcome.result, _meta: { ...upstreamMeta, ...meta } };
    }
    const result = outcome.result;
    return {
      content: [{ type: 'text', text: JSON.stringify(result ?? null) }],
      ...(isRecord(result) ? { structuredContent: result } : {}),
      _meta: meta,
    };
  }
  return { isError: true, content: [{ type: 'text', text: explain(outcome) }], _meta: meta };
}

function explain(outcome: CallOutcome): string {
  const evidence = outcome.auditEventId === '' ? '' : ` (audit event ${outcome.auditEventId})`;
  const reasons = outcome.decision?.reasons.join('; ') ?? '';
  switch (outcome.status) {
    case 'shadowed':
      return `Interlock recorded this call but did not run it: the agent is in shadow mode${evidence}.`;
    case 'denied':
      return `Interlock denied this call: ${reasons || 'no policy permits it'}. Do not retry it unchanged; choose another action or ask the user${evidence}.`;
    case 'approval_required': {
      const details = outcome.error?.details ?? {};
      const role = typeof details['approverRole'] === 'string' ? details['approverRole'] : 'an approver';
      const id = outcome.approval?.id ?? (typeof details['approvalId'] === 'string' ? details['approvalId'] : null);
      const pending =
        id === null
          ? ''
          : ` Approval ${id} is pending until ${outcome.approval?.expiresAt ?? 'it expires'}; call this tool again with the same arguments (and the same interlock/idempotencyKey, if you sent one) to get the outcome once it is decided.`;
      return `This call needs approval by ${role} before it can run: ${reasons || 'policy requires approval'}. Nothing was executed; tell the user it is waiting for approval.${pending}${evidence}`;
    }
    case 'failed': {
      const code = outcome.error?.code ?? 'UPSTREAM_FAILED';
      const unknown = code === 'UPSTREAM_TIMEOUT' || outcome.error?.retryable === false;
      const advice = unknown ? ' It may or may not have taken effect: check before retrying.' : '';
      return `The tool failed (${code}): ${outcome.error?.message ?? 'no detail'}.${advice}${evidence}`;
    }
    default: {
      const code = outcome.error?.code ?? 'INTERNAL';
      const retry = outcome.error?.retryable === true ? ' Retrying later may succeed.' : '';
      return `Interlock refused this call (${code}): ${outcome.error?.message ?? 'no detail'}.${retry}${evidence}`;
    }
  }
}

function isToolResult(value: unknown): value is CallToolResult {
  return isRecord(value) && Array.isArray(value['content']);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
