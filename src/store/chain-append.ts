import type { AuditEventDraft, ChainLink, StoredAuditEvent } from './store.js';

/** The hash that precedes the first event of an empty chain. */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/**
 * Places drafts after `head`, in order: consecutive seq numbers, each linked to the hash before it.
 * Pure, so both stores share it and call it while they hold their write lock.
 */
export function chainDrafts(head: ChainHead, drafts: readonly AuditEventDraft[], link: ChainLink): StoredAuditEvent[] {
  const events: StoredAuditEvent[] = [];
  let previous = head;
  for (const draft of drafts) {
    const seq = previous.seq + 1;
    const hash = link(previous.hash, draft.body);
    events.push({
      id: draft.id,
      type: draft.type,
      at: draft.at,
      tenant: draft.tenant,
      agent: draft.agent,
      traceId: draft.traceId,
      callId: draft.callId,
      body: draft.body,
      seq,
      prevHash: previous.hash,
      hash,
    });
    previous = { seq, hash };
  }
  return events;
}

/** Splits rows so that one multi-row statement stays under the driver's bound-parameter limit. */
export function inChunks<Item>(items: readonly Item[], size: number): Item[][] {
  const chunks: Item[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
