/**
 * Turns texts into vectors for pgvector. Every stored vector records `model`, so vectors of
 * different models (or dimensions) are never compared with each other; switching models means
 * re-embedding (`nereid knowledge reindex`).
 */
export interface Embedder {
  /**
   * Stored in `knowledge_chunks.embedding_model`, e.g. `openai:text-embedding-3-small` or
   * `nereid-lexical-v1-512`. Two embedders with the same name produce comparable vectors.
   */
  readonly model: string
  /**
   * Length of every vector. 0 until known: an OpenAI-compatible embedder without configured
   * dimensions learns them from its first response.
   */
  readonly dimensions: number
  /** `semantic` (a trained model: synonyms match) or `lexical` (shared words and word parts). */
  readonly kind: 'semantic' | 'lexical'
  /** One vector per text, in the order of `texts`. */
  embed(texts: string[], options?: EmbedOptions): Promise<number[][]>
}

export interface EmbedOptions {
  abortSignal?: AbortSignal | undefined
}
