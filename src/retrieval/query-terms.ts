/**
 * Turns a free-text query into search terms: words of letters and digits, lower-cased, without
 * common English function words, bounded in number and length. Nothing of the query's own syntax
 * reaches the full-text engine, so quotes, operators and column filters in a query are just text.
 */

export const MAX_QUERY_LENGTH = 2000;
export const MAX_TERMS = 24;
const MAX_TERM_LENGTH = 64;
const WORD = /[\p{L}\p{N}]+/gu;

const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be but by can could did do does for from had has have how i if in into is it its ' +
    'me my no not of on or our should so than that the their them then there these they this to was we ' +
    'were what when where which who why will with would you your'
  ).split(' '),
);

/** Distinct terms in order of first appearance; empty when the query holds no searchable word. */
export function queryTerms(query: string): string[] {
  const terms: string[] = [];
  const seen = new Set<string>();
  for (const match of query.slice(0, MAX_QUERY_LENGTH).normalize('NFKC').toLowerCase().matchAll(WORD)) {
    const term = match[0].slice(0, MAX_TERM_LENGTH);
    if (STOP_WORDS.has(term) || seen.has(term)) continue;
    seen.add(term);
    terms.push(term);
    if (terms.length === MAX_TERMS) break;
  }
  return terms;
}
