/**
 * Text from an upstream shown to an operator: characters a terminal would not show (zero-width,
 * bidi controls, Unicode tags, controls) are written as `\u{...}` so a review sees what the model sees.
 */

type CodePointRange = readonly [first: number, last: number];

/** Code points that render as nothing (or reorder text) yet reach the model. */
export const HIDDEN_CHARACTER_RANGES: readonly CodePointRange[] = [
  [0x180e, 0x180e], // Mongolian vowel separator
  [0x200b, 0x200f], // zero-width space, non-joiner, joiner; left-to-right and right-to-left marks
  [0x202a, 0x202e], // bidi embeddings and overrides
  [0x2060, 0x2064], // word joiner, invisible operators
  [0x2066, 0x2069], // bidi isolates
  [0xfeff, 0xfeff], // zero-width no-break space (byte order mark)
  [0xe0000, 0xe007f], // Unicode tags: invisible copies of ASCII
  [0xe0100, 0xe01ef], // variation selectors supplement: invisible, used to smuggle bytes
];

const CONTROL_CHARACTER_RANGES: readonly CodePointRange[] = [
  [0x00, 0x1f],
  [0x7f, 0x9f],
];

// Built from numbers: a literal class holding the zero-width joiner reads as one joined sequence to linters and editors.
function characterClass(ranges: readonly CodePointRange[]): string {
  const escape = (codePoint: number): string => `\\u{${codePoint.toString(16)}}`;
  return `[${ranges.map(([first, last]) => (first === last ? escape(first) : `${escape(first)}-${escape(last)}`)).join('')}]`;
}

/** One hidden character (see HIDDEN_CHARACTER_RANGES); its `source` can be embedded in larger `u` patterns. */
export const HIDDEN_CHARACTER = new RegExp(characterClass(HIDDEN_CHARACTER_RANGES), 'u');

const CONTROL_CHARACTER = new RegExp(characterClass(CONTROL_CHARACTER_RANGES), 'u');

function isShownEscaped(character: string): boolean {
  return HIDDEN_CHARACTER.test(character) || CONTROL_CHARACTER.test(character);
}

function escapeCharacter(character: string): string {
  return `\\u{${(character.codePointAt(0) ?? 0).toString(16).toUpperCase()}}`;
}

/** Returns `text` with hidden and control characters written as `\u{...}`. */
export function showHiddenCharacters(text: string): string {
  let shown = '';
  for (const character of text) shown += isShownEscaped(character) ? escapeCharacter(character) : character;
  return shown;
}

/**
 * Like showHiddenCharacters, but at most `limit` code points long: an escape is never cut in half,
 * and a shortened result ends with `…` (counted in the limit).
 */
export function showHiddenCharactersShortened(text: string, limit: number): string {
  const pieces = [...text].map((character) => (isShownEscaped(character) ? escapeCharacter(character) : character));
  const whole = pieces.join('');
  if ([...whole].length <= limit) return whole;
  let shown = '';
  let length = 0;
  for (const piece of pieces) {
    const pieceLength = [...piece].length;
    if (length + pieceLength > limit - 1) break;
    shown += piece;
    length += pieceLength;
  }
  return `${shown}…`;
}
