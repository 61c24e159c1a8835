/**
 * The door-test project with retrieval sources of every kind: classifications, trust levels,
 * freshness responses (warn, exclude, downgrade), a task-only source, and a source of another
 * tenant. `revocable-one` is an agent of acme that no source allowlists.
 */
import { mainProjectOptions } from '../server/main-project.js';
import type { ProjectFixtureOptions, StorageKind } from '../support/project-fixture.js';

/** Roles carried by user assertions in these tests. */
export const ROLES = { supportLead: 'support-lead', legal: 'legal', support: 'support' } as const;

export const SOURCES = [
  {
    id: 'kb',
    tenant: 'acme',
    owner: 'support-knowledge@acme.example',
    classification: 'internal',
    trust: 'trusted',
    freshness: { budget: '30d', response: 'warn' },
    allow: { agents: ['support-bot'] },
    readers: { roles: [ROLES.supportLead] },
  },
  {
    id: 'archive',
    tenant: 'acme',
    owner: 'records@acme.example',
    classification: 'internal',
    trust: 'trusted',
    freshness: { budget: '30d', response: 'exclude' },
    allow: { agents: ['support-bot'] },
  },
  {
    id: 'runbooks',
    tenant: 'acme',
    owner: 'sre@acme.example',
    classification: 'internal',
    trust: 'trusted',
    freshness: { budget: '7d', response: 'downgrade' },
    allow: { agents: ['support-bot'], tasks: ['incident'] },
  },
  {
    id: 'customers',
    tenant: 'acme',
    owner: 'crm@acme.example',
    classification: 'pii',
    trust: 'trusted',
    allow: { agents: ['support-bot'] },
    readers: { roles: [ROLES.supportLead] },
  },
  {
    id: 'contracts',
    tenant: 'acme',
    owner: 'legal@acme.example',
    classification: 'confidential',
    trust: 'trusted',
    allow: { agents: ['support-bot'] },
    readers: { roles: [ROLES.legal] },
  },
  {
    id: 'web',
    tenant: 'acme',
    owner: 'secops@acme.example',
    classification: 'public',
    trust: 'untrusted',
    allow: { agents: ['support-bot'] },
  },
  {
    id: 'globex-kb',
    tenant: 'globex',
    owner: 'it@globex.example',
    classification: 'internal',
    trust: 'trusted',
    allow: { agents: ['globex-assistant'] },
  },
] as const;

export function retrievalProjectOptions(storage: StorageKind, name: string): ProjectFixtureOptions {
  const main = mainProjectOptions(storage, name);
  return {
    ...main,
    edit(document) {
      main.edit?.(document);
      document['retrieval'] = { defaultLimit: 10, sources: SOURCES };
    },
  };
}
