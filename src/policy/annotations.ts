import type { Effect } from './cedar-runtime.js';
import type { ApprovalObligation } from './decision.js';

/** What a policy's annotations mean to Interlock (see docs/reference/policy.md). */
export interface PolicyAnnotations {
  readonly id: string | null;
  readonly reason: string | null;
  readonly approval: ApprovalObligation | null;
  readonly redactFields: readonly string[];
  readonly readOnly: boolean;
  /**
   * `@escalation("true")`: the permit adds its obligations (an approval, redactions, read-only) to
   * what other permits grant, and grants nothing on its own. E.g. "tainted writes need review".
   */
  readonly escalation: boolean;
}

export interface AnnotationProblem {
  readonly annotation: string;
  readonly message: string;
}

/** Annotations Interlock reads. Any other is refused, so a misspelt obligation cannot silently vanish. */
export const KNOWN_ANNOTATIONS: readonly string[] = [
  'id',
  'reason',
  'approval',
  'quorum',
  'redact',
  'read_only',
  'escalation',
  'description',
];

const OBLIGATION_ANNOTATIONS: readonly string[] = ['approval', 'quorum', 'redact', 'read_only', 'escalation'];
const MAX_QUORUM = 10;
const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\[\*\])?(\.[A-Za-z_][A-Za-z0-9_]*(\[\*\])?)*$/;

/** Reads a policy's annotations into obligations, or says precisely which annotation is wrong. */
export function readAnnotations(
  effect: Effect,
  annotations: Readonly<Record<string, string>>,
): { ok: true; value: PolicyAnnotations } | { ok: false; problems: AnnotationProblem[] } {
  const problems: AnnotationProblem[] = [];
  const get = (name: string): string | undefined =>
    Object.prototype.hasOwnProperty.call(annotations, name) ? annotations[name] : undefined;

  for (const name of Object.keys(annotations)) {
    if (!KNOWN_ANNOTATIONS.includes(name)) {
      problems.push({
        annotation: name,
        message: `unknown annotation @${name}; known annotations: ${KNOWN_ANNOTATIONS.map((known) => `@${known}`).join(', ')}`,
      });
    } else if (effect === 'forbid' && OBLIGATION_ANNOTATIONS.includes(name)) {
      problems.push({ annotation: name, message: `@${name} is an obligation and belongs on a permit policy; a forbid always denies` });
    }
  }

  const id = get('id');
  if (id !== undefined && id.trim() === '') problems.push({ annotation: 'id', message: '@id must not be empty' });
  const reason = get('reason');
  if (reason !== undefined && reason.trim() === '') problems.push({ annotation: 'reason', message: '@reason must not be empty' });

  const approvalRole = get('approval');
  const quorumText = get('quorum');
  let approval: ApprovalObligation | null = null;
  if (approvalRole !== undefined && approvalRole.trim() === '')
    problems.push({ annotation: 'approval', message: '@approval needs the approver role, e.g. @approval("finance-approver")' });
  let quorum = 1;
  if (quorumText !== undefined) {
    if (approvalRole === undefined) problems.push({ annotation: 'quorum', message: '@quorum only makes sense with @approval' });
    if (!/^[1-9][0-9]*$/.test(quorumText) || Number(quorumText) > MAX_QUORUM) {
      problems.push({ annotation: 'quorum', message: `@quorum must be a whole number from 1 to ${MAX_QUORUM}, got "${quorumText}"` });
    } else {
      quorum = Number(quorumText);
    }
  }
  if (approvalRole !== undefined && approvalRole.trim() !== '') approval = { role: approvalRole.trim(), quorum };

  const redactText = get('redact');
  const redactFields: string[] = [];
  if (redactText !== undefined) {
    for (const field of redactText.split(',').map((part) => part.trim())) {
      if (!FIELD_PATH.test(field)) {
        problems.push({
          annotation: 'redact',
          message: `@redact takes comma-separated dotted paths such as "card.number,email"; "${field}" is not one`,
        });
      } else {
        redactFields.push(field);
      }
    }
  }

  const readOnlyText = get('read_only');
  if (readOnlyText !== undefined && readOnlyText !== 'true' && readOnlyText !== 'false') {
    problems.push({ annotation: 'read_only', message: `@read_only must be "true" or "false", got "${readOnlyText}"` });
  }

  const escalationText = get('escalation');
  if (escalationText !== undefined && escalationText !== 'true' && escalationText !== 'false') {
    problems.push({ annotation: 'escalation', message: `@escalation must be "true" or "false", got "${escalationText}"` });
  }

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      id: id ?? null,
      reason: reason ?? null,
      approval,
      redactFields,
      readOnly: readOnlyText === 'true',
      escalation: escalationText === 'true',
    },
  };
}
