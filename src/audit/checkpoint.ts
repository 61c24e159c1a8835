import { sign, verify, type KeyObject } from 'node:crypto';
import type { SigningKey } from '../keys/keystore.js';
import { keyIdOf } from '../keys/keystore.js';
import type { Checkpoint } from '../store/store.js';
import { canonicalJson } from './canonical-json.js';

/** Schema version of the signed checkpoint statement; verifiers reject any other. */
export const CHECKPOINT_SCHEMA_VERSION = 1;

/** The key file name (under `<dataDir>/keys/`) that signs audit checkpoints. */
export const AUDIT_SIGNING_KEY_NAME = 'audit';

/** What a checkpoint signature covers: the chain head at `seq` and when and by which key it was signed. */
export interface CheckpointStatement {
  readonly schemaVersion: typeof CHECKPOINT_SCHEMA_VERSION;
  readonly seq: number;
  readonly hash: string;
  readonly at: string;
  readonly keyId: string;
}

/** The exact bytes that are signed: the UTF-8 of the statement's RFC 8785 canonical JSON. */
export function checkpointStatementBytes(statement: CheckpointStatement): Buffer {
  return Buffer.from(canonicalJson(statement), 'utf8');
}

/** Signs the chain head with Ed25519; the signature is base64url. */
export function signCheckpoint(head: { readonly seq: number; readonly hash: string }, key: SigningKey, at: Date): Checkpoint {
  const statement: CheckpointStatement = {
    schemaVersion: CHECKPOINT_SCHEMA_VERSION,
    seq: head.seq,
    hash: head.hash,
    at: at.toISOString(),
    keyId: key.keyId,
  };
  const signature = sign(null, checkpointStatementBytes(statement), key.privateKey).toString('base64url');
  return { seq: statement.seq, hash: statement.hash, at: statement.at, keyId: statement.keyId, signature };
}

export type CheckpointSignatureStatus = 'valid' | 'invalid' | 'unknown_key';

/** Public keys indexed by key id (first 16 hex digits of SHA-256 over the SPKI DER). */
export function publicKeysById(publicKeys: Iterable<KeyObject>): ReadonlyMap<string, KeyObject> {
  const byId = new Map<string, KeyObject>();
  for (const publicKey of publicKeys) byId.set(keyIdOf(publicKey), publicKey);
  return byId;
}

/** Checks a stored checkpoint's signature against the public key its keyId names. */
export function verifyCheckpointSignature(checkpoint: Checkpoint, publicKeys: ReadonlyMap<string, KeyObject>): CheckpointSignatureStatus {
  const publicKey = publicKeys.get(checkpoint.keyId);
  if (publicKey === undefined) return 'unknown_key';
  const statement: CheckpointStatement = {
    schemaVersion: CHECKPOINT_SCHEMA_VERSION,
    seq: checkpoint.seq,
    hash: checkpoint.hash,
    at: checkpoint.at,
    keyId: checkpoint.keyId,
  };
  try {
    const signature = Buffer.from(checkpoint.signature, 'base64url');
    return verify(null, checkpointStatementBytes(statement), publicKey, signature) ? 'valid' : 'invalid';
  } catch {
    // A malformed statement (e.g. a non-finite seq) or an unusable key cannot verify.
    return 'invalid';
  }
}
