/**
 * Personal data found in retrieved text: e-mail addresses, phone numbers, payment card numbers,
 * IBANs and US social security numbers. Each detector is a bounded regular expression (no nested
 * unbounded quantifiers, so it runs in linear time on hostile text) plus a check that the match
 * really is what it looks like: a Luhn checksum for cards, ISO 13616 mod 97 for IBANs, digit
 * counts for phone numbers. Matches are replaced by `[REDACTED:<kind>]` and counted, never kept.
 */

export type PersonalDataKind = 'email' | 'card_number' | 'iban' | 'us_ssn' | 'phone';

interface Detector {
  readonly kind: PersonalDataKind;
  readonly pattern: RegExp;
  readonly accept: (match: string) => boolean;
}

/** Markers hold no digits, `@` or letters-digit runs, so a later detector never matches inside one. */
export function personalDataMarker(kind: PersonalDataKind): string {
  return `[REDACTED:${kind}]`;
}

// Applied in this order: an e-mail address may hold digits a phone detector would take, and a
// card number is checked before the looser phone shapes.
const DETECTORS: readonly Detector[] = [
  {
    kind: 'email',
    pattern: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}/g,
    accept: (match) => /\.[A-Za-z]{2,24}$/.test(match),
  },
  {
    kind: 'card_number',
    pattern: /(?<![\d-])\d(?:[ -]?\d){12,18}(?!\d)/g,
    accept: (match) => {
      const digits = match.replace(/\D/g, '');
      // Card networks issue numbers starting 2 to 6; other long digit runs are ids and timestamps.
      return digits.length >= 13 && digits.length <= 19 && /^[2-6]/.test(digits) && luhnValid(digits);
    },
  },
  {
    kind: 'iban',
    pattern: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g,
    accept: (match) => ibanValid(match.replace(/ /g, '')),
  },
  {
    kind: 'us_ssn',
    pattern: /(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])/g,
    accept: (match) => !/^(000|666|9\d\d)-|-00-|-0000$/.test(match),
  },
  {
    kind: 'phone',
    // International (+CC, then groups each after a separator, or all digits), North American
    // (NNN) NNN-NNNN, or national with a trunk 0. Separators are required between groups, so a
    // run of digits can be read only one way and a failed match never backtracks far.
    pattern:
      /(?<![\w+])\+(?:\d{8,15}|\d{1,3}(?:[ .-]?\(\d{1,5}\))?(?:[ .-]\d{1,8}){1,5})(?!\d)|(?<![\w(])(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?!\d)|(?<![\w.-])0\d{1,4}(?:[ ./-]\d{2,8}){1,4}(?!\d)/g,
    accept: (match) => {
      const digits = match.replace(/\D/g, '').length;
      if (match.startsWith('+')) return digits >= 8 && digits <= 15;
      if (match.startsWith('0')) return digits >= 9 && digits <= 12;
      return digits === 10;
    },
  },
];

export interface PersonalDataFinding {
  readonly kind: PersonalDataKind;
  readonly count: number;
}

/** The text with personal data replaced by markers, and how many of each kind were replaced. */
export function redactPersonalData(text: string): { text: string; found: PersonalDataFinding[] } {
  let output = text;
  const found: PersonalDataFinding[] = [];
  for (const detector of DETECTORS) {
    let count = 0;
    output = output.replace(detector.pattern, (match) => {
      if (!detector.accept(match)) return match;
      count += 1;
      return personalDataMarker(detector.kind);
    });
    if (count > 0) found.push({ kind: detector.kind, count });
  }
  return { text: output, found };
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let index = digits.length - 1; index >= 0; index -= 1) {
    let digit = digits.charCodeAt(index) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/** ISO 13616: move the first four characters to the end, letters to numbers, remainder mod 97 is 1. */
export function ibanValid(iban: string): boolean {
  if (iban.length < 15 || iban.length > 34) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const character of rearranged) {
    const code = character.charCodeAt(0);
    const value = code >= 65 && code <= 90 ? String(code - 55) : character;
    for (const digit of value) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}
