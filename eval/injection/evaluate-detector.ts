/**
 * The injection-detector section of `npm run eval:risk`: runs the detector (and, when given, a classifier)
 * over the labelled corpus and reports precision, recall and false-positive rate overall and per split,
 * which signal categories fire on which label, detection per kind of content, and the cost per KB.
 */
import { assessInjection, type InjectionClassifier } from '../../src/risk/injection/classifier.js';
import { createInjectionDetector, type InjectionAssessment, type InjectionDetector } from '../../src/risk/injection/detector.js';
import { INJECTION_CATEGORIES } from '../../src/risk/injection/rule-set.js';
import { confusionOf, percent, ratesOf, table, type Confusion, type Rates } from '../metrics.js';
import { CORPUS_PATH, loadCorpus, type CorpusItem, type CorpusSplit } from './corpus.js';

/** The target: at most 2 % of benign content flagged. */
export const MAX_FALSE_POSITIVE_RATE = 0.02;

export interface DetectorEvaluationOptions {
  readonly corpusPath?: string;
  readonly detector?: InjectionDetector;
  readonly classifier?: InjectionClassifier;
  /** List misclassified held-out (`test` and `independent`) items too (off by default, so rules are not tuned on them). */
  readonly showTestMisses?: boolean;
  /** Passes over the corpus when measuring cost. */
  readonly timingPasses?: number;
}

interface Scored {
  readonly item: CorpusItem;
  readonly assessment: InjectionAssessment;
  readonly flagged: boolean;
  readonly score: number;
}

export interface SplitFigures extends Rates {
  readonly confusion: Confusion;
}

export interface DetectorEvaluation {
  readonly rulesVersion: string;
  readonly threshold: number;
  readonly items: number;
  readonly overall: SplitFigures;
  readonly bySplit: Readonly<Record<CorpusSplit, SplitFigures>>;
  readonly rulesOnly?: SplitFigures;
  readonly classifierName?: string;
  readonly classifierUnavailable?: number;
  readonly categories: readonly { category: string; injection: number; benign: number }[];
  readonly kinds: readonly { label: string; kind: string; items: number; flagged: number }[];
  readonly cost: {
    readonly passes: number;
    readonly microsecondsPerKb: number;
    readonly benignMicrosecondsPerKb: number;
    readonly corpusKb: number;
    readonly largeInputKb: number;
    readonly largeInputMs: number;
  };
  readonly falseNegatives: readonly { id: string; split: CorpusSplit; score: number }[];
  readonly falsePositives: readonly { id: string; split: CorpusSplit; score: number; rules: string[] }[];
  readonly hiddenTestMisses: number;
  readonly passed: boolean;
}

function figures(scored: readonly Scored[], flaggedOf: (entry: Scored) => boolean = (entry) => entry.flagged): SplitFigures {
  const confusion = confusionOf(scored.map((entry) => ({ expected: entry.item.label === 'injection', predicted: flaggedOf(entry) })));
  return { ...ratesOf(confusion), confusion };
}

/** CPU time this process has used, in microseconds: unlike wall time, not inflated while other processes hold the cores. */
function cpuMicroseconds(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/** CPU microseconds per KB of UTF-8 text, the fastest of several passes after a warm-up pass. */
function microsecondsPerKb(detector: InjectionDetector, texts: readonly string[], passes: number): number {
  const bytes = texts.reduce((total, text) => total + Buffer.byteLength(text), 0);
  for (const text of texts) detector.detect(text); // warm-up: compiled code paths, not first-call costs
  // Each pass reads at least 1 MB, so it lasts well beyond the clock's granularity.
  const rounds = Math.max(1, Math.ceil((1024 * 1024) / Math.max(1, bytes)));
  let bestMicroseconds = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < passes; pass += 1) {
    const started = cpuMicroseconds();
    for (let round = 0; round < rounds; round += 1) for (const text of texts) detector.detect(text);
    bestMicroseconds = Math.min(bestMicroseconds, (cpuMicroseconds() - started) / rounds);
  }
  return bestMicroseconds / (bytes / 1024);
}

function measureCost(detector: InjectionDetector, items: readonly CorpusItem[], passes: number): DetectorEvaluation['cost'] {
  const bytes = items.reduce((total, item) => total + Buffer.byteLength(item.text), 0);
  const benign = items.filter((item) => item.label === 'benign').map((item) => item.text);
  // One large document (about 4 MB) shows the cost is bounded by the scan limits, not by the input size.
  let large = '';
  while (large.length < 4 * 1024 * 1024) for (const item of items) if (item.label === 'benign') large += `${item.text}\n`;
  let largeMs = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < 3; pass += 1) {
    const largeStarted = cpuMicroseconds();
    detector.detect(large);
    largeMs = Math.min(largeMs, (cpuMicroseconds() - largeStarted) / 1_000);
  }
  return {
    passes,
    microsecondsPerKb: microsecondsPerKb(
      detector,
      items.map((item) => item.text),
      passes,
    ),
    benignMicrosecondsPerKb: microsecondsPerKb(detector, benign, passes),
    corpusKb: bytes / 1024,
    largeInputKb: Buffer.byteLength(large) / 1024,
    largeInputMs: largeMs,
  };
}

export async function evaluateInjectionDetector(options: DetectorEvaluationOptions = {}): Promise<DetectorEvaluation> {
  const items = loadCorpus(options.corpusPath ?? CORPUS_PATH);
  const detector = options.detector ?? createInjectionDetector();
  const scored: Scored[] = [];
  let classifierUnavailable = 0;
  for (const item of items) {
    if (options.classifier === undefined) {
      const assessment = detector.detect(item.text);
      scored.push({ item, assessment, flagged: assessment.flagged, score: assessment.score });
    } else {
      const combined = await assessInjection(item.text, { detector, classifier: options.classifier });
      if (combined.classifier?.unavailable !== undefined) classifierUnavailable += 1;
      scored.push({ item, assessment: { ...combined, score: combined.ruleScore }, flagged: combined.flagged, score: combined.score });
    }
  }

  const categories = INJECTION_CATEGORIES.map((category) => {
    const firing = (label: string): number =>
      scored.filter((entry) => entry.item.label === label && entry.assessment.signals.some((signal) => signal.category === category))
        .length;
    return { category, injection: firing('injection'), benign: firing('benign') };
  });
  const kindKeys = [...new Set(scored.map((entry) => `${entry.item.label}\u0000${entry.item.kind}`))].sort();
  const kinds = kindKeys.map((key) => {
    const [label = '', kind = ''] = key.split('\u0000');
    const members = scored.filter((entry) => entry.item.label === label && entry.item.kind === kind);
    return { label, kind, items: members.length, flagged: members.filter((entry) => entry.flagged).length };
  });

  const shown = (entry: Scored): boolean => entry.item.split === 'dev' || options.showTestMisses === true;
  const misses = scored.filter((entry) => entry.flagged !== (entry.item.label === 'injection'));
  const overall = figures(scored);
  const splitFigures = (split: CorpusSplit): SplitFigures => figures(scored.filter((entry) => entry.item.split === split));
  return {
    rulesVersion: detector.rulesVersion,
    threshold: detector.threshold,
    items: items.length,
    overall,
    bySplit: {
      dev: splitFigures('dev'),
      test: splitFigures('test'),
      independent: splitFigures('independent'),
    },
    ...(options.classifier === undefined
      ? {}
      : {
          rulesOnly: figures(scored, (entry) => entry.assessment.score >= detector.threshold),
          classifierName: options.classifier.name,
          classifierUnavailable,
        }),
    categories,
    kinds,
    cost: measureCost(detector, items, options.timingPasses ?? 5),
    falseNegatives: misses
      .filter((entry) => entry.item.label === 'injection' && shown(entry))
      .map((entry) => ({ id: entry.item.id, split: entry.item.split, score: entry.score })),
    falsePositives: misses
      .filter((entry) => entry.item.label === 'benign' && shown(entry))
      .map((entry) => ({
        id: entry.item.id,
        split: entry.item.split,
        score: entry.score,
        rules: entry.assessment.signals.filter((signal) => signal.category !== 'discussion').map((signal) => signal.ruleId),
      })),
    hiddenTestMisses: misses.filter((entry) => !shown(entry)).length,
    passed: overall.falsePositiveRate <= MAX_FALSE_POSITIVE_RATE,
  };
}

function figureRow(name: string, split: SplitFigures): string[] {
  const { truePositives: tp, falsePositives: fp, trueNegatives: tn, falseNegatives: fn } = split.confusion;
  return [
    name,
    String(split.positives),
    String(split.negatives),
    percent(split.precision),
    percent(split.recall),
    percent(split.falsePositiveRate),
    `${tp}/${fp}/${tn}/${fn}`,
  ];
}

export function formatDetectorEvaluation(evaluation: DetectorEvaluation): string[] {
  const lines = [
    `rules ${evaluation.rulesVersion}, threshold ${evaluation.threshold} (flagged when score >= threshold), ${evaluation.items} items`,
    ...(evaluation.classifierName === undefined
      ? []
      : [
          `classifier ${evaluation.classifierName} combined by max(rule score, classifier score); unavailable for ${evaluation.classifierUnavailable} items`,
        ]),
    '',
    ...table(
      ['split', 'injection', 'benign', 'precision', 'recall', 'false pos.', 'tp/fp/tn/fn'],
      [
        figureRow('all', evaluation.overall),
        figureRow('dev', evaluation.bySplit.dev),
        figureRow('test (held out)', evaluation.bySplit.test),
        // Written without reading the rules (a later batch of written/): the least optimistic written items.
        ...(evaluation.bySplit.independent.positives + evaluation.bySplit.independent.negatives === 0
          ? []
          : [figureRow('independent (held out)', evaluation.bySplit.independent)]),
        ...(evaluation.rulesOnly === undefined ? [] : [figureRow('all, rules only', evaluation.rulesOnly)]),
      ],
    ),
    '',
    'items on which each signal category fired (any weight):',
    ...table(
      ['category', 'injection', 'benign'],
      evaluation.categories.map((row) => [row.category, String(row.injection), String(row.benign)]),
    ),
    '',
    'flagged per kind of content:',
    ...table(
      ['label / kind', 'items', 'flagged'],
      evaluation.kinds.map((row) => [`${row.label} / ${row.kind}`, String(row.items), String(row.flagged)]),
    ),
    '',
    `cost in CPU time (fastest of ${evaluation.cost.passes} passes): ${evaluation.cost.microsecondsPerKb.toFixed(1)} µs per KB over the corpus ` +
      `(${evaluation.cost.corpusKb.toFixed(0)} KB), ${evaluation.cost.benignMicrosecondsPerKb.toFixed(1)} µs per KB over its benign items; ` +
      `one ${(evaluation.cost.largeInputKb / 1024).toFixed(1)} MB document: ${evaluation.cost.largeInputMs.toFixed(1)} ms (bounded by the scan limits)`,
    '',
    `missed injections (${evaluation.falseNegatives.length}${evaluation.hiddenTestMisses > 0 ? ', dev only' : ''}): ` +
      (evaluation.falseNegatives.map((miss) => `${miss.id} (${miss.score.toFixed(2)})`).join(', ') || 'none'),
    `false positives (${evaluation.falsePositives.length}${evaluation.hiddenTestMisses > 0 ? ', dev only' : ''}): ` +
      (evaluation.falsePositives.map((miss) => `${miss.id} (${miss.score.toFixed(2)}: ${miss.rules.join(', ')})`).join('; ') || 'none'),
    ...(evaluation.hiddenTestMisses > 0
      ? [`${evaluation.hiddenTestMisses} held-out items misclassified, not listed (--show-test-misses lists them)`]
      : []),
    '',
    `target: false-positive rate on benign content <= ${percent(MAX_FALSE_POSITIVE_RATE, 0)}: ` +
      `${percent(evaluation.overall.falsePositiveRate)} — ${evaluation.passed ? 'met' : 'NOT MET'}`,
  ];
  return lines;
}
