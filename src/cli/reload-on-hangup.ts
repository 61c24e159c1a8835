import type { Runtime } from '../runtime/open-runtime.js';

/**
 * SIGHUP reloads the policy bundle and the tool lock. A refused reload leaves the running ones in
 * force, and a reload that fails (its audit event cannot be committed) never takes the process down.
 */
export function reloadOnHangup(runtime: Runtime): void {
  process.on('SIGHUP', () => {
    runtime
      .reload()
      .then((result) => {
        if (result.ok) runtime.logger.info({ version: result.version }, 'policy bundle and tool lock reloaded');
        else runtime.logger.error({ report: result.report }, 'reload refused; the running policy bundle and tool lock stay in force');
      })
      .catch((error: unknown) => runtime.logger.error({ code: (error as { code?: unknown }).code ?? 'unknown' }, 'reload failed'));
  });
}
