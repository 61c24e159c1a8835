/**
 * A project for incident tests that run the real `interlock serve` in child processes: the refunds
 * example plus two in-process tools whose handlers leave traces in files the test can read while
 * the server runs (or after it was killed):
 *
 * - `ledger.append` (write): appends one line to ledger.log, then, when `hold` is true, never
 *   answers — the server dies between execution and acknowledgement;
 * - `slow.wait` (read): notes its start in started.log, then answers after `ms` milliseconds — a
 *   call in flight when a kill switch is set.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { openStore } from '../../src/store/open-store.js';
import type { OpenStoreOptions } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { copyRefundsExample, removeDirectory } from '../cli/interlock-process.js';
import { dropSchema, freshSchemaName, postgresTestUrl } from '../support/postgres.js';
import type { StorageKind } from '../support/project-fixture.js';

const URL_VARIABLE = 'INTERLOCK_INCIDENT_PG_URL';

const HANDLERS_MODULE = `// Handlers of the incident tests: the example's, plus two that leave traces in files.
import { appendFileSync } from 'node:fs';
import { handlers as example } from './handlers.js';

const file = (name) => new URL(name, import.meta.url);

export const handlers = {
  ...example,
  'ledger.append': ({ entry, hold }, { callId }) => {
    appendFileSync(file('./ledger.log'), JSON.stringify({ entry, callId }) + '\\n');
    if (hold) return new Promise(() => undefined);
    return { recorded: entry };
  },
  'slow.wait': async ({ tag, ms }) => {
    appendFileSync(file('./started.log'), tag + '\\n');
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { tag, waitedMs: ms };
  },
};
`;

const INCIDENT_POLICY = `
@id("incident-tools")
@reason("the support agent may append to the ledger and wait")
permit (
  principal == Interlock::Agent::"support-bot",
  action in [Interlock::Action::"ledger.append", Interlock::Action::"slow.wait"],
  resource
);

@id("globex-waits")
@reason("the Globex assistant may wait too")
permit (
  principal == Interlock::Agent::"globex-assistant",
  action == Interlock::Action::"slow.wait",
  resource
);
`;

const INCIDENT_TOOLS = [
  {
    name: 'ledger',
    description: 'Appends to a ledger file (a write whose effect the test can count).',
    upstream: { kind: 'in_process' },
    operations: [
      {
        name: 'append',
        effect: 'write',
        // Short, so that a call cut off by a crash is past its deadline soon after the restart.
        timeout: '2s',
        arguments: {
          type: 'object',
          properties: { entry: { type: 'string', maxLength: 200 }, hold: { type: 'boolean' } },
          required: ['entry', 'hold'],
          additionalProperties: false,
        },
      },
    ],
  },
  {
    name: 'slow',
    description: 'Answers after a while (a call in flight).',
    upstream: { kind: 'in_process' },
    operations: [
      {
        name: 'wait',
        effect: 'read',
        idempotent: true,
        timeout: '10s',
        arguments: {
          type: 'object',
          properties: { tag: { type: 'string', maxLength: 100 }, ms: { type: 'integer', minimum: 0, maximum: 5000 } },
          required: ['tag', 'ms'],
          additionalProperties: false,
        },
      },
    ],
  },
];

export interface ServeProject {
  readonly dir: string;
  readonly storage: StorageKind;
  /** Environment for every `interlock` process of this project (the PostgreSQL URL). */
  readonly env: NodeJS.ProcessEnv;
  /** What the CLI would open: the same database, from outside the servers. */
  readonly storeOptions: OpenStoreOptions;
  /** Lines of ledger.log (one per execution of ledger.append). */
  ledger(): Array<{ entry: string; callId: string }>;
  /** Tags of slow.wait calls that started executing. */
  started(): string[];
  openStore(): Promise<Store>;
  remove(): Promise<void>;
}

export function createServeProject(
  prefix: string,
  storage: StorageKind,
  edit: (document: Record<string, unknown>) => void = () => undefined,
): ServeProject {
  const schema = storage === 'postgres' ? freshSchemaName(prefix) : null;
  const url = postgresTestUrl();
  const dir = copyRefundsExample(prefix, (yaml) => {
    const document = parseYaml(yaml) as Record<string, unknown>;
    if (schema !== null)
      document['storage'] = { driver: 'postgres', url: `env:${URL_VARIABLE}`, schema, durability: 'durable', poolSize: 4 };
    document['handlers'] = './incident-handlers.js';
    document['tools'] = [...(document['tools'] as unknown[]), ...INCIDENT_TOOLS];
    // Tests poll servers in tight loops: the limiter must not be what refuses them.
    document['limits'] = { rate: {}, perRequest: {}, perSession: {} };
    document['logging'] = { level: 'warn' };
    edit(document);
    return stringifyYaml(document);
  });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ type: 'module', private: true })}\n`);
  writeFileSync(join(dir, 'incident-handlers.js'), HANDLERS_MODULE);
  writeFileSync(join(dir, 'policies', 'incidents.cedar'), INCIDENT_POLICY);
  const storeOptions: OpenStoreOptions =
    schema === null
      ? { driver: 'sqlite', path: join(dir, '.interlock', 'interlock.db'), durability: 'durable' }
      : { driver: 'postgres', url, schema, durability: 'durable', poolSize: 2 };
  const lines = (name: string): string[] => {
    const path = join(dir, name);
    return existsSync(path)
      ? readFileSync(path, 'utf8')
          .split('\n')
          .filter((line) => line.length > 0)
      : [];
  };
  return {
    dir,
    storage,
    env: schema === null ? {} : { [URL_VARIABLE]: url },
    storeOptions,
    ledger: () => lines('ledger.log').map((line) => JSON.parse(line) as { entry: string; callId: string }),
    started: () => lines('started.log'),
    openStore: () => openStore(storeOptions),
    async remove() {
      removeDirectory(dir);
      if (schema !== null) await dropSchema(url, schema).catch(() => undefined);
    },
  };
}
