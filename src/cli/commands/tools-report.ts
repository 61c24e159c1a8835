import type { InstructionFlag, ToolPin } from '../../drift/tool-definition.js';
import type { ToolReview, ToolReviewState } from '../../drift/tool-review.js';
import { showHiddenCharacters } from '../../drift/visible-text.js';

/** Text for `interlock tools`: every string that came from an upstream is shown with hidden and control characters escaped. */

export function shown(text: string): string {
  return showHiddenCharacters(text);
}

const STATE_LABELS: Readonly<Record<ToolReviewState, string>> = {
  pinned: 'pinned',
  changed: 'CHANGED',
  'not-pinned': 'not pinned',
  missing: 'missing',
  unverified: 'unverified',
};

const LABEL_WIDTH = Math.max(...Object.values(STATE_LABELS).map((label) => label.length));

/** `  CHANGED     fs__write_file`. */
export function formatReviewLine(review: ToolReview): string {
  return `  ${STATE_LABELS[review.state].padEnd(LABEL_WIDTH)}  ${shown(review.name)}`;
}

/** One line per flag: rule, where it was found and the text (excerpts are already shortened and escaped). */
export function formatFlags(flags: readonly InstructionFlag[], indent: string): string[] {
  return flags.map((flag) => `${indent}! ${flag.rule}${flag.location === undefined ? '' : ` in ${flag.location}`}: "${flag.excerpt}"`);
}

/**
 * The full description of one tool's standing, for `tools diff` and before re-pinning a changed
 * tool (which prints its flags as warnings of its own, hence `withFlags`).
 */
export function formatToolDiff(review: ToolReview, pin: ToolPin | undefined, withFlags = true): string[] {
  const flagLines = (heading: string): string[] =>
    withFlags && review.flags.length > 0 ? [heading, ...formatFlags(review.flags, '    ')] : [];
  const name = shown(review.name);
  const pinnedLine = pin === undefined ? [] : [`  pinned  ${pin.hash} by ${shown(pin.pinnedBy)} at ${pin.pinnedAt}`];
  switch (review.state) {
    case 'changed':
      return [
        `CHANGED ${name}`,
        ...pinnedLine,
        `  live    ${review.liveHash ?? ''}`,
        ...review.changes.map((change) => `  ${change}`),
        ...flagLines('  instruction-like text in the live definition:'),
      ];
    case 'missing':
      return [`missing ${name}: pinned, but the server no longer offers it`, ...pinnedLine];
    case 'unverified':
      return [`unverified ${name}: pinned, but its server did not connect`, ...pinnedLine];
    case 'pinned':
      return [`pinned ${name}: offered exactly as pinned, no change`, ...pinnedLine];
    case 'not-pinned':
      return [
        `not pinned ${name}: nothing approved to compare with; the definition it offers:`,
        ...JSON.stringify(review.live, null, 2)
          .split('\n')
          .map((line) => `  ${shown(line)}`),
        ...flagLines('  instruction-like text:'),
      ];
  }
}
