import { Tiktoken } from 'js-tiktoken/lite'
import cl100kBase from 'js-tiktoken/ranks/cl100k_base'

/**
 * Token counting with OpenAI's `cl100k_base` BPE, the tokenizer family of the embedding models
 * (text-embedding-3-small/-large, ada-002), so chunk sizes and request budgets are in the units
 * the providers bill and limit by.
 *
 * Why `js-tiktoken/lite` + the one rank file instead of `getEncoding` from the package root: the
 * same encoder (`getEncoding('cl100k_base')` is exactly `new Tiktoken(cl100k_base)`), without
 * loading the o200k/p50k/gpt2 tables too (~25 MB less heap). Building the encoder takes ~0.5 s,
 * so it is built lazily, once, on the first count.
 */
let encoder: Tiktoken | undefined

function getEncoder(): Tiktoken {
  encoder ??= new Tiktoken(cl100kBase)
  return encoder
}

/**
 * Runs of non-whitespace longer than `longRun` characters are counted in slices of `runSlice`.
 * js-tiktoken's BPE is quadratic in the length of one pre-tokenized piece: 10,000 letters in a
 * row take ~7 s and 40,000 take ~90 s, and a 64-character CJK piece (192 UTF-8 bytes) costs
 * ~2.7 ms (measured), so a base64 blob, a hash dump or unspaced CJK text could stall ingestion.
 * Slicing only stops merges across slice edges, so the count is exact for ordinary text and a
 * slight over-estimate (conservative for size limits) for such runs and for URLs over 64 chars.
 */
const longRun = 64
const runSlice = 16
const longRunPattern = new RegExp(`\\S{${longRun + 1},}`, 'g')
const longRunTest = new RegExp(`\\S{${longRun + 1}}`)

function encodeLength(text: string): number {
  if (text.length === 0) return 0
  // Special-token text such as "<|endoftext|>" in a document is ordinary text, not an error.
  return getEncoder().encode(text, [], []).length
}

/** The number of `cl100k_base` tokens in `text` (see the note on long runs above). */
export function countTokens(text: string): number {
  if (text.length === 0) return 0
  if (!longRunTest.test(text)) return encodeLength(text)
  let total = 0
  let last = 0
  for (const match of text.matchAll(longRunPattern)) {
    total += encodeLength(text.slice(last, match.index))
    const run = match[0]
    let start = 0
    while (start < run.length) {
      let end = start + runSlice
      // never cut a surrogate pair (an emoji would count as two broken characters)
      if (/[\uDC00-\uDFFF]/.test(run.charAt(end))) end += 1
      total += encodeLength(run.slice(start, end))
      start = end
    }
    last = match.index + match[0].length
  }
  return total + encodeLength(text.slice(last))
}
