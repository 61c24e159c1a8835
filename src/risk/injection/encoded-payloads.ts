import { codePointClass } from './code-point-class.js';
import type { PayloadEncoding } from './rule-set.js';

/**
 * Finds blobs that decode to readable text: base64, hex, `\x` and `\u` escapes, percent-encoding and HTML
 * character references. Only blobs that decode to text are returned; binary (keys, images, hashes) is
 * dropped here, so the wording rules never see it.
 */

export interface DecodedBlob {
  readonly encoding: PayloadEncoding;
  readonly start: number;
  readonly end: number;
  readonly decoded: string;
}

export interface BlobLimits {
  /** Candidates examined per text; encoded data beyond this is not decoded. */
  readonly maxBlobs: number;
  /** Longest blob decoded, in characters of the encoded form. */
  readonly maxBlobChars: number;
}

export const DEFAULT_BLOB_LIMITS: BlobLimits = { maxBlobs: 64, maxBlobChars: 16_384 };

const CANDIDATES: Record<PayloadEncoding, RegExp> = {
  // 24 characters decode to 18 bytes: shorter runs are words, identifiers and hashes more often than payloads.
  // The look-behind makes a run be tried from its first character only, not again from each one inside it.
  base64: /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{24,}={0,2}/g,
  hex: /\b(?:[0-9a-fA-F]{2}){12,}\b/g,
  'hex-escape': /(?:\\x[0-9a-fA-F]{2}){8,}/g,
  'unicode-escape': /(?:\\u[0-9a-fA-F]{4}){8,}/g,
  // Starts at a `%` so a long run without one is never rescanned; plain letters before it are added back below.
  percent: /(?:%[0-9a-fA-F]{2}[^\s"'<>%]{0,40}){8,}/g,
  'html-entities': /(?:&#(?:[xX][0-9a-fA-F]{1,6}|[0-9]{1,7});\s?){8,}/g,
};

/** A marker each encoding's blobs must contain, checked with a plain substring search before any regex runs. */
const MARKERS: Partial<Record<PayloadEncoding, string>> = {
  'hex-escape': '\\x',
  'unicode-escape': '\\u',
  percent: '%',
  'html-entities': '&#',
};

const CONTROL_OR_REPLACEMENT = codePointClass(
  [
    [0x00, 0x08],
    [0x0b, 0x0c],
    [0x0e, 0x1f],
    [0x7f, 0x7f],
    [0xfffd, 0xfffd],
  ],
  'gu',
);
const LETTER = /\p{L}/gu;

/** Decoded bytes count as text when they are valid UTF-8, nearly free of control characters and mostly letters. */
function asText(bytes: Buffer): string | null {
  if (bytes.length < 12) return null;
  const text = bytes.toString('utf8');
  const controls = (text.match(CONTROL_OR_REPLACEMENT) ?? []).length;
  if (controls > text.length * 0.02) return null;
  const letters = (text.match(LETTER) ?? []).length;
  if (letters < text.length * 0.6 || !/\s/.test(text)) return null;
  return text;
}

/** Base64 of text mixes cases; a run of one case is an identifier, a path or a hash, not worth decoding. */
function isWorthDecoding(encoding: PayloadEncoding, blob: string): boolean {
  return encoding !== 'base64' || (/[a-z]/.test(blob) && /[A-Z]/.test(blob));
}

function decodeBase64(blob: string): string | null {
  const standard = blob.replace(/-/g, '+').replace(/_/g, '/');
  return asText(Buffer.from(standard, 'base64'));
}

function decodePercent(blob: string): string | null {
  try {
    return asText(Buffer.from(decodeURIComponent(blob.replace(/\+/g, ' ')), 'utf8'));
  } catch {
    return null;
  }
}

function decodeHtmlEntities(blob: string): string | null {
  const text = blob.replace(/&#([xX]?)([0-9a-fA-F]+);\s?/g, (_match, hex: string, digits: string) => {
    const codePoint = Number.parseInt(digits, hex === '' ? 10 : 16);
    return codePoint > 0 && codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : '';
  });
  return asText(Buffer.from(text, 'utf8'));
}

function decodeUnicodeEscapes(blob: string): string | null {
  const text = blob.replace(/\\u([0-9a-fA-F]{4})/g, (_match, digits: string) => String.fromCharCode(Number.parseInt(digits, 16)));
  return asText(Buffer.from(text, 'utf8'));
}

function decode(encoding: PayloadEncoding, blob: string): string | null {
  switch (encoding) {
    case 'base64':
      return decodeBase64(blob);
    case 'hex':
      return asText(Buffer.from(blob, 'hex'));
    case 'hex-escape':
      return asText(Buffer.from(blob.replace(/\\x/g, ''), 'hex'));
    case 'unicode-escape':
      return decodeUnicodeEscapes(blob);
    case 'percent':
      return decodePercent(blob);
    case 'html-entities':
      return decodeHtmlEntities(blob);
  }
}

const MAX_PLAIN_PREFIX = 40;
const URL_TEXT = /[^\s"'<>%=?&/]/;

/** Where the percent-encoded run really starts: letters written plainly before the first escape belong to it. */
function plainPrefixStart(text: string, index: number): number {
  let start = index;
  while (start > 0 && index - start < MAX_PLAIN_PREFIX && URL_TEXT.test(text[start - 1] ?? '')) start -= 1;
  return start;
}

/** Blobs of the given encodings in `text` that decode to readable text, in order of position per encoding. */
export function findDecodableBlobs(
  text: string,
  encodings: readonly PayloadEncoding[],
  limits: BlobLimits = DEFAULT_BLOB_LIMITS,
): DecodedBlob[] {
  const found: DecodedBlob[] = [];
  let examined = 0;
  for (const encoding of encodings) {
    const marker = MARKERS[encoding];
    if (marker !== undefined && !text.includes(marker)) continue;
    const pattern = CANDIDATES[encoding];
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      if (!isWorthDecoding(encoding, match[0])) continue;
      if (examined >= limits.maxBlobs) return found;
      examined += 1;
      const start = encoding === 'percent' ? plainPrefixStart(text, match.index) : match.index;
      const blob = text.slice(start, Math.min(match.index + match[0].length, start + limits.maxBlobChars));
      const decoded = decode(encoding, blob);
      if (decoded !== null) found.push({ encoding, start, end: match.index + match[0].length, decoded });
    }
  }
  return found;
}
