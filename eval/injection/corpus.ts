/**
 * The labelled corpus for the injection detector: one JSON object per line in corpus.jsonl, assembled from
 * public-items.jsonl (imported from public lists, see import-public.ts) and the YAML files under written/.
 * Items are assigned to the `dev` or the held-out `test` split by a hash of their id, so the split does not
 * depend on file order and an item never changes sides when others are added. Written files that declare a
 * later `batch` were written without reading the rules; their items form a third split, `independent`, which
 * is held out like `test` and reported on its own line.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export const CORPUS_LABELS = ['injection', 'benign'] as const;
export type CorpusLabel = (typeof CORPUS_LABELS)[number];
export const CORPUS_SPLITS = ['dev', 'test', 'independent'] as const;
export type CorpusSplit = (typeof CORPUS_SPLITS)[number];

export interface CorpusItem {
  readonly id: string;
  readonly text: string;
  readonly label: CorpusLabel;
  readonly source: string;
  readonly licence: string;
  readonly language: string;
  readonly note: string;
  /** `test` and `independent` items are held out: rules are never adjusted by looking at how they score. */
  readonly split: CorpusSplit;
  /** What the text is (e-mail, web page, jailbreak, code, ...), for per-kind figures. */
  readonly kind: string;
}

const corpusItemSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  text: z.string().min(1),
  label: z.enum(CORPUS_LABELS),
  source: z.string().min(1),
  licence: z.string().min(1),
  language: z.string().regex(/^[a-z]{2}$/),
  note: z.string(),
  split: z.enum(CORPUS_SPLITS),
  kind: z.string().min(1),
});

/** Share of items held out for the test split, in 256ths of the id hash's first byte. */
const TEST_SPLIT_BELOW = 77; // ≈ 30 %

export function splitOf(id: string): CorpusSplit {
  const firstByte = createHash('sha256').update(id).digest()[0] ?? 0;
  return firstByte < TEST_SPLIT_BELOW ? 'test' : 'dev';
}

export function parseCorpus(jsonl: string): CorpusItem[] {
  const items = jsonl
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      const parsed = corpusItemSchema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`corpus line ${index + 1}: ${parsed.error.message}`);
      return parsed.data;
    });
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.id)) throw new Error(`corpus: duplicate id ${item.id}`);
    seen.add(item.id);
  }
  return items;
}

export function formatCorpus(items: readonly CorpusItem[]): string {
  return items
    .map((item) =>
      JSON.stringify({
        id: item.id,
        text: item.text,
        label: item.label,
        source: item.source,
        licence: item.licence,
        language: item.language,
        note: item.note,
        split: item.split,
        kind: item.kind,
      }),
    )
    .join('\n')
    .concat('\n');
}

export const CORPUS_DIRECTORY = new URL('./', import.meta.url).pathname;
export const CORPUS_PATH = join(CORPUS_DIRECTORY, 'corpus.jsonl');
export const PUBLIC_ITEMS_PATH = join(CORPUS_DIRECTORY, 'public-items.jsonl');
export const WRITTEN_DIRECTORY = join(CORPUS_DIRECTORY, 'written');

export function loadCorpus(path: string = CORPUS_PATH): CorpusItem[] {
  return parseCorpus(readFileSync(path, 'utf8'));
}

// ---------------------------------------------------------------------------------------------------------
// Written items and the obfuscations applied to their payloads.

export const ENCODINGS = [
  'base64',
  'hex',
  'hex-escape',
  'percent',
  'html-entities',
  'unicode-tags',
  'zero-width',
  'homoglyph',
  'fullwidth',
  'spaced',
  'reversed-bidi',
] as const;
export type Encoding = (typeof ENCODINGS)[number];

const writtenItemSchema = z.strictObject({
  id: z.string(),
  kind: z.string(),
  language: z.string(),
  note: z.string().optional(),
  text: z.string(),
  encode: z.enum(ENCODINGS).optional(),
  payload: z.string().optional(),
});
const writtenFileSchema = z.strictObject({
  /** 1 (the default) for items written alongside the rules; later batches were written without reading them. */
  batch: z.number().int().positive().optional(),
  items: z.array(writtenItemSchema),
});

const LATIN_LOOKALIKES: Record<string, readonly string[]> = {
  // Each Latin letter alternates between the look-alikes listed, so one text mixes Cyrillic and Greek.
  a: ['\u0430', '\u03B1'],
  e: ['\u0435'],
  o: ['\u043E', '\u03BF'],
  p: ['\u0440', '\u03C1'],
  c: ['\u0441'],
  x: ['\u0445'],
  i: ['\u0456', '\u03B9'],
  s: ['\u0455'],
  I: ['\u0406', '\u0399'],
  A: ['\u0410', '\u0391'],
};

export function encodePayload(payload: string, encoding: Encoding): string {
  const bytes = Buffer.from(payload, 'utf8');
  switch (encoding) {
    case 'base64':
      return bytes.toString('base64');
    case 'hex':
      return bytes.toString('hex');
    case 'hex-escape':
      return [...bytes].map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('');
    case 'percent':
      return [...bytes].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    case 'html-entities':
      return [...payload].map((character) => `&#${character.codePointAt(0) ?? 0};`).join('');
    case 'unicode-tags':
      return [...payload].map((character) => String.fromCodePoint(0xe0000 + (character.codePointAt(0) ?? 0))).join('');
    case 'zero-width':
      return payload
        .split(' ')
        .map((word) => [...word].join('\u200B'))
        .join(' ');
    case 'homoglyph': {
      const used = new Map<string, number>();
      return [...payload]
        .map((character, index) => {
          const lookalikes = LATIN_LOOKALIKES[character];
          // Every other eligible letter only: real attacks swap a few letters, not all of them.
          if (lookalikes === undefined || index % 2 === 1) return character;
          const count = used.get(character) ?? 0;
          used.set(character, count + 1);
          return lookalikes[count % lookalikes.length] ?? character;
        })
        .join('');
    }
    case 'fullwidth':
      return [...payload]
        .map((character) => {
          const code = character.codePointAt(0) ?? 0;
          if (code === 0x20) return '\u3000';
          return code > 0x20 && code < 0x7f ? String.fromCodePoint(code + 0xfee0) : character;
        })
        .join('');
    case 'spaced':
      return payload
        .split(' ')
        .map((word) => [...word].join(' '))
        .join('   ');
    case 'reversed-bidi':
      return `\u202E${[...payload].reverse().join('')}\u202C`;
  }
}

const WRITTEN_SOURCE = 'written for this corpus';
const WRITTEN_LICENCE = 'Apache-2.0';

/**
 * Items from one YAML file of written/; the label comes from the file name (`injections*` or `benign*`).
 * Items of a later batch go to the `independent` split instead of being split by the hash of their id.
 */
export function writtenItemsOf(fileName: string, yamlText: string): CorpusItem[] {
  const label: CorpusLabel = fileName.startsWith('injections') ? 'injection' : 'benign';
  const parsed = writtenFileSchema.safeParse(parseYaml(yamlText));
  if (!parsed.success) throw new Error(`${fileName}: ${parsed.error.message}`);
  const independent = (parsed.data.batch ?? 1) > 1;
  return parsed.data.items.map((item) => {
    let text = item.text;
    let note = item.note ?? '';
    if (item.encode !== undefined) {
      if (item.payload === undefined || !text.includes('{{payload}}')) {
        throw new Error(`${fileName}: ${item.id} names an encoding but has no payload or no {{payload}} in its text`);
      }
      text = text.replace('{{payload}}', encodePayload(item.payload, item.encode));
      note = `${note} (payload transformed: ${item.encode})`.trim();
    }
    return {
      id: item.id,
      text,
      label,
      source: WRITTEN_SOURCE,
      licence: WRITTEN_LICENCE,
      language: item.language,
      note,
      split: independent ? 'independent' : splitOf(item.id),
      kind: item.kind,
    };
  });
}

/** The corpus as built from its sources: public items first, then written files in name order. */
export function assembleCorpus(publicItemsJsonl: string, writtenDirectory: string = WRITTEN_DIRECTORY): CorpusItem[] {
  const written = readdirSync(writtenDirectory)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .flatMap((name) => writtenItemsOf(name, readFileSync(join(writtenDirectory, name), 'utf8')));
  return parseCorpus(formatCorpus([...parseCorpus(publicItemsJsonl), ...written]));
}
