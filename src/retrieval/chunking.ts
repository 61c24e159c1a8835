/**
 * Cuts a document into chunks of about `target` characters (never more than `max`), on paragraph
 * boundaries where it can, else on sentence boundaries, else on whitespace. A chunk is what a
 * retrieval returns and cites, so it should read as a self-contained passage.
 */

export interface ChunkingOptions {
  /** A chunk that reached this length ends at the next paragraph boundary. */
  readonly target: number;
  /** No chunk is longer. */
  readonly max: number;
}

export const DEFAULT_CHUNKING: ChunkingOptions = { target: 700, max: 1000 };

const PARAGRAPH_BREAK = /\n[ \t]*\n+/;
/** After `.`, `!` or `?` (and any closing quote or bracket), before whitespace. */
const SENTENCE_END = /(?<=[.!?]["')\]]?)\s+/;

export function splitIntoChunks(text: string, options: ChunkingOptions = DEFAULT_CHUNKING): string[] {
  if (!Number.isInteger(options.max) || options.max < 1 || options.target > options.max) {
    throw new RangeError('chunking needs 1 <= target <= max');
  }
  const chunks: string[] = [];
  let current = '';
  const emit = (): void => {
    const trimmed = current.trim();
    if (trimmed.length > 0) chunks.push(trimmed);
    current = '';
  };
  for (const paragraph of text.split(PARAGRAPH_BREAK)) {
    const trimmed = paragraph.trim();
    if (trimmed.length === 0) continue;
    const pieces = trimmed.length <= options.max ? [trimmed] : sentencePieces(trimmed, options.max);
    pieces.forEach((piece, index) => {
      const separator = index === 0 ? '\n\n' : ' ';
      const startsParagraph = index === 0;
      if (current.length === 0) current = piece;
      else if (current.length + separator.length + piece.length <= options.max && !(startsParagraph && current.length >= options.target)) {
        current += separator + piece;
      } else {
        emit();
        current = piece;
      }
    });
  }
  emit();
  return chunks;
}

/** Sentences of a long paragraph, each cut further on whitespace (or hard) when longer than max. */
function sentencePieces(paragraph: string, max: number): string[] {
  const pieces: string[] = [];
  for (const sentence of paragraph.split(SENTENCE_END)) {
    let rest = sentence.trim();
    while (rest.length > max) {
      const window = rest.slice(0, max + 1);
      const cut = Math.max(window.lastIndexOf(' '), window.lastIndexOf('\n'), window.lastIndexOf('\t'));
      let at = cut > max / 2 ? cut : max;
      // A hard cut never splits a surrogate pair.
      if (at === max && /[\uD800-\uDBFF]/.test(rest.charAt(at - 1))) at -= 1;
      pieces.push(rest.slice(0, at).trim());
      rest = rest.slice(at).trim();
    }
    if (rest.length > 0) pieces.push(rest);
  }
  return pieces;
}
