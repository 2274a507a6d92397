import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../../core/index.ts'
import { createOpenAiEmbedder } from './openai-embedder.ts'
import { countTokens } from './token-count.ts'

interface ReceivedRequest {
  inputs: string[]
  model: string
  dimensions: number | undefined
  authorization: string | undefined
}

interface ScriptedResponse {
  status?: number
  headers?: Record<string, string>
  body?: unknown
  delayMs?: number
}

type Script = (request: ReceivedRequest, number: number) => ScriptedResponse | undefined

/** The vector the stand-in server returns for an input: [its number, 1, -1] ("text 42" -> 42). */
const vectorFor = (input: string) => [Number(input.match(/\d+/)?.[0] ?? -1), 1, -1]

/**
 * A scripted OpenAI-compatible embeddings server on 127.0.0.1: records every request, counts the
 * requests in flight, and answers as `script` says (default: a valid embeddings response).
 */
async function startEmbeddingServer(script: Script = () => undefined) {
  const requests: ReceivedRequest[] = []
  let inFlight = 0
  let maxInFlight = 0
  const readBody = async (request: IncomingMessage) => {
    const parts: Buffer[] = []
    for await (const part of request) parts.push(part as Buffer)
    return JSON.parse(Buffer.concat(parts).toString('utf8')) as {
      input: string[]
      model: string
      dimensions?: number
    }
  }
  const server: Server = createServer(async (request, response) => {
    inFlight += 1
    maxInFlight = Math.max(maxInFlight, inFlight)
    try {
      if (request.method !== 'POST' || request.url !== '/v1/embeddings') {
        response.writeHead(404).end()
        return
      }
      const body = await readBody(request)
      const received: ReceivedRequest = {
        inputs: body.input,
        model: body.model,
        dimensions: body.dimensions,
        authorization: request.headers.authorization,
      }
      requests.push(received)
      const scripted = script(received, requests.length) ?? {}
      if (scripted.delayMs) await new Promise((resolve) => setTimeout(resolve, scripted.delayMs))
      const status = scripted.status ?? 200
      const payload =
        scripted.body ??
        (status === 200
          ? {
              object: 'list',
              data: body.input.map((input, index) => ({
                object: 'embedding',
                index,
                embedding: vectorFor(input),
              })),
              model: body.model,
              usage: { prompt_tokens: body.input.length, total_tokens: body.input.length },
            }
          : { error: { message: `scripted failure ${status}`, type: 'server_error', code: null } })
      response.writeHead(status, { 'content-type': 'application/json', ...scripted.headers })
      response.end(JSON.stringify(payload))
    } finally {
      inFlight -= 1
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  servers.push(server)
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    get maxInFlight() {
      return maxInFlight
    },
  }
}

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
})

const apiKey = 'sk-test-0123456789abcdef'
const texts = (count: number) => Array.from({ length: count }, (_, index) => `text ${index}`)

describe('createOpenAiEmbedder', () => {
  it('splits 5,000 inputs into requests of at most 2,048 and keeps the order', async () => {
    const server = await startEmbeddingServer()
    const embedder = createOpenAiEmbedder({ apiKey, baseUrl: server.baseUrl, model: 'test-embed' })
    expect(embedder).toMatchObject({ model: 'openai-compatible:test-embed', kind: 'semantic', dimensions: 0 })

    const vectors = await embedder.embed(texts(5000))

    expect(server.requests.map((request) => request.inputs.length)).toEqual([2048, 2048, 904])
    expect(vectors).toHaveLength(5000)
    expect(vectors.every((vector, index) => vector[0] === index)).toBe(true)
    expect(embedder.dimensions).toBe(3) // learnt from the first response
    expect(server.requests[0]).toMatchObject({ model: 'test-embed', authorization: `Bearer ${apiKey}` })
    expect(server.requests[0]!.dimensions).toBeUndefined()
  })

  it('keeps every request within the token budget and the results in order under concurrency', async () => {
    const server = await startEmbeddingServer((_, number) => ({ delayMs: (7 - (number % 7)) * 5 }))
    const inputs = Array.from(
      { length: 60 },
      (_, index) => `document ${index} ${'revenue forecast '.repeat(1 + (index % 5))}`,
    )
    const embedder = createOpenAiEmbedder({
      apiKey,
      baseUrl: server.baseUrl,
      model: 'test-embed',
      maxBatchTokens: 40,
      concurrency: 3,
    })

    const vectors = await embedder.embed(inputs)

    expect(server.requests.length).toBeGreaterThan(10)
    for (const request of server.requests) {
      const tokens = request.inputs.reduce((sum, input) => sum + countTokens(input), 0)
      expect(tokens).toBeLessThanOrEqual(40)
    }
    expect(server.requests.flatMap((request) => request.inputs).sort()).toEqual([...inputs].sort())
    expect(vectors.map((vector) => vector[0])).toEqual(inputs.map((_, index) => index))
  })

  it('never has more requests in flight than the concurrency setting', async () => {
    for (const concurrency of [2, 4]) {
      const server = await startEmbeddingServer(() => ({ delayMs: 30 }))
      const embedder = createOpenAiEmbedder({
        apiKey,
        baseUrl: server.baseUrl,
        model: 'test-embed',
        maxBatchSize: 10,
        concurrency,
      })
      const vectors = await embedder.embed(texts(120))
      expect(server.requests).toHaveLength(12)
      expect(server.maxInFlight).toBe(concurrency)
      expect(vectors.map((vector) => vector[0])).toEqual(texts(120).map((_, index) => index))
    }
  })

  it('retries a 429 and succeeds', async () => {
    const server = await startEmbeddingServer((_, number) =>
      number === 1 ? { status: 429, headers: { 'retry-after-ms': '20' } } : undefined,
    )
    const embedder = createOpenAiEmbedder({ apiKey, baseUrl: server.baseUrl, model: 'test-embed' })
    const vectors = await embedder.embed(['text 7', 'text 8'])
    expect(server.requests).toHaveLength(2)
    expect(vectors).toEqual([vectorFor('text 7'), vectorFor('text 8')])
  })

  it('backs off exponentially on a 5xx without retry headers', async () => {
    const server = await startEmbeddingServer((_, number) => (number === 1 ? { status: 503 } : undefined))
    const embedder = createOpenAiEmbedder({ apiKey, baseUrl: server.baseUrl, model: 'test-embed' })
    const started = performance.now()
    await embedder.embed(['text 1'])
    expect(server.requests).toHaveLength(2)
    expect(performance.now() - started).toBeGreaterThan(1900) // the SDK's first backoff is 2 s
  })

  it('ends a persistent 500 in a clear AppError that names the server, not the key', async () => {
    const server = await startEmbeddingServer(() => ({
      status: 500,
      headers: { 'retry-after-ms': '1' },
      body: { error: { message: `internal error while using key ${apiKey}`, type: 'server_error' } },
    }))
    const embedder = createOpenAiEmbedder({ apiKey, baseUrl: server.baseUrl, model: 'test-embed' })

    const error = await embedder.embed(texts(3)).catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(AppError)
    const appError = error as AppError
    expect(appError.code).toBe('unavailable')
    expect(appError.status).toBe(503)
    expect(appError.message).toContain(server.baseUrl)
    expect(appError.message).toContain('HTTP 500')
    expect(appError.message).toContain('5 attempts')
    expect(appError.message).not.toContain(apiKey)
    expect(JSON.stringify(appError.toJSON())).not.toContain(apiKey)
    expect(server.requests).toHaveLength(5) // 1 + maxRetries (4)
  })

  it('does not retry a refused key and says what to check', async () => {
    const server = await startEmbeddingServer(() => ({
      status: 401,
      body: { error: { message: `Incorrect API key provided: ${apiKey}`, type: 'invalid_request_error' } },
    }))
    const embedder = createOpenAiEmbedder({ apiKey, baseUrl: server.baseUrl, model: 'test-embed' })
    const error = (await embedder.embed(['text 1']).catch((caught: unknown) => caught)) as AppError
    expect(error).toBeInstanceOf(AppError)
    expect(error.code).toBe('unavailable')
    expect(error.message).toMatch(/refused the credentials \(HTTP 401\); check OPENAI_API_KEY/)
    expect(error.message).not.toContain(apiKey)
    expect(server.requests).toHaveLength(1)
  })

  it('turns a rate limit that never ends into rate_limited', async () => {
    const server = await startEmbeddingServer(() => ({ status: 429, headers: { 'retry-after-ms': '1' } }))
    const embedder = createOpenAiEmbedder({
      apiKey,
      baseUrl: server.baseUrl,
      model: 'test-embed',
      maxRetries: 2,
    })
    const error = (await embedder.embed(['text 1']).catch((caught: unknown) => caught)) as AppError
    expect(error).toMatchObject({ code: 'rate_limited', status: 429 })
    expect(server.requests).toHaveLength(3)
  })

  it('sends configured dimensions and rejects vectors of another length', async () => {
    const server = await startEmbeddingServer()
    const embedder = createOpenAiEmbedder({
      apiKey,
      baseUrl: server.baseUrl,
      model: 'test-embed',
      dimensions: 8,
    })
    expect(embedder.dimensions).toBe(8)
    const error = (await embedder.embed(['text 1']).catch((caught: unknown) => caught)) as AppError
    expect(server.requests[0]!.dimensions).toBe(8)
    expect(error).toBeInstanceOf(AppError)
    expect(error.message).toMatch(/returned 3-dimensional vectors .* expected 8/)
  })

  it('reports an unreachable server as unavailable', async () => {
    const server = await startEmbeddingServer()
    const baseUrl = server.baseUrl
    await Promise.all(servers.splice(0).map((closing) => new Promise((resolve) => closing.close(resolve))))
    const embedder = createOpenAiEmbedder({ apiKey, baseUrl, model: 'test-embed', maxRetries: 0 })
    const error = (await embedder.embed(['text 1']).catch((caught: unknown) => caught)) as AppError
    expect(error).toMatchObject({ code: 'unavailable' })
    expect(error.message).toBe(`The embedding server at ${baseUrl} could not be reached (1 attempt)`)
  })

  it('works with a keyless local server, names hosted OpenAI models openai:*, and needs a key or URL', async () => {
    const server = await startEmbeddingServer()
    const local = createOpenAiEmbedder({ baseUrl: server.baseUrl, model: 'nomic-embed-text' })
    expect(await local.embed(['text 3', ''])).toEqual([vectorFor('text 3'), vectorFor(' ')])
    expect(server.requests[0]!.inputs).toEqual(['text 3', ' ']) // an empty input is sent as a space

    expect(createOpenAiEmbedder({ apiKey, model: 'text-embedding-3-small' }).model).toBe(
      'openai:text-embedding-3-small',
    )
    expect(() => createOpenAiEmbedder({ model: 'text-embedding-3-small' })).toThrow(AppError)
    expect(() => createOpenAiEmbedder({ apiKey, model: 'x', maxBatchSize: 5000 })).toThrow(AppError)
  })

  it('passes the caller abort through', async () => {
    const server = await startEmbeddingServer(() => ({ delayMs: 200 }))
    const embedder = createOpenAiEmbedder({ apiKey, baseUrl: server.baseUrl, model: 'test-embed' })
    const controller = new AbortController()
    const pending = embedder.embed(texts(3), { abortSignal: controller.signal })
    setTimeout(() => controller.abort(), 20)
    const error = await pending.catch((caught: unknown) => caught)
    expect(error).not.toBeInstanceOf(AppError)
    expect((error as Error).name).toBe('AbortError')
  })
})
