import { showHiddenCharactersShortened } from '../../drift/visible-text.js';
import { InterlockError } from '../../errors/interlock-error.js';
import { codePointClass } from './code-point-class.js';
import { DEFAULT_INJECTION_RULES } from './default-rules.js';
import { DEFAULT_BLOB_LIMITS, findDecodableBlobs, type BlobLimits } from './encoded-payloads.js';
import { findHiddenCharacters, mayHoldHiddenCharacters } from './hidden-characters.js';
import { findMixedScriptWords } from './homoglyphs.js';
import { createKeywordGate } from './keyword-gate.js';
import { isQuoted } from './quoting.js';
import {
  WORDING_CATEGORIES,
  type DiscussionRule,
  type EncodedPayloadRule,
  type InjectionCategory,
  type InjectionRule,
  type InjectionRuleSet,
  type PatternRule,
} from './rule-set.js';
import { DEFAULT_SCAN_LIMITS, textToScan, type ScanLimits } from './scan-window.js';
import { compactView, deobfuscatedView, mayBeDisguised, plainView } from './text-views.js';

/**
 * Scores content entering a session for text aimed at the model rather than at the reader. Pure: text in,
 * assessment out, no I/O. Each rule contributes at most one signal; the score combines the signals as
 * independent evidence, 1 − ∏(1 − weight), so two weak signals together outweigh either alone and no number
 * of signals passes 1.
 */

export type SignalLowering = 'quoted' | 'discussion';

export interface InjectionSignal {
  readonly ruleId: string;
  readonly category: InjectionCategory;
  /**
   * What the signal adds to the score, after any lowering. For the `discussion` category (text that discusses
   * attacks), the share taken off every wording signal instead.
   */
  readonly weight: number;
  /** A short stretch around the match (never the whole content), hidden characters shown as \u{...}. */
  readonly excerpt?: string;
  /** Why the weight is below the rule's own: the words were quoted, or the text discusses attacks. */
  readonly lowered?: readonly SignalLowering[];
}

export interface InjectionAssessment {
  /** 0 (nothing instruction-like) to 1. */
  readonly score: number;
  readonly threshold: number;
  /** score ≥ threshold. */
  readonly flagged: boolean;
  /** Strongest first. */
  readonly signals: readonly InjectionSignal[];
  readonly rulesVersion: string;
  /** Characters read; less than the text's length when it was too large to read whole. */
  readonly scannedChars: number;
  readonly truncated: boolean;
}

export interface InjectionDetectorOptions {
  readonly rules?: InjectionRuleSet;
  /** Overrides the rules file's threshold. */
  readonly threshold?: number;
  readonly limits?: Partial<ScanLimits>;
  readonly blobLimits?: Partial<BlobLimits>;
  /** Include excerpts in signals (default true). Off where even short stretches of content may not be kept. */
  readonly excerpts?: boolean;
  /**
   * Run pattern rules only on texts containing one of their keywords (default true). Turning it off gives the
   * same results more slowly; tests do so to check that each rule's keywords cover its patterns.
   */
  readonly keywordGate?: boolean;
}

export interface InjectionDetector {
  readonly rulesVersion: string;
  readonly threshold: number;
  detect(text: string): InjectionAssessment;
}

export const MAX_EXCERPT_LENGTH = 100;
const EXCERPT_CONTEXT = 24;
/** Matches examined per pattern rule while looking for one outside quotation marks. */
const MAX_MATCHES_PER_RULE = 8;

interface Match {
  readonly start: number;
  readonly end: number;
}

// Characters an excerpt must show escaped (controls, invisible and direction characters, plane-14 tags);
// without any, the excerpt is shortened directly rather than character by character.
const NEEDS_ESCAPING = codePointClass([
  [0x00, 0x1f],
  [0x7f, 0x9f],
  [0x180e, 0x180e],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x2069],
  [0xfeff, 0xfeff],
  [0xe0000, 0xe01ef],
]);

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (NEEDS_ESCAPING.test(flat)) return showHiddenCharactersShortened(flat, MAX_EXCERPT_LENGTH);
  if (flat.length <= MAX_EXCERPT_LENGTH) return flat;
  const cut = MAX_EXCERPT_LENGTH - 1;
  const code = flat.charCodeAt(cut - 1);
  return `${flat.slice(0, code >= 0xd800 && code <= 0xdbff ? cut - 1 : cut)}…`;
}

function excerptOf(text: string, start: number, end: number): string {
  const from = Math.max(0, start - EXCERPT_CONTEXT);
  const to = Math.min(text.length, end + EXCERPT_CONTEXT);
  return `${from > 0 ? '…' : ''}${shorten(text.slice(from, to))}`;
}

// exec on the compiled pattern, not matchAll: matchAll copies the regex on every call, which costs more than
// the match itself on short texts.
function matchesOf(patterns: readonly RegExp[], view: string, limit: number): Match[] {
  const found: Match[] = [];
  for (const pattern of patterns) {
    pattern.lastIndex = 0;
    for (let match = pattern.exec(view); match !== null; match = pattern.exec(view)) {
      if (match[0].length === 0) {
        pattern.lastIndex += 1;
        continue;
      }
      found.push({ start: match.index, end: match.index + match[0].length });
      if (found.length >= limit) return found;
    }
  }
  return found;
}

function anyMatch(patterns: readonly RegExp[], view: string): boolean {
  return patterns.some((pattern) => {
    pattern.lastIndex = 0;
    return pattern.test(view);
  });
}

/** Product of (1 − weight) over the discussion rules whose terms the text uses; 1 when none applies. */
function discussionFactor(rules: readonly DiscussionRule[], view: string): { factor: number; signals: InjectionSignal[] } {
  let factor = 1;
  const signals: InjectionSignal[] = [];
  for (const rule of rules) {
    const distinct = rule.patterns.filter((pattern) => anyMatch([pattern], view)).length;
    if (distinct < rule.minDistinct) continue;
    factor *= 1 - rule.weight;
    signals.push({ ruleId: rule.id, category: rule.category, weight: rule.weight });
  }
  return { factor, signals };
}

function validThreshold(threshold: number): number {
  if (!(threshold > 0 && threshold <= 1)) {
    throw new InterlockError('CONFIG_INVALID', 'injection detector: threshold must be in (0, 1]', { threshold });
  }
  return threshold;
}

export function createInjectionDetector(options: InjectionDetectorOptions = {}): InjectionDetector {
  const ruleSet = options.rules ?? DEFAULT_INJECTION_RULES;
  const threshold = validThreshold(options.threshold ?? ruleSet.threshold);
  const limits: ScanLimits = { ...DEFAULT_SCAN_LIMITS, ...options.limits };
  const blobLimits: BlobLimits = { ...DEFAULT_BLOB_LIMITS, ...options.blobLimits };
  const withExcerpts = options.excerpts ?? true;

  const byKind = <K extends InjectionRule['kind']>(kind: K): Extract<InjectionRule, { kind: K }>[] =>
    ruleSet.rules.filter((rule): rule is Extract<InjectionRule, { kind: K }> => rule.kind === kind);
  const patternRules = byKind('pattern');
  const wordingRules = patternRules.filter((rule) => WORDING_CATEGORIES.has(rule.category));
  const gate = createKeywordGate(patternRules, options.keywordGate !== false);
  const wordingGate = createKeywordGate(wordingRules, options.keywordGate !== false);
  const compactRules = patternRules.filter((rule) => rule.compactPatterns.length > 0);
  const discussionRules = byKind('discussion');
  const encodedRules = byKind('encoded-payload');
  const hiddenRules = byKind('hidden-characters');
  const mixedScriptRules = byKind('mixed-script');
  const obfuscatedRules = byKind('obfuscated-match');

  /** Heaviest wording rule that matches a decoded blob (its deobfuscated view). */
  const decodedWeight = (decoded: string): { weight: number; ruleId: string } => {
    const view = deobfuscatedView(decoded);
    let best = { weight: 0, ruleId: '' };
    for (const rule of wordingGate.rulesFor(view)) {
      if (rule.weight > best.weight && anyMatch(rule.patterns, view)) best = { weight: rule.weight, ruleId: rule.id };
    }
    return best;
  };

  const encodedSignal = (rule: EncodedPayloadRule, text: string): InjectionSignal | null => {
    for (const blob of findDecodableBlobs(text, rule.encodings, blobLimits)) {
      const { weight } = decodedWeight(blob.decoded);
      if (weight < rule.minDecodedWeight) continue;
      return { ruleId: rule.id, category: rule.category, weight: rule.weight, excerpt: `${blob.encoding}: ${shorten(blob.decoded)}` };
    }
    return null;
  };

  function detect(input: string): InjectionAssessment {
    const scan = textToScan(input, limits);
    const text = scan.text;
    const view = deobfuscatedView(text);
    const disguisable = mayBeDisguised(text);
    let plain: string | undefined;
    let compact: string | undefined;
    const signals: InjectionSignal[] = [];

    const disguisedMatches: PatternRule[] = [];
    const matchedRules: { rule: PatternRule; match: Match; quoted: boolean; matchedView: string }[] = [];
    const activeRules = new Set(gate.rulesFor(view));
    for (const rule of patternRules) {
      const matches = activeRules.has(rule) ? matchesOf(rule.patterns, view, MAX_MATCHES_PER_RULE) : [];
      if (matches.length > 0) {
        const unquoted = matches.find((match) => !isQuoted(view, match.start, match.end));
        const chosen = unquoted ?? matches[0];
        if (chosen === undefined) continue;
        matchedRules.push({ rule, match: chosen, quoted: unquoted === undefined, matchedView: view });
        if (disguisable) {
          plain ??= plainView(text);
          if (!anyMatch(rule.patterns, plain)) disguisedMatches.push(rule);
        }
      } else if (compactRules.includes(rule)) {
        compact ??= compactView(view);
        const [chosen] = matchesOf(rule.compactPatterns, compact, 1);
        if (chosen === undefined) continue;
        matchedRules.push({ rule, match: chosen, quoted: false, matchedView: compact });
        disguisedMatches.push(rule);
      }
    }

    // Only worth reading when there is wording to lower.
    const discussion = matchedRules.some(({ rule }) => WORDING_CATEGORIES.has(rule.category))
      ? discussionFactor(discussionRules, view)
      : { factor: 1, signals: [] };
    signals.push(...discussion.signals);

    for (const { rule, match, quoted, matchedView } of matchedRules) {
      const lowered: SignalLowering[] = [];
      let weight = rule.weight;
      if (WORDING_CATEGORIES.has(rule.category)) {
        if (quoted) {
          weight *= ruleSet.quotedFactor;
          lowered.push('quoted');
        }
        if (discussion.factor < 1) {
          weight *= discussion.factor;
          lowered.push('discussion');
        }
      }
      signals.push({
        ruleId: rule.id,
        category: rule.category,
        weight,
        ...(withExcerpts ? { excerpt: excerptOf(matchedView, match.start, match.end) } : {}),
        ...(lowered.length > 0 ? { lowered } : {}),
      });
    }

    for (const rule of obfuscatedRules) {
      if (disguisedMatches.length === 0) break;
      signals.push({
        ruleId: rule.id,
        category: rule.category,
        weight: rule.weight,
        ...(withExcerpts ? { excerpt: `${disguisedMatches.map((entry) => entry.id).join(', ')} only once the disguise is removed` } : {}),
      });
    }

    for (const rule of disguisable && mayHoldHiddenCharacters(text) ? hiddenRules : []) {
      const finding = findHiddenCharacters(text, rule.characters);
      if (finding === null) continue;
      signals.push({
        ruleId: rule.id,
        category: rule.category,
        weight: rule.weight,
        ...(withExcerpts ? { excerpt: `${finding.count} × ${excerptOf(text, finding.firstIndex, finding.firstIndex + 1)}` } : {}),
      });
    }

    for (const rule of mixedScriptRules) {
      const finding = findMixedScriptWords(text);
      if (finding === null) continue;
      signals.push({
        ruleId: rule.id,
        category: rule.category,
        weight: rule.weight,
        ...(withExcerpts ? { excerpt: `${finding.count} × ${shorten(finding.firstWord)}` } : {}),
      });
    }

    for (const rule of encodedRules) {
      const signal = encodedSignal(rule, text);
      if (signal === null) continue;
      signals.push(withExcerpts ? signal : { ruleId: signal.ruleId, category: signal.category, weight: signal.weight });
    }

    let remaining = 1;
    for (const signal of signals) if (signal.category !== 'discussion') remaining *= 1 - signal.weight;
    const score = Math.round((1 - remaining) * 1e6) / 1e6;
    signals.sort((a, b) => b.weight - a.weight || a.ruleId.localeCompare(b.ruleId));
    return {
      score,
      threshold,
      flagged: score >= threshold,
      signals,
      rulesVersion: ruleSet.rulesVersion,
      scannedChars: scan.scannedChars,
      truncated: scan.truncated,
    };
  }

  return { rulesVersion: ruleSet.rulesVersion, threshold, detect };
}

let defaultDetector: InjectionDetector | undefined;

/** Assesses `text` with the bundled rules and default limits. */
export function detectInjection(text: string): InjectionAssessment {
  defaultDetector ??= createInjectionDetector();
  return defaultDetector.detect(text);
}
