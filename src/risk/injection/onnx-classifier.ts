import { stat } from 'node:fs/promises';
import { InterlockError } from '../../errors/interlock-error.js';
import type { ClassifierVerdict, InjectionClassifier } from './classifier.js';

/**
 * A classifier run locally from an ONNX model file with `onnxruntime-node`. The runtime is an optional
 * package: it is loaded only when this classifier is configured, and its absence is a configuration error
 * that says so. No model weights are bundled or downloaded; the operator supplies the model file and the
 * tokenizer that matches it (`encode`).
 */

export interface OnnxInputTensor {
  readonly type: 'int64' | 'int32' | 'float32';
  readonly data: BigInt64Array | Int32Array | Float32Array;
  readonly dims: readonly number[];
}

export interface OnnxInjectionClassifierOptions {
  /** Path of the .onnx model file. */
  readonly modelPath: string;
  /** Turns text into the model's named inputs (input_ids, attention_mask...): the model's own tokenizer. */
  readonly encode: (text: string) => Readonly<Record<string, OnnxInputTensor>>;
  /** The output holding the class logits or probabilities; default the model's first output. */
  readonly outputName?: string;
  /** Position of the injection class in that output; default 1 (benign, injection). */
  readonly injectionIndex?: number;
  /** Class names, for the verdict's label. */
  readonly labels?: readonly string[];
  readonly name?: string;
  /** How the runtime module is obtained; default a dynamic import of `onnxruntime-node`. */
  readonly loadRuntime?: () => Promise<unknown>;
}

/** The part of onnxruntime-node's API this classifier uses. */
interface OnnxSession {
  readonly outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { readonly data: unknown } | undefined>>;
}
interface OnnxRuntime {
  readonly Tensor: new (type: string, data: unknown, dims: readonly number[]) => unknown;
  readonly InferenceSession: { create(path: string): Promise<OnnxSession> };
}

export const ONNX_RUNTIME_PACKAGE = 'onnxruntime-node';

function configError(message: string, details?: Record<string, unknown>): InterlockError {
  return new InterlockError('CONFIG_INVALID', `ONNX injection classifier: ${message}`, details);
}

async function importRuntime(): Promise<unknown> {
  // A variable specifier keeps the optional package out of the type-checker's and bundlers' reach.
  const specifier: string = ONNX_RUNTIME_PACKAGE;
  return import(specifier);
}

function isRuntime(value: unknown): value is OnnxRuntime {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Partial<Record<keyof OnnxRuntime, unknown>>;
  const session = candidate.InferenceSession as { create?: unknown } | undefined;
  return typeof candidate.Tensor === 'function' && typeof session?.create === 'function';
}

async function loadRuntime(load: () => Promise<unknown>): Promise<OnnxRuntime> {
  let loaded: unknown;
  try {
    loaded = await load();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw configError(
        `the optional package ${ONNX_RUNTIME_PACKAGE} is not installed; install it (npm install ${ONNX_RUNTIME_PACKAGE}) ` +
          'or configure the HTTP classifier instead',
      );
    }
    throw configError(`${ONNX_RUNTIME_PACKAGE} could not be loaded`, { reason: code ?? 'unknown' });
  }
  const runtime = (loaded as { default?: unknown }).default ?? loaded;
  if (isRuntime(runtime)) return runtime;
  if (isRuntime(loaded)) return loaded;
  throw configError(`${ONNX_RUNTIME_PACKAGE} does not expose InferenceSession and Tensor`);
}

function probabilities(values: readonly number[]): number[] {
  if (values.length === 1) return [1 - sigmoid(values[0] ?? 0), sigmoid(values[0] ?? 0)];
  const max = Math.max(...values);
  const exponentials = values.map((value) => Math.exp(value - max));
  const total = exponentials.reduce((sum, value) => sum + value, 0);
  return exponentials.map((value) => value / total);
}

function sigmoid(value: number): number {
  return 1 / (1 + Math.exp(-value));
}

function numbersOf(data: unknown): number[] | null {
  if (!(ArrayBuffer.isView(data) || Array.isArray(data))) return null;
  const values = Array.from(data as ArrayLike<number | bigint>, (value) => Number(value));
  return values.length > 0 && values.every(Number.isFinite) ? values : null;
}

/**
 * Loads the runtime and the model once. Throws CONFIG_INVALID when the runtime is missing, the model file
 * does not exist or does not load; after that, `classify` never throws.
 */
export async function loadOnnxInjectionClassifier(options: OnnxInjectionClassifierOptions): Promise<InjectionClassifier> {
  const runtime = await loadRuntime(options.loadRuntime ?? importRuntime);
  const file = await stat(options.modelPath).catch(() => null);
  if (file === null || !file.isFile()) throw configError('modelPath does not name a readable file');
  let session: OnnxSession;
  try {
    session = await runtime.InferenceSession.create(options.modelPath);
  } catch {
    throw configError('the model file could not be loaded as an ONNX model');
  }
  const chosenOutput = options.outputName ?? session.outputNames[0];
  if (chosenOutput === undefined) throw configError('the model has no outputs');
  const outputName: string = chosenOutput;
  const injectionIndex = options.injectionIndex ?? 1;

  async function classify(text: string): Promise<ClassifierVerdict> {
    try {
      const feeds: Record<string, unknown> = {};
      for (const [inputName, tensor] of Object.entries(options.encode(text))) {
        feeds[inputName] = new runtime.Tensor(tensor.type, tensor.data, tensor.dims);
      }
      const outputs = await session.run(feeds);
      const values = numbersOf(outputs[outputName]?.data);
      if (values === null) return { unavailable: 'invalid_response', detail: `output ${outputName} holds no numbers` };
      const classes = probabilities(values);
      const score = classes[injectionIndex];
      if (score === undefined) return { unavailable: 'invalid_response', detail: `output has no class ${injectionIndex}` };
      const best = classes.indexOf(Math.max(...classes));
      const label = options.labels?.[best];
      return label === undefined ? { score } : { score, label };
    } catch {
      return { unavailable: 'inference_failed' };
    }
  }

  return { name: options.name ?? `onnx:${options.modelPath.split(/[/\\]/).pop() ?? 'model'}`, classify };
}
