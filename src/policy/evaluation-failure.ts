/**
 * Raised inside evaluation when Cedar fails, answers in an unexpected shape, or a policy errors.
 * It never leaves the policy module: the one fail-closed function turns it into a deny.
 */
export class PolicyEvaluationFailure extends Error {
  readonly errors: readonly string[];
  readonly policyIds: readonly string[];

  constructor(errors: readonly string[], policyIds: readonly string[] = []) {
    super(errors.join('; '));
    this.name = 'PolicyEvaluationFailure';
    this.errors = errors;
    this.policyIds = policyIds;
  }
}
