import { loadOrCreateSigningKey } from '../../keys/keystore.js';
import { TokenIssuer } from '../../identity/token-issuer.js';
import { TokenVerifier } from '../../identity/token-verifier.js';
import { revokeAgent, revokeToken } from '../../identity/revocation.js';
import { parseDuration } from '../../config/duration.js';
import { InterlockError } from '../../errors/interlock-error.js';
import type { Environment } from '../../config/schema.js';
import { AuditLog } from '../../audit/audit-log.js';
import { Redactor } from '../../redaction/redactor.js';
import type { Revocation, Store } from '../../store/store.js';
import { AUDIT_SIGNING_KEY_NAME } from '../../audit/checkpoint.js';
import { projectContext, type ProjectContext } from '../project-context.js';

const IDENTITY_KEY_NAME = 'identity';

function ttlSeconds(ttl: string | undefined): number | undefined {
  if (ttl === undefined) return undefined;
  if (!/^\d+(ms|s|m|h|d)$/.test(ttl)) throw new InterlockError('REQUEST_INVALID', `--ttl "${ttl}" is not a duration such as 15m or 1h`);
  return Math.floor(parseDuration(ttl) / 1000);
}

/** Mints a short-lived agent token signed with the project's identity key and prints it. */
export async function mintAgentToken(options: {
  project: string;
  agent: string;
  env?: string;
  ttl?: string;
  json?: boolean;
}): Promise<void> {
  const context = projectContext(options.project);
  const signingKey = loadOrCreateSigningKey(context.dataDir, IDENTITY_KEY_NAME);
  const issuer = new TokenIssuer({ config: context.project.config, signingKey });
  const seconds = ttlSeconds(options.ttl);
  const minted = await issuer.mintAgentToken({
    agentId: options.agent,
    ...(options.env === undefined ? {} : { environment: options.env as Environment }),
    ...(seconds === undefined ? {} : { ttlSeconds: seconds }),
  });
  process.stdout.write(options.json === true ? `${JSON.stringify(minted)}\n` : `${minted.token}\n`);
  process.stderr.write(
    `token ${minted.tokenId} for agent ${minted.subject} in ${minted.environment}, expires ${new Date(minted.expiresAt * 1000).toISOString()}\n`,
  );
}

export async function mintOperatorToken(options: { project: string; operator: string; ttl?: string }): Promise<void> {
  const context = projectContext(options.project);
  const signingKey = loadOrCreateSigningKey(context.dataDir, IDENTITY_KEY_NAME);
  const issuer = new TokenIssuer({ config: context.project.config, signingKey });
  const seconds = ttlSeconds(options.ttl);
  const minted = await issuer.mintOperatorToken({
    operatorId: options.operator,
    ...(seconds === undefined ? {} : { ttlSeconds: seconds }),
  });
  process.stdout.write(`${minted.token}\n`);
  process.stderr.write(
    `operator token ${minted.tokenId} for ${minted.subject}, expires ${new Date(minted.expiresAt * 1000).toISOString()}\n`,
  );
}

/** Revokes one token, or every token of an agent issued up to now. Takes effect on the next call. */
export async function revoke(options: { project: string; agent?: string; token?: string; reason: string; by: string }): Promise<void> {
  if ((options.agent === undefined) === (options.token === undefined)) {
    throw new InterlockError('REQUEST_INVALID', 'give exactly one of --agent ID (all its tokens) or --token TOKEN (one token)');
  }
  const context = projectContext(options.project);
  const store = await context.openStore();
  try {
    if (options.agent !== undefined) {
      if (!context.project.config.agents.some((agent) => agent.id === options.agent))
        throw new InterlockError('AGENT_UNKNOWN', `no agent "${options.agent}" in the project`);
      const revocation = await revokeAgent(store, options.agent, options.by, options.reason);
      await recordRevocation(context, store, revocation);
      process.stdout.write(
        `revoked every token of agent ${revocation.agentId} issued up to ${new Date((revocation.before ?? 0) * 1000).toISOString()}\n`,
      );
      return;
    }
    const signingKey = loadOrCreateSigningKey(context.dataDir, IDENTITY_KEY_NAME);
    const verifier = new TokenVerifier({
      config: context.project.config,
      publicKey: { keyId: signingKey.keyId, publicKey: signingKey.publicKey },
      revocations: store,
    });
    const revocation = await revokeToken(store, { token: options.token ?? '', verifier }, options.by, options.reason);
    await recordRevocation(context, store, revocation);
    process.stdout.write(`revoked token ${revocation.tokenId ?? '?'} of ${revocation.agentId}\n`);
  } finally {
    await store.close();
  }
}

/**
 * Revocations are evidence too: who revoked what, when and why. The event goes through the same
 * redaction as the server's, and the head is signed with the audit key so it is attested at once.
 */
async function recordRevocation(context: ProjectContext, store: Store, revocation: Revocation): Promise<void> {
  const { config } = context.project;
  const audit = new AuditLog({
    store,
    redactor: new Redactor({ fieldPaths: config.audit.redactFields }),
    mode: 'durable',
    signingKey: loadOrCreateSigningKey(context.dataDir, AUDIT_SIGNING_KEY_NAME),
  });
  audit.record({
    type: 'token.revoked',
    tenant: config.agents.find((agent) => agent.id === revocation.agentId)?.tenant ?? null,
    agent: revocation.agentId,
    traceId: null,
    callId: null,
    data: { tokenId: revocation.tokenId, before: revocation.before, by: revocation.by, reason: revocation.reason },
  });
  await audit.close();
}
