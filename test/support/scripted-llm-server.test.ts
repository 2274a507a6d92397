import { createOpenAI } from '@ai-sdk/openai'
import { APICallError, embedMany, generateText, isStepCount, streamText, tool } from 'ai'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { type ScriptedLlmServer, startScriptedLlmServer } from './scripted-llm-server.ts'

let server: ScriptedLlmServer
let openai: ReturnType<typeof createOpenAI>

beforeAll(async () => {
  server = await startScriptedLlmServer()
  openai = createOpenAI({ baseURL: server.url, apiKey: 'test-key' })
})
afterAll(() => server.close())
beforeEach(() => server.reset())

const cosine = (a: number[], b: number[]) => a.reduce((sum, value, index) => sum + value * (b[index] ?? 0), 0)

describe('scripted LLM server with the real AI SDK client', () => {
  it('streams scripted text in several pieces', async () => {
    const text = 'Hello from the scripted model, in several pieces.'
    server.script({ text, usage: { promptTokens: 11, completionTokens: 7 } })

    const result = streamText({ model: openai.chat('test-model'), prompt: 'Say hello' })
    const pieces: string[] = []
    for await (const piece of result.textStream) pieces.push(piece)

    expect(pieces.join('')).toBe(text)
    expect(pieces.length).toBeGreaterThan(3)
    expect(await result.finishReason).toBe('stop')
    expect((await result.usage).inputTokens).toBe(11)
    expect((await result.usage).outputTokens).toBe(7)
    const [request] = server.chatRequests()
    expect(request?.body.model).toBe('test-model')
    expect(request?.body.stream).toBe(true)
    expect(request?.headers.authorization).toBe('Bearer test-key')
    expect(request?.body.messages).toEqual([{ role: 'user', content: 'Say hello' }])
  })

  it('answers non-streaming requests with a chat.completion', async () => {
    server.script({ text: 'Plain answer' })

    const result = await generateText({ model: openai.chat('test-model'), prompt: 'Answer plainly' })

    expect(result.text).toBe('Plain answer')
    expect(result.finishReason).toBe('stop')
    expect(result.usage.outputTokens).toBe(Math.ceil('Plain answer'.length / 4))
    expect(server.chatRequests()[0]?.body.stream).not.toBe(true)
  })

  it('streams a tool call, runs the tool, and streams the next step with the tool result in the request', async () => {
    const execute = vi.fn(async ({ city }: { city: string }) => ({ city, temperatureC: 21 }))
    server.script(
      { toolCalls: [{ name: 'getWeather', arguments: { city: 'Lisbon, Portugal' }, id: 'call_weather_1' }] },
      {
        respond: (request) => {
          const toolMessage = request.body.messages.find(
            (message: { role: string }) => message.role === 'tool',
          )
          return { text: `Tool said: ${toolMessage?.content}` }
        },
      },
    )

    const result = streamText({
      model: openai.chat('test-model'),
      prompt: 'Weather in Lisbon?',
      tools: {
        getWeather: tool({
          description: 'Current weather for a city',
          inputSchema: z.object({ city: z.string() }),
          execute,
        }),
      },
      stopWhen: isStepCount(3),
    })
    const text = await result.text

    expect(execute).toHaveBeenCalledTimes(1)
    expect(execute.mock.calls[0]?.[0]).toEqual({ city: 'Lisbon, Portugal' })
    const steps = await result.steps
    expect(steps).toHaveLength(2)
    expect(steps[0]?.finishReason).toBe('tool-calls')
    expect(steps[0]?.toolCalls[0]).toMatchObject({ toolName: 'getWeather', toolCallId: 'call_weather_1' })

    const [first, second] = server.chatRequests()
    expect(first?.body.tools?.[0]?.function?.name).toBe('getWeather')
    const assistant = second?.body.messages.find((message: { role: string }) => message.role === 'assistant')
    expect(assistant?.tool_calls?.[0]).toMatchObject({
      id: 'call_weather_1',
      function: { name: 'getWeather', arguments: JSON.stringify({ city: 'Lisbon, Portugal' }) },
    })
    const toolMessage = second?.body.messages.find((message: { role: string }) => message.role === 'tool')
    expect(toolMessage?.tool_call_id).toBe('call_weather_1')
    expect(JSON.parse(toolMessage?.content)).toEqual({ city: 'Lisbon, Portugal', temperatureC: 21 })
    expect(text).toBe(`Tool said: ${toolMessage?.content}`)
  })

  it("writes OpenAI's SSE wire format: role, content, tool-call fragments, finish, usage, [DONE]", async () => {
    server.script({
      text: 'Checking the calendar',
      toolCalls: [{ name: 'listEvents', arguments: { day: 'monday' } }],
    })

    const response = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'wire-model',
        messages: [],
        stream: true,
        stream_options: { include_usage: true },
      }),
    })
    expect(response.headers.get('content-type')).toBe('text/event-stream')
    const events = (await response.text()).split('\n\n').filter(Boolean)

    expect(events.every((event) => event.startsWith('data: '))).toBe(true)
    expect(events.at(-1)).toBe('data: [DONE]')
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.slice('data: '.length)))
    expect(
      chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.model === 'wire-model'),
    ).toBe(true)
    expect(chunks[0].choices[0].delta.role).toBe('assistant')
    const deltas = chunks.flatMap((chunk) => chunk.choices.map((choice: { delta: unknown }) => choice.delta))
    const content = deltas.filter((delta) => delta.content).map((delta) => delta.content)
    expect(content.length).toBeGreaterThan(1)
    expect(content.join('')).toBe('Checking the calendar')
    const toolDeltas = deltas.flatMap((delta) => delta.tool_calls ?? [])
    expect(toolDeltas[0]).toMatchObject({
      index: 0,
      type: 'function',
      function: { name: 'listEvents', arguments: '' },
    })
    expect(toolDeltas[0].id).toMatch(/^call_/)
    expect(toolDeltas.length).toBeGreaterThanOrEqual(3)
    expect(toolDeltas.map((delta) => delta.function.arguments).join('')).toBe('{"day":"monday"}')
    expect(chunks.at(-2).choices[0].finish_reason).toBe('tool_calls')
    expect(chunks.at(-1).choices).toEqual([])
    expect(chunks.at(-1).usage.total_tokens).toBe(
      chunks.at(-1).usage.prompt_tokens + chunks.at(-1).usage.completion_tokens,
    )
  })

  it('answers a status fault with an OpenAI error body and retry-after header', async () => {
    server.script({ fault: { type: 'status', status: 429, retryAfterSeconds: 3, message: 'Slow down' } })

    const response = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test-model', messages: [] }),
    })

    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toBe('3')
    expect(await response.json()).toMatchObject({
      error: { message: 'Slow down', type: 'rate_limit_exceeded' },
    })
  })

  it('lets the AI SDK retry a 429 with retry-after and succeed on the next scripted response', async () => {
    server.script(
      { fault: { type: 'status', status: 429, retryAfterSeconds: 0 } },
      { text: 'ok after retry' },
    )

    const started = Date.now()
    const result = streamText({ model: openai.chat('test-model'), prompt: 'Retry me' })

    expect(await result.text).toBe('ok after retry')
    expect(server.chatRequests()).toHaveLength(2)
    // retry-after: 0 is honoured (without it the SDK would back off 2 s).
    expect(Date.now() - started).toBeLessThan(1500)
  })

  it('fails fast with a clear error when the script runs out', async () => {
    await expect(
      generateText({ model: openai.chat('test-model'), prompt: 'Nothing scripted' }),
    ).rejects.toThrow(/script ran out/)
  })

  it('surfaces a cut connection to the stream consumer as a thrown APICallError', async () => {
    const text = 'This answer will be cut off somewhere in the middle of the stream.'
    server.script({ text, fault: { type: 'cut', afterChunks: 3 } })

    // A network failure after streaming started is thrown from the stream iteration (no `error`
    // part, no onError call), and is not retried unless `streamRetries` is set.
    const result = streamText({ model: openai.chat('test-model'), prompt: 'Cut me' })
    let received = ''
    let thrown: unknown
    try {
      for await (const part of result.stream) if (part.type === 'text-delta') received += part.text
    } catch (error) {
      thrown = error
    }

    expect(APICallError.isInstance(thrown)).toBe(true)
    expect(String((thrown as APICallError).cause)).toMatch(/terminated/)
    expect(received.length).toBeGreaterThan(0)
    expect(text.startsWith(received)).toBe(true)
    expect(received).not.toBe(text)
    expect(server.chatRequests()).toHaveLength(1)
    expect(server.chatRequests()[0]?.aborted).toBe(false)
  })

  it('surfaces an HTTP error as an error part, onError call and rejected text', async () => {
    server.script({ fault: { type: 'status', status: 400, message: 'Bad scripted request' } })
    const onError = vi.fn()

    const result = streamText({ model: openai.chat('test-model'), prompt: 'Fail me', onError })
    const errors: unknown[] = []
    for await (const part of result.stream) if (part.type === 'error') errors.push(part.error)

    expect(errors).toHaveLength(1)
    expect(APICallError.isInstance(errors[0]) && errors[0].statusCode).toBe(400)
    expect(onError).toHaveBeenCalledTimes(1)
    await expect(result.text).rejects.toThrow(/No output generated/)
  })

  it('returns deterministic embeddings without consuming the chat script', async () => {
    server.script({ text: 'still scripted' })
    const model = openai.embedding('test-embedding')

    const { embeddings } = await embedMany({
      model,
      values: [
        'Invoice overdue for Acme',
        'Invoice overdue for Acme',
        'acme invoice is overdue',
        'Team lunch on Friday',
      ],
    })

    expect(embeddings).toHaveLength(4)
    for (const vector of embeddings) {
      expect(vector).toHaveLength(64)
      expect(cosine(vector, vector)).toBeCloseTo(1, 6)
    }
    const [a, b, similar, other] = embeddings as [number[], number[], number[], number[]]
    expect(a).toEqual(b)
    expect(cosine(a, similar)).toBeGreaterThan(cosine(a, other))
    const sized = await embedMany({ model, values: ['x'], dimensions: 16 })
    expect(sized.embeddings[0]).toHaveLength(16)
    expect(server.requests.map((request) => request.path)).toEqual(['/v1/embeddings', '/v1/embeddings'])

    expect(await generateText({ model: openai.chat('test-model'), prompt: 'Still there?' })).toMatchObject({
      text: 'still scripted',
    })
  })

  it('records a request aborted by the client while waiting for the first token', async () => {
    server.script({ text: 'too late', fault: { type: 'slow-first-token', delayMs: 10_000 } })
    const controller = new AbortController()

    const result = streamText({
      model: openai.chat('test-model'),
      prompt: 'Abort me',
      abortSignal: controller.signal,
    })
    const consumed = result.consumeStream()
    await vi.waitFor(() => expect(server.chatRequests()).toHaveLength(1))
    expect(server.chatRequests()[0]?.aborted).toBe(false)
    controller.abort()

    await server.waitForAbort({ timeoutMs: 2000 })
    expect(server.chatRequests()[0]?.aborted).toBe(true)
    await consumed
  })

  it('records a request aborted in the middle of a stream', async () => {
    server.script({ text: 'a long streamed answer that the client stops reading halfway', chunkDelayMs: 50 })
    const controller = new AbortController()

    const result = streamText({
      model: openai.chat('test-model'),
      prompt: 'Stop me',
      abortSignal: controller.signal,
    })
    let received = ''
    for await (const piece of result.textStream) {
      received += piece
      if (received.length >= 16) controller.abort()
    }

    await server.waitForAbort()
    expect(server.chatRequests()[0]?.aborted).toBe(true)
    expect(received.length).toBeLessThan(40)
  })

  it('times out waiting for an abort that does not happen, and 404s unknown paths', async () => {
    server.script({ text: 'done' })
    await generateText({ model: openai.chat('test-model'), prompt: 'Finish normally' })
    expect(server.chatRequests()[0]?.aborted).toBe(false)
    await expect(server.waitForAbort({ timeoutMs: 50 })).rejects.toThrow(/0 of 1/)

    const response = await fetch(`${server.url}/models`)
    expect(response.status).toBe(404)
    expect(server.requests).toHaveLength(1)
  })
})
