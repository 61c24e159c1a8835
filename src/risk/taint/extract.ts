import { classifyDigits, scanDigitRuns } from './digit-runs.js';
import { isDistinctive } from './distinctive.js';
import type { ExtractedValue, ValueKind } from './kinds.js';
import { matchClassOf } from './kinds.js';
import { normalizeCleaned, normalizeDigits, normalizeIban, relatedValues, trimUrl } from './normalize.js';
import { cleanText } from './text-cleanup.js';

/**
 * Pulls the values that could steer a write out of free text. Passes run in a fixed order and each
 * blanks what it recognised, so that later, looser passes do not re-read it (the digits of an IBAN
 * are not also an account number; a file name inside a path is not also a domain). Addresses and
 * URLs are read first from the whole text, because one may sit inside the other.
 *
 * Every expression is precompiled, anchored by a look-behind that lets it start only at the
 * beginning of a run, and bounded, so a scan is linear in the text.
 */

/** At most this many values are kept from one text; the rest are reported as truncated. */
export const MAX_VALUES_PER_TEXT = 10_000;

// A noncharacter: never a letter, digit or separator, so a blanked span is a boundary to every later pass.
const MASK = '\uFFFF';

const URL_PATTERN = /\b(?:(?:https?|ftps?|wss?):\/\/|www\.)[^\s<>"'`{}|\\^[\]]{1,2048}/gi;
const EMAIL_PATTERN =
  /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]{1,64}@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.){1,8}[\p{L}]{2,63}(?![\p{L}\p{N}-])/gu;
const IBAN_PATTERN = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ .-]?[A-Za-z0-9]{4}){2,7}(?:[ .-]?[A-Za-z0-9]{1,4})?(?![A-Za-z0-9])/g;
const IBAN_LAST_GROUP = /[ .-]?[A-Za-z0-9]{1,4}$/;

const CURRENCY_SYMBOL = '[$€£¥₹₩₽₺₪฿]';
const CURRENCY_CODE = '(?:USD|EUR|GBP|CHF|JPY|CAD|AUD|NZD|SEK|NOK|DKK|PLN|CZK|HUF|INR|CNY|RMB|HKD|SGD|ZAR|BRL|MXN|TRY|ILS|AED|SAR|KRW)';
const AMOUNT_NUMBER = "(?:\\d{1,3}(?:[,.' \\u00a0]\\d{3}){1,6}(?:[.,]\\d{1,2})?|\\d{1,15}(?:[.,]\\d{1,2})?)(?![\\d])";
const AMOUNT_PATTERNS: readonly RegExp[] = [
  new RegExp(`(?:${CURRENCY_SYMBOL}|(?<![A-Za-z])${CURRENCY_CODE}(?![A-Za-z]))[ \\t\\u00a0]?(-?${AMOUNT_NUMBER})`, 'giu'),
  new RegExp(
    `(?<![\\d.,])(${AMOUNT_NUMBER})[ \\t\\u00a0]?(?:${CURRENCY_SYMBOL}|${CURRENCY_CODE}(?![A-Za-z])|(?:dollars|euros|pounds)\\b)`,
    'giu',
  ),
  // Bare sums with cents (`4,870.00`, `4.870,00`, `1250.00`): prose rarely writes other numbers so.
  /(?<![\d.,])(\d{1,3}(?:[,.]\d{3}){1,6}[.,]\d{2}|\d{1,15}\.\d{2})(?![\d]|[.,]\d)/g,
];

// Generic top-level domains, the reserved `example`/`test`/`invalid`, and country codes that are
// not also common file extensions (`.py`, `.sh`, `.md`, `.rs`, `.pl`, `.so`, `.cc`, `.ps`, `.ml`,
// `.mk`, `.pm`, `.am`, `.in`, `.ai` are left out, so `setup.py` is not a domain).
const TOP_LEVEL_DOMAINS =
  'com|net|org|info|biz|io|co|app|dev|cloud|site|online|xyz|top|club|shop|store|tech|live|email|link|click|support|services|' +
  'solutions|finance|bank|pay|money|tk|ml|ga|cf|gq|icu|buzz|work|page|gov|edu|mil|int|eu|asia|mobi|name|pro|onion|' +
  'example|test|invalid|localhost|' +
  'us|uk|de|fr|nl|be|ch|at|es|it|pt|se|no|dk|fi|ie|is|lu|cz|sk|hu|ro|bg|gr|hr|si|rs|ee|lv|lt|ua|by|ru|kz|tr|il|ae|sa|eg|ma|' +
  'ng|ke|za|gh|cn|jp|kr|tw|hk|sg|my|id|th|vn|ph|au|nz|ca|mx|br|ar|cl|pe|ve|uy|cr|pa|do|me|tv|ws|to|fm|gg|ly|vc|cx|su';
// A host, and the path after it when there is one: `evil.example/collect` is a URL without a scheme.
const DOMAIN_PATTERN = new RegExp(
  `(?<![\\p{L}\\p{N}@._\\-/\\\\])(?:[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?\\.){1,8}(?:${TOP_LEVEL_DOMAINS})(?![\\p{L}\\p{N}\\-]|\\.[\\p{L}\\p{N}])(/[^\\s<>"'\`{}|\\\\^[\\]\\uFFFF]{0,2048})?`,
  'giu',
);

const PATH_SEGMENT = '[\\p{L}\\p{N}._@%+~$-]{1,255}';
const PATH_PATTERNS: readonly RegExp[] = [
  // Windows drive and UNC paths.
  new RegExp(`(?<![\\p{L}\\p{N}])[A-Za-z]:(?:[\\\\/]${PATH_SEGMENT}){1,64}`, 'gu'),
  new RegExp(`(?<![\\\\\\p{L}\\p{N}])\\\\\\\\[\\p{L}\\p{N}._-]{1,255}(?:\\\\${PATH_SEGMENT}){1,64}`, 'gu'),
  // Absolute, home-relative and dot-relative POSIX paths.
  new RegExp(`(?<![\\p{L}\\p{N}._~/:\\\\-])(?:~|\\.{1,2})?(?:/${PATH_SEGMENT}){1,64}`, 'gu'),
  // Bare relative paths, only when the last segment has an extension (`reports/q3.xlsx`, not `and/or`).
  new RegExp(`(?<![\\p{L}\\p{N}._~/:\\\\@-])[\\p{L}\\p{N}_-][\\p{L}\\p{N}._-]{0,254}(?:[/\\\\]${PATH_SEGMENT}){1,64}`, 'gu'),
];
const FILE_EXTENSION = /\.[A-Za-z][A-Za-z0-9]{0,7}[.,;:!?]*$/;

const TOKEN_PATTERN = /(?<![\p{L}\p{N}_-])[A-Za-z0-9][A-Za-z0-9_-]{6,126}[A-Za-z0-9](?![\p{L}\p{N}_-])/gu;

export interface TextScan {
  readonly values: ExtractedValue[];
  /** The text was longer than the scan limit, or yielded more values than are kept. */
  readonly truncated: boolean;
}

class ValueCollector {
  readonly values: ExtractedValue[] = [];
  private readonly seen = new Set<string>();
  // Content repeats itself (quoted replies, signatures, tables); each distinct text is normalised once.
  private readonly outcomes = new Map<string, boolean>();
  overflowed = false;

  /** Whether `raw` was taken as a value of this kind (kept, already kept, or over the limit). */
  add(kind: ValueKind, raw: string, normalize: () => string | null): boolean {
    const rawKey = `${kind}\u0000${raw}`;
    const known = this.outcomes.get(rawKey);
    if (known !== undefined) return known;
    const outcome = this.keep(kind, raw, normalize());
    this.outcomes.set(rawKey, outcome);
    return outcome;
  }

  private keep(kind: ValueKind, raw: string, normalized: string | null): boolean {
    if (normalized === null) return false;
    const matchClass = matchClassOf(kind);
    if (!isDistinctive(matchClass, normalized)) return false;
    const key = `${matchClass}:${normalized}`;
    if (this.seen.has(key)) return true;
    if (this.values.length >= MAX_VALUES_PER_TEXT) {
      this.overflowed = true;
      return true;
    }
    this.seen.add(key);
    const related = relatedValues(matchClass, normalized).filter((value) => isDistinctive(value.matchClass, value.normalized));
    this.values.push({ kind, raw, normalized, related });
    return true;
  }
}

function blank(text: string): string {
  return MASK.repeat(text.length);
}

/** Blanks possibly overlapping spans (an address inside a URL) in one pass over the text. */
function blankSpans(text: string, spans: Array<[number, number]>): string {
  if (spans.length === 0) return text;
  spans.sort((left, right) => left[0] - right[0]);
  const parts: string[] = [];
  let cursor = 0;
  for (const [start, end] of spans) {
    if (end <= cursor) continue;
    const from = Math.max(start, cursor);
    parts.push(text.slice(cursor, from), blank(text.slice(from, end)));
    cursor = end;
  }
  parts.push(text.slice(cursor));
  return parts.join('');
}

/** An IBAN run may have swallowed a following word (`... 7034 from`); drop groups until it checks. */
function ibanWithin(raw: string): { iban: string; raw: string } | null {
  let candidate = raw;
  for (let attempt = 0; attempt < 3 && candidate.length >= 15; attempt += 1) {
    const iban = normalizeIban(candidate);
    if (iban !== null) return { iban, raw: candidate };
    candidate = candidate.replace(IBAN_LAST_GROUP, '');
  }
  return null;
}

/** Extracts values from text already passed through `cleanText`. */
function extractFromCleaned(cleaned: string, collector: ValueCollector): void {
  let text = cleaned;
  const spans: Array<[number, number]> = [];
  for (const match of cleaned.matchAll(URL_PATTERN)) {
    const raw = trimUrl(match[0]);
    if (collector.add('url', raw, () => normalizeCleaned('url', raw))) spans.push([match.index, match.index + raw.length]);
  }
  for (const match of cleaned.matchAll(EMAIL_PATTERN)) {
    if (collector.add('email', match[0], () => normalizeCleaned('email', match[0])))
      spans.push([match.index, match.index + match[0].length]);
  }
  text = blankSpans(text, spans);

  text = text.replace(IBAN_PATTERN, (raw) => {
    const found = ibanWithin(raw);
    if (found === null) return raw;
    collector.add('iban', found.raw, () => found.iban);
    return blank(found.raw) + raw.slice(found.raw.length);
  });

  for (const pattern of AMOUNT_PATTERNS) {
    text = text.replace(pattern, (whole, number: string) => {
      collector.add('amount', whole, () => normalizeCleaned('amount', number));
      return blank(whole);
    });
  }

  text = text.replace(DOMAIN_PATTERN, (raw, path: string | undefined) => {
    const url = trimUrl(raw);
    const kept =
      path !== undefined && url.length > raw.length - path.length + 1
        ? collector.add('url', url, () => normalizeCleaned('url', url))
        : collector.add('domain', raw, () => normalizeCleaned('domain', raw.slice(0, raw.length - (path?.length ?? 0))));
    return kept ? blank(raw) : raw;
  });

  for (const [index, pattern] of PATH_PATTERNS.entries()) {
    const needsExtension = index === PATH_PATTERNS.length - 1;
    text = text.replace(pattern, (raw) => {
      if (needsExtension && !FILE_EXTENSION.test(raw)) return raw;
      return collector.add('path', raw, () => normalizeCleaned('path', raw)) ? blank(raw) : raw;
    });
  }

  for (const raw of scanDigitRuns(text)) {
    const digits = normalizeDigits(raw);
    if (digits !== null) collector.add(classifyDigits(raw, digits), raw, () => digits);
  }

  for (const match of text.matchAll(TOKEN_PATTERN)) collector.add('token', match[0], () => normalizeCleaned('token', match[0]));
}

/** Cleans and scans one text; says whether anything was left unread. */
export function scanText(text: string): TextScan {
  const cleaned = cleanText(text);
  const collector = new ValueCollector();
  extractFromCleaned(cleaned.text, collector);
  return { values: collector.values, truncated: cleaned.truncated || collector.overflowed };
}

/** Identifiers in `text` that could carry an attack into a write's arguments. */
export function extractValues(text: string): ExtractedValue[] {
  return scanText(text).values;
}
