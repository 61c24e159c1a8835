/** Signs acting-for-user assertions with the refunds example's demo issuer key, in process. */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { DEMO_ISSUER } from '../cli/interlock-process.js';

export async function demoUserAssertion(project: string, user: string, roles: readonly string[], tenant = 'acme'): Promise<string> {
  const privateKey = createPrivateKey(readFileSync(join(project, 'demo-issuer', 'private.pem'), 'utf8'));
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tenant, roles: [...roles] })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setIssuer(DEMO_ISSUER)
    .setAudience('interlock')
    .setSubject(user)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(privateKey);
}
