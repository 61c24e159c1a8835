/**
 * Retrieval benchmark (`npm run bench -- --only retrieval`): 100,000 chunks of synthetic text are
 * ingested through the retrieval service (1,000 documents of 100 chunks, each document one
 * transaction and one audit event) into SQLite and then PostgreSQL; then queries of two to four
 * words run one at a time through `runtime.retrieval.retrieve`, the path an HTTP request takes
 * after authentication: allowlist, full-text search, redaction, citations stored, audit event
 * committed (durable). PostgreSQL is skipped, saying why, when it does not answer.
 *
 * The text is drawn from a vocabulary of 20,000 made-up words plus 200 domain words with a Zipf
 * distribution, like natural language: a few words are everywhere, most are rare. Queries are drawn
 * from the same distribution, so some match thousands of chunks and some a handful.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { parseDocument } from 'yaml';
import { queryTerms } from '../src/retrieval/query-terms.js';
import { openRuntime, type Runtime } from '../src/runtime/open-runtime.js';
import type { ResultRow } from './result.js';
import { summarise, type LatencySummary } from './statistics.js';
import { createBenchProject } from './support/bench-project.js';

const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const SOURCE_ID = 'bench-kb';
const AGENT = { kind: 'in_process', agentId: 'support-bot' } as const;
const OPERATOR = { by: 'bench', tenants: '*' } as const;

export interface RetrievalPlan {
  readonly documents: number;
  readonly chunksPerDocument: number;
  readonly warmUp: number;
  readonly queries: number;
  readonly limit: number;
  readonly keep: boolean;
}

export const DEFAULT_RETRIEVAL_PLAN: RetrievalPlan = {
  documents: 1000,
  chunksPerDocument: 100,
  warmUp: 50,
  queries: 1000,
  limit: 8,
  keep: false,
};

type ScenarioResult = { rows: ResultRow[]; details: Record<string, unknown> };

interface EngineResult {
  readonly engine: 'sqlite' | 'postgres';
  readonly chunks: number;
  readonly ingestSeconds: number;
  readonly retrieval: LatencySummary;
  /** The same retrievals without a session (no session-ledger entries). */
  readonly sessionless: LatencySummary;
  /** The store's full-text query alone (all words), for the same queries. */
  readonly search: LatencySummary;
  readonly meanChunksReturned: number;
  readonly emptyAnswers: number;
}

export async function runRetrievalBench(plan: RetrievalPlan = DEFAULT_RETRIEVAL_PLAN): Promise<ScenarioResult> {
  const results: EngineResult[] = [];
  const skipped: Record<string, string> = {};
  results.push(await runOnEngine('sqlite', plan));
  const url = postgresUrl();
  const problem = await postgresProblem(url);
  if (problem === null) results.push(await runOnEngine('postgres', plan, url));
  else {
    skipped['postgres'] = problem;
    process.stderr.write(` postgres skipped: ${problem} ...`);
  }

  const rows: ResultRow[] = [];
  for (const result of results) {
    rows.push({
      scenario: `retrieval over ${result.chunks.toLocaleString('en-US')} chunks in a session (${result.engine}, durable)`,
      p50Micros: result.retrieval.p50Micros,
      p99Micros: result.retrieval.p99Micros,
      meanMicros: result.retrieval.meanMicros,
      throughputPerSecond: null,
      target: null,
      met: null,
    });
    rows.push({
      scenario: `  the same without a session (${result.engine})`,
      p50Micros: result.sessionless.p50Micros,
      p99Micros: result.sessionless.p99Micros,
      meanMicros: result.sessionless.meanMicros,
      throughputPerSecond: null,
      target: null,
      met: null,
    });
    rows.push({
      scenario: `  of which the full-text search (${result.engine})`,
      p50Micros: result.search.p50Micros,
      p99Micros: result.search.p99Micros,
      meanMicros: result.search.meanMicros,
      throughputPerSecond: null,
      target: null,
      met: null,
    });
    rows.push({
      scenario: `retrieval ingest (${result.engine}): chunks per second`,
      p50Micros: null,
      p99Micros: null,
      meanMicros: null,
      throughputPerSecond: Math.round(result.chunks / result.ingestSeconds),
      target: null,
      met: null,
    });
  }
  if (skipped['postgres'] !== undefined) {
    rows.push({
      scenario: 'retrieval over 100,000 chunks (postgres)',
      p50Micros: null,
      p99Micros: null,
      meanMicros: null,
      throughputPerSecond: null,
      target: 'skipped: PostgreSQL does not answer (reason above and in the JSON)',
      met: null,
    });
  }
  return { rows, details: { plan, results, skipped } };
}

async function runOnEngine(engine: 'sqlite' | 'postgres', plan: RetrievalPlan, url?: string): Promise<EngineResult> {
  const project = createBenchProject({ durability: 'durable', keep: plan.keep });
  const schema = `bench_retrieval_${process.pid}_${randomUUID().slice(0, 8)}`;
  let runtime: Runtime | undefined;
  try {
    const configPath = join(project.dir, 'interlock.yaml');
    const document = parseDocument(readFileSync(configPath, 'utf8'));
    document.setIn(['retrieval'], {
      defaultLimit: plan.limit,
      sources: [
        {
          id: SOURCE_ID,
          tenant: 'acme',
          owner: 'bench@acme.example',
          classification: 'internal',
          trust: 'trusted',
          freshness: { budget: '365d', response: 'warn' },
          allow: { agents: ['support-bot'] },
        },
      ],
    });
    if (engine === 'postgres') {
      // The URL is read from a file next to interlock.yaml, so it never appears in the configuration.
      writeFileSync(join(project.dir, 'postgres-url.txt'), `${url ?? DEFAULT_PG_URL}\n`, { mode: 0o600 });
      document.setIn(['storage'], { driver: 'postgres', url: 'file:postgres-url.txt', schema, durability: 'durable', poolSize: 4 });
    }
    writeFileSync(configPath, document.toString());
    runtime = await openRuntime(project.dir, { logLevel: 'warn', processMetrics: false });

    const random = mulberry32(engine === 'sqlite' ? 1 : 2);
    const vocabulary = buildVocabulary(random);
    let chunks = 0;
    const ingestStarted = performance.now();
    for (let index = 0; index < plan.documents; index += 1) {
      const paragraphs = Array.from({ length: plan.chunksPerDocument }, () => paragraph(random, vocabulary));
      const report = await runtime.retrieval.ingest(SOURCE_ID, { documentId: `doc-${index}.md`, text: paragraphs.join('\n\n') }, OPERATOR);
      chunks += report.chunks;
      if ((index + 1) % 100 === 0) process.stderr.write(` ${engine} ${chunks.toLocaleString('en-US')} chunks ...`);
    }
    const ingestSeconds = (performance.now() - ingestStarted) / 1000;
    // What autovacuum does soon after a bulk load; without statistics the planner may scan by
    // tenant instead of using the full-text index.
    if (engine === 'postgres') await analyze(url ?? DEFAULT_PG_URL, schema);

    const queryRandom = mulberry32(42);
    const queries = Array.from({ length: plan.warmUp + plan.queries }, () => query(queryRandom, vocabulary));
    const samples: number[] = [];
    let returned = 0;
    let empty = 0;
    for (const [index, text] of queries.entries()) {
      const started = performance.now();
      const answer = await runtime.retrieval.retrieve({ query: text, sessionId: `bench-${index % 50}` }, AGENT);
      const elapsed = performance.now() - started;
      if (index < plan.warmUp) continue;
      samples.push(elapsed * 1000);
      returned += answer.chunks.length;
      if (answer.chunks.length === 0) empty += 1;
    }
    // The same queries without a session: nothing enters a session ledger, so this shows what
    // labelling the retrieved chunks for taint tracking adds.
    const sessionlessSamples: number[] = [];
    for (const [index, text] of queries.entries()) {
      const started = performance.now();
      await runtime.retrieval.retrieve({ query: text }, AGENT);
      if (index >= plan.warmUp) sessionlessSamples.push((performance.now() - started) * 1000);
    }
    // The search alone (the store's full-text query for every word, as the service runs first), to
    // show how much of a retrieval is the search and how much the governance around it.
    const searchSamples: number[] = [];
    for (const [index, text] of queries.entries()) {
      const terms = queryTerms(text);
      const started = performance.now();
      await runtime.store.searchChunks({
        tenant: 'acme',
        sources: [{ id: SOURCE_ID, staleBefore: null }],
        terms,
        match: 'all',
        limit: plan.limit,
      });
      if (index >= plan.warmUp) searchSamples.push((performance.now() - started) * 1000);
    }
    return {
      engine,
      chunks,
      search: summarise(searchSamples),
      sessionless: summarise(sessionlessSamples),
      ingestSeconds: Math.round(ingestSeconds * 10) / 10,
      retrieval: summarise(samples),
      meanChunksReturned: Math.round((returned / plan.queries) * 100) / 100,
      emptyAnswers: empty,
    };
  } finally {
    await runtime?.close();
    if (engine === 'postgres' && !plan.keep) await dropSchema(url ?? DEFAULT_PG_URL, schema).catch(() => undefined);
    project.remove();
  }
}

// --- synthetic text ------------------------------------------------------------------------------

const DOMAIN_WORDS = (
  'refund order invoice payment customer account shipment parcel warehouse courier delivery return exchange ' +
  'policy approval manager finance ledger balance credit debit card bank transfer vendor supplier contract ' +
  'deadline escalation ticket support agent incident outage deploy release rollback database replica backup ' +
  'restore failover latency error timeout retry queue worker cluster region zone network firewall certificate ' +
  'password rotation access token audit compliance privacy consent retention archive report dashboard metric ' +
  'alert threshold budget forecast quarter revenue discount coupon promotion catalogue product price stock ' +
  'inventory supply demand schedule calendar meeting review decision owner team project milestone risk issue ' +
  'bug feature request change migration upgrade version patch security vulnerability scan license renewal ' +
  'subscription plan tier limit quota usage billing statement tax receipt address phone email notification ' +
  'message template language translation region holiday weekend shift rota handover runbook procedure step ' +
  'checklist training onboarding offboarding laptop device printer office building floor parking travel ' +
  'expense hotel flight booking cancellation complaint feedback survey rating loyalty member reward partner'
).split(' ');
const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ven',
  'tor',
  'sa',
  'rel',
  'pu',
  'dan',
  'ez',
  'or',
  'qui',
  'bra',
  'nel',
  'st',
  'fa',
  'gro',
  'hu',
  'ix',
  'jo',
];

interface Vocabulary {
  readonly words: readonly string[];
  /** Cumulative Zipf weights, for sampling by rank. */
  readonly cumulative: Float64Array;
}

function buildVocabulary(random: () => number): Vocabulary {
  const words = new Set<string>(DOMAIN_WORDS);
  while (words.size < 20_200) {
    const length = 2 + Math.floor(random() * 3);
    let word = '';
    for (let index = 0; index < length; index += 1) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)] ?? 'x';
    words.add(word);
  }
  // Domain words first: they take the frequent ranks, as real support documents would.
  const list = [...words];
  const cumulative = new Float64Array(list.length);
  let total = 0;
  for (let rank = 0; rank < list.length; rank += 1) {
    total += 1 / Math.pow(rank + 1, 1.05);
    cumulative[rank] = total;
  }
  for (let rank = 0; rank < list.length; rank += 1) cumulative[rank] = (cumulative[rank] ?? 0) / total;
  return { words: list, cumulative };
}

function word(random: () => number, vocabulary: Vocabulary): string {
  const target = random();
  let low = 0;
  let high = vocabulary.cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((vocabulary.cumulative[middle] ?? 1) < target) low = middle + 1;
    else high = middle;
  }
  return vocabulary.words[low] ?? 'order';
}

/** 720 to 950 characters: above the chunker's target, below its maximum, so one paragraph is one chunk. */
function paragraph(random: () => number, vocabulary: Vocabulary): string {
  const length = 720 + Math.floor(random() * 230);
  let text = '';
  while (text.length < length) {
    const count = 8 + Math.floor(random() * 11);
    const words = Array.from({ length: count }, () => word(random, vocabulary));
    if (random() < 0.2) words.splice(Math.floor(random() * count), 0, String(Math.floor(random() * 100_000)));
    const sentence = `${words.join(' ')}.`;
    text += `${text.length === 0 ? '' : ' '}${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}`;
  }
  return text.slice(0, 990);
}

function query(random: () => number, vocabulary: Vocabulary): string {
  const count = 2 + Math.floor(random() * 3);
  return Array.from({ length: count }, () => word(random, vocabulary)).join(' ');
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

// --- PostgreSQL ----------------------------------------------------------------------------------

/** INTERLOCK_BENCH_PG_URL, INTERLOCK_TEST_PG_URL, or the local development server. */
function postgresUrl(): string {
  for (const name of ['INTERLOCK_BENCH_PG_URL', 'INTERLOCK_TEST_PG_URL']) {
    const value = process.env[name];
    if (value !== undefined && value !== '') return value;
  }
  return DEFAULT_PG_URL;
}

/** Null when PostgreSQL answers; otherwise why it does not (without the password). */
async function postgresProblem(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    return `PostgreSQL at ${withoutPassword(url)} does not answer (${typeof code === 'string' ? code : 'connection failed'}); set INTERLOCK_BENCH_PG_URL`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function analyze(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`analyze ${client.escapeIdentifier(schema)}.retrieval_chunks`);
  } finally {
    await client.end();
  }
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`drop schema if exists ${client.escapeIdentifier(schema)} cascade`);
  } finally {
    await client.end();
  }
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured URL';
  }
}
