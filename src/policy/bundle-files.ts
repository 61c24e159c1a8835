import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BundleProblem } from './bundle-report.js';

/** A file of a policy bundle: path relative to the bundle directory (`/` separators) and its text. */
export interface BundleFile {
  readonly path: string;
  readonly content: string;
}

const MAX_FILE_BYTES = 1024 * 1024;
const MAX_FILES = 2000;

export function isPolicyFile(path: string): boolean {
  return path.endsWith('.cedar');
}

export function isTestFile(path: string): boolean {
  return path.endsWith('.test.yaml') || path.endsWith('.test.yml');
}

/** Code-unit order, so the order never depends on locale or on the order the disk lists files. */
export function comparePaths(left: BundleFile, right: BundleFile): number {
  return left.path < right.path ? -1 : left.path > right.path ? 1 : 0;
}

/**
 * The bundle version: SHA-256 over the sorted (relative path, content) pairs of the `.cedar`
 * files, each length-prefixed so no two bundles share an encoding. Test files do not count:
 * they do not change what the bundle decides.
 */
export function bundleVersion(files: readonly BundleFile[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].filter((candidate) => isPolicyFile(candidate.path)).sort(comparePaths)) {
    const path = Buffer.from(file.path, 'utf8');
    const content = Buffer.from(file.content, 'utf8');
    hash.update(`${path.length}:`).update(path).update(`${content.length}:`).update(content);
  }
  return `sha256:${hash.digest('hex')}`;
}

/**
 * Reads the policy and test files of a bundle directory, recursively and in sorted order. Hidden
 * entries and symbolic links are skipped; oversized files and unreadable directories are problems.
 */
export async function readBundleDirectory(
  directory: string,
): Promise<{ ok: true; files: BundleFile[] } | { ok: false; problems: BundleProblem[] }> {
  const files: BundleFile[] = [];
  const problems: BundleProblem[] = [];
  const problem = (file: string | null, message: string): void => {
    problems.push({ stage: 'read', file, policyId: null, line: null, column: null, message });
  };
  const walk = async (relative: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(join(directory, relative), { withFileTypes: true });
    } catch (error) {
      problem(relative === '' ? null : relative, `cannot read directory: ${describe(error)}`);
      return;
    }
    entries.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        await walk(path);
      } else if (entry.isFile() && (isPolicyFile(path) || isTestFile(path))) {
        if (files.length >= MAX_FILES) {
          problem(path, `bundle holds more than ${MAX_FILES} files`);
          return;
        }
        const absolute = join(directory, path);
        try {
          const size = (await stat(absolute)).size;
          if (size > MAX_FILE_BYTES) {
            problem(path, `file is ${size} bytes; the limit is ${MAX_FILE_BYTES}`);
            continue;
          }
          files.push({ path, content: await readFile(absolute, 'utf8') });
        } catch (error) {
          problem(path, `cannot read file: ${describe(error)}`);
        }
      }
    }
  };
  await walk('');
  return problems.length > 0 ? { ok: false, problems } : { ok: true, files };
}

function describe(error: unknown): string {
  const code = error !== null && typeof error === 'object' && 'code' in error ? String(error.code) : null;
  return code ?? (error instanceof Error ? error.message : 'unknown error');
}
