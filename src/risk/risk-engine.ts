import { createHash } from 'node:crypto';
import { createInjectionDetector } from './injection/detector.js';
import type { ContentScanner, LedgerValues, TaintAnalyzer, TaintedArgument } from './content-analysis.js';
import { assessTaint } from './taint/assess.js';
import { createFingerprinter } from './taint/fingerprint.js';
import { recordContent, type LedgerEntry } from './taint/ledger.js';

/**
 * The taint tracker (risk/taint) behind the risk service's narrow interface. Values are kept as
 * keyed fingerprints: every replica must use the same key, so it comes from configuration
 * (`risk.fingerprintKey`) or, without one, is derived from the project name.
 */
export function taintAnalyzer(key: string): TaintAnalyzer {
  const fingerprint = createFingerprinter(key);
  return {
    valueHashes(text: string): string[] {
      return [...recordContent({ origin: 'content', trust: 'untrusted', sourceId: '', label: '', text }, fingerprint).fingerprints];
    },
    taintedArguments(args: Readonly<Record<string, unknown>>, ledger: readonly LedgerValues[]): TaintedArgument[] {
      const entries: LedgerEntry[] = ledger.map((entry) => ({
        origin: entry.origin,
        trust: entry.trust,
        sourceId: entry.sourceId,
        label: entry.label,
        fingerprints: entry.valueHashes,
        truncated: false,
      }));
      return assessTaint(args, entries, { fingerprint }).taintedArgs.map((argument) => ({
        argument: argument.argument,
        kind: argument.kind,
        sources: argument.sources.map((source) => ({ origin: source.origin, sourceId: source.sourceId, label: source.label })),
      }));
    },
  };
}

/** The fingerprint key when none is configured: stable across the replicas of one project. */
export function defaultFingerprintKey(project: string): string {
  return createHash('sha256').update(`interlock risk fingerprints\n${project}`).digest('hex');
}

/**
 * The injection detector (risk/injection: versioned rules, normalisation against obfuscation)
 * behind the risk service's interface. Excerpts are off: the ledger keeps no content.
 */
export function injectionScanner(): ContentScanner {
  const detector = createInjectionDetector({ excerpts: false });
  return {
    scan(text: string) {
      const assessment = detector.detect(text);
      const categories = [...new Set(assessment.signals.filter((signal) => signal.weight > 0).map((signal) => signal.category))];
      return { score: assessment.score, categories };
    },
  };
}
