import { createPublicKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createLocalJWKSet, importSPKI, type CryptoKey, type JSONWebKeySet } from 'jose';
import type { TrustedIssuerConfig } from '../config/schema.js';
import { InterlockError } from '../errors/interlock-error.js';

/** Algorithms an acting-for-user assertion may be signed with. Symmetric and unsigned ones never. */
export type AssertionAlgorithm = 'EdDSA' | 'ES256' | 'RS256';
export const ASSERTION_ALGORITHMS: readonly AssertionAlgorithm[] = ['EdDSA', 'ES256', 'RS256'];

export type IssuerKeyResolver = ReturnType<typeof createLocalJWKSet>;

/** A trusted issuer with its verification key material loaded. */
export interface TrustedIssuerKey {
  readonly config: TrustedIssuerConfig;
  readonly key: CryptoKey | IssuerKeyResolver;
  /** For a PEM key, the single algorithm its type allows; for a JWKS, the key set picks per key type. */
  readonly algorithms: readonly AssertionAlgorithm[];
}

const MAX_KEY_FILE_BYTES = 1024 * 1024;
const MIN_RSA_BITS = 2048;

/** Loads every configured issuer's key file, resolving `file:` paths against the project directory. */
export async function loadTrustedIssuerKeys(issuers: readonly TrustedIssuerConfig[], projectDir: string): Promise<TrustedIssuerKey[]> {
  const loaded: TrustedIssuerKey[] = [];
  for (const issuer of issuers) {
    if (issuer.publicKey !== undefined) loaded.push(await loadPemIssuer(issuer, readKeyFile(issuer, issuer.publicKey, projectDir)));
    else if (issuer.jwks !== undefined) loaded.push(loadJwksIssuer(issuer, readKeyFile(issuer, issuer.jwks, projectDir)));
    else throw new InterlockError('CONFIG_INVALID', `trusted issuer "${issuer.id}" has neither publicKey nor jwks`);
  }
  return loaded;
}

function readKeyFile(issuer: TrustedIssuerConfig, reference: string, projectDir: string): string {
  const path = resolve(projectDir, reference.slice('file:'.length));
  try {
    if (statSync(path).size > MAX_KEY_FILE_BYTES) throw new Error('too large');
    return readFileSync(path, 'utf8');
  } catch {
    throw new InterlockError(
      'CONFIG_INVALID',
      `trusted issuer "${issuer.id}": key file ${path} cannot be read or is larger than ${MAX_KEY_FILE_BYTES} bytes`,
    );
  }
}

async function loadPemIssuer(issuer: TrustedIssuerConfig, pem: string): Promise<TrustedIssuerKey> {
  const invalid = (why: string): InterlockError => new InterlockError('CONFIG_INVALID', `trusted issuer "${issuer.id}": ${why}`);
  let algorithm: AssertionAlgorithm;
  try {
    const keyObject = createPublicKey({ key: pem, format: 'pem' });
    algorithm = algorithmForKey(keyObject.asymmetricKeyType, keyObject.asymmetricKeyDetails);
  } catch (error) {
    if (error instanceof InterlockError) throw invalid(error.message);
    throw invalid('publicKey is not a PEM (SPKI) public key');
  }
  try {
    return { config: issuer, key: await importSPKI(pem, algorithm), algorithms: [algorithm] };
  } catch {
    throw invalid('publicKey is not a PEM (SPKI) public key');
  }
}

/** Pins the algorithm to the key's type, so a key can never be used with an algorithm it was not made for. */
function algorithmForKey(
  type: string | undefined,
  details: { namedCurve?: string; modulusLength?: number } | undefined,
): AssertionAlgorithm {
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'ec' && details?.namedCurve === 'prime256v1') return 'ES256';
  if (type === 'rsa' && (details?.modulusLength ?? 0) >= MIN_RSA_BITS) return 'RS256';
  throw new InterlockError('CONFIG_INVALID', `expected an Ed25519, P-256 or RSA (>= ${MIN_RSA_BITS} bits) public key`);
}

function loadJwksIssuer(issuer: TrustedIssuerConfig, text: string): TrustedIssuerKey {
  const invalid = (why: string): InterlockError => new InterlockError('CONFIG_INVALID', `trusted issuer "${issuer.id}": ${why}`);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw invalid('jwks file is not JSON');
  }
  if (typeof document !== 'object' || document === null || !Array.isArray((document as { keys?: unknown }).keys))
    throw invalid('jwks file has no "keys" array');
  const keys = (document as { keys: unknown[] }).keys;
  if (keys.length === 0) throw invalid('jwks file has no keys');
  for (const key of keys) {
    if (typeof key !== 'object' || key === null) throw invalid('jwks file holds a key that is not an object');
    // A private or symmetric key in a trust file means a secret was copied where it does not belong.
    if ('d' in key || 'k' in key) throw invalid('jwks file holds private or symmetric key material; publish public keys only');
  }
  try {
    return { config: issuer, key: createLocalJWKSet(document as JSONWebKeySet), algorithms: ASSERTION_ALGORITHMS };
  } catch {
    throw invalid('jwks file is not a valid JSON Web Key Set');
  }
}
