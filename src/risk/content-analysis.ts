/**
 * What the risk service needs from the detectors, as narrow interfaces: the injection detector
 * (risk/injection) scores text; the taint tracker (risk/taint) turns text into value hashes and
 * finds which arguments of a write carry values from untrusted content.
 */

export interface ContentScan {
  /** 0..1 */
  readonly score: number;
  /** Categories of the signals raised, e.g. `override`, `exfiltration`. */
  readonly categories: readonly string[];
}

export interface ContentScanner {
  scan(text: string): ContentScan;
}

/** One entry of a session's ledger, as the taint tracker sees it. */
export interface LedgerValues {
  readonly origin: string;
  readonly trust: 'trusted' | 'untrusted';
  readonly sourceId: string;
  readonly label: string;
  readonly valueHashes: readonly string[];
}

export interface TaintedArgument {
  /** Dotted path of the argument, e.g. `payee.account`. */
  readonly argument: string;
  readonly kind: string;
  readonly sources: ReadonlyArray<{ readonly origin: string; readonly sourceId: string; readonly label: string }>;
}

export interface TaintAnalyzer {
  /** Hashes of the identifiers found in text (account numbers, addresses, URLs…), normalised. */
  valueHashes(text: string): string[];
  /** Arguments whose values appeared in untrusted entries and in no trusted one. */
  taintedArguments(args: Readonly<Record<string, unknown>>, ledger: readonly LedgerValues[]): TaintedArgument[];
}
