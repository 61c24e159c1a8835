import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { InterlockError } from '../../errors/interlock-error.js';

/**
 * Signs an acting-for-user assertion with an issuer's private key. For development and demos: in
 * production the company's identity provider issues these.
 */
export interface AssertUserOptions {
  readonly key: string;
  readonly issuer: string;
  readonly user: string;
  readonly tenant: string;
  readonly roles?: string;
  readonly audience: string;
  readonly agent?: string;
  readonly ttl: string;
}

export async function assertUser(options: AssertUserOptions): Promise<void> {
  const ttlMatch = /^(\d+)(s|m)$/.exec(options.ttl);
  if (ttlMatch === null) throw new InterlockError('REQUEST_INVALID', '--ttl must be seconds or minutes, e.g. 300s or 10m (at most 60m)');
  const seconds = Number(ttlMatch[1]) * (ttlMatch[2] === 'm' ? 60 : 1);
  let privateKey;
  try {
    privateKey = createPrivateKey(readFileSync(options.key, 'utf8'));
  } catch {
    throw new InterlockError('REQUEST_INVALID', `--key ${options.key} is not a readable PEM private key`);
  }
  const algorithm = privateKey.asymmetricKeyType === 'ed25519' ? 'EdDSA' : privateKey.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
  const roles = (options.roles ?? '')
    .split(',')
    .map((role) => role.trim())
    .filter((role) => role.length > 0);
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({ tenant: options.tenant, roles, ...(options.agent === undefined ? {} : { azp: options.agent }) })
    .setProtectedHeader({ alg: algorithm, typ: 'JWT' })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(options.user)
    .setIssuedAt(now)
    .setExpirationTime(now + seconds)
    .sign(privateKey);
  process.stdout.write(`${assertion}\n`);
}
