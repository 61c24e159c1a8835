import type { KeyObject } from 'node:crypto';
import type { Checkpoint, Store, StoredAuditEvent } from '../store/store.js';
import { canonicalJson } from './canonical-json.js';
import { chainLink, GENESIS_HASH, isChainHash } from './chain.js';
import { publicKeysById, verifyCheckpointSignature } from './checkpoint.js';
import { AUDIT_EVENT_SCHEMA_VERSION } from './event.js';

/** Where verification reads the chain from: a store, or an exported evidence pack. */
export interface VerificationSource {
  /** Events with fromSeq <= seq, ordered by seq, at most `limit`. */
  readRange(fromSeq: number, limit: number): Promise<readonly StoredAuditEvent[]>;
  checkpoints(): Promise<readonly Checkpoint[]>;
  /**
   * The head the store records beside the chain, when it keeps one. Read before and after the
   * scan: events missing below the first reading, or present above the second, were tampered with.
   */
  head?(): Promise<{ readonly seq: number; readonly hash: string } | null>;
}

export function storeVerificationSource(store: Pick<Store, 'readAuditRange' | 'listCheckpoints' | 'auditHead'>): VerificationSource {
  return {
    readRange: (fromSeq, limit) => store.readAuditRange(fromSeq, limit),
    checkpoints: () => store.listCheckpoints(),
    head: () => store.auditHead(),
  };
}

export type FindingKind =
  | 'modified'
  | 'removed'
  | 'inserted'
  | 'reordered'
  | 'column_mismatch'
  | 'schema_version_unknown'
  | 'checkpoint_signature_invalid'
  | 'checkpoint_key_unknown'
  | 'checkpoint_mismatch'
  | 'unattested';

export type FindingReason =
  // modified
  | 'hash_malformed'
  | 'hash_mismatch'
  | 'body_malformed'
  | 'body_not_canonical'
  | 'successor_link_broken'
  | 'prev_hash_altered'
  | 'seq_altered'
  | 'head_differs'
  // removed
  | 'seq_gap'
  | 'head_truncated'
  | 'tail_truncated'
  // inserted
  | 'skipped_by_successor'
  | 'orphan'
  | 'beyond_head'
  | 'duplicate'
  // reordered
  | 'predecessor_appears_later'
  // column_mismatch, schema_version_unknown
  | 'column_differs'
  | 'schema_version_unknown'
  // checkpoints
  | 'signature_invalid'
  | 'key_unknown'
  | 'hash_differs'
  | 'shifted'
  // unattested
  | 'no_checkpoint';

export interface VerificationFinding {
  readonly kind: FindingKind;
  readonly reason: FindingReason;
  /** The seq the finding is about (for checkpoint findings: the checkpoint's seq). */
  readonly seq: number;
  /** The event's id when an event is present at that seq; null for removed events. */
  readonly eventId: string | null;
  readonly message: string;
  /** column_mismatch: which column. */
  readonly column?: string;
  /** A second seq the finding refers to (the successor that exposed it, where a signed event now sits). */
  readonly relatedSeq?: number;
}

export interface VerificationReport {
  readonly ok: boolean;
  readonly eventCount: number;
  readonly head: { readonly seq: number; readonly hash: string } | null;
  readonly checkpoints: { readonly total: number; readonly verified: number; readonly lastVerifiedSeq: number | null };
  /** Events after the last verified checkpoint: chain-consistent but not yet attested by a signature. */
  readonly unattestedEvents: number;
  readonly findings: readonly VerificationFinding[];
  readonly findingsTruncated: boolean;
}

export interface VerifyOptions {
  /** Events read per page. Default 1000. */
  readonly pageSize?: number;
  /**
   * How many events before and after the one being classified are kept to explain a broken link
   * (insertion, reordering). Tampering further apart than this is still detected, but may be
   * classified as `modified` rather than `reordered` or `inserted`. Default 4096.
   */
  readonly window?: number;
  /** Findings kept in the report. Default 1000. */
  readonly maxFindings?: number;
  /**
   * A chain with events but no valid signed checkpoint is reported as `unattested`: anyone with
   * write access could have rewritten it whole. The CLI and the HTTP API require one. Default false.
   */
  readonly requireCheckpoint?: boolean;
}

interface ChainEntry {
  readonly position: number;
  readonly seq: number;
  readonly id: string;
  readonly hash: string;
  readonly prevHash: string;
  readonly selfValid: boolean;
  readonly duplicate: boolean;
}

const REDUNDANT_COLUMNS = ['id', 'type', 'at', 'tenant', 'agent', 'traceId', 'callId'] as const;

/**
 * Verifies an audit chain page by page in bounded memory. Each event is checked on its own (hash,
 * canonical body, schema version, redundant columns); each broken link is classified with the
 * events around it; signed checkpoints are checked against the events at their seq. The rules are
 * documented in docs/reference/audit.md.
 */
export async function verifyChain(
  source: VerificationSource,
  publicKeys: Iterable<KeyObject> | ReadonlyMap<string, KeyObject>,
  options: VerifyOptions = {},
): Promise<VerificationReport> {
  const keys =
    publicKeys instanceof Map ? (publicKeys as ReadonlyMap<string, KeyObject>) : publicKeysById(publicKeys as Iterable<KeyObject>);
  const pageSize = options.pageSize ?? 1000;
  const window = options.window ?? 4096;
  const findings = new FindingList(options.maxFindings ?? 1000);
  const checkpoints = [...(await source.checkpoints())].sort((left, right) => left.seq - right.seq);
  const headBefore = (await source.head?.()) ?? null;
  const checkpointSeqs = new Set(checkpoints.map((checkpoint) => checkpoint.seq));
  const checkpointHashes = new Set(checkpoints.map((checkpoint) => checkpoint.hash));
  if (headBefore !== null) {
    checkpointSeqs.add(headBefore.seq);
    checkpointHashes.add(headBefore.hash);
  }
  const observedAtCheckpointSeq = new Map<number, { hash: string; id: string }>();
  const seqOfCheckpointHash = new Map<string, number>();

  const chain = new ChainWindow(findings);
  let head: { seq: number; hash: string } | null = null;
  let fromSeq = 0;
  let processed = 0;
  for (;;) {
    const page = await source.readRange(fromSeq, pageSize);
    for (const event of page) {
      const selfValid = checkEvent(event, findings);
      chain.load(event, selfValid);
      head = { seq: event.seq, hash: event.hash };
      if (checkpointSeqs.has(event.seq) && !observedAtCheckpointSeq.has(event.seq))
        observedAtCheckpointSeq.set(event.seq, { hash: event.hash, id: event.id });
      if (checkpointHashes.has(event.hash) && !seqOfCheckpointHash.has(event.hash)) seqOfCheckpointHash.set(event.hash, event.seq);
    }
    const last = page[page.length - 1];
    const exhausted = last === undefined || page.length < pageSize;
    const processUpTo = exhausted ? chain.loaded : chain.loaded - window;
    for (; processed < processUpTo; processed += 1) {
      chain.classify(processed, exhausted && processed === chain.loaded - 1);
      chain.evictBefore(processed - window);
    }
    if (exhausted) break;
    fromSeq = last.seq + 1;
  }

  const maxSeq = head?.seq ?? 0;
  let truncatedUpTo = maxSeq;
  // The recorded head is an unsigned checkpoint: it catches a truncated or rewritten tail and events
  // appended without the store's append path.
  const headAfter = (await source.head?.()) ?? null;
  if (headBefore !== null) {
    const observed = observedAtCheckpointSeq.get(headBefore.seq);
    if (headBefore.seq > maxSeq) truncatedUpTo = headBefore.seq;
    else if (observed !== undefined && observed.hash !== headBefore.hash && !seqOfCheckpointHash.has(headBefore.hash)) {
      findings.add({
        kind: 'modified',
        reason: 'head_differs',
        seq: headBefore.seq,
        eventId: observed.id,
        message: `event ${headBefore.seq} does not have the hash the store recorded for its head`,
      });
    }
  }
  if (headAfter !== null && maxSeq > headAfter.seq) {
    for (const entry of chain.entriesAfterSeq(headAfter.seq)) {
      if (
        !findings.add({
          kind: 'inserted',
          reason: 'beyond_head',
          seq: entry.seq,
          eventId: entry.id,
          message: `event ${entry.seq} lies beyond the head the store recorded: it was not appended through the store`,
        })
      )
        break;
    }
  }
  let verified = 0;
  let lastVerifiedSeq: number | null = null;
  for (const checkpoint of checkpoints) {
    const status = verifyCheckpointSignature(checkpoint, keys);
    if (status === 'unknown_key') {
      findings.add({
        kind: 'checkpoint_key_unknown',
        reason: 'key_unknown',
        seq: checkpoint.seq,
        eventId: null,
        message: `checkpoint at seq ${checkpoint.seq} is signed by unknown key ${checkpoint.keyId}`,
      });
      continue;
    }
    if (status === 'invalid') {
      findings.add({
        kind: 'checkpoint_signature_invalid',
        reason: 'signature_invalid',
        seq: checkpoint.seq,
        eventId: null,
        message: `checkpoint at seq ${checkpoint.seq} has a signature that does not verify`,
      });
      continue;
    }
    const observed = observedAtCheckpointSeq.get(checkpoint.seq);
    if (observed !== undefined && observed.hash === checkpoint.hash) {
      verified += 1;
      lastVerifiedSeq = Math.max(lastVerifiedSeq ?? 0, checkpoint.seq);
      continue;
    }
    const movedTo = seqOfCheckpointHash.get(checkpoint.hash);
    if (movedTo !== undefined) {
      findings.add({
        kind: 'checkpoint_mismatch',
        reason: 'shifted',
        seq: checkpoint.seq,
        eventId: observed?.id ?? null,
        relatedSeq: movedTo,
        message: `the event signed at seq ${checkpoint.seq} now sits at seq ${movedTo}: ${Math.abs(movedTo - checkpoint.seq)} event(s) were ${movedTo > checkpoint.seq ? 'inserted' : 'removed'} before it`,
      });
    } else if (checkpoint.seq > maxSeq) {
      truncatedUpTo = Math.max(truncatedUpTo, checkpoint.seq);
    } else {
      findings.add({
        kind: 'checkpoint_mismatch',
        reason: 'hash_differs',
        seq: checkpoint.seq,
        eventId: observed?.id ?? null,
        message: `the event at seq ${checkpoint.seq} does not have the hash its signed checkpoint attests`,
      });
    }
  }
  for (let seq = maxSeq + 1; seq <= truncatedUpTo; seq += 1) {
    if (
      !findings.add({
        kind: 'removed',
        reason: 'tail_truncated',
        seq,
        eventId: null,
        message: `event ${seq} is covered by a signed checkpoint but missing from the end of the chain`,
      })
    )
      break;
  }

  if (options.requireCheckpoint === true && chain.loaded > 0 && verified === 0) {
    findings.add({
      kind: 'unattested',
      reason: 'no_checkpoint',
      seq: maxSeq,
      eventId: null,
      message: 'no valid signed checkpoint covers the chain, so none of its events can be attested (checkpoints deleted, or never written)',
    });
  }

  return {
    ok: findings.count === 0,
    eventCount: chain.loaded,
    head,
    checkpoints: { total: checkpoints.length, verified, lastVerifiedSeq },
    unattestedEvents: lastVerifiedSeq === null ? chain.loaded : Math.max(0, maxSeq - lastVerifiedSeq),
    findings: findings.sorted(),
    findingsTruncated: findings.count > findings.items.length,
  };
}

/** The checks one event passes on its own. Returns whether its stored hash is its true chain hash. */
function checkEvent(event: StoredAuditEvent, findings: FindingList): boolean {
  const at = { seq: event.seq, eventId: event.id };
  if (!isChainHash(event.hash) || !isChainHash(event.prevHash)) {
    findings.add({
      ...at,
      kind: 'modified',
      reason: 'hash_malformed',
      message: `event ${event.seq} has a malformed hash or previous hash`,
    });
    return false;
  }
  if (chainLink(event.prevHash, event.body) !== event.hash) {
    findings.add({
      ...at,
      kind: 'modified',
      reason: 'hash_mismatch',
      message: `event ${event.seq}: the stored hash does not match its body and previous hash (the body or the link was changed)`,
    });
    return false;
  }
  let body: unknown;
  try {
    body = JSON.parse(event.body);
  } catch {
    findings.add({
      ...at,
      kind: 'modified',
      reason: 'body_malformed',
      message: `event ${event.seq}: the body is not JSON (and its hash was recomputed)`,
    });
    return true;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    findings.add({
      ...at,
      kind: 'modified',
      reason: 'body_malformed',
      message: `event ${event.seq}: the body is not a JSON object (and its hash was recomputed)`,
    });
    return true;
  }
  let canonical: string | null;
  try {
    canonical = canonicalJson(body);
  } catch {
    canonical = null;
  }
  if (canonical !== event.body) {
    findings.add({
      ...at,
      kind: 'modified',
      reason: 'body_not_canonical',
      message: `event ${event.seq}: the body is not in canonical form (and its hash was recomputed)`,
    });
  }
  const record = body as Record<string, unknown>;
  if (record['schemaVersion'] !== AUDIT_EVENT_SCHEMA_VERSION) {
    findings.add({
      ...at,
      kind: 'schema_version_unknown',
      reason: 'schema_version_unknown',
      message: `event ${event.seq}: body schema version is not ${AUDIT_EVENT_SCHEMA_VERSION}`,
    });
  }
  for (const column of REDUNDANT_COLUMNS) {
    const inBody = Object.prototype.hasOwnProperty.call(record, column) ? record[column] : undefined;
    if (inBody !== event[column]) {
      findings.add({
        ...at,
        kind: 'column_mismatch',
        reason: 'column_differs',
        column,
        message: `event ${event.seq}: column ${column} differs from the signed body`,
      });
    }
  }
  return true;
}

/**
 * A sliding window over the chain in seq order. Events are loaded ahead of the one being
 * classified so that a link to a later event (reordering) and links skipping an event (insertion)
 * can be recognised.
 */
class ChainWindow {
  readonly #findings: FindingList;
  readonly #entries = new Map<number, ChainEntry>();
  readonly #positionByHash = new Map<string, number>();
  readonly #linkersByHash = new Map<string, number[]>();
  /** Positions that already carry a chain finding, so one tampering is reported once. */
  readonly #reported = new Set<number>();
  #loaded = 0;
  /** The lowest position still held. */
  #oldest = 0;

  constructor(findings: FindingList) {
    this.#findings = findings;
  }

  get loaded(): number {
    return this.#loaded;
  }

  load(event: StoredAuditEvent, selfValid: boolean): void {
    const position = this.#loaded;
    const duplicate = this.#positionByHash.has(event.hash);
    this.#entries.set(position, {
      position,
      seq: event.seq,
      id: event.id,
      hash: event.hash,
      prevHash: event.prevHash,
      selfValid,
      duplicate,
    });
    if (!duplicate) this.#positionByHash.set(event.hash, position);
    const linkers = this.#linkersByHash.get(event.prevHash);
    if (linkers === undefined) this.#linkersByHash.set(event.prevHash, [position]);
    else linkers.push(position);
    this.#loaded += 1;
  }

  /** Held entries with seq above `seq`, in order (the tail stays held after the scan). */
  entriesAfterSeq(seq: number): ChainEntry[] {
    return [...this.#entries.values()].filter((entry) => entry.seq > seq).sort((left, right) => left.position - right.position);
  }

  evictBefore(position: number): void {
    const entry = this.#entries.get(position);
    if (entry === undefined) return;
    this.#oldest = position + 1;
    this.#entries.delete(position);
    this.#reported.delete(position);
    if (this.#positionByHash.get(entry.hash) === position) this.#positionByHash.delete(entry.hash);
    const linkers = this.#linkersByHash.get(entry.prevHash);
    if (linkers !== undefined) {
      const remaining = linkers.filter((linker) => linker !== position);
      if (remaining.length === 0) this.#linkersByHash.delete(entry.prevHash);
      else this.#linkersByHash.set(entry.prevHash, remaining);
    }
  }

  /** Classifies the link from the event at `position` to its predecessor. */
  classify(position: number, isTail: boolean): void {
    const event = this.#entries.get(position);
    if (event === undefined) return;
    if (event.duplicate) {
      this.#report(event, 'inserted', 'duplicate', `event ${event.seq} repeats the hash of an earlier event: a copy was inserted`);
      return;
    }
    const previous = this.#entries.get(position - 1);
    const gap = previous === undefined ? event.seq > 1 : event.seq > previous.seq + 1;
    const outOfOrder = previous !== undefined && event.seq <= previous.seq;

    // The genesis hash stands for a virtual event just before the first position.
    const parent = event.prevHash === GENESIS_HASH ? -1 : this.#positionByHash.get(event.prevHash);
    if (parent === position - 1) {
      if (gap || outOfOrder)
        this.#report(event, 'modified', 'seq_altered', `event ${event.seq} links to its predecessor but its seq was changed`);
      return;
    }
    if (parent !== undefined && parent > position) {
      this.#report(
        event,
        'reordered',
        'predecessor_appears_later',
        `event ${event.seq} links to an event that appears later`,
        this.#entries.get(parent)?.seq,
      );
      return;
    }
    if (parent !== undefined) {
      // The link skips the events between parent and here: any of them nobody links to was inserted.
      for (let skipped = Math.max(parent + 1, this.#oldest); skipped < position; skipped += 1) {
        const candidate = this.#entries.get(skipped);
        if (candidate === undefined || this.#reported.has(skipped) || this.#isLinked(candidate)) continue;
        this.#report(
          candidate,
          'inserted',
          'skipped_by_successor',
          `event ${candidate.seq} is not part of the chain: event ${event.seq} links past it`,
          event.seq,
        );
      }
      return;
    }
    // The predecessor this event names is nowhere in the window.
    if (previous === undefined) {
      if (gap) this.#removedRange(1, event.seq - 1, 'head_truncated', event.seq);
      else if (event.selfValid) {
        this.#report(
          event,
          'removed',
          'head_truncated',
          `event ${event.seq} does not link to the genesis hash: earlier events were removed and the rest renumbered`,
        );
      }
      return;
    }
    if (gap) {
      this.#removedRange(previous.seq + 1, event.seq - 1, 'seq_gap', event.seq);
      return;
    }
    if (!event.selfValid) return; // already reported as modified; its previous hash is not trustworthy
    if (!this.#reported.has(previous.position) && !this.#isLinked(previous)) {
      this.#report(
        previous,
        'modified',
        'successor_link_broken',
        `event ${previous.seq} was rewritten and its hash recomputed (or the event after it was removed and the rest renumbered): event ${event.seq} links to a hash no event has`,
        event.seq,
      );
      return;
    }
    if (!isTail && !this.#isLinked(event)) {
      this.#report(event, 'inserted', 'orphan', `event ${event.seq} links to no known event and no event links to it`);
      return;
    }
    this.#report(event, 'modified', 'prev_hash_altered', `event ${event.seq} links to a hash no event has`);
  }

  #isLinked(entry: ChainEntry): boolean {
    return this.#linkersByHash.has(entry.hash);
  }

  #report(entry: ChainEntry, kind: FindingKind, reason: FindingReason, message: string, relatedSeq?: number): void {
    if (this.#reported.has(entry.position)) return;
    this.#reported.add(entry.position);
    const finding: VerificationFinding = { kind, reason, seq: entry.seq, eventId: entry.id, message };
    this.#findings.add(relatedSeq === undefined ? finding : { ...finding, relatedSeq });
  }

  #removedRange(fromSeq: number, toSeq: number, reason: FindingReason, nextSeq: number): void {
    for (let seq = fromSeq; seq <= toSeq; seq += 1) {
      if (
        !this.#findings.add({
          kind: 'removed',
          reason,
          seq,
          eventId: null,
          relatedSeq: nextSeq,
          message: `event ${seq} is missing: event ${nextSeq} links to an event that is not in the chain`,
        })
      )
        return;
    }
  }
}

class FindingList {
  readonly items: VerificationFinding[] = [];
  count = 0;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Returns false once the list is full (callers may stop producing). */
  add(finding: VerificationFinding): boolean {
    this.count += 1;
    if (this.items.length >= this.#limit) return false;
    this.items.push(finding);
    return true;
  }

  sorted(): VerificationFinding[] {
    return [...this.items].sort((left, right) => left.seq - right.seq);
  }
}
