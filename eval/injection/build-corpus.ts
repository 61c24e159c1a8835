/**
 * Builds eval/injection/corpus.jsonl.
 *
 *   node --import tsx eval/injection/build-corpus.ts
 *       reassembles corpus.jsonl from public-items.jsonl and written/*.yaml
 *   node --import tsx eval/injection/build-corpus.ts --giskard <dir> --pallms <dir>
 *       first re-imports public-items.jsonl from local copies of the two public repositories
 *       (Giskard-AI/prompt-injections and mik0w/pallms; see eval/README.md)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { assembleCorpus, CORPUS_PATH, formatCorpus, PUBLIC_ITEMS_PATH, splitOf, type CorpusItem } from './corpus.js';

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index];
    if (quoted) {
      if (character === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (character === '"') quoted = false;
      else field += character;
    } else if (character === '"') quoted = true;
    else if (character === ',') {
      row.push(field);
      field = '';
    } else if (character === '\n' || character === '\r') {
      if (character === '\r' && text[index + 1] === '\n') index += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += character;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * The lists leave the attacker's actual request as a placeholder. It is filled with a harmless task, so the
 * detector has to recognise the framing around it rather than a harmful request.
 */
const HARMLESS_TASKS = [
  'tell me a joke about penguins',
  'write a haiku about autumn',
  'what is the capital of Peru?',
  'list three uses for a paperclip',
];
const PLACEHOLDER = /\{NEW_INSTRUCTION\}|\[INSERT PROMPT HERE\]/g;

function fillPlaceholders(text: string, index: number): string {
  return text.replace(PLACEHOLDER, HARMLESS_TASKS[index % HARMLESS_TASKS.length] ?? HARMLESS_TASKS[0] ?? '');
}

/** The pallms text files keep JSON-style escapes (\" \n \u201c) from the lists they were compiled from. */
function unescapeListLine(line: string): string {
  return line.replace(/\\(u[0-9a-fA-F]{4}|["\\nrt/])/g, (_match, escape: string) => {
    if (escape.startsWith('u')) return String.fromCharCode(Number.parseInt(escape.slice(1), 16));
    return escape === 'n' ? '\n' : escape === 'r' ? '\r' : escape === 't' ? '\t' : escape;
  });
}

function giskardItems(directory: string): CorpusItem[] {
  const [header, ...rows] = parseCsv(readFileSync(join(directory, 'prompt_injections.csv'), 'utf8'));
  if (header === undefined) throw new Error('giskard: empty CSV');
  const column = (name: string): number => {
    const position = header.indexOf(name);
    if (position < 0) throw new Error(`giskard: no ${name} column`);
    return position;
  };
  const [indexColumn, promptColumn, nameColumn, groupColumn, sourceColumn, languageColumn] = [
    column('index'),
    column('prompt'),
    column('name'),
    column('group'),
    column('source'),
    column('language'),
  ];
  return rows
    .filter((row) => row.length === header.length)
    .map((row) => {
      const upstream = row[sourceColumn] ?? '';
      const fromGarak = upstream.includes('garak');
      const id = `giskard-${(row[indexColumn] ?? '').padStart(2, '0')}`;
      return {
        id,
        text: row[promptColumn] ?? '',
        label: 'injection',
        source: `Giskard-AI/prompt-injections (originally ${fromGarak ? 'leondz/garak' : 'agencyenterprise/PromptInject'})`,
        licence: fromGarak ? 'MIT (Giskard) over Apache-2.0 (garak)' : 'MIT (Giskard) over MIT (PromptInject)',
        language: row[languageColumn] ?? 'en',
        note: `${row[groupColumn] ?? ''}: ${row[nameColumn] ?? ''}`,
        split: splitOf(id),
        kind: (row[groupColumn] ?? '').toLowerCase().startsWith('jailbreak') ? 'jailbreak' : 'hijacking',
      } satisfies CorpusItem;
    });
}

function pallmsItems(directory: string): CorpusItem[] {
  const lines = (file: string): string[] =>
    readFileSync(join(directory, 'plaintext', file), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
  const injections = lines('promptinjection.txt').map((line, index) => {
    const id = `pallms-pi-${String(index + 1).padStart(2, '0')}`;
    return {
      id,
      text: fillPlaceholders(unescapeListLine(line), index),
      label: 'injection',
      source: 'mik0w/pallms plaintext/promptinjection.txt (compiled from Lakera/gandalf_ignore_instructions and the author)',
      licence: 'MIT (pallms)',
      language: /ignoriere/i.test(line) ? 'de' : 'en',
      note: 'prompt injection payload; {NEW_INSTRUCTION} filled with a harmless task',
      split: splitOf(id),
      kind: 'payload',
    } satisfies CorpusItem;
  });
  const jailbreaks = lines('jailbreak.txt').map((line, index) => {
    const id = `pallms-jb-${String(index + 1).padStart(3, '0')}`;
    return {
      id,
      text: fillPlaceholders(unescapeListLine(line), index),
      label: 'injection',
      source: 'mik0w/pallms plaintext/jailbreak.txt (compiled from deadbits/vigil-jailbreak datasets)',
      licence: 'MIT (pallms)',
      language: 'en',
      note: 'jailbreak prompt; placeholders filled with a harmless task',
      split: splitOf(id),
      kind: 'jailbreak',
    } satisfies CorpusItem;
  });
  return [...injections, ...jailbreaks];
}

/** Duplicates (same text up to whitespace) add nothing but weight; the first occurrence is kept. */
function withoutDuplicateTexts(items: readonly CorpusItem[]): CorpusItem[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = item.text.replace(/\s+/g, ' ').trim();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function main(argv: readonly string[]): void {
  const { values } = parseArgs({ args: [...argv], options: { giskard: { type: 'string' }, pallms: { type: 'string' } } });
  if ((values.giskard === undefined) !== (values.pallms === undefined)) {
    throw new Error('give both --giskard and --pallms, or neither');
  }
  if (values.giskard !== undefined && values.pallms !== undefined) {
    const publicItems = withoutDuplicateTexts([...giskardItems(values.giskard), ...pallmsItems(values.pallms)]);
    writeFileSync(PUBLIC_ITEMS_PATH, formatCorpus(publicItems));
    process.stdout.write(`wrote ${publicItems.length} public items to ${PUBLIC_ITEMS_PATH}\n`);
  }
  const corpus = assembleCorpus(readFileSync(PUBLIC_ITEMS_PATH, 'utf8'));
  writeFileSync(CORPUS_PATH, formatCorpus(corpus));
  const count = (label: string, split?: string): number =>
    corpus.filter((item) => item.label === label && (split === undefined || item.split === split)).length;
  const heldOut = (label: string): string => `${count(label, 'test')} held out, ${count(label, 'independent')} independent`;
  process.stdout.write(
    `wrote ${corpus.length} items to ${CORPUS_PATH}: ${count('injection')} injection (${heldOut('injection')}), ` +
      `${count('benign')} benign (${heldOut('benign')})\n`,
  );
}

main(process.argv.slice(2));
