import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectSchema } from '../../src/config/schema.js';
import { InterlockError } from '../../src/errors/interlock-error.js';
import type { ErrorCode } from '../../src/errors/catalogue.js';
import type { IdentityConfig } from '../../src/identity/identity-config.js';
import { keyIdOf } from '../../src/keys/keystore.js';
import { openStore } from '../../src/store/open-store.js';
import type { Revocation, Store } from '../../src/store/store.js';
import { strict as assert } from 'node:assert';

/** A project configuration with two tenants, agents in each environment and two operators. */
export function makeConfig(overrides: Record<string, unknown> = {}): IdentityConfig {
  return projectSchema.parse({
    version: 1,
    project: 'refunds',
    environment: 'prod',
    tenants: [{ id: 'acme' }, { id: 'globex' }],
    agents: [
      { id: 'refund-bot', tenant: 'acme', owner: 'payments-team', environment: 'prod', stage: 'governed' },
      { id: 'report-bot', tenant: 'globex', owner: 'data-team', environment: 'prod', stage: 'pilot' },
      { id: 'staging-bot', tenant: 'acme', owner: 'payments-team', environment: 'staging', stage: 'shadow' },
      { id: 'alice', tenant: 'acme', owner: 'payments-team', environment: 'prod', stage: 'governed' },
    ],
    operators: [
      { id: 'alice', tenants: ['acme'], roles: ['auditor', 'admin'] },
      { id: 'root', tenants: '*', roles: ['admin'] },
    ],
    policy: { bundle: 'policies' },
    ...overrides,
  });
}

export interface TestKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export function makeKey(): TestKey {
  const pair = generateKeyPairSync('ed25519');
  return { keyId: keyIdOf(pair.publicKey), privateKey: pair.privateKey, publicKey: pair.publicKey };
}

/** A clock the test moves by hand; starts at a fixed instant on a whole second. */
export class TestClock {
  milliseconds = Date.UTC(2030, 0, 1, 12, 0, 0);
  readonly now = (): number => this.milliseconds;
  advanceSeconds(seconds: number): void {
    this.milliseconds += seconds * 1000;
  }
}

/** The revocation half of the store, kept in memory, with the store's documented semantics. */
export class MemoryRevocations implements Pick<Store, 'insertRevocation' | 'isRevoked'> {
  readonly revocations: Revocation[] = [];
  isRevokedCalls = 0;

  async insertRevocation(revocation: Revocation): Promise<void> {
    this.revocations.push(revocation);
  }

  async isRevoked(tokenId: string, agentId: string, issuedAt: number): Promise<boolean> {
    this.isRevokedCalls += 1;
    return this.revocations.some(
      (revocation) =>
        revocation.tokenId === tokenId ||
        (revocation.tokenId === null && revocation.agentId === agentId && revocation.before !== null && issuedAt <= revocation.before),
    );
  }
}

export function temporaryDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'interlock-identity-'));
}

/** Asserts that the promise rejects with an InterlockError of this code (and nothing else). */
export async function rejectsWithCode(promise: Promise<unknown>, code: ErrorCode, messagePattern?: RegExp): Promise<InterlockError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(
    caught instanceof InterlockError,
    `expected an InterlockError ${code}, got ${caught === undefined ? 'success' : String(caught)}`,
  );
  assert.equal(caught.code, code, `expected ${code}, got ${caught.code}: ${caught.message}`);
  if (messagePattern !== undefined) assert.match(caught.message, messagePattern);
  return caught;
}

/**
 * A real SQLite store on a file. Opening a second one on the same file stands for another
 * process (the CLI, another replica) sharing the database.
 */
export function openSqliteStore(path: string): Promise<Store> {
  return openStore({ driver: 'sqlite', path, durability: 'relaxed' });
}

/** A real PostgreSQL store in its own schema; open it twice to stand for two replicas. */
export function openPostgresStore(url: string, schema: string): Promise<Store> {
  return openStore({ driver: 'postgres', url, schema, durability: 'relaxed', poolSize: 2 });
}
