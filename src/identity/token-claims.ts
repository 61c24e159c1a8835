import { z } from 'zod';
import { environmentSchema, ID_PATTERN, type Environment } from '../config/schema.js';

/** Tokens longer than this are refused before any decoding: no real Interlock token comes close. */
export const TOKEN_MAX_LENGTH = 8 * 1024;

/** Clock skew accepted on `exp`, `nbf` and `iat`, in seconds. */
export const CLOCK_TOLERANCE_SECONDS = 5;

/** The only signature algorithm Interlock mints and accepts for its own tokens. */
export const TOKEN_ALGORITHM = 'EdDSA';

/** Three base64url segments; anything else is not a compact JWS and is refused without parsing. */
export const COMPACT_JWS_PATTERN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export function tokenIssuerFor(project: string): string {
  return `interlock:${project}`;
}

export function tokenAudienceFor(environment: Environment): string {
  return `interlock:${environment}`;
}

/**
 * The key under which revocations of a subject are stored. Operator ids get a prefix that no
 * configured id can contain (ids never contain `:`), so revoking an agent never touches an
 * operator of the same name and the reverse.
 */
export function revocationSubjectFor(kind: 'agent' | 'operator', subject: string): string {
  return kind === 'agent' ? subject : `operator:${subject}`;
}

const identifier = z.string().regex(ID_PATTERN);
const numericDate = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const TOKEN_ID_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;

const registeredClaims = {
  iss: z.string().min(1).max(256),
  aud: z.string().min(1).max(64),
  jti: z.string().regex(TOKEN_ID_PATTERN),
  iat: numericDate,
  nbf: numericDate,
  exp: numericDate,
  env: environmentSchema,
  sub: identifier,
};

const agentClaimsSchema = z.strictObject({
  ...registeredClaims,
  kind: z.literal('agent'),
  tenant: identifier,
});

const operatorClaimsSchema = z.strictObject({
  ...registeredClaims,
  kind: z.literal('operator'),
  roles: z.array(z.string().min(1).max(128)).max(64),
  tenants: z.union([z.literal('*'), z.array(identifier).min(1).max(1024)]),
});

const tokenClaimsSchema = z.discriminatedUnion('kind', [agentClaimsSchema, operatorClaimsSchema]);

export type AgentTokenClaims = z.infer<typeof agentClaimsSchema>;
export type OperatorTokenClaims = z.infer<typeof operatorClaimsSchema>;
export type TokenClaims = z.infer<typeof tokenClaimsSchema>;

/** Checks the claim set's shape and types; returns undefined for anything that is not one of ours. */
export function parseTokenClaims(payload: unknown): TokenClaims | undefined {
  const parsed = tokenClaimsSchema.safeParse(payload);
  return parsed.success ? parsed.data : undefined;
}
