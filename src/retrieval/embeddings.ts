/**
 * An optional embeddings provider. When one is given, full-text search gathers a wider set of
 * candidates and the provider re-orders them by meaning. Interlock ships no provider: plug in one
 * that calls a model you run (an HTTP endpoint, a local model file). Nothing is downloaded.
 */
import { InterlockError } from '../errors/interlock-error.js';

export interface EmbeddingsProvider {
  /** Names the model, for the audit record (e.g. `local-minilm-l6@2`). */
  readonly id: string;
  /** One vector per text, in order, all of the same length. */
  embed(texts: readonly string[]): Promise<ReadonlyArray<ArrayLike<number>>>;
}

/** How many full-text candidates are re-ranked per chunk asked for. */
export const RERANK_CANDIDATES_PER_RESULT = 4;

/** Cosine similarity; 0 when either vector is all zeros or their lengths differ. */
export function cosineSimilarity(left: ArrayLike<number>, right: ArrayLike<number>): number {
  if (left.length !== right.length || left.length === 0) return 0;
  let dot = 0;
  let leftNorm = 0;
  let rightNorm = 0;
  for (let index = 0; index < left.length; index += 1) {
    const a = left[index] ?? 0;
    const b = right[index] ?? 0;
    dot += a * b;
    leftNorm += a * a;
    rightNorm += b * b;
  }
  return leftNorm === 0 || rightNorm === 0 ? 0 : dot / Math.sqrt(leftNorm * rightNorm);
}

/**
 * The items ordered by similarity of their text to the query (stable for ties), each with its
 * similarity. A provider that answers with the wrong number of vectors is an error, not a guess.
 */
export async function rerank<Item>(
  provider: EmbeddingsProvider,
  query: string,
  items: readonly Item[],
  textOf: (item: Item) => string,
): Promise<Array<{ item: Item; similarity: number }>> {
  if (items.length === 0) return [];
  const vectors = await provider.embed([query, ...items.map(textOf)]);
  if (vectors.length !== items.length + 1) {
    throw new InterlockError(
      'INTERNAL',
      `embeddings provider ${provider.id} answered ${vectors.length} vectors for ${items.length + 1} texts`,
    );
  }
  const [queryVector, ...itemVectors] = vectors;
  const scored = items.map((item, index) => ({
    item,
    index,
    similarity: queryVector === undefined ? 0 : cosineSimilarity(queryVector, itemVectors[index] ?? []),
  }));
  scored.sort((left, right) => right.similarity - left.similarity || left.index - right.index);
  return scored.map(({ item, similarity }) => ({ item, similarity }));
}
