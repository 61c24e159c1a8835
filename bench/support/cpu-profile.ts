import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/** One function's share of a CPU profile. */
export interface SelfTimeEntry {
  readonly functionName: string;
  /** File and line, relative to the repository when inside it. */
  readonly location: string;
  readonly selfMillis: number;
  /** Share of the busy (non-idle) time. */
  readonly percentOfBusy: number;
}

export interface ProfileSummary {
  readonly busyMillis: number;
  readonly idleMillis: number;
  readonly topFunctions: readonly SelfTimeEntry[];
  /** Self time grouped by package or source area (node_modules/<name>, src/<area>, node:internal, ...). */
  readonly topAreas: ReadonlyArray<{ readonly area: string; readonly selfMillis: number; readonly percentOfBusy: number }>;
  /** Whether only the samples inside the requested window were counted (false: the whole profile). */
  readonly windowed: boolean;
}

export interface ProfileSummaryOptions {
  readonly top?: number;
  /**
   * Count only samples taken in this interval of the monotonic clock, in microseconds (the clock
   * of process.hrtime and of V8's profile timestamps on Linux): the load, without start-up.
   */
  readonly window?: { readonly fromMicros: number; readonly toMicros: number };
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/**
 * Reads a `.cpuprofile` written by `node --cpu-prof` and ranks functions by self time (time spent
 * in the function itself, not in what it calls): where the CPU actually went.
 */
export function summariseCpuProfile(path: string, repositoryRoot: string, options: ProfileSummaryOptions = {}): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const top = options.top ?? 10;
  const window = options.window !== undefined && windowHasSamples(profile, options.window) ? options.window : undefined;
  const nodesById = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicrosByKey = new Map<string, number>();
  const selfMicrosByArea = new Map<string, number>();
  let idleMicros = 0;
  let busyMicros = 0;
  let sampledAt = profile.startTime;
  for (let index = 0; index < profile.samples.length; index += 1) {
    sampledAt += profile.timeDeltas[index] ?? 0;
    if (window !== undefined && (sampledAt < window.fromMicros || sampledAt > window.toMicros)) continue;
    const node = nodesById.get(profile.samples[index] ?? -1);
    // timeDeltas[i] is the time before sample i; the next delta is the time this sample stood for.
    const micros = Math.max(0, profile.timeDeltas[index + 1] ?? 0);
    if (node === undefined) continue;
    if (node.callFrame.functionName === '(idle)') {
      idleMicros += micros;
      continue;
    }
    busyMicros += micros;
    const key = `${displayName(node)}\u0000${location(node, repositoryRoot)}`;
    selfMicrosByKey.set(key, (selfMicrosByKey.get(key) ?? 0) + micros);
    const area = areaOf(node, repositoryRoot);
    selfMicrosByArea.set(area, (selfMicrosByArea.get(area) ?? 0) + micros);
  }
  const share = (micros: number) => (busyMicros === 0 ? 0 : Math.round((micros / busyMicros) * 1000) / 10);
  const topFunctions = [...selfMicrosByKey.entries()]
    .sort((left, right) => right[1] - left[1])
    .slice(0, top)
    .map(([key, micros]) => {
      const [functionName = '', where = ''] = key.split('\u0000');
      return { functionName, location: where, selfMillis: Math.round(micros / 100) / 10, percentOfBusy: share(micros) };
    });
  const topAreas = [...selfMicrosByArea.entries()]
    .sort((left, right) => right[1] - left[1])
    .slice(0, top)
    .map(([area, micros]) => ({ area, selfMillis: Math.round(micros / 100) / 10, percentOfBusy: share(micros) }));
  return {
    busyMillis: Math.round(busyMicros / 1000),
    idleMillis: Math.round(idleMicros / 1000),
    topFunctions,
    topAreas,
    windowed: window !== undefined,
  };
}

/** If the clocks do not line up (another platform), no sample falls in the window: use the whole profile. */
function windowHasSamples(profile: CpuProfile, window: { fromMicros: number; toMicros: number }): boolean {
  let sampledAt = profile.startTime;
  for (const delta of profile.timeDeltas) {
    sampledAt += delta;
    if (sampledAt >= window.fromMicros && sampledAt <= window.toMicros) return true;
  }
  return false;
}

function displayName(node: ProfileNode): string {
  return node.callFrame.functionName === '' ? '(anonymous)' : node.callFrame.functionName;
}

function location(node: ProfileNode, repositoryRoot: string): string {
  const { url, lineNumber } = node.callFrame;
  if (url === '') return '';
  return `${readablePath(url, repositoryRoot)}:${lineNumber + 1}`;
}

function readablePath(url: string, repositoryRoot: string): string {
  const path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  return path.startsWith(repositoryRoot) ? relative(repositoryRoot, path) : path;
}

/** Groups a frame by package (node_modules/<name>), source area (dist/<area>), Node internals or V8. */
function areaOf(node: ProfileNode, repositoryRoot: string): string {
  const { url, functionName } = node.callFrame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const path = readablePath(url, repositoryRoot);
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (modules !== null) return `node_modules/${modules[1] ?? ''}`;
  const source = /^(dist|src)\/([^/]+)/.exec(path);
  if (source !== null) return `${source[1] ?? ''}/${source[2] ?? ''}`;
  if (path.startsWith('node:')) return 'node:internal';
  return path;
}
