import type { PatternRule } from './rule-set.js';

/**
 * Picks the pattern rules worth running on a text. One scan for all rules' keywords (word starts) tells which
 * occur; a rule runs only when one of its keywords does. Most content contains few of them, so most rules
 * never run, and the cost per KB stays a few regex passes instead of one per pattern.
 */
export interface KeywordGate {
  /** The rules to run on `view`, in rule-set order. */
  rulesFor(view: string): readonly PatternRule[];
}

function escapeForRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}

/** With `enabled` false every rule runs on every text (used to check that keywords cover their patterns). */
export function createKeywordGate(rules: readonly PatternRule[], enabled = true): KeywordGate {
  if (!enabled) return { rulesFor: () => rules };
  const ungated = rules.filter((rule) => rule.keywords.length === 0);
  const stems = [...new Set(rules.flatMap((rule) => rule.keywords))].sort((a, b) => b.length - a.length || a.localeCompare(b));
  if (stems.length === 0) return { rulesFor: () => rules };
  // Longest first, so the scan reports "ignore" rather than "ignor" when both are keywords; every keyword that
  // is a start of the reported one counts as present.
  const scanner = new RegExp(`\\b(?:${stems.map(escapeForRegExp).join('|')})`, 'g');
  const ruleIndex = new Map(rules.map((rule, index) => [rule, index]));
  const rulesByFound = new Map<string, readonly number[]>(
    stems.map((found) => [
      found,
      rules.flatMap((rule) => (rule.keywords.some((keyword) => found.startsWith(keyword)) ? [ruleIndex.get(rule) ?? 0] : [])),
    ]),
  );
  const alwaysOn = rules.map((rule) => rule.keywords.length === 0);

  return {
    rulesFor(view) {
      if (ungated.length === rules.length) return rules;
      const selected = [...alwaysOn];
      scanner.lastIndex = 0;
      for (let match = scanner.exec(view); match !== null; match = scanner.exec(view)) {
        for (const index of rulesByFound.get(match[0]) ?? []) selected[index] = true;
      }
      return rules.filter((_rule, index) => selected[index]);
    },
  };
}
