/**
 * Cyrillic and Greek letters that look like Latin ones. Mapping them back lets the wording rules read
 * "іgnоre" as "ignore"; a word that mixes them with Latin letters is itself a signal, since ordinary text
 * in those languages keeps to one script per word.
 */

const LOOKALIKES: Record<string, string> = {
  // Cyrillic, lower case
  '\u0430': 'a',
  '\u0441': 'c',
  '\u0501': 'd',
  '\u0435': 'e',
  '\u04BB': 'h',
  '\u0456': 'i',
  '\u0458': 'j',
  '\u043E': 'o',
  '\u0440': 'p',
  '\u051B': 'q',
  '\u0455': 's',
  '\u051D': 'w',
  '\u0445': 'x',
  '\u0443': 'y',
  '\u0457': 'i',
  // Cyrillic, upper case
  '\u0410': 'A',
  '\u0412': 'B',
  '\u0421': 'C',
  '\u0415': 'E',
  '\u041D': 'H',
  '\u0406': 'I',
  '\u0408': 'J',
  '\u041A': 'K',
  '\u041C': 'M',
  '\u041E': 'O',
  '\u0420': 'P',
  '\u0405': 'S',
  '\u0422': 'T',
  '\u0425': 'X',
  '\u04AE': 'Y',
  // Greek
  '\u03B1': 'a',
  '\u03BF': 'o',
  '\u03C1': 'p',
  '\u03B9': 'i',
  '\u03BD': 'v',
  '\u03C5': 'u',
  '\u0391': 'A',
  '\u0392': 'B',
  '\u0395': 'E',
  '\u0396': 'Z',
  '\u0397': 'H',
  '\u0399': 'I',
  '\u039A': 'K',
  '\u039C': 'M',
  '\u039D': 'N',
  '\u039F': 'O',
  '\u03A1': 'P',
  '\u03A4': 'T',
  '\u03A5': 'Y',
  '\u03A7': 'X',
};

const LOOKALIKE = new RegExp(`[${Object.keys(LOOKALIKES).join('')}]`, 'gu');
const HAS_LOOKALIKE = new RegExp(LOOKALIKE.source, 'u');

/** Replaces Cyrillic and Greek look-alikes by the Latin letters they imitate. */
export function mapLookalikes(text: string): string {
  return text.replace(LOOKALIKE, (character) => LOOKALIKES[character] ?? character);
}

// A word here is a run of letters (and combining marks) from any script, so mixed ones stay in one piece.
const WORD = /[\p{L}\p{M}]{3,}/gu;
const LATIN = /\p{Script=Latin}/u;
const CYRILLIC_OR_GREEK = /[\p{Script=Cyrillic}\p{Script=Greek}]/u;
// A cheap first look over the whole text, by code block, before words are examined one by one.
const ANY_CYRILLIC_OR_GREEK = /[\u0370-\u052F\u1F00-\u1FFF]/;

export interface MixedScriptFinding {
  readonly count: number;
  readonly firstWord: string;
  readonly firstIndex: number;
}

/**
 * Words that mix Latin letters with Cyrillic or Greek look-alikes. A mixed word without any look-alike
 * (a Greek letter used as a symbol, such as "αβ-test") is not counted.
 */
export function findMixedScriptWords(text: string): MixedScriptFinding | null {
  if (!ANY_CYRILLIC_OR_GREEK.test(text)) return null;
  let count = 0;
  let firstWord = '';
  let firstIndex = -1;
  WORD.lastIndex = 0;
  for (let match = WORD.exec(text); match !== null; match = WORD.exec(text)) {
    const word = match[0];
    if (!LATIN.test(word) || !CYRILLIC_OR_GREEK.test(word)) continue;
    if (!HAS_LOOKALIKE.test(word)) continue;
    if (count === 0) {
      firstWord = word;
      firstIndex = match.index;
    }
    count += 1;
  }
  return count === 0 ? null : { count, firstWord, firstIndex };
}
