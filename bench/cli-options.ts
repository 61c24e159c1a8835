import { SCENARIO_NAMES, type ScenarioName } from './result.js';

export interface BenchOptions {
  readonly only: readonly ScenarioName[];
  /** Also run the durable HTTP scenario once more with the server under --cpu-prof, and the MCP gateway under it. */
  readonly profile: boolean;
  /** Keep the temporary project copies (and profiles) instead of deleting them. */
  readonly keep: boolean;
}

export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

const USAGE = `usage: npm run bench -- [--only ${SCENARIO_NAMES.join(',')}] [--profile] [--keep]`;

/** Parses the arguments after `npm run bench --`. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  let only: ScenarioName[] = [...SCENARIO_NAMES];
  let profile = false;
  let keep = false;
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] ?? '';
    if (argument === '--profile') profile = true;
    else if (argument === '--keep') keep = true;
    else if (argument === '--only' || argument.startsWith('--only=')) {
      const list = argument === '--only' ? argv[++index] : argument.slice('--only='.length);
      if (list === undefined || list.length === 0) throw new BenchUsageError(`--only needs a list\n${USAGE}`);
      only = parseScenarioList(list);
    } else if (argument === '--help' || argument === '-h') throw new BenchUsageError(USAGE);
    else throw new BenchUsageError(`unknown argument "${argument}"\n${USAGE}`);
  }
  return { only, profile, keep };
}

function parseScenarioList(list: string): ScenarioName[] {
  const wanted = new Set<ScenarioName>();
  for (const part of list.split(',')) {
    const name = part.trim();
    if (name.length === 0) continue;
    if (!isScenarioName(name)) throw new BenchUsageError(`unknown scenario "${name}"; choose from ${SCENARIO_NAMES.join(', ')}`);
    wanted.add(name);
  }
  if (wanted.size === 0) throw new BenchUsageError(`--only needs at least one scenario\n${USAGE}`);
  // Run in the canonical order whatever order they were listed in.
  return SCENARIO_NAMES.filter((name) => wanted.has(name));
}

function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}
