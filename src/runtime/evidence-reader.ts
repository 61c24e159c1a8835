import type { KeyObject } from 'node:crypto';
import type { AuditEventBody } from '../audit/event.js';
import { buildTraceStory, type TraceStory } from '../audit/trace-story.js';
import { storeVerificationSource, verifyChain, type VerificationReport } from '../audit/verify.js';
import { InterlockError } from '../errors/interlock-error.js';
import type { AuditPage, AuditQuery, Reader } from '../server/services.js';
import type { AuditFilter, Store } from '../store/store.js';

const TRACE_EVENT_LIMIT = 10_000;

/**
 * Reads evidence on behalf of a reader, enforcing its scope: operators see their tenants, agents
 * see only their own events. Out-of-scope records are reported as absent, not forbidden, so that
 * their existence does not leak across tenants.
 */
export class EvidenceReader {
  readonly #store: Store;
  readonly #publicKeys: () => readonly KeyObject[];

  constructor(store: Store, publicKeys: () => readonly KeyObject[]) {
    this.#store = store;
    this.#publicKeys = publicKeys;
  }

  async readAudit(reader: Reader, query: AuditQuery): Promise<AuditPage> {
    const filter: AuditFilter = {
      ...scopeFilter(reader, query.tenant, query.agent),
      ...(query.traceId === undefined ? {} : { traceId: query.traceId }),
      ...(query.callId === undefined ? {} : { callId: query.callId }),
      ...(query.type === undefined ? {} : { type: query.type }),
      ...(query.since === undefined ? {} : { since: isoInstant(query.since, 'since') }),
      ...(query.until === undefined ? {} : { until: isoInstant(query.until, 'until') }),
      ...(query.afterSeq === undefined ? {} : { afterSeq: query.afterSeq }),
      limit: query.limit,
    };
    const rows = await this.#store.listAuditEvents(filter);
    const last = rows[rows.length - 1];
    return {
      events: rows.map((row) => ({ seq: row.seq, hash: row.hash, prevHash: row.prevHash, event: JSON.parse(row.body) as unknown })),
      nextCursor: rows.length === query.limit && last !== undefined ? last.seq : null,
    };
  }

  async traceStory(reader: Reader, traceId: string): Promise<TraceStory> {
    const rows = await this.#store.listAuditEvents({ ...scopeFilter(reader, undefined, undefined), traceId, limit: TRACE_EVENT_LIMIT });
    if (rows.length === 0) throw new InterlockError('NOT_FOUND', `no trace "${traceId}" visible to this caller`);
    return buildTraceStory(
      traceId,
      rows.map((row) => ({ seq: row.seq, body: JSON.parse(row.body) as AuditEventBody })),
    );
  }

  async verify(reader: Reader): Promise<VerificationReport> {
    if (reader.kind !== 'operator' || reader.tenants !== '*') {
      throw new InterlockError('FORBIDDEN', 'verifying the whole chain needs an operator token for all tenants');
    }
    return verifyChain(storeVerificationSource(this.#store), this.#publicKeys(), { requireCheckpoint: true });
  }
}

/** Normalises a date-time to the stored form (UTC, milliseconds); an impossible date is a bad request. */
function isoInstant(text: string, name: string): string {
  const instant = new Date(text);
  if (Number.isNaN(instant.getTime())) throw new InterlockError('REQUEST_INVALID', `${name} is not a valid date-time`);
  return instant.toISOString();
}

function scopeFilter(
  reader: Reader,
  tenant: string | undefined,
  agent: string | undefined,
): { tenants?: readonly string[]; agent?: string } {
  if (reader.kind === 'agent') {
    if ((tenant !== undefined && tenant !== reader.tenant) || (agent !== undefined && agent !== reader.agentId)) {
      throw new InterlockError('FORBIDDEN', 'an agent token can read only its own evidence');
    }
    return { tenants: [reader.tenant], agent: reader.agentId };
  }
  const scope: { tenants?: readonly string[]; agent?: string } = {};
  if (reader.tenants === '*') {
    if (tenant !== undefined) scope.tenants = [tenant];
  } else {
    if (tenant !== undefined && !reader.tenants.includes(tenant))
      throw new InterlockError('TENANT_MISMATCH', `operator may not read tenant "${tenant}"`);
    scope.tenants = tenant === undefined ? reader.tenants : [tenant];
  }
  if (agent !== undefined) scope.agent = agent;
  return scope;
}
