import { createHash } from 'node:crypto';
import type { ChainLink } from '../store/store.js';

/** The previous hash of the first event in a chain: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** Domain tag so a chain hash can never be confused with a SHA-256 of some other Interlock structure. */
export const CHAIN_LINK_DOMAIN = 'interlock.audit.link.v1';

const HASH_FORMAT = /^[0-9a-f]{64}$/;

export function isChainHash(value: string): boolean {
  return HASH_FORMAT.test(value);
}

/**
 * An event's chain hash: lowercase hex SHA-256 over the UTF-8 bytes of
 * `CHAIN_LINK_DOMAIN "\n" prevHash "\n" body`, where prevHash is exactly 64 lowercase hex digits
 * and body is the event's RFC 8785 canonical JSON. The fixed-width prefix makes the encoding
 * unambiguous: no two (prevHash, body) pairs produce the same byte string.
 */
export const chainLink: ChainLink = (prevHash: string, body: string): string => {
  if (!HASH_FORMAT.test(prevHash)) {
    throw new RangeError('chain link: previous hash must be 64 lowercase hex digits');
  }
  return createHash('sha256').update(`${CHAIN_LINK_DOMAIN}\n${prevHash}\n`, 'utf8').update(body, 'utf8').digest('hex');
};
