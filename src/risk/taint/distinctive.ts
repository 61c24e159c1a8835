import type { MatchClass } from './kinds.js';

/**
 * Minimum distinctiveness: a value too ordinary to point at one source (a year, a quantity, a
 * round sum, a word) is never fingerprinted, on either side, so it can neither taint an argument
 * nor vouch for one.
 *
 * | class  | kept when |
 * |--------|-----------|
 * | digits | at least 6 digits, not one digit repeated; below 10 digits, at least 3 different digits (`200000`, `121212` are not kept) |
 * | amount | at least 3 significant digits (`4870`, `1250`, `99.95`; not `1`, `10`, `100`, `2500`) |
 * | token  | 8 to 128 characters after normalisation, with at least one letter and one digit |
 * | path   | at least two segments (`/etc/passwd`, `~/.ssh`; not `/tmp`) |
 * | iban, email, url, domain | always (their shape is already specific) |
 *
 * Booleans, null and enum-like words produce no value at all: words without digits are neither
 * tokens nor identifiers.
 */
export const MIN_IDENTIFIER_DIGITS = 6;
export const MIN_DISTINCT_IDENTIFIER_DIGITS = 3;
/** From this length on, two different digits are enough (test card numbers such as `4111 1111 1111 1111`). */
export const LONG_IDENTIFIER_DIGITS = 10;
export const MIN_AMOUNT_SIGNIFICANT_DIGITS = 3;
export const MIN_TOKEN_LENGTH = 8;
export const MAX_TOKEN_LENGTH = 128;

const LETTER = /[A-Z]/;
const DIGIT = /\d/;

export function isDistinctive(matchClass: MatchClass, normalized: string): boolean {
  switch (matchClass) {
    case 'digits': {
      if (normalized.length < MIN_IDENTIFIER_DIGITS) return false;
      const distinct = new Set(normalized).size;
      return normalized.length >= LONG_IDENTIFIER_DIGITS ? distinct >= 2 : distinct >= MIN_DISTINCT_IDENTIFIER_DIGITS;
    }
    case 'amount': {
      const significant = normalized.replace(/[-.]/g, '').replace(/^0+/, '').replace(/0+$/, '');
      return significant.length >= MIN_AMOUNT_SIGNIFICANT_DIGITS;
    }
    case 'token':
      return (
        normalized.length >= MIN_TOKEN_LENGTH && normalized.length <= MAX_TOKEN_LENGTH && LETTER.test(normalized) && DIGIT.test(normalized)
      );
    case 'path':
      return normalized.split('/').filter((segment) => segment !== '').length >= 2;
    default:
      return normalized.length > 0;
  }
}
