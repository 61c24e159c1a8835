import { canonicalJson } from '../../src/audit/canonical-json.js';
import { chainLink, GENESIS_HASH } from '../../src/audit/chain.js';
import { AUDIT_EVENT_SCHEMA_VERSION, type AuditEventBody } from '../../src/audit/event.js';
import type { VerificationSource } from '../../src/audit/verify.js';
import type { Checkpoint, StoredAuditEvent } from '../../src/store/store.js';

/** A body as the audit log would build it, with a predictable id and time. */
export function bodyFor(index: number, data: Record<string, unknown> = { index }): AuditEventBody {
  return {
    schemaVersion: AUDIT_EVENT_SCHEMA_VERSION,
    id: `event-${index}`,
    type: 'tool.executed',
    at: new Date(Date.UTC(2024, 0, 1, 0, 0, index)).toISOString(),
    tenant: 'acme',
    agent: 'refund-bot',
    traceId: `trace-${index}`,
    callId: `call-${index}`,
    data,
    redactions: [],
  };
}

/** Places a body after `previous` in the chain, exactly as a store does. */
export function place(body: AuditEventBody, seq: number, prevHash: string): StoredAuditEvent {
  const text = canonicalJson(body);
  return {
    id: body.id,
    type: body.type,
    at: body.at,
    tenant: body.tenant,
    agent: body.agent,
    traceId: body.traceId,
    callId: body.callId,
    body: text,
    seq,
    prevHash,
    hash: chainLink(prevHash, text),
  };
}

/** A valid chain of `count` events with seqs 1..count. */
export function buildChain(count: number): StoredAuditEvent[] {
  const events: StoredAuditEvent[] = [];
  let previous = GENESIS_HASH;
  for (let index = 1; index <= count; index += 1) {
    const event = place(bodyFor(index), index, previous);
    events.push(event);
    previous = event.hash;
  }
  return events;
}

/** Gives each event its position + 1 as seq, as an attacker renumbering rows would. */
export function renumber(events: readonly StoredAuditEvent[]): StoredAuditEvent[] {
  return events.map((event, index) => ({ ...event, seq: index + 1 }));
}

/** Serves events (sorted by seq) and checkpoints from memory, counting page reads. */
export function memorySource(
  events: readonly StoredAuditEvent[],
  checkpoints: readonly Checkpoint[] = [],
): VerificationSource & { pagesRead: number } {
  const sorted = [...events].sort((left, right) => left.seq - right.seq);
  const source = {
    pagesRead: 0,
    async readRange(fromSeq: number, limit: number): Promise<StoredAuditEvent[]> {
      source.pagesRead += 1;
      return sorted.filter((event) => event.seq >= fromSeq).slice(0, limit);
    },
    async checkpoints(): Promise<Checkpoint[]> {
      return [...checkpoints];
    },
  };
  return source;
}
