import type { Config } from '../../core/index.ts'
import type { Embedder } from './embedder.ts'
import { createLexicalEmbedder } from './lexical-embedder.ts'
import { createOpenAiEmbedder } from './openai-embedder.ts'

export type { Embedder, EmbedOptions } from './embedder.ts'
export { createLexicalEmbedder, type LexicalEmbedderOptions, lexicalVector } from './lexical-embedder.ts'
export { createOpenAiEmbedder, type OpenAiEmbedderOptions, planBatches } from './openai-embedder.ts'
export { countTokens } from './token-count.ts'

export interface CreateEmbedderOptions {
  config: Pick<Config, 'openai'>
  /** The network, injectable for tests. */
  fetch?: typeof globalThis.fetch
}

/**
 * The configured embedder: OpenAI (or an OpenAI-compatible server) when `OPENAI_API_KEY` or
 * `OPENAI_BASE_URL` is set, using `NEREID_EMBEDDING_MODEL`; otherwise the built-in offline
 * lexical embedder, so ingestion and search work with no network and no key.
 */
export function createEmbedder({ config, fetch }: CreateEmbedderOptions): Embedder {
  const { apiKey, baseUrl, embeddingModel } = config.openai
  if (apiKey || baseUrl) {
    return createOpenAiEmbedder({ apiKey, baseUrl, model: embeddingModel, ...(fetch ? { fetch } : {}) })
  }
  return createLexicalEmbedder()
}
