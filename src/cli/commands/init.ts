import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { InterlockError } from '../../errors/interlock-error.js';
import {
  GITIGNORE_TEMPLATE,
  HANDLERS_TEMPLATE,
  POLICY_TEMPLATE,
  POLICY_TESTS_TEMPLATE,
  RISK_POLICY_TEMPLATE,
  projectTemplate,
} from '../init-templates.js';

/** Scaffolds a working project: configuration, handlers, a policy bundle and its tests. */
export function init(directory: string, options: { force?: boolean }): void {
  const root = resolve(directory);
  const projectFile = join(root, 'interlock.yaml');
  if (existsSync(projectFile) && options.force !== true) {
    throw new InterlockError('REQUEST_INVALID', `${projectFile} already exists (use --force to overwrite)`);
  }
  const name =
    basename(root)
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, '-') || 'interlock-project';
  mkdirSync(join(root, 'policies'), { recursive: true });
  writeFileSync(projectFile, projectTemplate(name));
  writeFileSync(join(root, 'handlers.js'), HANDLERS_TEMPLATE);
  writeFileSync(join(root, 'policies', 'assistant.cedar'), POLICY_TEMPLATE);
  writeFileSync(join(root, 'policies', 'risk.cedar'), RISK_POLICY_TEMPLATE);
  writeFileSync(join(root, 'policies', 'assistant.test.yaml'), POLICY_TESTS_TEMPLATE);
  if (!existsSync(join(root, '.gitignore'))) writeFileSync(join(root, '.gitignore'), GITIGNORE_TEMPLATE);
  const shown = directory === '.' ? '.' : directory;
  process.stdout.write(`Created an Interlock project in ${root}

Next:
  interlock policy test --project ${shown}     # run the policy test cases
  interlock serve --project ${shown}           # start the server on embedded storage
  interlock agents token --project ${shown} --agent assistant
`);
}
