import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isInterlockError } from '../../../src/errors/interlock-error.js';
import {
  loadOnnxInjectionClassifier,
  ONNX_RUNTIME_PACKAGE,
  type OnnxInjectionClassifierOptions,
} from '../../../src/risk/injection/onnx-classifier.js';

const encode: OnnxInjectionClassifierOptions['encode'] = (text) => ({
  input_ids: {
    type: 'int64',
    data: BigInt64Array.from([...text].slice(0, 8).map((character) => BigInt(character.codePointAt(0) ?? 0))),
    dims: [1, Math.min(8, [...text].length)],
  },
});

function runtimeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve(ONNX_RUNTIME_PACKAGE);
    return true;
  } catch {
    return false;
  }
}

/**
 * A stand-in for onnxruntime-node with the same surface (InferenceSession.create, Tensor), so the mapping from
 * model output to verdict is tested without model weights. The session answers fixed logits per first token.
 */
function fakeRuntime(logitsFor: (feeds: Record<string, { data: BigInt64Array }>) => number[] | Error) {
  class Tensor {
    constructor(
      readonly type: string,
      readonly data: unknown,
      readonly dims: readonly number[],
    ) {}
  }
  return async () => ({
    Tensor,
    InferenceSession: {
      create: async () => ({
        outputNames: ['logits'],
        run: async (feeds: Record<string, { data: BigInt64Array }>) => {
          const logits = logitsFor(feeds);
          if (logits instanceof Error) throw logits;
          return { logits: { data: Float32Array.from(logits) } };
        },
      }),
    },
  });
}

describe('ONNX injection classifier', () => {
  const directory = mkdtempSync(join(tmpdir(), 'interlock-onnx-'));
  const modelPath = join(directory, 'classifier.onnx');
  writeFileSync(modelPath, 'not really a model: the fake runtime does not read it');
  after(() => rmSync(directory, { recursive: true, force: true }));

  it(
    'is a configuration error, naming the missing package, when onnxruntime-node is not installed',
    { skip: runtimeInstalled() },
    async () => {
      await assert.rejects(
        loadOnnxInjectionClassifier({ modelPath, encode }),
        (error: unknown) =>
          isInterlockError(error) &&
          error.code === 'CONFIG_INVALID' &&
          error.message.includes('onnxruntime-node is not installed') &&
          error.message.includes('HTTP classifier'),
      );
    },
  );

  it('is a configuration error when the model file does not exist', async () => {
    await assert.rejects(
      loadOnnxInjectionClassifier({ modelPath: join(directory, 'missing.onnx'), encode, loadRuntime: fakeRuntime(() => [0, 0]) }),
      (error: unknown) => isInterlockError(error) && error.code === 'CONFIG_INVALID' && /modelPath/.test(error.message),
    );
  });

  it('is a configuration error when the runtime module does not look like onnxruntime', async () => {
    await assert.rejects(
      loadOnnxInjectionClassifier({ modelPath, encode, loadRuntime: async () => ({ version: '1.0' }) }),
      (error: unknown) => isInterlockError(error) && error.code === 'CONFIG_INVALID' && /InferenceSession/.test(error.message),
    );
  });

  it('turns the model logits into the injection probability and the label of the likelier class', async () => {
    const classifier = await loadOnnxInjectionClassifier({
      modelPath,
      encode,
      labels: ['SAFE', 'INJECTION'],
      loadRuntime: fakeRuntime((feeds) => (feeds['input_ids']?.data[0] === BigInt('i'.codePointAt(0) ?? 0) ? [-2, 2] : [3, -3])),
    });
    const injection = await classifier.classify('ignore everything');
    assert.equal('label' in injection ? injection.label : undefined, 'INJECTION');
    assert.ok(injection.score !== undefined && Math.abs(injection.score - 1 / (1 + Math.exp(-4))) < 1e-6);
    const safe = await classifier.classify('hello');
    assert.equal('label' in safe ? safe.label : undefined, 'SAFE');
    assert.ok(safe.score !== undefined && safe.score < 0.01);
    assert.equal(classifier.name, 'onnx:classifier.onnx');
  });

  it('gives no score, never an exception, when inference fails or the output is unusable', async () => {
    const failing = await loadOnnxInjectionClassifier({ modelPath, encode, loadRuntime: fakeRuntime(() => new Error('bad input shape')) });
    assert.deepEqual(await failing.classify('text'), { unavailable: 'inference_failed' });
    const oneClass = await loadOnnxInjectionClassifier({
      modelPath,
      encode,
      injectionIndex: 3,
      loadRuntime: fakeRuntime(() => [0.1, 0.9]),
    });
    const verdict = await oneClass.classify('text');
    assert.ok('unavailable' in verdict && verdict.unavailable === 'invalid_response');
    const throwingEncoder = await loadOnnxInjectionClassifier({
      modelPath,
      encode: () => {
        throw new Error('tokenizer failed');
      },
      loadRuntime: fakeRuntime(() => [0, 1]),
    });
    assert.deepEqual(await throwingEncoder.classify('text'), { unavailable: 'inference_failed' });
  });
});
