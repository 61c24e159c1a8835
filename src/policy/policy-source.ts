/** One policy's text as it stands in its file, with where it starts. */
export interface PolicySource {
  readonly file: string;
  /** Position of the policy in its file, from 1. */
  readonly index: number;
  /** The exact text handed to Cedar, so Cedar's offsets map back onto the file. */
  readonly text: string;
  /** Offset (in characters) of `text` within the file. */
  readonly offset: number;
}

export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/**
 * Splits a Cedar file into policies at each top-level `;`. Cedar's grammar allows `;` only as a
 * policy terminator, so it suffices to skip string literals and `//` comments. Pieces holding
 * only whitespace and comments are dropped; a trailing piece without `;` is kept so Cedar
 * reports it.
 */
export function splitPolicies(file: string, content: string): PolicySource[] {
  const policies: PolicySource[] = [];
  let start = 0;
  let significant = false;
  let index = 0;
  const emit = (end: number): void => {
    if (significant) {
      index += 1;
      policies.push({ file, index, text: content.slice(start, end), offset: start });
    }
    start = end;
    significant = false;
  };
  let position = 0;
  while (position < content.length) {
    const character = content[position];
    if (character === '/' && content[position + 1] === '/') {
      const newline = content.indexOf('\n', position);
      position = newline === -1 ? content.length : newline + 1;
      continue;
    }
    if (character === '"') {
      significant = true;
      position += 1;
      while (position < content.length && content[position] !== '"') {
        position += content[position] === '\\' ? 2 : 1;
      }
      position += 1;
      continue;
    }
    if (character === ';') {
      significant = true;
      emit(position + 1);
      position += 1;
      continue;
    }
    if (character !== undefined && !/\s/.test(character)) significant = true;
    position += 1;
  }
  emit(content.length);
  return policies;
}

/** Line and column (from 1) of a character offset in text. */
export function positionAt(text: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let position = 0; position < end; position += 1) {
    if (text[position] === '\n') {
      line += 1;
      lineStart = position + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/** Cedar reports UTF-8 byte offsets; this converts one within `text` to a character offset. */
export function characterOffset(text: string, byteOffset: number): number {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.subarray(0, Math.max(0, Math.min(byteOffset, bytes.length))).toString('utf8').length;
}

/** Where a policy starts in its file: its first character that is not whitespace or comment. */
export function policyStart(source: PolicySource, fileContent: string): SourcePosition {
  let position = 0;
  const text = source.text;
  while (position < text.length) {
    if (text[position] === '/' && text[position + 1] === '/') {
      const newline = text.indexOf('\n', position);
      position = newline === -1 ? text.length : newline + 1;
    } else if (/\s/.test(text[position] ?? '')) {
      position += 1;
    } else {
      break;
    }
  }
  return positionAt(fileContent, source.offset + position);
}
