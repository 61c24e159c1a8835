/**
 * Retrieval through the runtime that `interlock serve` opens: an embeddings provider (a test double
 * that knows "car" and "automobile" mean the same) re-orders full-text candidates, a failing
 * provider leaves the full-text order, and misconfigured sources stop the runtime from opening.
 */
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { isInterlockError } from '../../src/errors/interlock-error.js';
import type { EmbeddingsProvider } from '../../src/retrieval/embeddings.js';
import { openRuntime, type Runtime } from '../../src/runtime/open-runtime.js';
import { REFUNDS_EXAMPLE } from '../support/project-fixture.js';

const directories: string[] = [];
after(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

function project(sources: unknown[]): string {
  const directory = mkdtempSync(join(tmpdir(), 'interlock-retrieval-runtime-'));
  directories.push(directory);
  cpSync(REFUNDS_EXAMPLE, directory, { recursive: true, filter: (path) => !path.includes('.interlock') });
  const file = join(directory, 'interlock.yaml');
  const document = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  document['retrieval'] = { sources };
  writeFileSync(file, stringify(document));
  return directory;
}

const KB = {
  id: 'kb',
  tenant: 'acme',
  owner: 'kb@acme.example',
  classification: 'internal',
  trust: 'trusted',
  allow: { agents: ['support-bot'] },
};
const AGENT = { kind: 'in_process', agentId: 'support-bot' } as const;
const OPERATOR = { by: 'test', tenants: '*' } as const;

/** Meaning by lookup table: one dimension per concept, synonyms share it. */
const CONCEPTS: Record<string, number> = { car: 0, automobile: 0, bicycle: 1, repair: 2, manual: 3, guide: 3 };
function bagOfConcepts(text: string): number[] {
  const vector = [0, 0, 0, 0];
  for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    const dimension = CONCEPTS[word];
    if (dimension !== undefined) vector[dimension] = (vector[dimension] ?? 0) + 1;
  }
  return vector;
}

async function withRuntime<T>(
  directory: string,
  embeddings: EmbeddingsProvider | undefined,
  body: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  const runtime = await openRuntime(directory, {
    logLevel: 'silent',
    processMetrics: false,
    ...(embeddings === undefined ? {} : { retrievalEmbeddings: embeddings }),
  });
  try {
    return await body(runtime);
  } finally {
    await runtime.close();
  }
}

describe('retrieval in the runtime', () => {
  it('an embeddings provider re-orders the full-text candidates by meaning', async () => {
    const directory = project([KB]);
    const texts: string[][] = [];
    const provider: EmbeddingsProvider = {
      id: 'concepts-double',
      async embed(batch) {
        texts.push([...batch]);
        return batch.map(bagOfConcepts);
      },
    };
    const plain = await withRuntime(directory, undefined, async (runtime) => {
      await runtime.retrieval.ingest(
        'kb',
        { documentId: 'bicycle.md', text: 'Bicycle repair guide: repair the chain, repair the brakes, repair.' },
        OPERATOR,
      );
      await runtime.retrieval.ingest('kb', { documentId: 'automobile.md', text: 'Automobile repair manual for the fleet.' }, OPERATOR);
      return runtime.retrieval.retrieve({ query: 'car repair' }, AGENT);
    });
    // Full text alone: "car" matches nothing, the chunk that repeats "repair" ranks first.
    assert.deepEqual(
      plain.chunks.map((chunk) => chunk.document.id),
      ['bicycle.md', 'automobile.md'],
    );
    const reranked = await withRuntime(directory, provider, (runtime) => runtime.retrieval.retrieve({ query: 'car repair' }, AGENT));
    assert.deepEqual(
      reranked.chunks.map((chunk) => chunk.document.id),
      ['automobile.md', 'bicycle.md'],
    );
    assert.ok((reranked.chunks[0]?.similarity ?? 0) > (reranked.chunks[1]?.similarity ?? 1));
    assert.equal(texts[0]?.[0], 'car repair', 'the query is embedded first');

    const failing: EmbeddingsProvider = { id: 'down', embed: () => Promise.reject(new Error('model unavailable')) };
    const fallback = await withRuntime(directory, failing, (runtime) => runtime.retrieval.retrieve({ query: 'car repair' }, AGENT));
    assert.deepEqual(
      fallback.chunks.map((chunk) => chunk.document.id),
      ['bicycle.md', 'automobile.md'],
    );
  });

  it('a source opened to an agent of another tenant, or to no configured agent, stops the runtime from opening', async () => {
    for (const [sources, problem] of [
      [[{ ...KB, allow: { agents: ['globex-assistant'] } }], /"globex-assistant" of tenant "globex", but the source belongs to "acme"/],
      [[{ ...KB, readers: { agents: ['ghost'] } }], /"ghost", which is not a configured agent/],
      [[{ ...KB, tenant: 'initech' }], /tenant "initech" is not declared/],
    ] as const) {
      await assert.rejects(openRuntime(project([...sources]), { logLevel: 'silent', processMetrics: false }), (error: unknown) => {
        assert.ok(isInterlockError(error), String(error));
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.match(error.message, problem);
        return true;
      });
    }
    await assert.rejects(openRuntime(project([KB, KB]), { logLevel: 'silent', processMetrics: false }), /source ids must be unique/);
    await assert.rejects(
      openRuntime(project([{ ...KB, classification: 'restricted' }]), { logLevel: 'silent', processMetrics: false }),
      /classification/,
    );
  });
});
