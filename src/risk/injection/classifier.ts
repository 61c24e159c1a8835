import type { InjectionAssessment, InjectionDetector } from './detector.js';

/**
 * A second opinion on content, from a trained model behind an interface (an HTTP endpoint, a local ONNX
 * model). A classifier that fails gives no score; it never throws into the caller, and the rules still
 * decide on their own.
 */

export type ClassifierUnavailableReason = 'timeout' | 'http_status' | 'network' | 'invalid_response' | 'inference_failed';

export type ClassifierVerdict =
  | { readonly score: number; readonly label?: string }
  | { readonly score?: undefined; readonly unavailable: ClassifierUnavailableReason; readonly detail?: string };

export interface InjectionClassifier {
  /** Shown in assessments and audit events: which classifier answered (never a URL with credentials). */
  readonly name: string;
  /** Resolves with a score in [0, 1], or with the reason there is none. Never rejects. */
  classify(text: string): Promise<ClassifierVerdict>;
}

export interface ClassifierOutcome {
  readonly name: string;
  readonly score?: number;
  readonly label?: string;
  readonly unavailable?: ClassifierUnavailableReason;
}

export interface CombinedInjectionAssessment extends InjectionAssessment {
  /** The rules' score alone; `score` is the combined one. */
  readonly ruleScore: number;
  readonly classifier?: ClassifierOutcome;
}

/**
 * The combined score is the larger of the two: either source can raise a flag on its own, and a classifier
 * that is down or unsure never lowers what the rules found. (A weighted blend would let a confident but wrong
 * classifier hide a clear rule match.)
 */
export function combineScores(ruleScore: number, classifierScore: number | undefined): number {
  return classifierScore === undefined ? ruleScore : Math.max(ruleScore, classifierScore);
}

export interface AssessInjectionOptions {
  readonly detector: InjectionDetector;
  readonly classifier?: InjectionClassifier;
}

/** Runs the rules and, when configured, the classifier on the same text and combines their scores. */
export async function assessInjection(text: string, options: AssessInjectionOptions): Promise<CombinedInjectionAssessment> {
  const assessment = options.detector.detect(text);
  if (options.classifier === undefined) return { ...assessment, ruleScore: assessment.score };
  let verdict: ClassifierVerdict;
  try {
    verdict = await options.classifier.classify(text);
  } catch {
    // A classifier written against the contract never rejects; one that does is treated as unavailable.
    verdict = { unavailable: 'inference_failed' };
  }
  const classifier: ClassifierOutcome =
    verdict.score === undefined
      ? { name: options.classifier.name, unavailable: verdict.unavailable }
      : { name: options.classifier.name, score: verdict.score, ...(verdict.label === undefined ? {} : { label: verdict.label }) };
  const score = combineScores(assessment.score, classifier.score);
  return { ...assessment, score, flagged: score >= assessment.threshold, ruleScore: assessment.score, classifier };
}
