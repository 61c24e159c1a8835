import { ConfigError } from '../config/load.js';
import { isInterlockError } from '../errors/interlock-error.js';

/** Exit codes: 0 success, 1 the check failed (tamper found, tests failed), 2 usage or configuration error. */
export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_USAGE = 2;

export function printError(error: unknown): number {
  if (error instanceof ConfigError) {
    process.stderr.write(`interlock: configuration is invalid\n${error.message}\n`);
    return EXIT_USAGE;
  }
  if (isInterlockError(error)) {
    process.stderr.write(`interlock: ${error.code}: ${error.message}\n`);
    return error.code === 'INTERNAL' ? EXIT_CHECK_FAILED : EXIT_USAGE;
  }
  process.stderr.write(`interlock: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT_CHECK_FAILED;
}
