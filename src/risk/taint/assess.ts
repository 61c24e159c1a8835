import { argumentValues } from './argument-values.js';
import type { Fingerprinter } from './fingerprint.js';
import type { ValueKind } from './kinds.js';
import { matchClassOf } from './kinds.js';
import type { ContentOrigin, ContentSource, LedgerEntry, LedgerIndex } from './ledger.js';
import { indexLedger } from './ledger.js';

/**
 * Decides which arguments of a proposed write carry values that came from untrusted content.
 *
 * For each value in an argument, the value and its equivalent forms (a long number's last ten
 * digits) are looked up first, then its broader forms (an address's domain, a path's last
 * segments), most specific first, stopping at the first that the session has seen:
 *
 * - seen in trusted content (the user's request, operator-trusted sources): the value is vouched
 *   for, whatever untrusted content also said; values the user supplied never fire;
 * - seen only in untrusted content: the argument is tainted, naming that content;
 * - never seen: the next broader form decides; a value seen nowhere is not tainted (the agent
 *   composed it, and other signals judge that).
 *
 * Pure: the result depends only on the arguments, the ledger and the fingerprinter.
 */

export interface TaintSource {
  readonly origin: ContentOrigin;
  readonly sourceId: string;
  readonly label: string;
}

export interface TaintedArgument {
  /** Dotted path of the argument (`payee.account`, `to.0`). */
  readonly argument: string;
  /** What the matching value looks like, as read from the argument (`domain` when only its domain matched). */
  readonly kind: ValueKind;
  readonly sources: readonly TaintSource[];
}

export interface TaintAssessment {
  readonly taintedArgs: readonly TaintedArgument[];
  /**
   * Some content or some argument was too large to read in full (see the limits in extract.ts,
   * text-cleanup.ts and argument-values.ts), so a tainted value may have gone unseen.
   */
  readonly truncated: boolean;
}

export interface TaintOptions {
  /** Must be the fingerprinter the ledger entries were recorded with. */
  readonly fingerprint: Fingerprinter;
  /** Arguments (dotted paths, with everything beneath them) that are not assessed. */
  readonly ignoreArguments?: readonly string[];
  /** At most this many sources are named per argument; defaults to 5. */
  readonly maxSourcesPerArgument?: number;
}

const DEFAULT_MAX_SOURCES = 5;

export function assessTaint(
  args: Readonly<Record<string, unknown>>,
  ledger: readonly LedgerEntry[] | LedgerIndex,
  options: TaintOptions,
): TaintAssessment {
  const index = Array.isArray(ledger) ? indexLedger(ledger) : (ledger as LedgerIndex);
  const maxSources = options.maxSourcesPerArgument ?? DEFAULT_MAX_SOURCES;
  const walked = argumentValues(args, new Set(options.ignoreArguments ?? []));
  const tainted = new Map<string, { argument: string; kind: ValueKind; sources: Map<string, TaintSource> }>();

  const record = (argument: string, kind: ValueKind, sources: readonly ContentSource[]): void => {
    const key = `${argument}\u0000${kind}`;
    let entry = tainted.get(key);
    if (entry === undefined) {
      entry = { argument, kind, sources: new Map() };
      tainted.set(key, entry);
    }
    for (const source of sources) {
      if (entry.sources.size >= maxSources) break;
      if (!entry.sources.has(source.sourceId)) {
        entry.sources.set(source.sourceId, { origin: source.origin, sourceId: source.sourceId, label: source.label });
      }
    }
  };

  if (index.untrusted.size > 0) {
    for (const { argument, value } of walked.values) {
      const same = [
        options.fingerprint(matchClassOf(value.kind), value.normalized),
        ...value.related.filter((form) => form.scope === 'equivalent').map((form) => options.fingerprint(form.matchClass, form.normalized)),
      ];
      if (same.some((fingerprint) => index.trusted.has(fingerprint))) continue;
      const sameSources = same.flatMap((fingerprint) => index.untrusted.get(fingerprint) ?? []);
      if (sameSources.length > 0) {
        record(argument, value.kind, sameSources);
        continue;
      }
      for (const form of value.related) {
        if (form.scope !== 'broader') continue;
        const fingerprint = options.fingerprint(form.matchClass, form.normalized);
        if (index.trusted.has(fingerprint)) break;
        const sources = index.untrusted.get(fingerprint);
        if (sources === undefined) continue;
        record(argument, form.matchClass === 'domain' ? 'domain' : value.kind, sources);
        break;
      }
    }
  }

  return {
    taintedArgs: [...tainted.values()].map((entry) => ({
      argument: entry.argument,
      kind: entry.kind,
      sources: [...entry.sources.values()],
    })),
    truncated: walked.truncated || index.truncated,
  };
}
