/**
 * Undoes the cheap disguises an attacker (or a careless mail client) puts on identifiers before
 * anything is extracted, so that content and arguments are compared in one form: invisible
 * characters, compatibility forms (full-width digits, ligatures), dash look-alikes, HTML character
 * references, URL encoding and defanged or spelled-out addresses (`hxxp`, `[.]`, `(dot)`, `[at]`,
 * `billing at evil dot example`).
 *
 * Every step is a single linear pass with a precompiled expression.
 */

/**
 * At most this many characters of one text are scanned (about 1 MB of ASCII). Content beyond it is
 * not fingerprinted; callers learn of it through `truncated` and can treat the content as suspect.
 */
export const MAX_SCANNED_CHARACTERS = 1_000_000;

export interface CleanedText {
  readonly text: string;
  readonly truncated: boolean;
}

// Format characters (zero-width spaces and joiners, bidi controls, soft hyphens, BOM) and
// variation selectors: invisible, and able to split an identifier so that it no longer matches.
const INVISIBLE = /[\p{Cf}\u034F\u180B-\u180D\uFE00-\uFE0F]/gu;
// Hyphens, dashes and minus signs that NFKC leaves alone.
const DASH_LOOK_ALIKES = /[\u2010-\u2015\u2212\uFE58]/g;
const CHARACTER_REFERENCE = /&(?:#(\d{1,7})|#[xX]([0-9A-Fa-f]{1,6})|(amp|commat|period|colon|sol|num|lt|gt|quot|apos|nbsp));/g;
const NAMED_REFERENCES: Readonly<Record<string, string>> = {
  amp: '&',
  commat: '@',
  period: '.',
  colon: ':',
  sol: '/',
  num: '#',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
};
const PERCENT_ESCAPE = /%([0-9A-Fa-f]{2})/g;
const DEFANGED_SCHEME = /\bhxxp(s?)(?=\[?:)/gi;
const DEFANGED_SCHEME_SEPARATOR = /\[:\/\/\]|\[:\](?=\/\/)/g;
const DEFANGED_DOT = / ?(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}) ?/gi;
const DEFANGED_AT = / ?(?:\[at\]|\(at\)|\{at\}|\[@\]|\(@\)) ?/gi;
// `billing at evil dot example`: an address spelled out in words, with at least one `dot`.
const SPELLED_ADDRESS =
  /\b([A-Za-z0-9._%+-]{1,64})[ \t]{1,4}at[ \t]{1,4}([A-Za-z0-9-]{1,63}(?:[ \t]{1,4}dot[ \t]{1,4}[A-Za-z0-9-]{1,63}){1,6})\b/gi;
const SPELLED_DOT = /[ \t]{1,4}dot[ \t]{1,4}/gi;
// `evil-pay dot example`: what is left once addresses are rebuilt. Joining two words of prose this
// way (`polka dot dress`) yields a string that no later pass takes for a value.
const SPELLED_DOMAIN_DOT = /(?<=[A-Za-z0-9])[ \t]{1,4}dot[ \t]{1,4}(?=[A-Za-z0-9])/gi;

/** Decodes numeric references to printable ASCII and a few named ones (`&#64;`, `&commat;`). */
function decodeCharacterReferences(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(CHARACTER_REFERENCE, (reference, decimal: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (name !== undefined) return NAMED_REFERENCES[name] ?? reference;
    const code = decimal !== undefined ? Number.parseInt(decimal, 10) : Number.parseInt(hex ?? '', 16);
    return code >= 0x20 && code <= 0x7e ? String.fromCharCode(code) : reference;
  });
}

/** Decodes `%xx` escapes of printable ASCII; other escapes stay as they are. */
function decodePercentEscapes(text: string): string {
  if (!text.includes('%')) return text;
  return text.replace(PERCENT_ESCAPE, (escape, hex: string) => {
    const code = Number.parseInt(hex, 16);
    return code >= 0x20 && code <= 0x7e ? String.fromCharCode(code) : escape;
  });
}

/** Cleans one text; the result is what extraction and comparison work on. */
export function cleanText(input: string): CleanedText {
  const truncated = input.length > MAX_SCANNED_CHARACTERS;
  let text = truncated ? input.slice(0, MAX_SCANNED_CHARACTERS) : input;
  text = text.replace(INVISIBLE, '').normalize('NFKC').replace(INVISIBLE, '').replace(DASH_LOOK_ALIKES, '-');
  text = decodeCharacterReferences(text);
  // Twice, so that `%2540` (an encoded `%40`) also becomes `@`; a third layer is not undone.
  text = decodePercentEscapes(decodePercentEscapes(text));
  text = text
    .replace(DEFANGED_SCHEME, 'http$1')
    .replace(DEFANGED_SCHEME_SEPARATOR, (separator) => (separator === '[:]' ? ':' : '://'))
    .replace(DEFANGED_DOT, '.')
    .replace(DEFANGED_AT, '@')
    .replace(SPELLED_ADDRESS, (_match, local: string, domain: string) => `${local}@${domain.replace(SPELLED_DOT, '.')}`)
    .replace(SPELLED_DOMAIN_DOT, '.');
  return { text, truncated };
}
