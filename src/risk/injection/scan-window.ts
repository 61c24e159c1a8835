/**
 * How much of a large text is read. Content entering a session can be megabytes (a PDF, a log, a page dump);
 * the detector must stay cheap, so it reads the head in full, the tail, and evenly spaced windows in between.
 * An instruction planted in an unread stretch of a very large text is missed; the assessment says when
 * that can have happened (`truncated`).
 */

export interface ScanLimits {
  /** Texts up to this many UTF-16 code units are read whole. */
  readonly wholeChars: number;
  /** Beyond that: the first headChars ... */
  readonly headChars: number;
  /** ... the last tailChars ... */
  readonly tailChars: number;
  /** ... and this many windows of windowChars, evenly spaced between head and tail. */
  readonly windows: number;
  readonly windowChars: number;
}

export const DEFAULT_SCAN_LIMITS: ScanLimits = {
  wholeChars: 96 * 1024,
  headChars: 64 * 1024,
  tailChars: 8 * 1024,
  windows: 6,
  windowChars: 4 * 1024,
};

export interface ScanText {
  readonly text: string;
  readonly scannedChars: number;
  readonly truncated: boolean;
}

/** Moves a cut off the second half of a surrogate pair, so no window starts or ends inside a character. */
function safeCut(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code >= 0xdc00 && code <= 0xdfff ? index + 1 : index;
}

function slice(text: string, start: number, end: number): string {
  return text.slice(safeCut(text, start), safeCut(text, end));
}

/** The part of `text` the detector reads: all of it if small, otherwise head, windows and tail joined by blank lines. */
export function textToScan(text: string, limits: ScanLimits = DEFAULT_SCAN_LIMITS): ScanText {
  if (text.length <= limits.wholeChars) return { text, scannedChars: text.length, truncated: false };
  const parts = [slice(text, 0, limits.headChars)];
  const middleStart = limits.headChars;
  const middleEnd = text.length - limits.tailChars;
  const middleLength = middleEnd - middleStart;
  if (limits.windows > 0 && middleLength > 0) {
    const stride = middleLength / limits.windows;
    for (let window = 0; window < limits.windows; window += 1) {
      const start = Math.floor(middleStart + window * stride + (stride - Math.min(stride, limits.windowChars)) / 2);
      parts.push(slice(text, start, Math.min(middleEnd, start + limits.windowChars)));
    }
  }
  parts.push(slice(text, middleEnd, text.length));
  const joined = parts.join('\n\n');
  return { text: joined, scannedChars: parts.reduce((total, part) => total + part.length, 0), truncated: true };
}
