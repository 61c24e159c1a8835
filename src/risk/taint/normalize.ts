import { posix } from 'node:path';
import { domainToASCII } from 'node:url';
import type { MatchClass, RelatedValue, ValueKind } from './kinds.js';
import { matchClassOf } from './kinds.js';
import { cleanText } from './text-cleanup.js';

/**
 * One normaliser per kind. Each takes text that `cleanText` has already cleaned and returns the
 * compared form, or null when the text is not a value of that kind. Decisions that shape matching:
 *
 * - digits (accounts, cards, routing numbers, phones) keep digits only: spaces, dashes, dots,
 *   brackets and a leading `+` are presentation;
 * - IBANs keep upper-case letters and digits and must pass the ISO 13616 check (an IBAN that fails
 *   it cannot receive money, so it is not worth matching);
 * - e-mail addresses and URLs are compared in lower case, whole (`mailto:`, a URL's scheme,
 *   credentials, fragment, default port, `www.` and a trailing `/` are dropped);
 * - paths are compared in lower case with `/` separators, `.` and `..` resolved;
 * - amounts are compared as plain decimals without currency, grouping, leading zeros or trailing
 *   fractional zeros (`EUR 4.870,00` and `4870` are equal): payment APIs usually take the currency
 *   as a separate argument, and a currency is not distinctive on its own;
 * - tokens are compared in upper case without `-`, `_` and `.`.
 */

const TRAILING_PUNCTUATION = /[.,;:!?'"]+$/;
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const EMAIL_OPENING = /^[<(["']+/;
const EMAIL_CLOSING = /[>)\]"'.,;:!?]+$/;
const EMAIL_LOCAL_PART = /^[a-z0-9._%+-]{1,64}$/;
const DIGIT = /\d/g;
const IBAN_SHAPE = /^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/;
const NOT_ALPHANUMERIC = /[^A-Za-z0-9]/g;
const TOKEN_SEPARATORS = /[-_.]/g;
const TOKEN_SHAPE = /^[A-Z0-9]+$/;
const AMOUNT_MARKERS = /[$€£¥₹₩₽₺₪฿]|\b[A-Za-z]{3}\b|[\s\u00a0']/g;
const AMOUNT_SHAPE = /^-?\d{1,3}(?:[.,]\d{3})*(?:[.,]\d{1,2})?$|^-?\d+(?:[.,]\d{1,2})?$|^-?\d*\.\d+$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const COLLAPSIBLE_SLASHES = /\/{2,}/g;
const BACKSLASH = /\\/g;
const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443', 'ftp:': '21', 'ws:': '80', 'wss:': '443' };

// Second-level labels under which registrations happen one level further down (`shop.co.uk`).
const SHARED_SECOND_LEVEL = new Set([
  'co.uk',
  'org.uk',
  'ac.uk',
  'gov.uk',
  'me.uk',
  'com.au',
  'net.au',
  'org.au',
  'co.nz',
  'co.jp',
  'ne.jp',
  'or.jp',
  'com.br',
  'com.cn',
  'com.mx',
  'co.in',
  'co.za',
  'com.tr',
  'com.sg',
  'com.hk',
  'co.kr',
  'com.ar',
]);

/** At most this many trailing path suffixes are kept as related values. */
const MAX_PATH_SUFFIXES = 4;
/** Long numbers also answer to their last ten digits (a phone with or without its country code). */
const DIGIT_TAIL_LENGTH = 10;

export function normalizeDigits(text: string): string | null {
  const digits = text.match(DIGIT);
  return digits === null ? null : digits.join('');
}

/** ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 is 1. */
export function ibanChecksumValid(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const character of rearranged) {
    const code = character.charCodeAt(0);
    const value = code >= 65 ? code - 55 : code - 48;
    remainder = (value >= 10 ? remainder * 100 + value : remainder * 10 + value) % 97;
  }
  return remainder === 1;
}

export function normalizeIban(text: string): string | null {
  const compact = text.replace(NOT_ALPHANUMERIC, '').toUpperCase();
  return IBAN_SHAPE.test(compact) && ibanChecksumValid(compact) ? compact : null;
}

export function normalizeDomain(text: string): string | null {
  let host = text.trim().toLowerCase().replace(TRAILING_PUNCTUATION, '');
  if (host.startsWith('www.')) host = host.slice(4);
  const ascii = domainToASCII(host);
  if (ascii === '' || ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label))) return null;
  return ascii;
}

export function normalizeEmail(text: string): string | null {
  let address = text.trim().replace(EMAIL_OPENING, '');
  if (address.toLowerCase().startsWith('mailto:')) address = address.slice('mailto:'.length);
  const query = address.indexOf('?');
  if (query >= 0) address = address.slice(0, query);
  address = address.replace(EMAIL_CLOSING, '');
  const at = address.lastIndexOf('@');
  if (at <= 0) return null;
  const local = address.slice(0, at).toLowerCase();
  const domain = normalizeDomain(address.slice(at + 1));
  return domain !== null && EMAIL_LOCAL_PART.test(local) ? `${local}@${domain}` : null;
}

/** Cuts what commonly follows a URL in prose: closing punctuation, and a `)` it did not open. */
export function trimUrl(text: string): string {
  let url = text.replace(TRAILING_PUNCTUATION, '');
  while (url.endsWith(')') && url.split('(').length < url.split(')').length) url = url.slice(0, -1).replace(TRAILING_PUNCTUATION, '');
  return url;
}

export function normalizeUrl(text: string): string | null {
  let candidate = trimUrl(text.trim());
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(candidate)) candidate = `http://${candidate}`;
  let parsed: URL;
  try {
    parsed = new URL(candidate);
  } catch {
    return null;
  }
  const host = normalizeDomain(parsed.hostname) ?? (parsed.hostname === '' ? null : parsed.hostname.toLowerCase());
  if (host === null) return null;
  const port = parsed.port !== '' && parsed.port !== DEFAULT_PORTS[parsed.protocol] ? `:${parsed.port}` : '';
  const path = parsed.pathname.replace(/\/+$/, '');
  return `${host}${port}${path}${parsed.search}`.toLowerCase();
}

export function normalizePath(text: string): string | null {
  let path = text.trim().replace(TRAILING_PUNCTUATION, '').replace(BACKSLASH, '/').toLowerCase();
  const unc = path.startsWith('//');
  path = path.replace(COLLAPSIBLE_SLASHES, '/');
  path = posix.normalize(path);
  if (path.length > 1) path = path.replace(/\/+$/, '');
  if (path === '.' || path === '/' || path === '') return null;
  return unc ? `/${path}` : path;
}

/**
 * Plain decimal: `1.250,00` → `1250`, `0.125` → `0.125`. The last `.` or `,` is the decimal mark
 * when one or two digits follow it; with three it is grouping (`1,250`, `4.870`) unless the
 * integer part is zero or longer than three digits, which grouping never produces.
 */
export function normalizeAmount(text: string): string | null {
  const number = text.replace(AMOUNT_MARKERS, '');
  if (!AMOUNT_SHAPE.test(number)) return null;
  const negative = number.startsWith('-');
  const unsigned = negative ? number.slice(1) : number;
  const lastSeparator = Math.max(unsigned.lastIndexOf('.'), unsigned.lastIndexOf(','));
  let isDecimal = false;
  if (lastSeparator >= 0) {
    const fractionLength = unsigned.length - lastSeparator - 1;
    const integerDigits = unsigned.slice(0, lastSeparator);
    isDecimal = fractionLength !== 3 || /^0*$/.test(integerDigits) || /^\d{4,}$/.test(integerDigits);
  }
  const integerPart = (isDecimal ? unsigned.slice(0, lastSeparator) : unsigned).replace(/[.,]/g, '').replace(/^0+/, '');
  const fraction = isDecimal ? unsigned.slice(lastSeparator + 1).replace(/0+$/, '') : '';
  const magnitude = `${integerPart === '' ? '0' : integerPart}${fraction === '' ? '' : `.${fraction}`}`;
  return negative && magnitude !== '0' ? `-${magnitude}` : magnitude;
}

export function normalizeToken(text: string): string | null {
  const token = text.replace(TOKEN_SEPARATORS, '').toUpperCase();
  return TOKEN_SHAPE.test(token) ? token : null;
}

/** Normalises one value of a known kind; cleans the text first, as extraction does. */
export function normalizeValue(kind: ValueKind, raw: string): string | null {
  const text = cleanText(raw).text;
  return normalizeCleaned(kind, text);
}

export function normalizeCleaned(kind: ValueKind, text: string): string | null {
  switch (matchClassOf(kind)) {
    case 'digits':
      return normalizeDigits(text);
    case 'iban':
      return normalizeIban(text);
    case 'email':
      return normalizeEmail(text);
    case 'url':
      return normalizeUrl(text);
    case 'domain':
      return normalizeDomain(text);
    case 'path':
      return normalizePath(text);
    case 'amount':
      return normalizeAmount(text);
    case 'token':
      return normalizeToken(text);
  }
}

/** `shop.example.co.uk` → `example.co.uk`; a host with two labels is its own registrable domain. */
export function registrableDomain(host: string): string {
  const labels = host.split('.');
  if (labels.length <= 2) return host;
  const lastTwo = labels.slice(-2).join('.');
  return SHARED_SECOND_LEVEL.has(lastTwo) ? labels.slice(-3).join('.') : lastTwo;
}

function hostOfUrl(normalizedUrl: string): string {
  const end = normalizedUrl.search(/[/:?]/);
  return end < 0 ? normalizedUrl : normalizedUrl.slice(0, end);
}

function domainChain(host: string): RelatedValue[] {
  const related: RelatedValue[] = [{ matchClass: 'domain', normalized: host, scope: 'broader' }];
  if (IPV4.test(host)) return related;
  const registrable = registrableDomain(host);
  if (registrable !== host) related.push({ matchClass: 'domain', normalized: registrable, scope: 'broader' });
  return related;
}

/**
 * The other forms a normalised value answers to, most specific first. They let an argument that
 * was composed rather than copied (another mailbox at the attacker's domain, the same file under
 * another home directory, a phone number without its country code) still be traced to the
 * content that suggested it, and let a number the user typed without its country code vouch for
 * the same number with it.
 */
export function relatedValues(matchClass: MatchClass, normalized: string): RelatedValue[] {
  switch (matchClass) {
    case 'email':
      return domainChain(normalized.slice(normalized.lastIndexOf('@') + 1));
    case 'url':
      return domainChain(hostOfUrl(normalized));
    case 'domain':
      return domainChain(normalized).slice(1);
    case 'path': {
      const segments = normalized.split('/').filter((segment) => segment !== '');
      const related: RelatedValue[] = [];
      for (let keep = segments.length - 1; keep >= 2 && related.length < MAX_PATH_SUFFIXES; keep -= 1) {
        related.push({ matchClass: 'path', normalized: segments.slice(-keep).join('/'), scope: 'broader' });
      }
      return related;
    }
    case 'digits':
      return normalized.length > DIGIT_TAIL_LENGTH
        ? [{ matchClass: 'digits', normalized: normalized.slice(-DIGIT_TAIL_LENGTH), scope: 'equivalent' }]
        : [];
    default:
      return [];
  }
}
