import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { InterlockError } from '../../errors/interlock-error.js';
import { ContentRedactor } from '../../retrieval/content-redaction.js';
import type { ContentRedaction } from '../../retrieval/content-redaction.js';
import { MAX_DOCUMENT_LENGTH } from '../../retrieval/document-ingest.js';
import type { SourceActor, SourceView } from '../../retrieval/retrieval-answer.js';
import { SourceAdministration } from '../../retrieval/source-administration.js';
import { SourceRegistry } from '../../retrieval/source-registry.js';
import { withAuditedStore } from './audited-store.js';

interface Common {
  readonly project: string;
  readonly json?: boolean;
}

export interface IngestOptions extends Common {
  readonly source: string;
  readonly file: string;
  readonly document?: string;
  readonly version?: string;
  readonly title?: string;
  readonly updatedAt?: string;
  readonly by: string;
}

export interface QuarantineOptions extends Common {
  readonly reason?: string;
  readonly by: string;
}

export interface InfluenceOptions extends Common {
  readonly limit: number;
}

/** A file larger than this is refused before it is read (text is at most MAX_DOCUMENT_LENGTH characters). */
const MAX_FILE_BYTES = MAX_DOCUMENT_LENGTH * 4;

/**
 * Runs `body` with the project's sources on its store, recording in its audit chain. Commands run
 * on the host act for every tenant, like the other operator commands.
 */
function withSources<T>(project: string, body: (administration: SourceAdministration) => Promise<T>): Promise<T> {
  return withAuditedStore(project, ({ context, store, audit }) => {
    const sources = SourceRegistry.fromConfig(context.project.config);
    return body(new SourceAdministration({ store, audit, sources, redactor: new ContentRedactor() }));
  });
}

function actor(by: string): SourceActor {
  return { by, tenants: '*' };
}

/** `interlock sources ingest`: a file into a source, replacing the document's earlier chunks. */
export async function sourcesIngest(options: IngestOptions): Promise<void> {
  const text = readText(options.file);
  const report = await withSources(options.project, (administration) =>
    administration.ingest(
      options.source,
      {
        documentId: options.document ?? basename(options.file),
        text,
        version: options.version,
        title: options.title,
        updatedAt: options.updatedAt,
      },
      actor(options.by),
    ),
  );
  if (options.json === true) return printJson(report);
  const replaced = report.replaced === 0 ? '' : `, replacing ${report.replaced} earlier`;
  process.stdout.write(
    `ingested ${report.documentId} (version ${report.version}) into ${report.sourceId}: ${report.chunks} chunk${report.chunks === 1 ? '' : 's'}${replaced}\n` +
      `  updated at ${report.updatedAt}; ${describeRedactions(report.redactions)}\n`,
  );
}

/** `interlock sources list`: configured sources with their documents, chunks and quarantines. */
export async function sourcesList(options: Common): Promise<void> {
  const sources = await withSources(options.project, (administration) => administration.listSources(actor('cli')));
  if (options.json === true) return printJson({ sources });
  if (sources.length === 0) {
    process.stdout.write('no retrieval sources are configured (interlock.yaml retrieval.sources)\n');
    return;
  }
  process.stdout.write(sources.map(describeSource).join(''));
}

/** `interlock sources quarantine`: the source is never searched again until released. */
export async function sourcesQuarantine(id: string, options: QuarantineOptions): Promise<void> {
  const reason = requiredReason(options.reason);
  const source = await withSources(options.project, (administration) => administration.quarantine(id, reason, actor(options.by)));
  if (options.json === true) return printJson({ source });
  const quarantine = source.quarantine;
  process.stdout.write(
    quarantine === null
      ? `source ${source.id} could not be quarantined\n`
      : `source ${source.id} is quarantined (by ${quarantine.setBy} at ${quarantine.setAt}: ${quarantine.reason}); no retrieval returns its chunks until it is released\n`,
  );
}

/** `interlock sources release`: lifts the quarantine. */
export async function sourcesRelease(id: string, options: QuarantineOptions): Promise<void> {
  const reason = requiredReason(options.reason);
  const result = await withSources(options.project, (administration) => administration.release(id, reason, actor(options.by)));
  if (options.json === true) return printJson(result);
  process.stdout.write(
    result.lifted === 0
      ? `source ${id} was not quarantined; nothing lifted\n`
      : `source ${id} is released (by ${options.by}: ${reason}); retrievals return its chunks again\n`,
  );
}

/** `interlock sources influence`: the calls made in traces that retrieved from the source. */
export async function sourcesInfluence(id: string, options: InfluenceOptions): Promise<void> {
  const calls = await withSources(options.project, (administration) => administration.influence(id, actor('cli'), options.limit));
  if (options.json === true) return printJson({ sourceId: id, calls });
  if (calls.length === 0) {
    process.stdout.write(`no call was made in a trace that retrieved from ${id}\n`);
    return;
  }
  process.stdout.write(`${calls.length} call${calls.length === 1 ? '' : 's'} made after retrieving from ${id}:\n`);
  for (const call of calls) {
    const what = call.tool === null ? '(unresolved)' : `${call.tool}.${call.operation ?? '?'}`;
    const error = call.errorCode === null ? '' : ` ${call.errorCode}`;
    process.stdout.write(
      `  ${call.at}  ${(call.status ?? '?').padEnd(17)} ${what.padEnd(28)} agent ${call.agent ?? '?'}  trace ${call.traceId ?? '?'}  call ${call.callId ?? '?'}${error}\n`,
    );
  }
}

function readText(path: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new InterlockError('REQUEST_INVALID', `cannot read ${path}`);
  }
  if (size > MAX_FILE_BYTES) throw new InterlockError('REQUEST_INVALID', `${path} is larger than ${MAX_FILE_BYTES} bytes`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(path));
  } catch {
    throw new InterlockError('REQUEST_INVALID', `${path} is not UTF-8 text`);
  }
}

function describeSource(source: SourceView): string {
  const freshness =
    source.freshness === null ? 'no freshness budget' : `stale after ${source.freshness.budget} (${source.freshness.response})`;
  const tasks = source.allow.tasks === null ? 'any task' : `tasks ${source.allow.tasks.join(', ')}`;
  const quarantine =
    source.quarantine === null
      ? ''
      : `\n    QUARANTINED by ${source.quarantine.setBy} at ${source.quarantine.setAt}: ${source.quarantine.reason}`;
  return (
    `${source.id}  tenant ${source.tenant}  ${source.classification}  ${source.trust}  owner ${source.owner}\n` +
    `    ${source.documents} document${source.documents === 1 ? '' : 's'}, ${source.chunks} chunk${source.chunks === 1 ? '' : 's'}` +
    `${source.lastIngestedAt === null ? '' : `, last ingested ${source.lastIngestedAt}`}; ${freshness}\n` +
    `    agents ${source.allow.agents.join(', ')}; ${tasks}${quarantine}\n`
  );
}

function describeRedactions(redactions: readonly ContentRedaction[]): string {
  if (redactions.length === 0) return 'no secrets found';
  return `secrets removed: ${redactions.map((redaction) => `${redaction.count} ${redaction.kind}`).join(', ')}`;
}

function requiredReason(reason: string | undefined): string {
  if (reason === undefined || reason.trim() === '') throw new InterlockError('REQUEST_INVALID', '--reason is required (it is recorded)');
  return reason;
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
