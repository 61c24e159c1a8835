/** Chunking: paragraph, then sentence, then whitespace boundaries; never longer than the maximum; nothing lost. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { splitIntoChunks } from '../../src/retrieval/chunking.js';

const words = (text: string) => text.split(/\s+/).filter((word) => word.length > 0);

describe('chunking', () => {
  it('keeps short paragraphs together up to the target, and starts a chunk at a paragraph', () => {
    const paragraph = (n: number) => `Paragraph ${n} ${'lorem ipsum dolor sit amet. '.repeat(10).trim()}`;
    const text = Array.from({ length: 8 }, (_, index) => paragraph(index)).join('\n\n');
    const chunks = splitIntoChunks(text);
    assert.ok(chunks.length > 1);
    for (const chunk of chunks) {
      assert.ok(chunk.length <= 1000, `chunk of ${chunk.length}`);
      assert.match(chunk, /^Paragraph \d/, 'a chunk should start at a paragraph');
    }
    assert.ok(
      chunks.slice(0, -1).every((chunk) => chunk.length >= 500),
      chunks.map((chunk) => chunk.length).join(','),
    );
    assert.deepEqual(words(chunks.join(' ')), words(text));
  });

  it('cuts a long paragraph at sentence ends, and a sentence without any at whitespace', () => {
    const sentences = Array.from({ length: 40 }, (_, index) => `Sentence number ${index} says something useful about refunds.`).join(' ');
    const chunks = splitIntoChunks(sentences);
    for (const chunk of chunks) {
      assert.ok(chunk.length <= 1000);
      assert.match(chunk, /\.$/, 'a chunk should end at a sentence end');
    }
    assert.deepEqual(words(chunks.join(' ')), words(sentences));

    const runOn = 'word '.repeat(700).trim();
    const pieces = splitIntoChunks(runOn);
    assert.ok(pieces.every((piece) => piece.length <= 1000));
    assert.deepEqual(words(pieces.join(' ')), words(runOn));
  });

  it('a run without whitespace is cut hard at the maximum, never through a surrogate pair', () => {
    const run = '😀'.repeat(1200);
    const pieces = splitIntoChunks(run, { target: 700, max: 1000 });
    assert.ok(pieces.every((piece) => piece.length <= 1000 && !/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(piece)));
    assert.equal(pieces.join(''), run);
  });

  it('empty text has no chunks; bad options are refused', () => {
    assert.deepEqual(splitIntoChunks('  \n\n \n'), []);
    assert.throws(() => splitIntoChunks('x', { target: 10, max: 5 }), RangeError);
  });
});
