/**
 * Regular-expression character classes built from code-point numbers. Written as literals, classes of
 * control, joiner and selector characters trip linters and editors (a joiner inside a class reads as one
 * joined sequence); built from numbers they say exactly which code points they hold.
 */
export type CodePointRange = readonly [first: number, last: number];

export function codePointClass(ranges: readonly CodePointRange[], flags = 'u'): RegExp {
  const escape = (codePoint: number): string => `\\u{${codePoint.toString(16)}}`;
  const body = ranges.map(([first, last]) => (first === last ? escape(first) : `${escape(first)}-${escape(last)}`)).join('');
  return new RegExp(`[${body}]`, flags);
}
