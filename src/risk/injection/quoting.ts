/**
 * Whether a stretch of text sits inside quotation marks. Articles, advisories and tickets quote
 * attack phrases to talk about them; quoting lowers a wording signal's weight but never removes it, since an
 * attacker can quote too.
 */

const LOOK_BEHIND = 400;
const LOOK_AHEAD = 400;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const ANY_QUOTE = /["`'“”„«»‹›‘’]/u;

function isWordCharacter(character: string | undefined): boolean {
  return character !== undefined && LETTER_OR_DIGIT.test(character);
}

/**
 * True when a quotation opened before `start` is still open there, and a quotation mark follows `end`, both
 * within the paragraph (text between blank lines: quotes in hard-wrapped mail run across line breaks).
 */
export function isQuoted(text: string, start: number, end: number): boolean {
  const paragraphBreak = text.lastIndexOf('\n\n', start - 1);
  const lineStart = Math.max(paragraphBreak < 0 ? 0 : paragraphBreak + 2, start - LOOK_BEHIND);
  const nextBreak = text.indexOf('\n\n', end);
  const lineEnd = Math.min(nextBreak < 0 ? text.length : nextBreak, end + LOOK_AHEAD);
  if (!ANY_QUOTE.test(text.slice(end, lineEnd))) return false;

  let straightDouble = false;
  let backtick = false;
  let typographic = 0;
  let lowOpenerOpen = false;
  let single = 0;
  for (let index = lineStart; index < start; index += 1) {
    const character = text[index];
    const before = text[index - 1];
    const after = text[index + 1];
    switch (character) {
      case '"':
        straightDouble = !straightDouble;
        break;
      case '`':
        backtick = !backtick;
        break;
      case '„':
        typographic += 1;
        lowOpenerOpen = true;
        break;
      case '«':
      case '‹':
        typographic += 1;
        break;
      case '”':
      case '»':
      case '›':
        typographic = Math.max(0, typographic - 1);
        break;
      case '“':
        // German quotes open low („) and close with the mark English uses to open.
        if (lowOpenerOpen && typographic > 0) {
          typographic -= 1;
          lowOpenerOpen = false;
        } else typographic += 1;
        break;
      case "'":
      case '‘':
      case '’':
        if (isWordCharacter(before) && isWordCharacter(after)) break; // an apostrophe: don't, l'assistant
        if (!isWordCharacter(before)) single += 1;
        else single = Math.max(0, single - 1);
        break;
      default:
        break;
    }
  }
  return straightDouble || backtick || typographic > 0 || single > 0;
}
