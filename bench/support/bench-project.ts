import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';

export const EXAMPLE_PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/refunds');

/**
 * Limits so high that no benchmark run reaches them. The limiter and the counters still run on
 * every call (they are part of the kernel's cost); they just never refuse.
 */
const UNREACHABLE = 1_000_000_000;

export interface BenchProject {
  /** Directory holding the copied interlock.yaml; its data directory starts empty. */
  readonly dir: string;
  readonly durability: 'durable' | 'relaxed';
  remove(): void;
}

export interface BenchProjectOptions {
  readonly durability: 'durable' | 'relaxed';
  /** Keep the copy on disk after remove() (for inspecting the audit log of a run). */
  readonly keep?: boolean;
}

/**
 * A private copy of examples/refunds in a fresh temporary directory: the example itself is never
 * touched, and every scenario starts from an empty data directory.
 */
export function createBenchProject(options: BenchProjectOptions): BenchProject {
  const dir = mkdtempSync(join(tmpdir(), `interlock-bench-${options.durability}-`));
  // A data directory left by `npm start` in the example is not copied: every run starts empty.
  const exampleData = join(EXAMPLE_PROJECT, '.interlock');
  cpSync(EXAMPLE_PROJECT, dir, { recursive: true, filter: (source) => source !== exampleData && !source.startsWith(`${exampleData}/`) });
  // handlers.js is an ES module; outside the repository nothing else says so.
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ type: 'module', private: true })}\n`);
  const configPath = join(dir, 'interlock.yaml');
  writeFileSync(configPath, benchConfig(readFileSync(configPath, 'utf8'), options.durability));
  return {
    dir,
    durability: options.durability,
    remove() {
      if (options.keep !== true) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The example's interlock.yaml with the benchmark's durability, quiet logging and unreachable limits. */
export function benchConfig(source: string, durability: 'durable' | 'relaxed'): string {
  const document = parseDocument(source);
  document.setIn(['storage', 'durability'], durability);
  document.setIn(['logging'], { level: 'warn' });
  document.setIn(['limits'], unreachableLimits());
  if (document.errors.length > 0)
    throw new Error(`examples/refunds/interlock.yaml could not be rewritten: ${document.errors[0]?.message ?? ''}`);
  return document.toString();
}

/** Rate limits and caps that every call counts against and none reaches (see UNREACHABLE). */
export function unreachableLimits(): Record<string, unknown> {
  const rate = () => ({ limit: UNREACHABLE, per: '1s' });
  const caps = () => ({ toolCalls: UNREACHABLE, writes: UNREACHABLE, entities: UNREACHABLE });
  return { rate: { perAgent: rate(), perTool: rate(), perTenant: rate() }, perRequest: caps(), perSession: caps() };
}
