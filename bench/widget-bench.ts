/**
 * Widget bench (issue 6): one Nereid process serving the widget's WebSocket, with the clients in a
 * child process (bench/widget-bench-clients.ts) so the server's memory and event loop are its own.
 *
 *   - memory per idle connection: heap + external (and RSS) of the server after a full GC, before
 *     and after BENCH_WIDGET_IDLE (default 1,000) connections are open and idle
 *   - streaming: BENCH_WIDGET_STREAMS (default 100) of those connections each ask a question at the
 *     same moment; a local OpenAI-compatible model streams 40 tokens per answer, 25 ms apart, each
 *     token carrying the time it left the model; the client records when it arrived. The floor is
 *     the same streams read straight from the model server by the same child process, so "added"
 *     is what the AI SDK, the chat service, persistence and the socket add. Errors are counted
 *     (error events, answers without `finish`, sockets dropped). Both are measured on their second
 *     round (the first warms connections and code paths).
 *
 * Targets: < 50 KB per idle connection, p99 added delay < 50 ms, no errors.
 */
import { fork } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createChatModel } from '../assistant/index.ts'
import { systemClock } from '../core/index.ts'
import type { Database } from '../db/index.ts'
import { createTestServices, createTestWorkspace } from '../test/support/http-fixtures.ts'
import { askChild, percentile, round } from './bench-harness.ts'

const targets = { idleBytesPerConnection: 50 * 1024, addedP99Ms: 50 }
const tokensPerAnswer = 40
const tokenIntervalMs = 25

/** One printed result line. */
export type WidgetBenchRow = Record<string, string | number | boolean>

export interface WidgetBenchOptions {
  database: Database
  mode: string
  log: (line: string) => void
}

/** A local OpenAI-compatible model: each streamed token is the epoch time (ms) it was sent. */
async function startTimestampModel(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      const chunk = (body: Record<string, unknown>) =>
        response.write(
          `data: ${JSON.stringify({ id: 'bench', object: 'chat.completion.chunk', created: 0, model: 'bench', ...body })}\n\n`,
        )
      chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })
      let sent = 0
      const timer = setInterval(() => {
        if (sent === tokensPerAnswer) {
          clearInterval(timer)
          chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })
          chunk({
            choices: [],
            usage: { prompt_tokens: 10, completion_tokens: tokensPerAnswer, total_tokens: 50 },
          })
          response.end('data: [DONE]\n\n')
          return
        }
        sent += 1
        const content = `${(performance.timeOrigin + performance.now()).toFixed(3)} `
        chunk({ choices: [{ index: 0, delta: { content }, finish_reason: null }] })
      }, tokenIntervalMs)
      response.on('close', () => clearInterval(timer))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A full garbage collection (the bench is not started with --expose-gc, so ask V8 for it). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  gc()
  gc()
}

function memory() {
  collectGarbage()
  const usage = process.memoryUsage()
  return { heapAndExternal: usage.heapUsed + usage.external + usage.arrayBuffers, rss: usage.rss }
}

/** Runs the widget bench and returns one row per measurement. */
export async function runWidgetBench({ database, mode, log }: WidgetBenchOptions): Promise<WidgetBenchRow[]> {
  const idle = Number(process.env.BENCH_WIDGET_IDLE ?? 1000)
  const streams = Number(process.env.BENCH_WIDGET_STREAMS ?? 100)
  const model = await startTimestampModel()
  const workspace = await createTestWorkspace({ database, slug: `widget-bench-${Date.now().toString(36)}` })
  const services = createTestServices({
    database,
    clock: systemClock,
    chatModel: createChatModel({
      config: {
        openai: { apiKey: 'bench', baseUrl: model.url, chatModel: 'bench', embeddingModel: 'unused' },
      },
    }),
    chatOptions: { maxRetries: 0 },
    widget: { limits: { turnsPerWindow: 1_000_000, messagesPerWindow: 1_000_000 } },
  })
  const served = await services.listen()
  const child = fork(join(import.meta.dirname, 'widget-bench-clients.ts'), {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  await new Promise((resolve) => child.once('message', resolve))
  const members = Object.values(workspace.members)
  const tokens = Array.from(
    { length: idle },
    (_, index) =>
      services.widgetTokens.issue({
        workspaceId: workspace.id,
        userId: members[index % members.length]!.userId,
      }).token,
  )
  const rows: WidgetBenchRow[] = []
  try {
    const before = memory()
    const opened = await askChild<{ opened: number; errors: number }>(
      child,
      { command: 'open', url: served.url.replace('http', 'ws'), tokens },
      'open',
    )
    await new Promise((resolve) => setTimeout(resolve, 500))
    const after = memory()
    const perConnection = (after.heapAndExternal - before.heapAndExternal) / Math.max(1, opened.opened)
    const rssPerConnection = (after.rss - before.rss) / Math.max(1, opened.opened)
    log(
      `widget: ${opened.opened} idle connections (${opened.errors} errors), server heap+external ${round(perConnection / 1024)} KB per connection, RSS ${round(rssPerConnection / 1024)} KB per connection (target < ${targets.idleBytesPerConnection / 1024} KB)`,
    )
    rows.push({
      bench: 'widget idle connections',
      database: mode,
      connections: opened.opened,
      errors: opened.errors,
      kb_per_connection_heap_external: round(perConnection / 1024),
      kb_per_connection_rss: round(rssPerConnection / 1024),
      target_kb: targets.idleBytesPerConnection / 1024,
      meets_target: perConnection < targets.idleBytesPerConnection && opened.errors === 0,
    })

    // Both paths warmed once (connections to the model, code paths), then measured.
    const floorRound = () =>
      askChild<{ delays: number[]; errors: number }>(
        child,
        { command: 'floor', modelUrl: model.url, count: streams },
        'floor',
      )
    await floorRound()
    const floor = await floorRound()
    await askChild(
      child,
      { command: 'stream', count: streams, chatPrefix: `warm-${Date.now()}`, text: 'Hello' },
      'stream',
    )
    const streamed = await askChild<{
      delays: number[]
      errors: number
      finished: number
      seconds: number
      samples: string[]
    }>(
      child,
      { command: 'stream', count: streams, chatPrefix: `bench-${Date.now()}`, text: 'Tell me something' },
      'stream',
    )
    for (const sample of streamed.samples) log(`  error seen by a client: ${sample}`)
    const floorP50 = percentile(floor.delays, 0.5)
    const floorP99 = percentile(floor.delays, 0.99)
    const p50 = percentile(streamed.delays, 0.5)
    const p99 = percentile(streamed.delays, 0.99)
    const errors = streamed.errors + (streams - streamed.finished) + floor.errors
    log(
      `widget: ${streams} answers streaming at once while ${opened.opened - streams} sockets idle: model -> client delay p50 ${round(p50)} ms, p99 ${round(p99)} ms; floor (model -> direct reader) p50 ${round(floorP50)} ms, p99 ${round(floorP99)} ms; added p99 ${round(p99 - floorP99)} ms (target < ${targets.addedP99Ms}); ${streamed.finished}/${streams} finished, ${errors} errors, ${streamed.delays.length} tokens in ${round(streamed.seconds)} s`,
    )
    rows.push({
      bench: 'widget streaming delay (model -> widget client)',
      database: mode,
      streams,
      idle_connections: opened.opened - streams,
      tokens: streamed.delays.length,
      p50_ms: round(p50),
      p99_ms: round(p99),
      floor: 'model -> direct SSE reader',
      floor_p50_ms: round(floorP50),
      floor_p99_ms: round(floorP99),
      added_p50_ms: round(p50 - floorP50),
      added_p99_ms: round(p99 - floorP99),
      errors,
      target_added_p99_ms: targets.addedP99Ms,
      meets_target: p99 - floorP99 < targets.addedP99Ms && errors === 0,
    })
  } finally {
    child.send({ command: 'close' })
    await new Promise((resolve) => child.once('exit', resolve))
    await served.close()
    services.stopListening()
    await model.close()
  }
  return rows
}
