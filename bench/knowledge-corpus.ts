import { en } from '@faker-js/faker'

/**
 * A deterministic synthetic corpus for the retrieval bench: English words (faker's word lists,
 * ~3,300 adjectives, adverbs, nouns and verbs) drawn with a Zipf-like distribution, mixed with
 * function words, in sentences of 6-22 words; chunks of 80-320 words. The same seed always gives
 * the same text, so runs are comparable.
 *
 * Documents are about something: each has one of 400 topics (120 words each), and half of its
 * content words come from that topic. Without topics every chunk is an independent draw from one
 * distribution, all chunks sit at nearly the same distance from any query, and "the 10 nearest" is
 * a set of ties no approximate index (and no embedding model) reproduces: measured on such a
 * corpus, HNSW recall@10 stayed below 0.4 at any ef_search. Real knowledge bases cluster by subject.
 */

/** mulberry32: a small, fast, seeded PRNG with values in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let value = state
    value = Math.imul(value ^ (value >>> 15), value | 1)
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61)
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296
  }
}

/** An integer from `min` to `max`, both included. */
export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1))
}

/** Draws indexes 0..n-1 with probability proportional to 1 / (rank + shift)^exponent (Zipf-Mandelbrot). */
function zipfSampler(random: () => number, n: number, exponent = 1, shift = 2.7): () => number {
  const cumulative = new Float64Array(n)
  let total = 0
  for (let rank = 0; rank < n; rank += 1) {
    total += 1 / (rank + 1 + shift) ** exponent
    cumulative[rank] = total
  }
  return () => {
    const target = random() * total
    let low = 0
    let high = n - 1
    while (low < high) {
      const middle = (low + high) >>> 1
      if (cumulative[middle]! < target) low = middle + 1
      else high = middle
    }
    return low
  }
}

const functionWords = (
  'the of and to a in for is that on with as by at from this be are was it an or which their has will ' +
  'not have more all its can also per into over than'
).split(' ')
const functionWordSet = new Set(functionWords)

export interface SyntheticChunk {
  text: string
  words: number
}

export interface SyntheticCorpus {
  /** One chunk of 80-320 words (a few sentences). */
  chunk(): SyntheticChunk
  /** A short title or heading of 2-4 content words. */
  phrase(): string
  /** Starts a new document: picks its topic for the chunks and phrases that follow. */
  startDocument(): void
}

/** Builds the corpus generator for `seed`. */
export function createSyntheticCorpus(seed: number): SyntheticCorpus {
  const random = createRandom(seed)
  const partOfSpeech = en.word ?? {}
  const vocabulary = [
    ...new Set(
      [partOfSpeech.noun, partOfSpeech.verb, partOfSpeech.adjective, partOfSpeech.adverb]
        .flatMap((words) => words ?? [])
        .map((word) => word.toLowerCase())
        .filter((word) => /^[a-z][a-z-]*$/.test(word)),
    ),
  ]
  // Shuffle (seeded) so frequency ranks are not alphabetical.
  for (let index = vocabulary.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1))
    ;[vocabulary[index], vocabulary[other]] = [vocabulary[other]!, vocabulary[index]!]
  }
  // Zipf-Mandelbrot with a shift of 20: the most frequent content word is ~1% of content words
  // (it appears in about two chunks of three), the rarest still a few hundred times in 100k chunks.
  const contentWord = zipfSampler(random, vocabulary.length, 1.0, 20)
  const functionWord = zipfSampler(random, functionWords.length, 1.0, 0.5)
  const topicCount = 400
  const topicSize = 120
  const topics = Array.from({ length: topicCount }, () =>
    Array.from({ length: topicSize }, () => vocabulary[Math.floor(random() * vocabulary.length)]!),
  )
  const topicWord = zipfSampler(random, topicSize, 1.0, 2)
  let topic = topics[0]!
  const word = () => (random() < 0.5 ? topic[topicWord()]! : vocabulary[contentWord()]!)

  function sentence(): string[] {
    const length = randomInt(random, 6, 22)
    const words: string[] = []
    for (let index = 0; index < length; index += 1) {
      const draw = random()
      if (draw < 0.38) words.push(functionWords[functionWord()]!)
      else if (draw < 0.4) words.push(String(randomInt(random, 2, 2030)))
      else words.push(word())
    }
    words[0] = words[0]!.charAt(0).toUpperCase() + words[0]!.slice(1)
    if (length > 12 && random() < 0.5) {
      const comma = randomInt(random, 4, length - 4)
      words[comma] = `${words[comma]},`
    }
    words[length - 1] = `${words[length - 1]}.`
    return words
  }

  return {
    chunk() {
      const target = randomInt(random, 80, 320)
      const words: string[] = []
      while (words.length < target) words.push(...sentence())
      return { text: words.join(' '), words: words.length }
    },
    startDocument() {
      topic = topics[Math.floor(random() * topicCount)]!
    },
    phrase() {
      const words = Array.from({ length: randomInt(random, 2, 4) }, word)
      words[0] = words[0]!.charAt(0).toUpperCase() + words[0]!.slice(1)
      return words.join(' ')
    },
  }
}

/**
 * A search query from a chunk: a window of 6-10 consecutive words, punctuation dropped; with
 * `paraphrase`, one or two words dropped and the rest partly reordered.
 */
export function queryFromChunk(random: () => number, text: string, paraphrase: boolean): string {
  const words = text
    .split(/\s+/)
    .map((word) => word.replace(/[^\p{L}\p{N}-]/gu, ''))
    .filter((word) => word.length > 0)
  const length = Math.min(words.length, randomInt(random, 6, 10))
  // A user types mostly content words: take the first window (of a few tries) with at least 3.
  let window: string[] = []
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const start = randomInt(random, 0, words.length - length)
    window = words.slice(start, start + length)
    if (window.filter((word) => !functionWordSet.has(word.toLowerCase())).length >= 3) break
  }
  if (paraphrase) {
    const drops = randomInt(random, 1, 2)
    for (let drop = 0; drop < drops && window.length > 5; drop += 1) {
      window.splice(randomInt(random, 0, window.length - 1), 1)
    }
    // Move a random run of 2-3 words to the front ("pricing annual review" -> "review pricing annual").
    const runLength = randomInt(random, 2, 3)
    const runStart = randomInt(random, 1, window.length - runLength)
    window.unshift(...window.splice(runStart, runLength))
  }
  return window.join(' ').toLowerCase()
}
