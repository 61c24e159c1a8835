import { randomFillSync } from 'node:crypto';

/** Random bytes are drawn from the system in blocks: one system call serves hundreds of ids. */
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

function pooledRandomBytes(count: number): Uint8Array {
  if (poolOffset + count > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + count);
  poolOffset += count;
  return bytes;
}

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids sort roughly by
 * creation time, which keeps index inserts local and lets an auditor eyeball ordering.
 */
export function uuidV7(nowMilliseconds: number, random: Uint8Array = pooledRandomBytes(10)): string {
  const bytes = new Uint8Array(16);
  let time = Math.max(0, Math.floor(nowMilliseconds));
  for (let index = 5; index >= 0; index -= 1) {
    bytes[index] = time % 256;
    time = Math.floor(time / 256);
  }
  bytes.set(random.subarray(0, 10), 6);
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
