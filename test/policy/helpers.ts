import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PolicyRequest } from '../../src/policy/decision.js';
import type { BundleFile } from '../../src/policy/bundle-files.js';

export const SUPPORT_FIXTURE = new URL('../../examples/policy-fixtures/support/', import.meta.url);

/** The support fixture's files, read from disk. */
export function supportFiles(): BundleFile[] {
  return readdirSync(SUPPORT_FIXTURE).map((name) => ({ path: name, content: readFileSync(new URL(name, SUPPORT_FIXTURE), 'utf8') }));
}

/** Writes bundle files into a fresh temporary directory and returns it. */
export function writeBundle(files: Record<string, string> | readonly BundleFile[]): string {
  const directory = mkdtempSync(join(tmpdir(), 'interlock-policy-'));
  const entries = Array.isArray(files) ? files.map((file: BundleFile) => [file.path, file.content] as const) : Object.entries(files);
  for (const [path, content] of entries) {
    mkdirSync(dirname(join(directory, path)), { recursive: true });
    writeFileSync(join(directory, path), content);
  }
  return directory;
}

/** A request from the governed support bot in production, overridable field by field. */
export function request(overrides: Partial<PolicyRequest> = {}): PolicyRequest {
  return {
    agent: { agentId: 'support-bot', tenant: 'acme', environment: 'prod', stage: 'governed', owner: 'support-team', tokenId: null },
    actingFor: null,
    tool: 'orders',
    operation: 'lookup',
    effect: 'read',
    arguments: { order_id: 'o-1' },
    environment: 'prod',
    risk: { score: 0, taintedArgs: [] },
    entities: ['order:o-1'],
    ...overrides,
  };
}

export function refund(amount: unknown, overrides: Partial<PolicyRequest> = {}): PolicyRequest {
  return request({
    tool: 'refunds',
    operation: 'create',
    effect: 'write',
    arguments: { order_id: 'o-1', amount, currency: 'EUR' },
    ...overrides,
  });
}

export const alice = { userId: 'alice', tenant: 'acme', roles: ['support'], issuer: 'sso' } as const;
export const bob = { userId: 'bob', tenant: 'acme', roles: ['support', 'refunds'], issuer: 'sso' } as const;
