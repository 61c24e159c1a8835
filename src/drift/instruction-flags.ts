import { elementPath, memberPath } from './json-path.js';
import type { InstructionFlag, ToolDefinition } from './tool-definition.js';
import { HIDDEN_CHARACTER, showHiddenCharactersShortened } from './visible-text.js';

/**
 * Text in a tool definition that reads like an instruction to the model rather than a description
 * for it. Flags are shown to the operator who pins the tool; they never block on their own. The
 * rules are data so they can be read, tested one by one and extended without touching the scanner.
 */

export interface InstructionRule {
  /** Stable id, stored in lock files: never renamed or reused. */
  readonly id: string;
  readonly description: string;
  /** Any of these matching flags the text. Bounded quantifiers only: the text comes from an upstream. */
  readonly patterns: readonly RegExp[];
  /**
   * `raw` reads the text as sent (for rules about the characters themselves); `visible` reads it
   * with hidden characters removed, Unicode tag characters decoded to the ASCII they smuggle, and
   * NFKC applied, so `ig\u{200B}nore` and full-width letters do not slip past the wording rules.
   */
  readonly reads: 'raw' | 'visible';
  /** Characters of surrounding text kept in the excerpt, for matches that mean little alone. */
  readonly context?: number;
  /** Structural check on a match; a match it rejects is not flagged. */
  readonly accept?: (match: string) => boolean;
}

export const MAX_EXCERPT_LENGTH = 120;
/** Repeats of one rule in one text add nothing for the reviewer past the first few. */
export const MAX_FLAGS_PER_RULE = 3;
/** Flags kept for one tool definition (all its texts together). */
export const MAX_FLAGS_PER_DEFINITION = 50;

const BASE64_MIN_RUN = 40;

/** A run of base64 alphabet is data rather than prose or a path when it mixes cases and digits like encoded bytes do. */
function looksEncoded(run: string): boolean {
  const body = run.replace(/=+$/, '');
  const upper = (body.match(/[A-Z]/g) ?? []).length;
  const lower = (body.match(/[a-z]/g) ?? []).length;
  const digits = (body.match(/[0-9]/g) ?? []).length;
  const slashes = (body.match(/\//g) ?? []).length;
  if (upper === 0 || lower === 0 || digits === 0) return false;
  // Paths like /Users/Name/Projects2024/Source split into short segments; encoded bytes rarely contain many slashes.
  return slashes <= Math.max(2, body.length / 20);
}

const HIDDEN_RUN = new RegExp(`(?:${HIDDEN_CHARACTER.source})+`, 'u');

export const INSTRUCTION_RULES: readonly InstructionRule[] = [
  {
    id: 'override-instructions',
    description: 'Tells the model to ignore, forget or replace the instructions it already has.',
    reads: 'visible',
    patterns: [
      /\b(?:ignore|disregard|forget)\s+(?:(?:all|any|each|every|the|your|of|my|these|those)\s+){0,3}(?:previous|prior|preceding|earlier|above|original|former|initial|system|safety)\b[^.!?\n]{0,40}?\b(?:instructions?|directions?|prompts?|rules|guidelines|guardrails|messages?|context|text|commands?|requests?|constraints|polic(?:y|ies))\b/i,
      /\b(?:ignore|disregard|forget)\s+(?:(?:all|any|the|your|these|those|my)\s+){0,2}(?:instructions|directions|prompts?|rules|guidelines|guardrails)\b/i,
      /\b(?:ignore|disregard|forget)\s+(?:(?:all|everything|anything)\s+(?:of\s+)?)?the\s+(?:above|foregoing)\b/i,
      /\b(?:disregard|forget)\s+(?:everything|anything)\b/i,
      /\b(?:do not|don't|dont|never)\s+follow\s+(?:(?:any|the|your|all)\s+)?(?:previous|prior|earlier|above|original|system)\b/i,
      /\b(?:override|overrides|supersede|supersedes|replace|replaces)\s+(?:(?:all|any|the|your)\s+)?(?:previous|prior|other|system|existing|original)\s+(?:instructions|prompts?|rules|guidelines)\b/i,
      /\bfrom now on,?\s+you\s+(?:are|will|must|should|shall)\b/i,
      /\byou are now\s+(?:a|an|in|the|no longer)\b/i,
      /\bnew\s+(?:system\s+)?instructions?\s*:/i,
    ],
  },
  {
    id: 'authority-framing',
    description: 'Dresses text up as a system message or an urgent note to the model (<IMPORTANT>, [SYSTEM], "system:").',
    reads: 'visible',
    context: 40,
    patterns: [
      /<\s*\/?\s*(?:important|system|instructions?|admin|critical|secret|hidden|assistant|sys|priority|urgent)\s*>/i,
      /\[\s*\/?\s*(?:system|important|admin|instructions?|inst|sys|critical|urgent)\s*\]/i,
      /(?:^|[.!?]\s+)(?:system|assistant)\s*:\s*\S/im,
      /\b(?:important|urgent|critical|priority)\s+(?:message|note|notice|instructions?|information)\s+(?:for|to)\s+(?:the\s+)?(?:assistant|ai|model|llm|agent|claude|gpt|chatgpt|copilot)\b/i,
      /\b(?:note|message|instructions?|reminder)\s+(?:for|to)\s+(?:the\s+|any\s+)?(?:ai|assistant|llm|language model|ai model|ai agent)\b/i,
      /<\|(?:im_start|im_end|system|endoftext|start_header_id|end_header_id|eot_id)\|>/i,
      /^\s*#{2,}\s*(?:system|instructions?|important)\b/im,
    ],
  },
  {
    id: 'secrecy',
    description: 'Asks the model to keep something from the user.',
    reads: 'visible',
    patterns: [
      /\b(?:do not|don't|dont|never|must not|should not|shouldn't)\s+(?:tell|inform|mention|reveal|disclose|notify|alert)\b/i,
      /\b(?:do not|don't|dont|never)\s+(?:show|let|say|explain)\b[^.!?\n]{0,30}?\buser\b/i,
      /\bwithout\s+(?:telling|informing|notifying|alerting|letting|showing)\s+(?:the\s+)?user\b/i,
      /\b(?:keep|kept)\s+(?:this|it|these|that|the (?:above|following))\s+(?:a\s+)?(?:secret|hidden|confidential|to yourself)\b/i,
      /\b(?:hide|conceal)\s+(?:this|it|that|these|them)\s+from\s+(?:the\s+)?user\b/i,
      /\buser\s+(?:must|should|does|do|need)\s*(?:not|n't|never)\s+(?:know|see|be told|notice|find out|learn|be (?:informed|aware))\b/i,
    ],
  },
  {
    id: 'secret-file-access',
    description: 'Points the model at credentials or private files (~/.ssh, id_rsa, .env, cloud credentials).',
    reads: 'visible',
    context: 30,
    patterns: [
      /(?:~|\$HOME|\/home\/[\w.-]{1,64}|\/root|%USERPROFILE%)[/\\]\.(?:ssh|aws|gnupg|kube|docker|azure|cursor|config[/\\]gcloud)\b/i,
      /\bid_(?:rsa|dsa|ecdsa|ed25519)\b/i,
      /(?:^|[\s"'`(/\\])\.env(?:\.[\w-]{1,32})?(?![\w-])/i,
      /\.aws[/\\]credentials\b|\/etc\/(?:passwd|shadow|sudoers)\b/i,
      /(?:^|[\s"'`(/\\~])\.(?:netrc|pgpass|npmrc|pypirc|git-credentials)\b/i,
      /\bmcp\.json\b/i,
      /\b(?:read|cat|open|load|fetch|include|attach)\s+(?:the\s+)?(?:contents?\s+of\s+)?[`'"]?(?:~|\$HOME|%USERPROFILE%)[/\\]/i,
    ],
  },
  {
    id: 'tool-chaining',
    description: 'Tells the model to call other tools or read files before or while using this one.',
    reads: 'visible',
    patterns: [
      /\bbefore\s+(?:using|calling|invoking|running|executing)\s+(?:this|the|any)\b[^.!?\n]{0,40}?\b(?:read|call|invoke|run|fetch|open|cat|load|send|pass|include|provide)\b/i,
      /\b(?:always|first|must|should|also)\s+(?:call|invoke|run|use|execute|trigger)\s+(?:the\s+)?[`'"]?(?!this\b)[\w.-]{1,64}[`'"]?\s+tool\b/i,
    ],
  },
  {
    id: 'exfiltration',
    description: 'Asks the model to send data somewhere or to hide it in a parameter.',
    reads: 'visible',
    patterns: [
      /\b(?:send|sends|forward|forwards|upload|uploads|transmit|transmits|exfiltrate|leak|post|e-?mail)\b[^.!?\n]{0,80}?\bto\s+(?:https?:\/\/|www\.|[\w.+-]{1,64}@[\w-]{1,63}\.[\w.]{2,}|(?:the\s+)?following\s+(?:address|url|endpoint|server|e-?mail)|(?:this|that|my|our|an?\s+external|the\s+external|a\s+remote|the\s+remote|the\s+attacker'?s?)\s+(?:address|url|endpoint|server|e-?mail|webhook|host))/i,
      /\b(?:pass|put|include|insert|embed|hide)\s+(?:its|their|the|all|any)\s+(?:full\s+|entire\s+|whole\s+|raw\s+)?(?:contents?|text|output|data)\b[^.!?\n]{0,40}?\b(?:as|in|into)\s+(?:the\s+)?(?:[`'"][\w-]{1,64}[`'"]|[\w-]{1,64}\s+(?:parameter|argument|field))/i,
    ],
  },
  {
    id: 'data-in-url',
    description: 'A URL whose query string is filled in with data (placeholders, markdown images with queries).',
    reads: 'visible',
    patterns: [
      /https?:\/\/[^\s"'<>()]{1,200}\?[^\s"'<>()]{0,200}?=(?:\{\{?[^}\s]{1,40}\}|<[^>\s]{1,40}>|\$\{?\w{1,40}\}?|%s|\[[^\]\s]{1,40}\])/i,
      /!\[[^\]]{0,80}\]\(\s*https?:\/\/[^)\s]{1,200}\?[^)\s]{1,200}\)/i,
    ],
  },
  {
    id: 'hidden-unicode',
    description: 'Characters that render as nothing or reorder text: zero-width, bidi controls, Unicode tags, variation selectors.',
    reads: 'raw',
    context: 24,
    patterns: [HIDDEN_RUN],
  },
  {
    id: 'encoded-payload',
    description: `A run of ${BASE64_MIN_RUN} or more base64 characters that looks like encoded data.`,
    reads: 'raw',
    patterns: [new RegExp(`[A-Za-z0-9+/]{${BASE64_MIN_RUN},}={0,2}`)],
    accept: looksEncoded,
  },
];

const TAG_CHARACTERS = /[\u{E0000}-\u{E007F}]/gu;
const HIDDEN_CHARACTERS = new RegExp(HIDDEN_CHARACTER.source, 'gu');

/** The text the model would effectively read: smuggled tag text decoded, invisible characters dropped, compatibility forms folded. */
export function visibleView(text: string): string {
  const decoded = text.replace(TAG_CHARACTERS, (tag) => {
    const ascii = (tag.codePointAt(0) ?? 0) - 0xe0000;
    return ascii >= 0x20 && ascii <= 0x7e ? String.fromCharCode(ascii) : '';
  });
  return decoded.replace(HIDDEN_CHARACTERS, '').normalize('NFKC');
}

const globalPatterns = new Map<RegExp, RegExp>();

function globalCopy(pattern: RegExp): RegExp {
  let copy = globalPatterns.get(pattern);
  if (copy === undefined) {
    copy = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
    globalPatterns.set(pattern, copy);
  }
  copy.lastIndex = 0;
  return copy;
}

interface Match {
  start: number;
  end: number;
}

function matchesOf(rule: InstructionRule, text: string): Match[] {
  const found: Match[] = [];
  for (const pattern of rule.patterns) {
    for (const match of text.matchAll(globalCopy(pattern))) {
      if (match[0].length === 0) continue;
      if (rule.accept !== undefined && !rule.accept(match[0])) continue;
      found.push({ start: match.index, end: match.index + match[0].length });
    }
  }
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  // Patterns of one rule often match the same or neighbouring words (`~/.ssh/id_rsa`); one flag covers the stretch.
  const reach = rule.context ?? 0;
  const merged: Match[] = [];
  for (const match of found) {
    const last = merged[merged.length - 1];
    if (last !== undefined && match.start <= last.end + reach) last.end = Math.max(last.end, match.end);
    else merged.push({ ...match });
  }
  return merged;
}

/** Flags text aimed at the model in `text`, in rule order, then by position. */
export function flagInstructionLikeText(text: string): InstructionFlag[] {
  const visible = visibleView(text);
  const flags: InstructionFlag[] = [];
  for (const rule of INSTRUCTION_RULES) {
    const subject = rule.reads === 'raw' ? text : visible;
    const context = rule.context ?? 0;
    for (const match of matchesOf(rule, subject).slice(0, MAX_FLAGS_PER_RULE)) {
      const excerpt = subject.slice(Math.max(0, match.start - context), match.end + context).trim();
      flags.push({ rule: rule.id, excerpt: showHiddenCharactersShortened(excerpt, MAX_EXCERPT_LENGTH) });
    }
  }
  return flags;
}

const MAX_SCHEMA_DEPTH = 64;

/**
 * Flags every text of a definition that reaches the model: title, description, and each member
 * name and string in the input schema (parameter descriptions are as good a hiding place as the
 * description). Each flag says where it was found.
 */
export function flagDefinition(definition: ToolDefinition): InstructionFlag[] {
  const flags: InstructionFlag[] = [];
  const scan = (text: string, location: string): void => {
    for (const flag of flagInstructionLikeText(text)) flags.push({ ...flag, location });
  };
  scan(definition.name, 'name');
  if (definition.title !== undefined) scan(definition.title, 'title');
  if (definition.description !== undefined) scan(definition.description, 'description');
  const walk = (value: unknown, path: string, depth: number): void => {
    if (depth > MAX_SCHEMA_DEPTH) return;
    if (typeof value === 'string') scan(value, path);
    else if (Array.isArray(value)) value.forEach((element, index) => walk(element, elementPath(path, index), depth + 1));
    else if (value !== null && typeof value === 'object') {
      for (const [name, member] of Object.entries(value)) {
        const memberLocation = memberPath(path, name);
        scan(name, memberLocation);
        walk(member, memberLocation, depth + 1);
      }
    }
  };
  walk(definition.inputSchema, 'inputSchema', 0);
  return flags.slice(0, MAX_FLAGS_PER_DEFINITION);
}
