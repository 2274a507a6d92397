import { AppError } from '../../core/index.ts'
import type { Embedder, EmbedOptions } from './embedder.ts'

export interface LexicalEmbedderOptions {
  /** Vector length; 8 to 2,000 (pgvector's HNSW limit for `vector`). */
  dimensions?: number
}

/**
 * The built-in offline embedder: no network, no key, deterministic. It is **lexical**, not
 * semantic: texts that share words (or parts of words: "invoice" / "invoices" / "invoicing",
 * typos) score high; synonyms and paraphrases that share no words ("car" / "automobile") do not.
 * It keeps the whole pipeline (and vector + full-text hybrid search) working with no provider;
 * configure an OpenAI-compatible embedding model for real semantic search.
 *
 * How: feature hashing ("the hashing trick") into `dimensions` buckets of
 * - word unigrams (weight 1), word bigrams of adjacent content words (0.5), and character
 *   3- and 4-grams within each word, with `<` `>` marking the word's edges (0.25 each);
 * - after Unicode NFKC normalisation, lower-casing, folding Latin diacritics (café = cafe) and
 *   dropping a short list of English stop words (kept when a text has nothing else);
 * - each feature hashed with FNV-1a 32-bit to a bucket, with a sign from a second mix of the hash
 *   (signed hashing, so collisions cancel out on average instead of piling up);
 * - weight x (1 + ln tf) per feature, then L2-normalised, so cosine similarity = dot product.
 * An empty text maps to a fixed unit vector (so no vector has zero length).
 */
export function createLexicalEmbedder({ dimensions = 512 }: LexicalEmbedderOptions = {}): Embedder {
  if (!Number.isInteger(dimensions) || dimensions < 8 || dimensions > 2000) {
    throw new AppError('config_invalid', {
      message: `The lexical embedder needs an integer dimension from 8 to 2000, got ${dimensions}`,
    })
  }
  return {
    model: `nereid-lexical-v1-${dimensions}`,
    dimensions,
    kind: 'lexical',
    async embed(texts: string[], options?: EmbedOptions): Promise<number[][]> {
      const vectors: number[][] = []
      for (const text of texts) {
        options?.abortSignal?.throwIfAborted()
        vectors.push(lexicalVector(text, dimensions))
      }
      return vectors
    },
  }
}

const unigramWeight = 1
const bigramWeight = 0.5
const characterGramWeight = 0.25
/** Character n-grams are taken from at most this many characters of a word (blobs, hashes). */
const maxGramWordLength = 48

const stopWords = new Set(
  (
    'a an and are as at be but by for from has have he her his i if in into is it its me my no not of on or our ' +
    'she so than that the their them then there these they this to was we were what when which who will with ' +
    'you your'
  ).split(' '),
)

/** The lexical vector of one text (see `createLexicalEmbedder`). */
export function lexicalVector(text: string, dimensions: number): number[] {
  const words = tokenize(text)
  const content = words.filter((word) => !stopWords.has(word))
  const used = content.length > 0 ? content : words

  const features = new Map<string, { weight: number; count: number }>()
  const add = (key: string, weight: number) => {
    const feature = features.get(key)
    if (feature) feature.count += 1
    else features.set(key, { weight, count: 1 })
  }
  for (const [index, word] of used.entries()) {
    add(`w\u0001${word}`, unigramWeight)
    if (index > 0) add(`b\u0001${used[index - 1]} ${word}`, bigramWeight)
    const marked = `<${word.length > maxGramWordLength ? word.slice(0, maxGramWordLength) : word}>`
    for (let size = 3; size <= 4; size++) {
      for (let start = 0; start + size <= marked.length; start++) {
        add(`c\u0001${marked.slice(start, start + size)}`, characterGramWeight)
      }
    }
  }
  if (features.size === 0) add('e\u0001', 1)

  const vector = new Float64Array(dimensions)
  for (const [key, { weight, count }] of features) {
    const hash = fnv1a32(key)
    const bucket = hash % dimensions
    const sign = mix32(hash) & 1 ? -1 : 1
    vector[bucket] = (vector[bucket] ?? 0) + sign * weight * (1 + Math.log(count))
  }
  let norm = 0
  for (const value of vector) norm += value * value
  norm = Math.sqrt(norm)
  if (norm === 0) {
    // Every feature cancelled out (possible only for tiny texts): fall back to the empty vector.
    return lexicalVector('', dimensions)
  }
  return Array.from(vector, (value) => value / norm)
}

function tokenize(text: string): string[] {
  const normalized = text
    .normalize('NFKD')
    .replace(/(\p{Script=Latin})\p{Mn}+/gu, '$1')
    .normalize('NFKC')
    .toLowerCase()
  return normalized.match(/[\p{L}\p{M}\p{N}]+/gu) ?? []
}

/** FNV-1a, 32-bit, over UTF-16 code units. */
function fnv1a32(value: string): number {
  let hash = 0x811c9dc5
  for (let index = 0; index < value.length; index++) {
    hash ^= value.charCodeAt(index)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** MurmurHash3's finaliser: spreads the bits, so the sign is independent of the bucket. */
function mix32(value: number): number {
  let hash = value
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  hash ^= hash >>> 16
  return hash >>> 0
}
