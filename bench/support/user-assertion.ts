import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { EXAMPLE_PROJECT } from './bench-project.js';

/**
 * A signed assertion that support user alice of tenant acme is present, from the example's demo
 * issuer: what a refund needs so the agent acts for a user.
 */
export async function mintSupportUserAssertion(): Promise<string> {
  const privateKey = createPrivateKey(readFileSync(join(EXAMPLE_PROJECT, 'demo-issuer/private.pem'), 'utf8'));
  const algorithm = privateKey.asymmetricKeyType === 'ed25519' ? 'EdDSA' : privateKey.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tenant: 'acme', roles: ['support'] })
    .setProtectedHeader({ alg: algorithm, typ: 'JWT' })
    .setIssuer('https://sso.demo.example')
    .setAudience('interlock')
    .setSubject('alice')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
}
