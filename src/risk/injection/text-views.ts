import { decodeTagCharacters, reverseOverriddenRuns, stripHiddenCharacters } from './hidden-characters.js';
import { mapLookalikes } from './homoglyphs.js';

/**
 * The views of a text the rules read. Wording rules are written against the deobfuscated view, so one
 * pattern covers the plain spelling and its disguises; comparing with the plain view tells whether a match
 * needed the disguise removed, which is a signal of its own.
 */

const COMBINING_MARK = /\p{M}/gu;
// Only runs that change: two or more spaces, or any other horizontal space (tab, no-break space...).
const HORIZONTAL_SPACE = / [^\S\n]+|[^\S\n ][^\S\n]*/g;
const LINE_BREAKS = /[^\S\n]*\n\s*/g;
const NON_LETTER = /[^a-z]+/g;

// Typographic apostrophes (don’t, you’re) read as the ASCII one the rules are written with.
const APOSTROPHE = /[\u2018\u2019\u02BC\u2032]/g;

function foldCaseAndMarks(text: string): string {
  return text.toLowerCase().normalize('NFD').replace(COMBINING_MARK, '').replace(APOSTROPHE, "'");
}

function collapseWhitespace(text: string): string {
  const lines = text.includes('\n') ? text.replace(LINE_BREAKS, '\n') : text;
  return lines.replace(HORIZONTAL_SPACE, ' ');
}

/**
 * What a model would effectively read, in one canonical spelling: Unicode tag characters decoded to the
 * ASCII they smuggle, right-to-left overridden runs put back in reading order, invisible characters removed,
 * compatibility forms folded (NFKC: full-width letters, ligatures), Cyrillic and Greek look-alikes mapped to
 * Latin, lower case, accents removed, typographic apostrophes made ASCII, runs of spaces collapsed (line
 * breaks kept, one per run).
 */
export function deobfuscatedView(text: string): string {
  // Plain ASCII has nothing to decode, strip, fold or map: only case and spacing change.
  if (!mayBeDisguised(text)) return collapseWhitespace(text.toLowerCase());
  const visible = stripHiddenCharacters(reverseOverriddenRuns(decodeTagCharacters(text)));
  return collapseWhitespace(foldCaseAndMarks(mapLookalikes(visible.normalize('NFKC'))));
}

/** The text as written, with only case, accents and spacing evened out: no disguise removed. */
export function plainView(text: string): string {
  return collapseWhitespace(foldCaseAndMarks(text));
}

/** Letters a–z only, so words split by spaces or punctuation ("ig nore previ ous") read whole again. */
export function compactView(deobfuscated: string): string {
  return deobfuscated.replace(NON_LETTER, '');
}

const ASCII_PRINTABLE_OR_SPACE = /^[\t\n\r\x20-\x7e]*$/;

/** Whether the deobfuscated and plain views can differ at all (they cannot for plain ASCII). */
export function mayBeDisguised(text: string): boolean {
  return !ASCII_PRINTABLE_OR_SPACE.test(text);
}
