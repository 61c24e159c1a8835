import { resolve } from 'node:path';
import type { ProjectFile } from '../config/schema.js';
import { loadOrCreateSigningKey, type SigningKey } from '../keys/keystore.js';
import { Authenticator } from './authenticator.js';
import type { Clock, IdentityConfig } from './identity-config.js';
import { TokenIssuer } from './token-issuer.js';
import { TokenVerifier, type RevocationReader, type VerificationKey } from './token-verifier.js';
import { UserAssertionVerifier } from './user-assertion.js';

export interface IdentityServicesOptions {
  readonly config: IdentityConfig & Pick<ProjectFile, 'dataDir'>;
  /** Directory of `interlock.yaml`: `dataDir` and trusted-issuer `file:` paths are relative to it. */
  readonly projectDir: string;
  readonly revocations: RevocationReader;
  readonly previousPublicKeys?: readonly VerificationKey[];
  readonly now?: Clock;
}

export interface IdentityServices {
  readonly signingKey: SigningKey;
  readonly issuer: TokenIssuer;
  readonly verifier: TokenVerifier;
  readonly userAssertions: UserAssertionVerifier;
  readonly authenticator: Authenticator;
}

/** Wires the identity pieces for one deployment from its configuration and the identity key on disk. */
export async function createIdentityServices(options: IdentityServicesOptions): Promise<IdentityServices> {
  const { config, projectDir, revocations } = options;
  const signingKey = loadOrCreateSigningKey(resolve(projectDir, config.dataDir), 'identity');
  const clock = options.now === undefined ? {} : { now: options.now };
  const issuer = new TokenIssuer({ config, signingKey, ...clock });
  const verifier = new TokenVerifier({
    config,
    publicKey: signingKey,
    previousPublicKeys: options.previousPublicKeys ?? [],
    revocations,
    ...clock,
  });
  const userAssertions = await UserAssertionVerifier.load({ issuers: config.identity.trustedIssuers, projectDir, ...clock });
  const authenticator = new Authenticator({ config, tokenVerifier: verifier, userAssertionVerifier: userAssertions });
  return { signingKey, issuer, verifier, userAssertions, authenticator };
}
