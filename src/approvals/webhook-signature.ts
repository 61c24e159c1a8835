/**
 * Signatures on the webhooks Interlock sends when an approval needs a human.
 *
 * Each delivery is an HTTP POST with these headers:
 *
 * - `Content-Type: application/json`
 * - `Interlock-Event: <event type>`, e.g. `approval.requested`
 * - `Interlock-Delivery: <uuid>`: the same for every attempt of one delivery, so a receiver that
 *   stores the ids it has handled can drop the retries of a delivery it already processed
 * - `Interlock-Signature: t=<unix seconds>,v1=<hex>`, where `<hex>` is the HMAC-SHA256, keyed
 *   with the shared secret, of the timestamp, a full stop and the raw request body, byte for
 *   byte: `HMAC-SHA256(secret, "<t>.<body>")`
 *
 * A receiver verifies the signature over the body exactly as received (before parsing it as
 * JSON), compares in constant time, and refuses timestamps further than a few minutes from its
 * own clock, so that a captured request cannot be replayed later. A header may carry several
 * `v1` entries (for instance while a secret is being rotated); it verifies when any of them
 * matches. Entries with other names are ignored, so that new schemes can be added beside `v1`.
 * `verifyWebhook` below does all of this.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { InterlockError } from '../errors/interlock-error.js';

export const WEBHOOK_SIGNATURE_HEADER = 'Interlock-Signature';
export const WEBHOOK_DELIVERY_HEADER = 'Interlock-Delivery';
export const WEBHOOK_EVENT_HEADER = 'Interlock-Event';

/** Longer headers are refused unread: a signature header is well under a hundred characters. */
const MAX_HEADER_LENGTH = 2048;
const TIMESTAMP_PATTERN = /^[0-9]{1,12}$/;
const SIGNATURE_PATTERN = /^[0-9a-f]{64}$/;

export interface VerifyWebhookOptions {
  /** How far, in seconds, the signed timestamp may be from `now`, in either direction. */
  readonly toleranceSeconds?: number;
  /** The receiver's clock, in milliseconds since the epoch (as `Date.now`). */
  readonly now?: () => number;
}

/** The value of the `Interlock-Signature` header for `body`, signed at `timestampSeconds`. */
export function signWebhook(body: string, secret: string, timestampSeconds: number): string {
  if (secret.length === 0) throw new InterlockError('CONFIG_INVALID', 'the webhook signing secret must not be empty');
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new InterlockError('INTERNAL', 'a webhook signature timestamp must be a non-negative whole number of seconds');
  }
  return `t=${timestampSeconds},v1=${digest(secret, timestampSeconds, body)}`;
}

/**
 * Whether `header` is a valid signature of `body` with `secret`, made within the tolerance of
 * `now`. Never throws: a missing, repeated or malformed header, an empty secret or a stale
 * timestamp all answer false.
 */
export function verifyWebhook(
  body: string | Uint8Array,
  header: string | readonly string[] | undefined,
  secret: string,
  options: VerifyWebhookOptions = {},
): boolean {
  const { toleranceSeconds = 300, now = Date.now } = options;
  if (typeof header !== 'string' || typeof secret !== 'string' || secret.length === 0) return false;
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0) return false;
  const parsed = parseSignatureHeader(header);
  if (parsed === null) return false;
  const nowSeconds = now() / 1000;
  if (!Number.isFinite(nowSeconds) || Math.abs(nowSeconds - parsed.timestampSeconds) > toleranceSeconds) return false;

  const expected = Buffer.from(digest(secret, parsed.timestampSeconds, body), 'hex');
  let matched = false;
  // Every candidate is compared, matched or not, so the time taken says nothing about which one.
  for (const candidate of parsed.signatures) {
    if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) matched = true;
  }
  return matched;
}

interface ParsedSignatureHeader {
  readonly timestampSeconds: number;
  readonly signatures: readonly string[];
}

/** `t=<digits>,v1=<64 hex>[,v1=...][,other=...]`; exactly one `t`, at least one `v1`. */
function parseSignatureHeader(header: string): ParsedSignatureHeader | null {
  if (header.length === 0 || header.length > MAX_HEADER_LENGTH) return null;
  let timestampSeconds: number | null = null;
  const signatures: string[] = [];
  for (const rawPart of header.split(',')) {
    const part = rawPart.trim();
    const equals = part.indexOf('=');
    if (equals <= 0) return null;
    const name = part.slice(0, equals);
    const value = part.slice(equals + 1);
    if (name === 't') {
      if (timestampSeconds !== null || !TIMESTAMP_PATTERN.test(value)) return null;
      timestampSeconds = Number(value);
    } else if (name === 'v1') {
      if (!SIGNATURE_PATTERN.test(value)) return null;
      signatures.push(value);
    }
  }
  if (timestampSeconds === null || signatures.length === 0) return null;
  return { timestampSeconds, signatures };
}

function digest(secret: string, timestampSeconds: number, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest('hex');
}
