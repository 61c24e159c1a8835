import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** An Ed25519 key pair kept as PEM files under `<dataDir>/keys/`. */
export interface SigningKey {
  readonly name: string;
  /** Stable id: the first 16 hex digits of SHA-256 over the public key (SPKI DER). */
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
}

/**
 * Loads the named key, creating it on first use. The private key file is written with mode 0600
 * and the `wx` flag, so two processes starting together never overwrite each other's key.
 */
export function loadOrCreateSigningKey(dataDir: string, name: string): SigningKey {
  const directory = join(dataDir, 'keys');
  const privatePath = join(directory, `${name}.key.pem`);
  const publicPath = join(directory, `${name}.pub.pem`);
  if (!existsSync(privatePath)) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const pair = generateKeyPairSync('ed25519');
    const privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    try {
      writeFileSync(privatePath, privatePem, { mode: 0o600, flag: 'wx' });
      writeFileSync(publicPath, publicPem, { mode: 0o644 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const privateKey = createPrivateKey(readFileSync(privatePath, 'utf8'));
  const publicKey = createPublicKey(privateKey);
  return fromKeys(name, privateKey, publicKey);
}

/** Loads only the public half, e.g. for offline verification. */
export function loadPublicKey(path: string): { keyId: string; publicKey: KeyObject } {
  const publicKey = createPublicKey(readFileSync(path, 'utf8'));
  return { keyId: keyIdOf(publicKey), publicKey };
}

export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

function fromKeys(name: string, privateKey: KeyObject, publicKey: KeyObject): SigningKey {
  return {
    name,
    keyId: keyIdOf(publicKey),
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
