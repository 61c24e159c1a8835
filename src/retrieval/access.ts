/**
 * Who may see what a source holds, and how much of it. Pure: takes the source and the reader,
 * returns the verdict.
 *
 * - A source is searched only for agents on its allowlist (and, when it lists tasks, only for
 *   requests naming one of them), and only for its own tenant.
 * - A reader is *entitled* when the user the agent acts for holds one of `readers.roles`; an agent
 *   acting on its own account is entitled when it is one of `readers.agents`. Acting for a user
 *   never adds to what that user may see: the agent's own entitlement does not count then.
 * - `confidential` and `secret` sources are visible to entitled readers only.
 * - Personal data is redacted unless the source is `public` or the reader is entitled.
 * - Secrets are redacted for everyone, whatever the classification or entitlement.
 */
import type { Classification } from '../config/schema.js';

export const CLASSIFICATIONS: readonly Classification[] = ['public', 'internal', 'pii', 'confidential', 'secret'];

/** The source as far as access is concerned. */
export interface SourceAccessRules {
  readonly tenant: string;
  readonly classification: Classification;
  readonly allow: { readonly agents: readonly string[]; readonly tasks?: readonly string[] | undefined };
  readonly readers: { readonly roles: readonly string[]; readonly agents: readonly string[] };
}

export interface Reader {
  readonly tenant: string;
  readonly agentId: string;
  /** The verified user the agent acts for, or null. */
  readonly user: { readonly userId: string; readonly roles: readonly string[] } | null;
  readonly task: string | null;
}

export type AccessVerdict =
  | { readonly kind: 'not_allowed' }
  | { readonly kind: 'withheld'; readonly reason: 'needs_entitlement' }
  | { readonly kind: 'visible'; readonly entitled: boolean; readonly redactPersonalData: boolean };

/** Whether the source is on the reader's allowlist at all (tenant, agent, task). */
export function isAllowlisted(source: SourceAccessRules, reader: Reader): boolean {
  if (source.tenant !== reader.tenant) return false;
  if (!source.allow.agents.includes(reader.agentId)) return false;
  const tasks = source.allow.tasks;
  return tasks === undefined || (reader.task !== null && tasks.includes(reader.task));
}

export function isEntitled(source: SourceAccessRules, reader: Reader): boolean {
  if (reader.user !== null) return reader.user.roles.some((role) => source.readers.roles.includes(role));
  return source.readers.agents.includes(reader.agentId);
}

/**
 * The verdict for content of `classification` (the stricter of the source's and the one a chunk
 * was ingested under) from a source on the reader's allowlist.
 */
export function accessTo(source: SourceAccessRules, classification: Classification, reader: Reader): AccessVerdict {
  if (!isAllowlisted(source, reader)) return { kind: 'not_allowed' };
  const entitled = isEntitled(source, reader);
  if ((classification === 'confidential' || classification === 'secret') && !entitled) {
    return { kind: 'withheld', reason: 'needs_entitlement' };
  }
  return { kind: 'visible', entitled, redactPersonalData: classification !== 'public' && !entitled };
}

/** The more restricted of two classifications; an unknown name counts as the most restricted. */
export function stricterClassification(left: string, right: Classification): Classification {
  const leftRank = CLASSIFICATIONS.indexOf(left as Classification);
  if (leftRank === -1) return 'secret';
  return leftRank > CLASSIFICATIONS.indexOf(right) ? (left as Classification) : right;
}
