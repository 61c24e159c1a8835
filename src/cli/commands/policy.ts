import { resolve } from 'node:path';
import { loadBundleDirectory } from '../../policy/bundle.js';
import { formatBundleReport } from '../../policy/bundle-report.js';
import { formatPolicyTestReport } from '../../policy/test-cases.js';
import { projectRegistry } from '../../runtime/project-registry.js';
import { loadProjectFile } from '../../config/load.js';
import { EXIT_CHECK_FAILED, EXIT_OK } from '../output.js';

/** Validates the bundle against the schema generated from the registry, and runs its tests. */
export async function policyCheck(projectPath: string, mode: 'validate' | 'test'): Promise<number> {
  const project = loadProjectFile(projectPath);
  const registry = projectRegistry(project);
  const directory = resolve(project.dir, project.config.policy.bundle);
  const result = await loadBundleDirectory(directory, registry);
  if (!result.ok) {
    process.stdout.write(formatBundleReport(result.report));
    if (mode === 'test' && result.report.tests.length > 0) process.stdout.write(formatPolicyTestReport(result.report.tests));
    return EXIT_CHECK_FAILED;
  }
  const bundle = result.bundle;
  if (mode === 'validate') {
    process.stdout.write(
      `policy bundle ${bundle.version} is valid: ${bundle.policies.size} policies validated against the schema generated from ${registry.operations().length} operations\n`,
    );
    return EXIT_OK;
  }
  process.stdout.write(formatPolicyTestReport(result.tests));
  return EXIT_OK;
}
