import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../../audit/canonical-json.js';
import { InterlockError } from '../../errors/interlock-error.js';

/**
 * Injection rules are data (rules/injection-rules.v<N>.json): each has a stable id, its own version, a weight,
 * a category and examples that must and must not trigger it. This module validates a rules file and compiles
 * its patterns once; the detector only ever sees a compiled rule set.
 */

export const INJECTION_CATEGORIES = [
  'instruction-override',
  'persona-hijack',
  'fake-authority',
  'tool-or-exfiltration',
  'prompt-leak',
  'secrecy',
  'hidden-unicode',
  'homoglyph',
  'encoded-payload',
  'obfuscation',
  'discussion',
] as const;
export type InjectionCategory = (typeof INJECTION_CATEGORIES)[number];

/**
 * Categories about what the words say. Their weight is lowered when the words sit inside quotation marks or
 * the text discusses attacks (a security article quoting a payload); the others are about how the text is
 * built (invisible characters, look-alike letters, encoded blobs), which quoting does not excuse.
 */
export const WORDING_CATEGORIES: ReadonlySet<InjectionCategory> = new Set([
  'instruction-override',
  'persona-hijack',
  'fake-authority',
  'tool-or-exfiltration',
  'prompt-leak',
  'secrecy',
]);

export const HIDDEN_CHARACTER_KINDS = ['tags', 'zero-width', 'bidi', 'variation-selectors'] as const;
export type HiddenCharacterKind = (typeof HIDDEN_CHARACTER_KINDS)[number];

export const PAYLOAD_ENCODINGS = ['base64', 'hex', 'hex-escape', 'unicode-escape', 'percent', 'html-entities'] as const;
export type PayloadEncoding = (typeof PAYLOAD_ENCODINGS)[number];

export const RULES_SCHEMA_VERSION = 1;

const MAX_PATTERN_LENGTH = 2_000;
const ruleId = z.string().regex(/^[a-z][a-z0-9-]{1,63}$/, 'lower-case words joined by hyphens');
const patternSource = z.string().min(1).max(MAX_PATTERN_LENGTH);
const keyword = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'a lower-case word or word start of up to 32 characters');

const ruleBase = {
  id: ruleId,
  version: z.number().int().min(1),
  description: z.string().min(1),
  category: z.enum(INJECTION_CATEGORIES),
  weight: z.number().gt(0).max(1),
  examples: z.strictObject({ match: z.array(z.string()).min(1), noMatch: z.array(z.string()).min(1) }),
};

const ruleSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...ruleBase,
    kind: z.literal('pattern'),
    patterns: z.array(patternSource).min(1),
    compactPatterns: z.array(patternSource).optional(),
    keywords: z.array(keyword).min(1).optional(),
  }),
  z.strictObject({ ...ruleBase, kind: z.literal('hidden-characters'), characters: z.enum(HIDDEN_CHARACTER_KINDS) }),
  z.strictObject({ ...ruleBase, kind: z.literal('mixed-script') }),
  z.strictObject({
    ...ruleBase,
    kind: z.literal('encoded-payload'),
    encodings: z.array(z.enum(PAYLOAD_ENCODINGS)).min(1),
    minDecodedWeight: z.number().gt(0).max(1),
  }),
  z.strictObject({ ...ruleBase, kind: z.literal('obfuscated-match') }),
  z.strictObject({
    ...ruleBase,
    kind: z.literal('discussion'),
    patterns: z.array(patternSource).min(1),
    minDistinct: z.number().int().min(1),
  }),
]);

const ruleFileSchema = z.strictObject({
  schemaVersion: z.number().int(),
  rulesVersion: z.string().min(1).max(64),
  description: z.string().optional(),
  threshold: z.number().gt(0).max(1),
  quotedFactor: z.number().min(0).max(1),
  rules: z.array(ruleSchema).min(1),
});

export type InjectionRuleData = z.infer<typeof ruleSchema>;
export type InjectionRuleFile = z.infer<typeof ruleFileSchema>;

interface CompiledBase {
  readonly id: string;
  readonly version: number;
  readonly description: string;
  readonly category: InjectionCategory;
  readonly weight: number;
  readonly examples: { readonly match: readonly string[]; readonly noMatch: readonly string[] };
}

export interface PatternRule extends CompiledBase {
  readonly kind: 'pattern';
  /** Run on the deobfuscated, lower-cased view of the text. */
  readonly patterns: readonly RegExp[];
  /** Run on the letters-only view, for words split by spaces or punctuation ("ig nore previ ous"). */
  readonly compactPatterns: readonly RegExp[];
  /**
   * Word starts of which every match contains at least one ("ignor" for ignore, ignoring, ignoriere). The
   * patterns run only on texts that contain one, which keeps the detector cheap; empty means always run.
   */
  readonly keywords: readonly string[];
}
export interface HiddenCharacterRule extends CompiledBase {
  readonly kind: 'hidden-characters';
  readonly characters: HiddenCharacterKind;
}
export interface MixedScriptRule extends CompiledBase {
  readonly kind: 'mixed-script';
}
export interface EncodedPayloadRule extends CompiledBase {
  readonly kind: 'encoded-payload';
  readonly encodings: readonly PayloadEncoding[];
  /** A decoded blob counts when a wording rule of at least this weight matches it. */
  readonly minDecodedWeight: number;
}
export interface ObfuscatedMatchRule extends CompiledBase {
  readonly kind: 'obfuscated-match';
}
export interface DiscussionRule extends CompiledBase {
  readonly kind: 'discussion';
  readonly patterns: readonly RegExp[];
  readonly minDistinct: number;
}
export type InjectionRule = PatternRule | HiddenCharacterRule | MixedScriptRule | EncodedPayloadRule | ObfuscatedMatchRule | DiscussionRule;

export interface InjectionRuleSet {
  /** The rules file's own version label, reported with every assessment. */
  readonly rulesVersion: string;
  /** SHA-256 of the canonical rules file: tells two files with the same label apart. */
  readonly digest: string;
  readonly threshold: number;
  /** Multiplier for wording matches inside quotation marks. */
  readonly quotedFactor: number;
  readonly rules: readonly InjectionRule[];
}

function invalid(message: string, details?: Record<string, unknown>): InterlockError {
  return new InterlockError('CONFIG_INVALID', `injection rules: ${message}`, details);
}

// A group repeated without bound ("(a+)+", "(?:x|y)*") is where catastrophic backtracking lives; rules bound their repeats.
const UNBOUNDED_GROUP_REPEAT = /\)(?:[*+]|\{\d+,\})/;

function compilePattern(source: string, rule: string): RegExp {
  const withoutEscapes = source.replace(/\\./g, '_');
  if (/[A-Z]/.test(withoutEscapes)) {
    throw invalid(`rule ${rule}: patterns run on lower-cased text, so they must be written in lower case`, { pattern: source });
  }
  if (UNBOUNDED_GROUP_REPEAT.test(withoutEscapes)) {
    throw invalid(`rule ${rule}: a group may not be repeated without bound`, { pattern: source });
  }
  try {
    return new RegExp(source, 'gmu');
  } catch (error) {
    throw invalid(`rule ${rule}: pattern does not compile: ${(error as Error).message}`, { pattern: source });
  }
}

function compileRule(rule: InjectionRuleData): InjectionRule {
  const base: CompiledBase = {
    id: rule.id,
    version: rule.version,
    description: rule.description,
    category: rule.category,
    weight: rule.weight,
    examples: rule.examples,
  };
  const isDiscussion = rule.kind === 'discussion';
  if (isDiscussion !== (rule.category === 'discussion')) {
    throw invalid(`rule ${rule.id}: only discussion rules, and all of them, have the category discussion`);
  }
  switch (rule.kind) {
    case 'pattern':
      return {
        ...base,
        kind: 'pattern',
        patterns: rule.patterns.map((source) => compilePattern(source, rule.id)),
        compactPatterns: (rule.compactPatterns ?? []).map((source) => compilePattern(source, rule.id)),
        keywords: rule.keywords ?? [],
      };
    case 'hidden-characters':
      return { ...base, kind: 'hidden-characters', characters: rule.characters };
    case 'mixed-script':
      return { ...base, kind: 'mixed-script' };
    case 'encoded-payload':
      return { ...base, kind: 'encoded-payload', encodings: rule.encodings, minDecodedWeight: rule.minDecodedWeight };
    case 'obfuscated-match':
      return { ...base, kind: 'obfuscated-match' };
    case 'discussion':
      return {
        ...base,
        kind: 'discussion',
        patterns: rule.patterns.map((source) => compilePattern(source, rule.id)),
        minDistinct: rule.minDistinct,
      };
  }
}

/** Validates a parsed rules file and compiles its patterns. Throws CONFIG_INVALID naming the first problem. */
export function compileInjectionRules(data: unknown): InjectionRuleSet {
  const parsed = ruleFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const file = parsed.data;
  if (file.schemaVersion !== RULES_SCHEMA_VERSION) {
    throw invalid(`schemaVersion ${file.schemaVersion} is not supported (expected ${RULES_SCHEMA_VERSION})`);
  }
  const seen = new Set<string>();
  for (const rule of file.rules) {
    if (seen.has(rule.id)) throw invalid(`rule id ${rule.id} appears twice`);
    seen.add(rule.id);
  }
  return {
    rulesVersion: file.rulesVersion,
    digest: createHash('sha256').update(canonicalJson(file)).digest('hex'),
    threshold: file.threshold,
    quotedFactor: file.quotedFactor,
    rules: file.rules.map(compileRule),
  };
}
