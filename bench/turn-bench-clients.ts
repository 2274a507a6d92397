/**
 * The model and client side of the turn bench (bench/turn-bench.ts), run in a child process so the
 * server's event loop does only the server's work, as in production, where the model provider and
 * the chat client are other machines. In one process, the scripted model's JSON parsing of every
 * request (31 tool schemas in Nereid's, one in the floor's) and the client's reading of the stream
 * ran on the loop being measured. Commands arrive over IPC:
 *
 *   - `start` { queries }  start the scripted OpenAI-compatible model; replies its `url`
 *   - `turns` { baseUrl, apiKey, email, turns: [{ key, question }] }  run these chats over HTTP at
 *              once (one for the sequential runs, many for the concurrency run); replies each one's
 *              result
 *   - `calls` { key }  when the model received each call of the turn `key` (epoch ms), then forgets it
 *   - `close`
 *
 * Times crossing the process boundary are epoch milliseconds (`performance.timeOrigin + now()`).
 */
import type { UIMessageChunk } from 'ai'
import {
  type RecordedRequest,
  type ScriptedLlmServer,
  type ScriptedResponse,
  startScriptedLlmServer,
} from '../test/support/scripted-llm-server.ts'

/** One chat as the client saw it. */
export interface ClientTurnResult {
  /** When the request was sent (epoch ms). */
  startedAt: number
  /** Time from sending the request to the first text delta; undefined if none. */
  firstTokenMs: number | undefined
  /** Time until the stream ended. */
  totalMs: number
  /** Why the turn counts as failed, or undefined. */
  failure: string | undefined
  conversationId: string | undefined
}

type Command =
  | { command: 'start'; queries: string[] }
  | {
      command: 'turns'
      baseUrl: string
      apiKey: string
      email: string
      turns: { key: string; question: string }[]
    }
  | { command: 'calls'; key: string }
  | { command: 'close' }

/** The answer the scripted model streams after the search (about 25 deltas of 8 characters). */
const answerText =
  'According to the handbook [1], renewals are reviewed every quarter by the account owner; ' +
  'the pricing notes [2] add that discounts above 15% need a second approval. Want the details?'

const turnKeyPattern = /\[turn ([\w-]+)\]/
const epochNow = () => performance.timeOrigin + performance.now()
const reply = (message: Record<string, unknown>) => process.send?.(message)

/** Per turn key, when the scripted model received each of its calls (epoch ms). */
const calls = new Map<string, number[]>()
let llm: ScriptedLlmServer | undefined

/**
 * The scripted model, as a `respond` function so it holds for any number of interleaved turns: a
 * request that ends with a tool result (or offers no `search_knowledge`) gets the streamed answer,
 * any other one a `search_knowledge` call with the next query. Records when each request of a turn
 * (found by the `[turn key]` in its user message) arrived.
 */
function scriptedModel(queries: string[]): ScriptedResponse {
  let next = 0
  return {
    respond(request: RecordedRequest) {
      const receivedAt = epochNow()
      const body = request.body as {
        messages?: { role?: string; content?: unknown }[]
        tools?: { function?: { name?: string } }[]
      }
      const messages = body.messages ?? []
      const user = messages.findLast((message) => message.role === 'user')
      const key = turnKeyPattern.exec(JSON.stringify(user?.content ?? ''))?.[1]
      if (key) calls.set(key, [...(calls.get(key) ?? []), receivedAt])
      const offersSearch = (body.tools ?? []).some((entry) => entry.function?.name === 'search_knowledge')
      if (!offersSearch || messages.at(-1)?.role === 'tool') return { text: answerText }
      const query = queries[next++ % queries.length]!
      return { toolCalls: [{ name: 'search_knowledge', arguments: { query } }] }
    },
  }
}

/** Reads an AI SDK UI message stream (SSE) from `response`, noting the first text delta. */
async function readTurn(response: Response, started: number): Promise<ClientTurnResult> {
  const conversationId = response.headers.get('x-nereid-conversation-id') ?? undefined
  const startedAt = performance.timeOrigin + started
  if (response.status !== 200 || !response.body) {
    const text = await response.text().catch(() => '')
    return {
      startedAt,
      firstTokenMs: undefined,
      totalMs: performance.now() - started,
      failure: `HTTP ${response.status} ${text.slice(0, 200)}`,
      conversationId,
    }
  }
  let firstTokenMs: number | undefined
  let finished = false
  let searched = false
  let failure: string | undefined
  let buffer = ''
  const decoder = new TextDecoder()
  const handle = (event: string) => {
    for (const line of event.split('\n')) {
      if (!line.startsWith('data: ') || line === 'data: [DONE]') continue
      const chunk = JSON.parse(line.slice(6)) as UIMessageChunk
      if (chunk.type === 'text-delta' && firstTokenMs === undefined)
        firstTokenMs = performance.now() - started
      else if (chunk.type === 'tool-output-available') searched = true
      else if (chunk.type === 'error') failure ??= `error chunk: ${chunk.errorText}`
      else if (chunk.type === 'finish') finished = true
    }
  }
  for await (const bytes of response.body) {
    buffer += decoder.decode(bytes, { stream: true })
    let end = buffer.indexOf('\n\n')
    while (end !== -1) {
      handle(buffer.slice(0, end))
      buffer = buffer.slice(end + 2)
      end = buffer.indexOf('\n\n')
    }
  }
  handle(buffer)
  if (!finished) failure ??= 'no finish chunk'
  if (firstTokenMs === undefined) failure ??= 'no text'
  if (!searched) failure ??= 'search_knowledge did not run'
  return { startedAt, firstTokenMs, totalMs: performance.now() - started, failure, conversationId }
}

/** One chat over HTTP in a new conversation (`POST /v1/chat` as an API-key caller). */
async function httpTurn({
  baseUrl,
  apiKey,
  email,
  key,
  question,
}: {
  baseUrl: string
  apiKey: string
  email: string
  key: string
  question: string
}): Promise<ClientTurnResult> {
  const started = performance.now()
  try {
    const response = await fetch(`${baseUrl}/v1/chat`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${apiKey}`,
        'X-Nereid-User': email,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        id: `turn-bench-${key}`,
        messages: [{ id: `message-${key}`, role: 'user', parts: [{ type: 'text', text: question }] }],
      }),
      signal: AbortSignal.timeout(180_000),
    })
    return await readTurn(response, started)
  } catch (error) {
    return {
      startedAt: performance.timeOrigin + started,
      firstTokenMs: undefined,
      totalMs: performance.now() - started,
      failure: String(error),
      conversationId: undefined,
    }
  }
}

process.on('message', async (message: Command) => {
  switch (message.command) {
    case 'start': {
      llm = await startScriptedLlmServer()
      llm.setDefault(scriptedModel(message.queries))
      reply({ done: 'start', url: llm.url })
      break
    }
    case 'turns': {
      const { baseUrl, apiKey, email } = message
      const results = await Promise.all(
        message.turns.map(({ key, question }) => httpTurn({ baseUrl, apiKey, email, key, question })),
      )
      // The recorded requests are not needed (the times are kept in `calls`).
      if (llm) llm.requests.length = 0
      reply({ done: 'turns', results })
      break
    }
    case 'calls': {
      reply({ done: 'calls', times: calls.get(message.key) ?? [] })
      calls.delete(message.key)
      break
    }
    case 'close': {
      await llm?.close()
      process.disconnect?.()
      break
    }
  }
})
reply({ done: 'ready' })
