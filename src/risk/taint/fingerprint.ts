import { createHmac } from 'node:crypto';
import { InterlockError } from '../../errors/interlock-error.js';
import type { MatchClass } from './kinds.js';

/**
 * The ledger keeps fingerprints, not values: HMAC-SHA256 over `class:normalized` with a key the
 * caller holds, cut to 128 bits. Raw account numbers and addresses from a session's content are
 * never stored, and because the key is secret a stored fingerprint cannot be reversed by hashing
 * every phone number or every account number of a given length (an unkeyed hash of a low-entropy
 * identifier can). A per-session key also keeps fingerprints from being linked across sessions.
 *
 * The same key must be used when content is recorded and when arguments are assessed.
 */
export type Fingerprinter = (matchClass: MatchClass, normalized: string) => string;

const FINGERPRINT_HEX_LENGTH = 32;
const MIN_KEY_BYTES = 16;

export function createFingerprinter(key: Uint8Array | string): Fingerprinter {
  const keyBytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  if (keyBytes.length < MIN_KEY_BYTES) {
    throw new InterlockError('CONFIG_INVALID', `The taint fingerprint key needs at least ${MIN_KEY_BYTES} bytes.`, {
      minimumBytes: MIN_KEY_BYTES,
    });
  }
  return (matchClass, normalized) =>
    createHmac('sha256', keyBytes).update(`${matchClass}:${normalized}`, 'utf8').digest('hex').slice(0, FINGERPRINT_HEX_LENGTH);
}
