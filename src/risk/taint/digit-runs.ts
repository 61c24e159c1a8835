import type { ValueKind } from './kinds.js';

/**
 * Finds runs of digits written with the separators people and attackers put inside account, card
 * and phone numbers (`DE 12 3456`, `4111-1111-1111-1111`, `+1 (415) 555.0134`), in one pass over
 * the text. A run continues across at most three separator characters (at most one line break);
 * a `.` only joins when it stands alone, so `... 555-0134. 12 people` ends at the full stop.
 *
 * A run with several blank-separated pieces is reported whole and also piece by piece, because
 * blanks separate different numbers in tables as often as they group one number.
 */

const MAX_SEPARATOR_RUN = 3;
/** Longer runs are cut: no account, card or phone number has more digits than an IBAN's 34. */
const MAX_RUN_DIGITS = 34;
const YEAR_FIRST_DATE = /^(\d{4})[-. /](\d{1,2})[-. /](\d{1,2})$/;
const YEAR_LAST_DATE = /^(\d{1,2})[-. /](\d{1,2})[-. /](\d{2}|\d{4})$/;
const BLANKS = /\s+/;
const GROUPS = /\d+/g;

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isSeparator(character: string): boolean {
  return (
    character === ' ' ||
    character === '\t' ||
    character === '\n' ||
    character === '\r' ||
    character === '-' ||
    character === '.' ||
    character === '(' ||
    character === ')'
  );
}

function separatorJoins(separators: string): boolean {
  if (separators.includes('.') && separators !== '.') return false;
  return separators.split('\n').length <= 2;
}

/** The raw text of every digit run and of each blank-separated piece of a longer one. */
export function scanDigitRuns(text: string): string[] {
  const runs: string[] = [];
  const length = text.length;
  let index = 0;
  while (index < length) {
    if (!isDigit(text.charCodeAt(index))) {
      index += 1;
      continue;
    }
    let start = index;
    if (text[start - 1] === '(') start -= 1;
    if (text[start - 1] === '+') start -= 1;
    let cursor = index;
    let digitCount = 0;
    let end = index;
    for (;;) {
      while (cursor < length && isDigit(text.charCodeAt(cursor)) && digitCount < MAX_RUN_DIGITS) {
        cursor += 1;
        digitCount += 1;
      }
      end = cursor;
      if (digitCount >= MAX_RUN_DIGITS) break;
      let next = cursor;
      while (next < length && next - cursor < MAX_SEPARATOR_RUN && isSeparator(text[next] ?? '')) next += 1;
      if (next === cursor || next >= length || !isDigit(text.charCodeAt(next)) || !separatorJoins(text.slice(cursor, next))) break;
      cursor = next;
    }
    const raw = text.slice(start, end);
    if (!isDate(raw)) runs.push(raw);
    const pieces = raw.split(BLANKS);
    if (pieces.length > 1) for (const piece of pieces) if (!isDate(piece)) runs.push(piece);
    index = end;
  }
  return runs;
}

/**
 * Dates are written like short numbers (`2024-07-01`, `01.07.24`) and would otherwise meet every
 * other mention of the same day. Only plausible dates are skipped, so that a UK sort code such as
 * `40-47-84` is still read; one that is also a valid date (`12-05-24`) is not.
 */
function isDate(run: string): boolean {
  const raw = run.replace(/^[+(]+/, '');
  const yearFirst = YEAR_FIRST_DATE.exec(raw);
  if (yearFirst !== null)
    return Number(yearFirst[2]) >= 1 && Number(yearFirst[2]) <= 12 && Number(yearFirst[3]) >= 1 && Number(yearFirst[3]) <= 31;
  const yearLast = YEAR_LAST_DATE.exec(raw);
  if (yearLast === null) return false;
  const first = Number(yearLast[1]);
  const second = Number(yearLast[2]);
  const dayAndMonth = (day: number, month: number): boolean => day >= 1 && day <= 31 && month >= 1 && month <= 12;
  return dayAndMonth(first, second) || dayAndMonth(second, first);
}

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let position = 0; position < digits.length; position += 1) {
    let value = digits.charCodeAt(digits.length - 1 - position) - 48;
    if (position % 2 === 1) {
      value *= 2;
      if (value > 9) value -= 9;
    }
    sum += value;
  }
  return sum % 10 === 0;
}

function abaRoutingValid(digits: string): boolean {
  const weights = [3, 7, 1, 3, 7, 1, 3, 7, 1];
  let sum = 0;
  for (let position = 0; position < 9; position += 1) sum += (digits.charCodeAt(position) - 48) * (weights[position] ?? 0);
  return sum % 10 === 0;
}

/**
 * What a run of digits most likely is. Only the report uses this: all digit kinds are compared with
 * each other, so a guess that is wrong here never costs a match.
 */
export function classifyDigits(raw: string, digits: string): ValueKind {
  const groups = (raw.match(GROUPS) ?? []).map((group) => group.length).join('-');
  if (raw.startsWith('+') || raw.includes('(') || groups === '3-3-4' || groups === '1-3-3-4') return 'phone';
  // National numbers with a trunk prefix, written in groups (`020 7946 0321`, `0161 496 0733`).
  if (raw.startsWith('0') && groups.includes('-') && digits.length >= 10 && digits.length <= 12) return 'phone';
  if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) return 'card_number';
  if (digits.length === 9 && abaRoutingValid(digits)) return 'routing_number';
  return 'account_number';
}
