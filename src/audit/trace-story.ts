import type { AuditEventBody } from './event.js';

/** One step in the story of a call: an audit event, reduced to what a reader needs. */
export interface TraceStep {
  readonly seq: number;
  readonly eventId: string;
  readonly type: string;
  readonly at: string;
  readonly summary: string;
}

export interface CallStory {
  readonly callId: string;
  readonly agent: string | null;
  readonly tenant: string | null;
  readonly tool: string | null;
  readonly operation: string | null;
  readonly status: string | null;
  readonly decision: {
    readonly kind: string;
    readonly policyIds: readonly string[];
    readonly reasons: readonly string[];
    readonly bundleVersion: string;
  } | null;
  readonly startedAt: string;
  readonly durationMs: number | null;
  readonly steps: readonly TraceStep[];
}

export interface TraceStory {
  readonly schemaVersion: 1;
  readonly traceId: string;
  readonly calls: readonly CallStory[];
  readonly eventCount: number;
}

/**
 * Rebuilds the causal story of a trace from its audit events: for each call, in order,
 * received → decided → executed (or refused / failed) → completed.
 */
export function buildTraceStory(
  traceId: string,
  events: ReadonlyArray<{ readonly seq: number; readonly body: AuditEventBody }>,
): TraceStory {
  const byCall = new Map<string, Array<{ seq: number; body: AuditEventBody }>>();
  for (const event of [...events].sort((left, right) => left.seq - right.seq)) {
    const key = event.body.callId ?? `event:${event.body.id}`;
    let list = byCall.get(key);
    if (list === undefined) {
      list = [];
      byCall.set(key, list);
    }
    list.push(event);
  }
  const calls = [...byCall.entries()].map(([callId, callEvents]) => storyOfCall(callId, callEvents));
  return { schemaVersion: 1, traceId, calls, eventCount: events.length };
}

function storyOfCall(callId: string, events: ReadonlyArray<{ seq: number; body: AuditEventBody }>): CallStory {
  let tool: string | null = null;
  let operation: string | null = null;
  let status: string | null = null;
  let durationMs: number | null = null;
  let decision: CallStory['decision'] = null;
  const steps: TraceStep[] = [];
  for (const { seq, body } of events) {
    const data = body.data;
    tool ??= text(data['tool']);
    operation ??= text(data['operation']);
    if (body.type === 'decision.made') {
      decision = {
        kind: text(data['kind']) ?? 'unknown',
        policyIds: strings(data['policyIds']),
        reasons: strings(data['reasons']),
        bundleVersion: text(data['bundleVersion']) ?? '',
      };
    }
    if (body.type === 'call.completed') {
      status = text(data['status']);
      durationMs = typeof data['durationMs'] === 'number' ? data['durationMs'] : null;
    }
    if (body.type === 'call.refused') status = 'refused';
    // A replay answers with the first call's outcome and runs nothing; it has no call.completed.
    if (body.type === 'call.replayed' && status === null) status = text(data['status']);
    steps.push({ seq, eventId: body.id, type: body.type, at: body.at, summary: summarise(body) });
  }
  const first = events[0]?.body;
  return {
    callId,
    agent: first?.agent ?? null,
    tenant: first?.tenant ?? null,
    tool,
    operation,
    status,
    decision,
    startedAt: first?.at ?? '',
    durationMs,
    steps,
  };
}

function summarise(body: AuditEventBody): string {
  const data = body.data;
  switch (body.type) {
    case 'call.received':
      return `${body.agent ?? 'unknown agent'} proposed ${text(data['tool']) ?? '?'}.${text(data['operation']) ?? '?'}${isObject(data['actingFor']) ? ` for user ${text(data['actingFor']['userId']) ?? '?'}` : ''}`;
    case 'decision.made':
      return `policy decided ${text(data['kind']) ?? '?'} (${strings(data['policyIds']).join(', ') || 'no determining policy'})`;
    case 'tool.executed':
      return `tool executed in ${typeof data['durationMs'] === 'number' ? data['durationMs'] : '?'} ms`;
    case 'tool.failed':
      return `tool failed: ${isObject(data['error']) ? (text(data['error']['code']) ?? '?') : '?'} (outcome ${text(data['outcome']) ?? '?'})`;
    case 'call.refused':
      return `call refused: ${text(data['code']) ?? '?'}`;
    case 'call.completed':
      return `call completed with status ${text(data['status']) ?? '?'}`;
    case 'call.replayed':
      return data['resolvedBy'] === 'statusCheck'
        ? `outcome of an earlier call found by the status check ${text(data['statusCheck']) ?? '?'} (nothing ran again)`
        : `answered with the first outcome of call ${text(data['firstCallId']) ?? '?'} (same idempotency key; nothing ran again)`;
    case 'call.resolved':
      return `unknown outcome resolved as ${text(data['resolvedAs']) ?? '?'} by ${text(data['resolvedBy']) ?? '?'}: ${text(data['reason']) ?? ''}`;
    case 'approval.requested':
      return `approval ${text(data['approvalId']) ?? '?'} requested from role ${text(data['approverRole']) ?? '?'}`;
    case 'compensation.registered':
      return data['status'] === 'pending'
        ? `compensation registered: ${text(data['compensatingOperation']) ?? '?'}`
        : 'registered as irreversible (no compensation)';
    default:
      return body.type;
  }
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
