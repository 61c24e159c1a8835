import { HIDDEN_CHARACTER_RANGES } from '../../drift/visible-text.js';
import { codePointClass } from './code-point-class.js';
import type { HiddenCharacterKind } from './rule-set.js';

/**
 * Invisible characters that hide or reorder text. The same set the tool-definition review shows escaped; here
 * the question is narrower: are they being used to smuggle words past a reader, or do they do their ordinary
 * typographic job (joining emoji, shaping Persian or Indic words, marking direction in Arabic and Hebrew)?
 */

const ALL_HIDDEN = codePointClass([...HIDDEN_CHARACTER_RANGES, [0xad, 0xad], [0x34f, 0x34f]], 'gu');
const TAG = /[\u{E0000}-\u{E007F}]/gu;
const BIDI_CONTROL = /[\u{202A}-\u{202E}\u{2066}-\u{2069}]/gu;
const VARIATION_SELECTOR_RUN = /[\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]{4,}|[\u{E0100}-\u{E01EF}]/gu;
// Zero-width space, non-joiner, joiner, word joiner and invisible operators, Mongolian vowel separator, and
// the byte order mark when it is not the first character.
const ZERO_WIDTH = /[\u{200B}-\u{200D}\u{2060}-\u{2064}\u{180E}\u{FEFF}]/gu;
const LATIN_LETTER = /\p{Script=Latin}/u;
const PICTOGRAPH = /\p{Extended_Pictographic}|\u{FE0F}|\p{Emoji_Modifier}/u;
// Scripts whose spelling uses the joiners: Arabic, Syriac, Thaana, N'Ko and the Indic scripts.
const JOINING_SCRIPT = /[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\u{0900}-\u{0DFF}]/u;
const BLACK_FLAG = 0x1f3f4;

/** Removes every hidden character, after any tag characters have been decoded. */
export function stripHiddenCharacters(text: string): string {
  return text.replace(ALL_HIDDEN, '');
}

/** Replaces Unicode tag characters by the ASCII they encode, so smuggled text becomes readable. */
export function decodeTagCharacters(text: string): string {
  return text.replace(TAG, (tag) => {
    const ascii = (tag.codePointAt(0) ?? 0) - 0xe0000;
    return ascii >= 0x20 && ascii <= 0x7e ? String.fromCharCode(ascii) : '';
  });
}

/**
 * Text after a right-to-left override is shown reversed; an attacker writes words backwards inside one so they
 * render forwards. Each overridden run (up to the closing pop, a newline or the end) is reversed back.
 */
export function reverseOverriddenRuns(text: string): string {
  if (!text.includes('\u202E')) return text;
  return text.replace(/\u202E([^\u202C\n]*)\u202C?/gu, (_run, inner: string) => [...inner].reverse().join(''));
}

export interface HiddenCharacterFinding {
  readonly count: number;
  /** Index of the first suspicious character, for an excerpt. */
  readonly firstIndex: number;
}

function previousCodePoint(text: string, index: number): string {
  const before = text.slice(Math.max(0, index - 2), index);
  const points = [...before];
  return points[points.length - 1] ?? '';
}

function nextCodePoint(text: string, index: number, length: number): string {
  return [...text.slice(index + length, index + length + 2)][0] ?? '';
}

/** Emoji flag sequences (England, Scotland, Wales) are the one legitimate use of tag characters. */
function isFlagTag(text: string, index: number): boolean {
  let position = index;
  while (position > 0) {
    const previous = text.codePointAt(position - 2);
    if (previous === undefined || previous < 0xe0000 || previous > 0xe007f) break;
    position -= 2;
  }
  return text.codePointAt(position - 2) === BLACK_FLAG;
}

function isSuspicious(kind: HiddenCharacterKind, text: string, match: string, index: number): boolean {
  switch (kind) {
    case 'tags':
      return !isFlagTag(text, index);
    case 'bidi':
    case 'variation-selectors':
      return true;
    case 'zero-width': {
      if (match === '\uFEFF' && index === 0) return false;
      const before = previousCodePoint(text, index);
      const after = nextCodePoint(text, index, match.length);
      if (PICTOGRAPH.test(before) || PICTOGRAPH.test(after)) return false;
      if (JOINING_SCRIPT.test(before) || JOINING_SCRIPT.test(after)) return false;
      // Splitting a Latin word is how filters are dodged; between words it is at most a formatting artefact.
      return LATIN_LETTER.test(before) && LATIN_LETTER.test(after);
    }
  }
}

const PATTERNS: Record<HiddenCharacterKind, RegExp> = {
  tags: TAG,
  'zero-width': ZERO_WIDTH,
  bidi: BIDI_CONTROL,
  'variation-selectors': VARIATION_SELECTOR_RUN,
};

// Every hidden character of every kind lies in these blocks.
const ANY_HIDDEN_CANDIDATE = codePointClass(
  [
    [0x180e, 0x180e],
    [0x200b, 0x200f],
    [0x202a, 0x202e],
    [0x2060, 0x2069],
    [0xfe00, 0xfe0f],
    [0xfeff, 0xfeff],
    [0xe0000, 0xe01ef],
  ],
  'u',
);

/** Whether `text` holds any character findHiddenCharacters could report: a cheap test before the per-kind scans. */
export function mayHoldHiddenCharacters(text: string): boolean {
  return ANY_HIDDEN_CANDIDATE.test(text);
}

/** Counts the characters of one kind that hide or reorder text, ignoring their ordinary typographic uses. */
export function findHiddenCharacters(text: string, kind: HiddenCharacterKind): HiddenCharacterFinding | null {
  const pattern = PATTERNS[kind];
  pattern.lastIndex = 0;
  let count = 0;
  let firstIndex = -1;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (!isSuspicious(kind, text, match[0], match.index)) continue;
    if (firstIndex < 0) firstIndex = match.index;
    count += 1;
  }
  return count === 0 ? null : { count, firstIndex };
}
