import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A scripted OpenAI-compatible HTTP server for integration tests: the real `@ai-sdk/openai` client
 * (`createOpenAI({ baseURL: server.url, apiKey: 'test' }).chat(...)` / `.embedding(...)`) talks to it
 * over HTTP on 127.0.0.1, and each chat-completions request is answered by the next scripted
 * response (text, tool calls, or a fault), streamed in OpenAI's exact SSE format.
 */

/** A tool call the scripted model makes; `arguments` objects are sent as JSON. */
export type ScriptedToolCall = { name: string; arguments: Record<string, unknown> | string; id?: string }

/** A failure to inject instead of (or in the middle of) a normal response. */
export type ScriptedFault =
  /** Answer with this HTTP status and an OpenAI-style JSON error body (`retry-after` header if given). */
  | { type: 'status'; status: number; retryAfterSeconds?: number; message?: string }
  /** Send the headers, then wait `delayMs` before the first SSE chunk (or the JSON body). */
  | { type: 'slow-first-token'; delayMs: number }
  /** Destroy the socket after `afterChunks` SSE chunks (so no `[DONE]`); non-streaming: at once. */
  | { type: 'cut'; afterChunks: number }

/** One scripted answer to a chat-completions request. */
export interface ScriptedResponse {
  /** Streamed as several content deltas of about 8 characters each. */
  text?: string
  /** Streamed as `tool_calls` deltas (id and name first, arguments in pieces); finish reason `tool_calls`. */
  toolCalls?: ScriptedToolCall[]
  fault?: ScriptedFault
  /** Reported usage; by default estimated as characters / 4. */
  usage?: { promptTokens: number; completionTokens: number }
  /** Extra delay between SSE chunks, in ms (default: none), e.g. to abort in the middle of a stream. */
  chunkDelayMs?: number
  /** Computes the response from the request (e.g. to echo tool results) instead of the static fields. */
  respond?: (request: RecordedRequest) => Omit<ScriptedResponse, 'respond'>
}

/** A request the server received (chat completions or embeddings). */
export interface RecordedRequest {
  /** The URL path, e.g. `/v1/chat/completions`. */
  path: string
  /** The parsed JSON body. */
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary OpenAI request bodies
  body: any
  headers: Record<string, string | string[] | undefined>
  /** True once the client closed the connection before the response finished (not for `cut` faults). */
  aborted: boolean
}

/** The running server; see {@link startScriptedLlmServer}. */
export interface ScriptedLlmServer {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:PORT/v1` (what `OPENAI_BASE_URL` would be). */
  url: string
  /** Queues responses for the next chat-completions requests, in order. */
  script(...responses: ScriptedResponse[]): void
  /**
   * The response used when the queue is empty; `undefined` restores the built-in one: a 500 error
   * saying the script ran out (with `retry-after: 0`, so the AI SDK's retries fail fast).
   */
  setDefault(response: ScriptedResponse | undefined): void
  /** Every request to `/v1/chat/completions` and `/v1/embeddings`, in order. */
  requests: RecordedRequest[]
  /** The recorded chat-completions requests, in order. */
  chatRequests(): RecordedRequest[]
  /** Resolves once `count` (default 1) chat requests were aborted by the client; rejects after `timeoutMs` (default 5 s). */
  waitForAbort(options?: { count?: number; timeoutMs?: number }): Promise<void>
  /** Clears the script, the recorded requests and the default response. */
  reset(): void
  /** Closes every connection and stops the server. */
  close(): Promise<void>
}

const chatPath = '/v1/chat/completions'
const embeddingsPath = '/v1/embeddings'

const scriptExhausted: ScriptedResponse = {
  fault: {
    type: 'status',
    status: 500,
    retryAfterSeconds: 0,
    message: 'scripted-llm-server: the script ran out (no scripted response left for this request)',
  },
}

/**
 * Starts a scripted OpenAI-compatible server on 127.0.0.1 (`port` 0, the default, picks a free one).
 * Embedding vectors are deterministic, `embeddingDimensions` long (default 64; a request's
 * `dimensions` wins), and texts sharing words are close. Embedding requests do not use the script.
 */
export async function startScriptedLlmServer(
  options: { port?: number; embeddingDimensions?: number } = {},
): Promise<ScriptedLlmServer> {
  const embeddingDimensions = options.embeddingDimensions ?? 64
  let queue: ScriptedResponse[] = []
  let fallback: ScriptedResponse | undefined
  let sequence = 0
  const requests: RecordedRequest[] = []
  const chatRequests = () => requests.filter((request) => request.path === chatPath)
  const abortWaiters = new Set<() => void>()
  const notifyAbortWaiters = () => {
    for (const check of abortWaiters) check()
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    if (req.method !== 'POST' || (path !== chatPath && path !== embeddingsPath)) {
      sendError(res, 404, `scripted-llm-server: no route for ${req.method} ${path}`, 'not_found')
      return
    }
    let body: unknown
    try {
      body = JSON.parse(await readBody(req))
    } catch {
      sendError(res, 400, 'scripted-llm-server: the request body is not JSON', 'invalid_request_error')
      return
    }
    const record: RecordedRequest = { path, body, headers: { ...req.headers }, aborted: false }
    requests.push(record)
    // A 'close' before the response finished means the client went away (unless we cut it ourselves).
    const state = { cut: false, closed: false }
    res.on('close', () => {
      state.closed = true
      if (res.writableFinished || state.cut) return
      record.aborted = true
      notifyAbortWaiters()
    })
    if (path === embeddingsPath) {
      sendJson(res, 200, embeddingResponse(record.body, embeddingDimensions))
      return
    }
    const scripted = queue.shift() ?? fallback ?? scriptExhausted
    let response: Omit<ScriptedResponse, 'respond'>
    try {
      response = scripted.respond ? scripted.respond(record) : scripted
    } catch (error) {
      // retry-after: 0 so the AI SDK's retries (which take the next scripted entries) fail fast.
      sendError(res, 500, `scripted-llm-server: respond() threw: ${String(error)}`, 'server_error', {
        'retry-after': '0',
      })
      return
    }
    sequence += 1
    await answerChat(res, record.body, response, sequence, state)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, `scripted-llm-server: ${String(error)}`, 'server_error')
      else res.destroy()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}/v1`,
    script(...responses) {
      queue.push(...responses)
    },
    setDefault(response) {
      fallback = response
    },
    requests,
    chatRequests,
    waitForAbort({ count = 1, timeoutMs = 5000 } = {}) {
      return new Promise<void>((resolve, reject) => {
        const aborted = () => chatRequests().filter((request) => request.aborted).length
        const finish = (error?: Error) => {
          clearTimeout(timer)
          abortWaiters.delete(check)
          if (error) reject(error)
          else resolve()
        }
        const check = () => {
          if (aborted() >= count) finish()
        }
        const timer = setTimeout(() => {
          finish(
            new Error(`waitForAbort: ${aborted()} of ${count} chat request(s) aborted after ${timeoutMs} ms`),
          )
        }, timeoutMs)
        abortWaiters.add(check)
        check()
      })
    },
    reset() {
      queue = []
      fallback = undefined
      requests.length = 0
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      })
    },
  }
}

/** Answers one chat-completions request with a scripted response (streamed when `body.stream`). */
async function answerChat(
  res: ServerResponse,
  // biome-ignore lint/suspicious/noExplicitAny: an arbitrary OpenAI request body
  body: any,
  response: Omit<ScriptedResponse, 'respond'>,
  sequence: number,
  state: { cut: boolean; closed: boolean },
): Promise<void> {
  const { fault } = response
  if (fault?.type === 'status') {
    const headers: Record<string, string> =
      fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) }
    const message = fault.message ?? `scripted-llm-server: scripted HTTP ${fault.status}`
    sendError(res, fault.status, message, errorType(fault.status), headers)
    return
  }
  const cut = () => {
    state.cut = true
    res.socket?.destroy()
  }
  const id = `chatcmpl-scripted-${sequence}`
  const created = Math.floor(Date.now() / 1000)
  const model = typeof body?.model === 'string' ? body.model : 'scripted-model'
  const text = response.text ?? ''
  const toolCalls = (response.toolCalls ?? []).map((call, index) => ({
    id: call.id ?? `call_scripted_${sequence}_${index}`,
    name: call.name,
    arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
  }))
  const finishReason = toolCalls.length > 0 ? 'tool_calls' : 'stop'
  const promptTokens =
    response.usage?.promptTokens ?? Math.ceil(JSON.stringify(body?.messages ?? body).length / 4)
  const completionTokens =
    response.usage?.completionTokens ??
    Math.ceil(
      (text.length + toolCalls.reduce((sum, call) => sum + call.name.length + call.arguments.length, 0)) / 4,
    )
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  }
  // (Not `req.destroyed`: Node destroys the request stream once its body has been read.)
  const gone = () => state.closed || res.destroyed

  if (body?.stream !== true) {
    if (fault?.type === 'slow-first-token') await sleep(fault.delayMs, res)
    if (gone()) return
    if (fault?.type === 'cut') return cut()
    sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: text.length > 0 || toolCalls.length === 0 ? text : null,
            ...(toolCalls.length > 0
              ? {
                  tool_calls: toolCalls.map((call) => ({
                    id: call.id,
                    type: 'function',
                    function: { name: call.name, arguments: call.arguments },
                  })),
                }
              : {}),
          },
          finish_reason: finishReason,
        },
      ],
      usage,
    })
    return
  }

  // Streaming: role chunk, content deltas, tool-call deltas, finish chunk, usage chunk, [DONE].
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  })
  const chunks: unknown[] = [chunk({ role: 'assistant', content: toolCalls.length > 0 && !text ? null : '' })]
  for (const piece of splitPieces(text, 8)) chunks.push(chunk({ content: piece }))
  toolCalls.forEach((call, index) => {
    chunks.push(
      chunk({
        tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }],
      }),
    )
    for (const piece of splitPieces(call.arguments, 8, 2)) {
      chunks.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }))
    }
  })
  chunks.push(chunk({}, finishReason))
  if (body?.stream_options?.include_usage)
    chunks.push({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  res.flushHeaders()
  if (fault?.type === 'slow-first-token') await sleep(fault.delayMs, res)
  let written = 0
  for (const data of chunks) {
    if (gone()) return
    if (fault?.type === 'cut' && written >= fault.afterChunks) return cut()
    res.write(`data: ${JSON.stringify(data)}\n\n`)
    written += 1
    // Yield between chunks so they reach the client separately (and aborts are noticed).
    if (response.chunkDelayMs) await sleep(response.chunkDelayMs, res)
    else await new Promise((resolve) => setImmediate(resolve))
  }
  if (gone()) return
  if (fault?.type === 'cut') return cut()
  res.end('data: [DONE]\n\n')
}

/** An OpenAI embeddings response with deterministic, feature-hashed, L2-normalised vectors. */
// biome-ignore lint/suspicious/noExplicitAny: an arbitrary OpenAI request body
function embeddingResponse(body: any, defaultDimensions: number) {
  const inputs: unknown[] = Array.isArray(body?.input) ? body.input : [body?.input ?? '']
  const dimensions =
    Number.isInteger(body?.dimensions) && body.dimensions > 0
      ? (body.dimensions as number)
      : defaultDimensions
  let tokens = 0
  const data = inputs.map((input, index) => {
    const words =
      String(input)
        .toLowerCase()
        .match(/[\p{L}\p{N}]+/gu) ?? []
    tokens += Math.max(1, words.length)
    return { object: 'embedding', index, embedding: hashedVector(words, dimensions) }
  })
  return {
    object: 'list',
    data,
    model: typeof body?.model === 'string' ? body.model : 'scripted-embedding',
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  }
}

/** Feature hashing of words (FNV-1a, signed), L2-normalised; no words gives a fixed unit vector. */
function hashedVector(words: string[], dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0)
  for (const word of words) {
    let hash = 0x811c9dc5
    for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 0x01000193) >>> 0
    const bucket = hash % dimensions
    vector[bucket] = (vector[bucket] ?? 0) + ((hash >>> 16) & 1 ? 1 : -1)
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0))
  if (norm === 0) return vector.map((_, index) => (index === 0 ? 1 : 0))
  return vector.map((value) => value / norm)
}

/** Splits text into pieces of `size` code points, into at least `minPieces` pieces when it is long enough. */
function splitPieces(text: string, size: number, minPieces = 1): string[] {
  const characters = Array.from(text)
  if (characters.length === 0) return minPieces > 1 ? [''] : []
  const pieceSize = Math.max(1, Math.min(size, Math.ceil(characters.length / minPieces)))
  const pieces: string[] = []
  for (let i = 0; i < characters.length; i += pieceSize)
    pieces.push(characters.slice(i, i + pieceSize).join(''))
  return pieces
}

function errorType(status: number): string {
  if (status === 429) return 'rate_limit_exceeded'
  if (status >= 500) return 'server_error'
  if (status === 401) return 'invalid_api_key'
  return 'invalid_request_error'
}

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  type: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { message, type, param: null, code: type } }, headers)
}

function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(value)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(payload)),
    ...headers,
  })
  res.end(payload)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = []
  for await (const part of req) parts.push(part as Buffer)
  return Buffer.concat(parts).toString('utf8')
}

/** Waits `ms`, or less if the response closes first (client gone). */
function sleep(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      res.off('close', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    res.on('close', done)
  })
}
