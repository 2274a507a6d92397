import type { Embedder } from './embedders/embedder.ts'

/** How hybrid search treats the vector leg of an embedder (see {@link vectorLegSettings}). */
export interface VectorLegSettings {
  /** Vector matches below this cosine similarity are dropped (they are not about the query). */
  minSimilarity: number
  /** The vector leg's weight in reciprocal rank fusion, against 1 for the full-text leg. */
  vectorWeight: number
}

/**
 * The vector leg's settings for an embedder kind.
 *
 * - Similarity floor: lexical vectors of unrelated texts sit near 0; semantic models rarely go
 *   below 0.2.
 * - Fusion weight: a semantic model's vector leg finds what full text cannot (synonyms,
 *   paraphrases), so the two legs weigh the same. The lexical embedder's leg carries the same
 *   signal as full-text search (shared words), only noisier: it has no notion of how rare a word
 *   is, so chunks sharing common words with the query crowd its top ranks. At weight 1 that noise
 *   pushed the passage a query was taken from off first place: measured on the knowledge bench's
 *   corpus (20k chunks, 200 queries), first 69% of the time against 96% for the full-text leg
 *   alone; at 0.5, 90%, and in the top 10 97-99% at any weight, with the same recall against
 *   exact search. At 0.5 any full-text match among the first 60 (the leg returns 40 for k up
 *   to 10) outranks a vector-only match, and the vector leg orders the full-text matches among themselves and
 *   supplies what full text misses (typos, word forms, a query with no chunk holding all its words).
 */
export function vectorLegSettings(kind: Embedder['kind']): VectorLegSettings {
  return kind === 'lexical'
    ? { minSimilarity: 0.1, vectorWeight: 0.5 }
    : { minSimilarity: 0.2, vectorWeight: 1 }
}
