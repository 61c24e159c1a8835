import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { InterlockError } from '../errors/interlock-error.js';
import { projectSchema, type ProjectFile } from './schema.js';
import { findLiteralSecrets } from './secret-scan.js';

export const PROJECT_FILE_NAME = 'interlock.yaml';
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** One problem in a configuration file: which file, where in it, and what was expected. */
export interface ConfigIssue {
  readonly file: string;
  readonly path: string;
  readonly line: number | undefined;
  readonly message: string;
}

export class ConfigError extends InterlockError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super('CONFIG_INVALID', formatIssues(issues), { issues: issues.map((issue) => ({ ...issue })) });
    this.issues = issues;
  }
}

export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues
    .map((issue) => `${issue.file}${issue.line === undefined ? '' : `:${issue.line}`}: ${issue.path || '(root)'}: ${issue.message}`)
    .join('\n');
}

export interface LoadedProjectFile {
  /** Absolute path of `interlock.yaml`. */
  readonly file: string;
  /** Directory relative paths in the file are resolved against. */
  readonly dir: string;
  readonly config: ProjectFile;
}

/** Accepts a project directory or the path of its `interlock.yaml`. */
export function locateProjectFile(projectPath: string): string {
  const full = resolve(projectPath);
  try {
    return statSync(full).isDirectory() ? join(full, PROJECT_FILE_NAME) : full;
  } catch {
    return full;
  }
}

export function loadProjectFile(projectPath: string): LoadedProjectFile {
  const file = locateProjectFile(projectPath);
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_CONFIG_BYTES)
      throw new ConfigError([{ file, path: '', line: undefined, message: `file is larger than ${MAX_CONFIG_BYTES} bytes` }]);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError([{ file, path: '', line: undefined, message: 'file cannot be read (run "interlock init" to create a project)' }]);
  }
  return { file, dir: dirname(file), config: parseProjectText(text, file) };
}

export function parseProjectText(text: string, file: string): ProjectFile {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((error) => ({
        file,
        path: '',
        line: lineCounter.linePos(error.pos[0]).line,
        message: `YAML syntax: ${error.message.split('\n')[0] ?? 'unreadable'}`,
      })),
    );
  }
  const raw: unknown = document.toJS({ maxAliasCount: 100 });

  const secretFindings = findLiteralSecrets(raw);
  if (secretFindings.length > 0) {
    throw new ConfigError(
      secretFindings.map((finding) => ({
        file,
        path: formatPath(finding.path),
        line: lineOf(document, lineCounter, finding.path),
        message: finding.reason,
      })),
    );
  }

  const parsed = projectSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => toConfigIssue(issue, file, document, lineCounter)));
  }
  const crossIssues = checkReferences(parsed.data).map((issue) => ({
    file,
    path: formatPath(issue.path),
    line: lineOf(document, lineCounter, issue.path),
    message: issue.message,
  }));
  if (crossIssues.length > 0) throw new ConfigError(crossIssues);
  return parsed.data;
}

function toConfigIssue(issue: z.core.$ZodIssue, file: string, document: Document, lineCounter: LineCounter): ConfigIssue {
  const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown key(s) ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
  if (issue.code === 'invalid_type') message = `expected ${issue.expected}`;
  if (issue.code === 'invalid_value' && 'values' in issue)
    message = `expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
  return { file, path: formatPath(path), line: lineOf(document, lineCounter, path), message };
}

interface ReferenceIssue {
  readonly path: Array<string | number>;
  readonly message: string;
}

/** Cross-references zod cannot express: unique ids, known tenants, HTTP bindings for HTTP tools. */
function checkReferences(config: ProjectFile): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const tenantIds = new Set<string>();
  config.tenants.forEach((tenant, index) => {
    if (tenantIds.has(tenant.id)) issues.push({ path: ['tenants', index, 'id'], message: `duplicate tenant id "${tenant.id}"` });
    tenantIds.add(tenant.id);
  });
  const agentIds = new Set<string>();
  config.agents.forEach((agent, index) => {
    if (agentIds.has(agent.id)) issues.push({ path: ['agents', index, 'id'], message: `duplicate agent id "${agent.id}"` });
    agentIds.add(agent.id);
    if (!tenantIds.has(agent.tenant))
      issues.push({ path: ['agents', index, 'tenant'], message: `expected a tenant declared under "tenants", got "${agent.tenant}"` });
  });
  config.operators.forEach((operator, index) => {
    if (operator.tenants === '*') return;
    operator.tenants.forEach((tenant, tenantIndex) => {
      if (!tenantIds.has(tenant))
        issues.push({ path: ['operators', index, 'tenants', tenantIndex], message: `expected a declared tenant, got "${tenant}"` });
    });
  });
  config.identity.trustedIssuers.forEach((issuer, index) => {
    issuer.tenants?.forEach((tenant, tenantIndex) => {
      if (!tenantIds.has(tenant)) {
        issues.push({
          path: ['identity', 'trustedIssuers', index, 'tenants', tenantIndex],
          message: `expected a declared tenant, got "${tenant}"`,
        });
      }
    });
  });
  const toolNames = new Set<string>();
  config.tools.forEach((tool, toolIndex) => {
    if (toolNames.has(tool.name)) issues.push({ path: ['tools', toolIndex, 'name'], message: `duplicate tool name "${tool.name}"` });
    toolNames.add(tool.name);
    tool.tenants?.forEach((tenant, tenantIndex) => {
      if (!tenantIds.has(tenant))
        issues.push({ path: ['tools', toolIndex, 'tenants', tenantIndex], message: `expected a declared tenant, got "${tenant}"` });
    });
    const operationNames = new Set<string>();
    tool.operations.forEach((operation, operationIndex) => {
      const at = ['tools', toolIndex, 'operations', operationIndex];
      if (operationNames.has(operation.name)) issues.push({ path: [...at, 'name'], message: `duplicate operation "${operation.name}"` });
      operationNames.add(operation.name);
      if (operation.arguments['type'] !== 'object')
        issues.push({ path: [...at, 'arguments', 'type'], message: 'expected the arguments schema to be { type: object, ... }' });
      if (tool.upstream.kind === 'http' && operation.http === undefined) {
        issues.push({ path: [...at, 'http'], message: 'expected { method, path } because the tool has an HTTP upstream' });
      }
    });
  });
  return issues;
}

function formatPath(path: ReadonlyArray<string | number>): string {
  return path.map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`)).join('');
}

function lineOf(document: Document, lineCounter: LineCounter, path: ReadonlyArray<string | number>): number | undefined {
  for (let length = path.length; length >= 0; length -= 1) {
    const node = document.getIn(path.slice(0, length), true);
    if (isNode(node) && node.range !== undefined && node.range !== null) {
      return lineCounter.linePos(node.range[0]).line;
    }
  }
  return undefined;
}
