import { createOpenAI } from '@ai-sdk/openai'
import { APICallError, embedMany, RetryError } from 'ai'
import { AppError, mapConcurrently } from '../../core/index.ts'
import type { Embedder, EmbedOptions } from './embedder.ts'
import { countTokens } from './token-count.ts'

export interface OpenAiEmbedderOptions {
  /** Required for api.openai.com; optional for a local OpenAI-compatible server. */
  apiKey?: string | undefined
  /** An OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp), e.g. http://localhost:11434/v1. */
  baseUrl?: string | undefined
  /** e.g. `text-embedding-3-small`. */
  model: string
  /** Requested vector length (sent as `dimensions`); learnt from the first response when not given. */
  dimensions?: number | undefined
  /** The network, injectable for tests. */
  fetch?: typeof globalThis.fetch
  /** Inputs per request; OpenAI allows at most 2,048. */
  maxBatchSize?: number
  /** `cl100k_base` tokens per request; OpenAI allows at most 300,000. */
  maxBatchTokens?: number
  /** Requests in flight at once, per `embed` call. */
  concurrency?: number
  /** Retries per request after a 408/409/429/5xx or network error, with exponential backoff. */
  maxRetries?: number
  /** Per batch, including its retries and their backoff, in milliseconds. */
  requestTimeoutMs?: number
}

const openAiBaseUrl = 'https://api.openai.com/v1'

/**
 * Embeddings through `@ai-sdk/openai` and `embedMany`, from OpenAI or any OpenAI-compatible
 * server.
 *
 * - Batching: inputs are grouped so that no request has more than `maxBatchSize` inputs or
 *   `maxBatchTokens` tokens (counted with js-tiktoken `cl100k_base`, OpenAI's limits being 2,048
 *   inputs and 300k tokens). Each batch is one `embedMany` call with `maxParallelCalls: 1`; the
 *   SDK itself also keeps a request under 300,000 UTF-8 bytes, which can only split a batch
 *   further, never merge.
 * - Concurrency: at most `concurrency` requests of one `embed` call are in flight (a worker pool,
 *   so a slow batch does not hold back the others). Results keep the order of the input.
 * - Retries: `embedMany`'s own `maxRetries`. It retries 408, 409, 429, 5xx and network errors
 *   (`APICallError.isRetryable`) with exponential backoff from 2 s (x2 per retry), honouring
 *   `retry-after-ms` / `retry-after` headers under 60 s, and never retries other 4xx.
 * - Failures become an `AppError` (`unavailable`; `rate_limited` when the server kept answering
 *   429) whose message names the server and the HTTP status, never the API key or the server's
 *   own error text (that stays in `cause`, for the logs). The first failure aborts the other
 *   requests of the same call. A caller's abort is rethrown as is.
 * - An empty input is sent as a single space (OpenAI rejects empty strings).
 */
export function createOpenAiEmbedder({
  apiKey,
  baseUrl,
  model,
  dimensions,
  fetch,
  maxBatchSize = 2048,
  maxBatchTokens = 300_000,
  concurrency = 2,
  maxRetries = 4,
  requestTimeoutMs = 300_000,
}: OpenAiEmbedderOptions): Embedder {
  const invalid = (message: string) => new AppError('config_invalid', { message })
  if (model.trim().length === 0) throw invalid('The embedding model name is empty (NEREID_EMBEDDING_MODEL)')
  if (!apiKey && !baseUrl) {
    throw invalid(
      'OpenAI embeddings need OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server)',
    )
  }
  const server = describeServer(baseUrl)
  const positiveInteger = (value: number, name: string, max = Number.MAX_SAFE_INTEGER) => {
    if (!Number.isInteger(value) || value < 1 || value > max)
      throw invalid(`${name} must be an integer from 1 to ${max}`)
  }
  positiveInteger(maxBatchSize, 'maxBatchSize', 2048)
  positiveInteger(maxBatchTokens, 'maxBatchTokens')
  positiveInteger(concurrency, 'concurrency')
  positiveInteger(requestTimeoutMs, 'requestTimeoutMs')
  if (dimensions !== undefined) positiveInteger(dimensions, 'dimensions', 16_000)
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw invalid('maxRetries must be an integer >= 0')

  const provider = createOpenAI({
    // Always explicit, so the SDK never falls back to reading OPENAI_* from the environment:
    // configuration is validated once, in core/config.ts. A local server may need no key.
    apiKey: apiKey ?? '',
    baseURL: baseUrl ?? openAiBaseUrl,
    ...(fetch ? { fetch } : {}),
  })
  const embeddingModel = provider.embedding(model)
  let knownDimensions = dimensions ?? 0

  const fail = (error: unknown): AppError => toAppError({ error, server, model, apiKey })

  const embedBatch = async (values: string[], signal: AbortSignal): Promise<number[][]> => {
    const timeout = AbortSignal.timeout(requestTimeoutMs)
    try {
      const { embeddings } = await embedMany({
        model: embeddingModel,
        values,
        maxRetries,
        maxParallelCalls: 1,
        abortSignal: AbortSignal.any([signal, timeout]),
        ...(dimensions !== undefined ? { dimensions } : {}),
      })
      for (const vector of embeddings) {
        if (knownDimensions === 0) knownDimensions = vector.length
        if (vector.length !== knownDimensions || vector.length === 0) {
          throw new AppError('unavailable', {
            message: `The embedding server ${server} returned ${vector.length}-dimensional vectors for "${model}", expected ${knownDimensions}`,
          })
        }
      }
      return embeddings
    } catch (error) {
      if (timeout.aborted && !signal.aborted) {
        throw new AppError('unavailable', {
          message: `The embedding server ${server} did not answer within ${Math.round(requestTimeoutMs / 1000)} s`,
          cause: error,
        })
      }
      throw error
    }
  }

  return {
    model: baseUrl ? `openai-compatible:${model}` : `openai:${model}`,
    get dimensions() {
      return knownDimensions
    },
    kind: 'semantic',
    async embed(texts: string[], options?: EmbedOptions): Promise<number[][]> {
      const callerSignal = options?.abortSignal
      callerSignal?.throwIfAborted()
      if (texts.length === 0) return []
      const batches = planBatches({ texts, maxBatchSize, maxBatchTokens })

      // One controller per call: the first failure (or the caller's abort) stops the rest.
      const controller = new AbortController()
      const onCallerAbort = () => controller.abort(callerSignal?.reason)
      callerSignal?.addEventListener('abort', onCallerAbort, { once: true })
      let results: number[][][]
      try {
        results = await mapConcurrently({
          items: batches,
          concurrency,
          signal: controller.signal,
          map: (batch) => embedBatch(batch, controller.signal),
        })
        controller.signal.throwIfAborted()
      } catch (error) {
        controller.abort()
        if (callerSignal?.aborted) throw error
        throw fail(error)
      } finally {
        callerSignal?.removeEventListener('abort', onCallerAbort)
      }
      return results.flat()
    },
  }
}

/**
 * Groups texts (in order) into requests of at most `maxBatchSize` inputs and `maxBatchTokens`
 * tokens. A single text above the token budget goes alone (the server decides about it).
 */
export function planBatches({
  texts,
  maxBatchSize,
  maxBatchTokens,
}: {
  texts: string[]
  maxBatchSize: number
  maxBatchTokens: number
}): string[][] {
  const batches: string[][] = []
  let current: string[] = []
  let currentTokens = 0
  for (const text of texts) {
    const value = text.length === 0 ? ' ' : text
    const tokens = countTokens(value)
    if (current.length > 0 && (current.length >= maxBatchSize || currentTokens + tokens > maxBatchTokens)) {
      batches.push(current)
      current = []
      currentTokens = 0
    }
    current.push(value)
    currentTokens += tokens
  }
  if (current.length > 0) batches.push(current)
  return batches
}

/** Where the embeddings come from, for messages: never credentials, query strings or keys. */
function describeServer(baseUrl: string | undefined): string {
  if (baseUrl === undefined) return `OpenAI (${openAiBaseUrl})`
  let url: URL
  try {
    url = new URL(baseUrl)
  } catch {
    throw new AppError('config_invalid', { message: 'OPENAI_BASE_URL is not a valid URL' })
  }
  return `at ${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

function toAppError({
  error,
  server,
  model,
  apiKey,
}: {
  error: unknown
  server: string
  model: string
  apiKey: string | undefined
}): AppError {
  if (error instanceof AppError) return error
  const attempts = RetryError.isInstance(error) ? error.errors.length : 1
  const last = RetryError.isInstance(error) ? error.lastError : error
  const status = APICallError.isInstance(last) ? last.statusCode : undefined
  const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`
  let message: string
  if (status === 401 || status === 403) {
    message = `The embedding server ${server} refused the credentials (HTTP ${status}); check OPENAI_API_KEY`
  } else if (status === 404) {
    message = `The embedding server ${server} answered 404 for model "${model}"; check NEREID_EMBEDDING_MODEL and OPENAI_BASE_URL`
  } else if (status === 429) {
    message = `The embedding server ${server} kept rate-limiting requests (HTTP 429, ${tries})`
  } else if (status !== undefined) {
    message = `The embedding server ${server} failed with HTTP ${status} (${tries})`
  } else if (APICallError.isInstance(last)) {
    message = `The embedding server ${server} could not be reached (${tries})`
  } else {
    message = `The embedding server ${server} returned a response that is not a valid embeddings response`
  }
  if (apiKey && apiKey.length >= 4) message = message.split(apiKey).join('[redacted]')
  return new AppError(status === 429 ? 'rate_limited' : 'unavailable', {
    message,
    cause: error,
    details: { ...(status !== undefined ? { status } : {}), attempts },
  })
}
