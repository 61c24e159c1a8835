/** Interlock's own credentials: minting and verifying agent and operator tokens. */
export {
  TokenIssuer,
  type AgentTokenRequest,
  type MintedToken,
  type OperatorTokenRequest,
  type TokenIssuerOptions,
} from './token-issuer.js';
export {
  TokenVerifier,
  type RevocationReader,
  type TokenVerifierOptions,
  type VerificationKey,
  type VerifiedAgentToken,
  type VerifiedOperatorToken,
} from './token-verifier.js';
export {
  CLOCK_TOLERANCE_SECONDS,
  TOKEN_MAX_LENGTH,
  type AgentTokenClaims,
  type OperatorTokenClaims,
  type TokenClaims,
} from './token-claims.js';
