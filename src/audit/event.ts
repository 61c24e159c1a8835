/** Schema version of audit event bodies; readers reject any other. */
export const AUDIT_EVENT_SCHEMA_VERSION = 1;

/** Event types, named noun-then-verb. */
export type AuditEventType =
  | 'call.received'
  | 'call.refused'
  | 'decision.made'
  | 'tool.executed'
  | 'tool.failed'
  | 'call.completed'
  | 'token.revoked'
  | 'policy.loaded'
  | 'policy.rejected'
  | 'server.started'
  | 'mcp.tool.pinned'
  | 'mcp.tool.quarantined'
  | 'mcp.tool.unpinned'
  | 'mcp.upstream.ready'
  | 'mcp.upstream.lost'
  | 'mcp.resource.read'
  | 'mcp.prompt.get'
  | 'call.replayed'
  | 'call.resolved'
  | 'approval.requested'
  | 'approval.voted'
  | 'approval.decided'
  | 'approval.expired'
  | 'approval.notified'
  | 'containment.set'
  | 'containment.lifted'
  | 'plan.proposed'
  | 'plan.executed'
  | 'compensation.registered'
  | 'compensation.quarantined'
  | 'rollback.planned'
  | 'retrieval.performed'
  | 'retrieval.refused'
  | 'source.ingested'
  | 'source.quarantined'
  | 'source.released'
  | 'session.content'
  | 'risk.assessed';

/** One redaction applied before the event was written: where, and why (never the value). */
export interface Redaction {
  readonly path: string;
  readonly reason: 'secret_value' | 'secret_pattern' | 'configured_field' | 'obligation';
  readonly detail?: string;
}

/** What a component hands to the audit log; id, time and chain position are added by it. */
export interface AuditEventInput {
  readonly type: AuditEventType;
  readonly tenant: string | null;
  readonly agent: string | null;
  readonly traceId: string | null;
  readonly callId: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}

/** The body that is canonicalised (RFC 8785) and hashed into the chain. */
export interface AuditEventBody {
  readonly schemaVersion: typeof AUDIT_EVENT_SCHEMA_VERSION;
  readonly id: string;
  readonly type: AuditEventType;
  readonly at: string;
  readonly tenant: string | null;
  readonly agent: string | null;
  readonly traceId: string | null;
  readonly callId: string | null;
  readonly data: Readonly<Record<string, unknown>>;
  readonly redactions: readonly Redaction[];
}
