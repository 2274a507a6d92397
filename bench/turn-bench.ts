/**
 * Assistant turn bench (issue 5): what Nereid adds between a chat request and the first token, with
 * the model answering instantly, against a floor measured in the same process on the same model.
 *
 *   - Subject: `POST /v1/chat` over real HTTP (the app of `createTestServices` on 127.0.0.1, API-key
 *     auth, a new conversation per turn), the real `@ai-sdk/openai` client against the scripted
 *     OpenAI-compatible server, which first calls `search_knowledge` (hybrid retrieval over a
 *     workspace of BENCH_TURN_CHUNKS chunks with its own HNSW index, as in production) and then
 *     streams the answer. Timed from sending the request to the first `text-delta` chunk read by
 *     the client.
 *   - The scripted model server and the HTTP chat client run in a child process
 *     (bench/turn-bench-clients.ts), as the model provider and the client are other machines in
 *     production: in one process, the model's parsing of each request and the client's reading of
 *     the stream ran on the very event loop being measured. The app and the floor's `streamText`
 *     run in this process.
 *   - Floor: a bare `streamText` on the same model and the same two-step script (a no-op tool of
 *     the same name in the first step), timed to its first text delta.
 *   - Server side (the issue's measure, and the one the target is judged on): from the request
 *     arriving at the HTTP server to the first `text-delta` written to the response, noted by a thin
 *     wrapper around the app; the client's view over loopback (which adds reading the stream in this
 *     same process) is reported beside it.
 *   - Overhead = subject - floor, at p50 and at p95 (target < 25 ms / < 60 ms), plus where it goes:
 *     the times at which the scripted server receives each model call split the turn into
 *     "before the first model call", "between the model calls" (the tool step) and "after the
 *     second model call", each against the floor's; retrieval alone is timed as well.
 *   - Concurrency: BENCH_TURN_CONCURRENCY chats started at once on this process (the same member,
 *     distinct chat ids): errors (non-200, error chunks, no finish, no retrieval, not stored),
 *     first-token p50/p95 and wall time; the same for the floor.
 *
 * Environment: BENCH_TURN_CHUNKS (default 100k on a real server, {@link embeddedDefaultChunks} (10k)
 * embedded), BENCH_TURN_RUNS (200), BENCH_TURN_WARMUP (20), BENCH_TURN_CONCURRENCY (200),
 * BENCH_TURN_MAINTENANCE_WORK_MEM (for the index build, 512MB), BENCH_TURN_EF_SEARCH (`hnsw.ef_search`
 * of the retrieval, as NEREID_HNSW_EF_SEARCH sets it; the code's default when unset), BENCH_TURN_HNSW_BUILD
 * (the workspace index's "m/ef_construction"; the code's `tenantHnswBuild` when unset).
 *
 * Progress goes to stderr; the tables go to `log`; the result rows are returned.
 */
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { isStepCount, type LanguageModel, streamText, tool } from 'ai'
import { z } from 'zod'
import { createChatModel } from '../assistant/index.ts'
import { systemClock } from '../core/index.ts'
import {
  type Database,
  defaultEfSearch,
  ensureTenantEmbeddingIndex,
  hasTenantEmbeddingIndex,
  tenantHnswBuild,
  tenantIndexThreshold,
} from '../db/index.ts'
import { createLexicalEmbedder } from '../ingest/embedders/lexical-embedder.ts'
import { createTestServices, createTestWorkspace } from '../test/support/http-fixtures.ts'
import { askChild, settleKnowledgeTables } from './bench-harness.ts'
import { loadSyntheticChunks, parseHnswBuilds } from './knowledge-bench.ts'
import { createRandom, queryFromChunk } from './knowledge-corpus.ts'
import { type Measurement, summarizeDurations } from './measure.ts'
import type { ClientTurnResult } from './turn-bench-clients.ts'

/** Options of {@link runTurnBench}. */
export interface TurnBenchOptions {
  database: Database
  mode: Database['mode']
  log: (line: string) => void
}

type Row = Record<string, unknown>

/**
 * The embedded default size of the workspace: the own-index threshold, so the turn still searches
 * the workspace's HNSW index as a big workspace does. PGlite loads 150-400 chunks/s on a 2-core
 * machine (20k chunks: 134 s of loading and 95 s of index build, measured under load), so 100k would
 * take 5-10 minutes before the first turn; BENCH_TURN_CHUNKS overrides it.
 */
export const embeddedDefaultChunks = tenantIndexThreshold

const targets = { overheadP50Ms: 25, overheadP95Ms: 60 }
const progress = (line: string) => process.stderr.write(`[turn-bench] ${line}\n`)
const round3 = (value: number) => Math.round(value * 1000) / 1000
const ratio = (value: number, floor: number) => Math.round((value / floor) * 100) / 100

/** One chat as the client sees it: an HTTP turn from the child process, or a floor call here (no conversation). */
type TurnResult = ClientTurnResult

/** Measures the assistant turn; see the file comment. */
export async function runTurnBench({ database, mode, log }: TurnBenchOptions): Promise<Row[]> {
  const chunkCount = Number(
    process.env.BENCH_TURN_CHUNKS ?? (mode === 'postgres' ? 100_000 : embeddedDefaultChunks),
  )
  const runs = Number(process.env.BENCH_TURN_RUNS ?? 200)
  const warmup = Number(process.env.BENCH_TURN_WARMUP ?? 20)
  const concurrency = Number(process.env.BENCH_TURN_CONCURRENCY ?? 200)
  const maintenanceWorkMem = process.env.BENCH_TURN_MAINTENANCE_WORK_MEM ?? '512MB'
  // As NEREID_HNSW_EF_SEARCH sets it for `serve`; the code's default when unset.
  const efSearch = process.env.BENCH_TURN_EF_SEARCH ? Number(process.env.BENCH_TURN_EF_SEARCH) : undefined
  // The workspace index's build parameters ("m/ef_construction"); the code's `tenantHnswBuild` when unset.
  const build = process.env.BENCH_TURN_HNSW_BUILD
    ? parseHnswBuilds({ variable: 'BENCH_TURN_HNSW_BUILD', list: process.env.BENCH_TURN_HNSW_BUILD })[0]!
    : tenantHnswBuild
  const benchStarted = performance.now()

  // The workspace: members of every role and an API key; the turns run as the plain member.
  const workspace = await createTestWorkspace({
    database,
    slug: `turn-bench-${randomBytes(3).toString('hex')}`,
  })
  const member = workspace.members.member
  // The offline embedder a deployment without a provider uses (512-d), for loading and searching.
  const embedder = createLexicalEmbedder()
  const querySources: string[] = []
  const sampleEvery = Math.max(1, Math.floor(chunkCount / 400))
  progress(`loading ${chunkCount} chunks into one workspace (${mode} database)`)
  const loaded = await loadSyntheticChunks({
    database,
    workspaceIds: [workspace.id],
    sizes: [chunkCount],
    embedder,
    progress,
    onChunk: ({ document, position, text }) => {
      if ((document * 100 + position) % sampleEvery === 0) querySources.push(text)
    },
  })
  const analyzeSeconds = await settleKnowledgeTables(database)
  // Production builds the workspace's own index when it reaches the threshold (knowledge-service.ts).
  const started = performance.now()
  if (chunkCount >= tenantIndexThreshold) {
    progress(`building the workspace's HNSW index (maintenance_work_mem ${maintenanceWorkMem})`)
    await database.withSystem((system) =>
      ensureTenantEmbeddingIndex(system, {
        model: embedder.model,
        dimensions: embedder.dimensions,
        workspaceId: workspace.id,
        maintenanceWorkMem,
        build,
      }),
    )
  }
  const indexSeconds = (performance.now() - started) / 1000
  const ownIndex = await database.withTenant({ workspaceId: workspace.id }, (tenant) =>
    hasTenantEmbeddingIndex(tenant, { model: embedder.model }),
  )
  const random = createRandom(5_005)
  const queries = querySources.map((text, index) => queryFromChunk(random, text, index % 10 >= 7))
  querySources.length = 0

  // The scripted model and the chat clients run in a child process (see turn-bench-clients.ts); the
  // app runs here as `serve` wires it (the in-process bus, no queue).
  const child = fork(join(import.meta.dirname, 'turn-bench-clients.ts'), {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  await new Promise((resolve) => child.once('message', resolve))
  const { url: modelUrl } = await askChild<{ url: string }>(child, { command: 'start', queries }, 'start')
  const modelCallTimes = async (key: string) =>
    (await askChild<{ times: number[] }>(child, { command: 'calls', key }, 'calls')).times
  const chatModel = createChatModel({
    config: {
      openai: { apiKey: 'bench', baseUrl: modelUrl, chatModel: 'scripted-model', embeddingModel: 'unused' },
    },
  })!
  const services = createTestServices({
    database,
    clock: systemClock,
    chatModel,
    knowledgeOptions: { embedder, efSearch },
  })
  // The issue's measure is server-side: from the request received to the first token sent. The app
  // runs behind a plain HTTP server that notes, per response, when the request arrived and when the
  // first `text-delta` was written to the socket (the client's view, over loopback, is kept too).
  const serverSide = new Map<string, number>()
  const server = http.createServer((request, response) => {
    const arrived = performance.now()
    // Noted now: Express rewrites request.url while routing.
    const isChat = request.method === 'POST' && request.url === '/v1/chat'
    let seen = false
    const write = response.write.bind(response) as (...args: unknown[]) => boolean
    response.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (!seen && isChat && chunk) {
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8')
        if (text.includes('"type":"text-delta"')) {
          seen = true
          const conversationId = response.getHeader('x-nereid-conversation-id')
          if (typeof conversationId === 'string') serverSide.set(conversationId, performance.now() - arrived)
        }
      }
      return write(chunk, ...rest)
    }) as typeof response.write
    services.app(request, response)
  })
  server.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  /** Resolvers of turns waiting for their assistant message to be stored (bus event). */
  const storedWaiters = new Map<string, () => void>()
  const stored = new Set<string>()
  const unsubscribe = services.bus.subscribe((event) => {
    if (event.type !== 'conversation.message' || typeof event.conversationId !== 'string') return
    stored.add(event.conversationId)
    storedWaiters.get(event.conversationId)?.()
  })
  const waitStored = (conversationId: string, timeoutMs: number) =>
    stored.has(conversationId)
      ? Promise.resolve(true)
      : new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => {
            storedWaiters.delete(conversationId)
            resolve(false)
          }, timeoutMs)
          storedWaiters.set(conversationId, () => {
            clearTimeout(timer)
            storedWaiters.delete(conversationId)
            resolve(true)
          })
        })

  let questionNumber = 0
  const question = (key: string) =>
    `What do our documents say about ${queries[questionNumber++ % queries.length]}? [turn ${key}]`

  /**
   * Chats over HTTP, each in a new conversation, all at once, sent and read by the child process;
   * each waits until its assistant message is stored.
   */
  const httpTurns = async (keys: string[]): Promise<TurnResult[]> => {
    const { results } = await askChild<{ results: ClientTurnResult[] }>(
      child,
      {
        command: 'turns',
        baseUrl,
        apiKey: workspace.apiKey,
        email: member.email,
        turns: keys.map((key) => ({ key, question: question(key) })),
      },
      'turns',
    )
    return Promise.all(
      results.map(async (result) => {
        if (result.conversationId && !(await waitStored(result.conversationId, 30_000))) {
          result.failure ??= 'assistant message not stored'
        }
        return result
      }),
    )
  }

  // The floor: the same model and script, no Nereid around it.
  const noopSearch = tool({
    description: 'Searches the knowledge base (no-op in the floor).',
    inputSchema: z.object({ query: z.string(), limit: z.number().int().optional() }),
    execute: async () => ({ passages: [], note: 'Nothing in the knowledge base matches this query.' }),
  })
  const floorTurn = async (key: string, model: LanguageModel): Promise<TurnResult> => {
    const started = performance.now()
    let firstTokenMs: number | undefined
    let failure: string | undefined
    let searched = false
    try {
      const result = streamText({
        model,
        messages: [{ role: 'user', content: question(key) }],
        tools: { search_knowledge: noopSearch },
        stopWhen: isStepCount(8),
        onError: () => {},
      })
      for await (const part of result.stream) {
        if (part.type === 'text-delta' && firstTokenMs === undefined)
          firstTokenMs = performance.now() - started
        else if (part.type === 'tool-result') searched = true
        else if (part.type === 'error') failure ??= `error part: ${String(part.error)}`
      }
    } catch (error) {
      failure ??= String(error)
    }
    if (firstTokenMs === undefined) failure ??= 'no text'
    if (!searched) failure ??= 'the no-op tool did not run'
    const startedAt = performance.timeOrigin + started
    return {
      startedAt,
      firstTokenMs,
      totalMs: performance.now() - started,
      failure,
      conversationId: undefined,
    }
  }

  const loadBefore = loadavg()[0]!
  // Sequential: floor and subject alternate (so drift hits both alike), after a warm-up of each.
  progress(`sequential: ${warmup} warm-up + ${runs} runs each of the floor and the turn`)
  const sequential = {
    floor: [] as number[],
    subject: [] as number[],
    serverSide: [] as number[],
    failures: [] as string[],
  }
  /** CPU time of this process per run (the app, or the floor's streamText; embedded: the database too). */
  const cpuPerTurn = { floor: [] as number[], subject: [] as number[] }
  const segments = {
    floor: { before: [] as number[], between: [] as number[], after: [] as number[] },
    subject: { before: [] as number[], between: [] as number[], after: [] as number[] },
  }
  for (let index = 0; index < warmup + runs; index += 1) {
    const timed = index >= warmup
    for (const kind of ['floor', 'subject'] as const) {
      const key = `${kind}-${index}`
      const cpuBefore = process.cpuUsage()
      const result = kind === 'floor' ? await floorTurn(key, chatModel.model) : (await httpTurns([key]))[0]!
      // Background work a turn starts after it is stored finishes before the next run (and counts as CPU).
      await sleep(10)
      const cpu = process.cpuUsage(cpuBefore)
      if (result.failure) {
        sequential.failures.push(`${kind}: ${result.failure}`)
        continue
      }
      if (!timed || result.firstTokenMs === undefined) continue
      sequential[kind].push(result.firstTokenMs)
      const { conversationId } = result
      if (conversationId) {
        const written = serverSide.get(conversationId)
        if (written !== undefined) sequential.serverSide.push(written)
        serverSide.delete(conversationId)
      }
      cpuPerTurn[kind].push((cpu.user + cpu.system) / 1000)
      const [first, second] = await modelCallTimes(key)
      if (first !== undefined && second !== undefined) {
        segments[kind].before.push(first - result.startedAt)
        segments[kind].between.push(second - first)
        segments[kind].after.push(result.startedAt + result.firstTokenMs - second)
      }
    }
    if (timed && (index + 1 - warmup) % 50 === 0) progress(`  ${index + 1 - warmup} runs`)
  }

  // Retrieval alone, as the tool runs it (query embedding + the hybrid SQL in a tenant transaction).
  const retrievalDurations: number[] = []
  for (let index = 0; index < warmup + runs; index += 1) {
    const started = performance.now()
    await services.knowledge.searchKnowledge({
      context: { workspaceId: workspace.id, userId: member.userId },
      query: queries[index % queries.length]!,
      k: 6,
    })
    if (index >= warmup) retrievalDurations.push(performance.now() - started)
  }
  const retrieval = summarizeDurations({
    name: 'searchKnowledge alone (embed + hybrid SQL)',
    durations: retrievalDurations,
  })

  // Concurrency: all chats at once, on this one process.
  const concurrent = async (kind: 'floor' | 'subject') => {
    progress(`concurrent: ${concurrency} ${kind === 'floor' ? 'bare streamText calls' : 'chats'} at once`)
    const started = performance.now()
    const results =
      kind === 'floor'
        ? await Promise.all(
            Array.from({ length: concurrency }, (_, index) =>
              floorTurn(`concurrent-floor-${index}`, chatModel.model),
            ),
          )
        : await httpTurns(Array.from({ length: concurrency }, (_, index) => `concurrent-${index}`))
    const wallMs = performance.now() - started
    const failures = results.flatMap((result) => (result.failure ? [result.failure] : []))
    return {
      wallMs,
      failures,
      firstToken: summarizeDurations({
        name:
          kind === 'floor' ? `floor: ${concurrency} bare streamText at once` : `${concurrency} chats at once`,
        durations: results.flatMap((result) =>
          result.firstTokenMs === undefined || result.failure ? [] : [result.firstTokenMs],
        ),
      }),
      total: summarizeDurations({
        name: 'total',
        durations: results.flatMap((result) => (result.failure ? [] : [result.totalMs])),
      }),
    }
  }
  const loadSequential = loadavg()[0]!
  const concurrentFloor = await concurrent('floor')
  const concurrentSubject = await concurrent('subject')

  unsubscribe()
  services.stopListening()
  await new Promise((resolve) => server.close(resolve))
  await services.bus.close()
  child.send({ command: 'close' })
  await new Promise((resolve) => child.once('exit', resolve))
  const benchSeconds = (performance.now() - benchStarted) / 1000

  // Results.
  const floor = summarizeDurations({
    name: 'floor: bare streamText, same model and script',
    durations: sequential.floor,
  })
  const subject = summarizeDurations({
    name: 'POST /v1/chat -> first text-delta (over HTTP)',
    durations: sequential.subject,
  })
  const subjectServer = summarizeDurations({
    name: 'server: request received -> first text-delta sent',
    durations: sequential.serverSide,
  })
  const cpuFloor = summarizeDurations({ name: 'floor', durations: cpuPerTurn.floor })
  const cpuSubject = summarizeDurations({ name: 'turn', durations: cpuPerTurn.subject })
  const overheadP50 = round3(subject.p50Ms - floor.p50Ms)
  const overheadP95 = round3(subject.p95Ms - floor.p95Ms)
  const serverOverheadP50 = round3(subjectServer.p50Ms - floor.p50Ms)
  const serverOverheadP95 = round3(subjectServer.p95Ms - floor.p95Ms)
  const meetsClient = overheadP50 < targets.overheadP50Ms && overheadP95 < targets.overheadP95Ms
  // The target is judged on the issue's measure (server side); the client's view is reported beside it.
  const meets = serverOverheadP50 < targets.overheadP50Ms && serverOverheadP95 < targets.overheadP95Ms
  const segmentRows = (['before', 'between', 'after'] as const).map((segment) => ({
    segment,
    floor: summarizeDurations({ name: segment, durations: segments.floor[segment] }),
    subject: summarizeDurations({ name: segment, durations: segments.subject[segment] }),
  }))
  const segmentNames = {
    before: 'request -> 1st model call received',
    between: '1st -> 2nd model call (search step)',
    after: '2nd model call -> first token at client',
  }
  const workspaceLabel = `${chunkCount} chunks in the workspace${ownIndex ? ', its own HNSW index' : ', exact search (below the index threshold)'}`
  const loadAfter = loadavg()[0]!
  const common = {
    database: mode,
    chunks_in_workspace: chunkCount,
    workspace_hnsw_index: ownIndex,
    hnsw_ef_search: efSearch ?? defaultEfSearch,
    hnsw_build: `${build.m}/${build.efConstruction}`,
    cpus: cpus().length,
    load_average_1m: [loadBefore, loadSequential, loadAfter].map((value) => Math.round(value * 100) / 100),
  }

  log(
    `\nAssistant turn (${mode} database, ${workspaceLabel}; scripted model answering instantly; ${runs} runs each after ${warmup} warm-up, Node ${process.version})`,
  )
  log(
    `machine: ${cpus().length} CPUs, 1-minute load average ${common.load_average_1m.join(' / ')} (before / after the sequential runs / at the end): latency is wall time on whatever else runs`,
  )
  log(
    `load ${loaded.chunks} chunks in ${loaded.seconds.toFixed(1)} s (${Math.round(loaded.chunks / loaded.seconds)} chunks/s), VACUUM (ANALYZE) ${analyzeSeconds.toFixed(1)} s, index ${indexSeconds.toFixed(1)} s (halfvec, m ${build.m}, ef_construction ${build.efConstruction}), hnsw.ef_search ${common.hnsw_ef_search}\n`,
  )
  log(
    `${'time to first token'.padEnd(52)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'x floor p50'.padStart(13)}${'x floor p95'.padStart(13)}`,
  )
  for (const measurement of [floor, subject, subjectServer]) {
    const relative = (value: number, base: number) =>
      measurement === floor ? '' : ratio(value, base).toFixed(2)
    log(
      `${measurement.name.padEnd(52)}${measurement.p50Ms.toFixed(2).padStart(9)}${measurement.p95Ms.toFixed(2).padStart(9)}${relative(measurement.p50Ms, floor.p50Ms).padStart(13)}${relative(measurement.p95Ms, floor.p95Ms).padStart(13)}`,
    )
  }
  log(
    `${'overhead at the client (turn - floor)'.padEnd(52)}${`+${overheadP50.toFixed(2)}`.padStart(9)}${`+${overheadP95.toFixed(2)}`.padStart(9)}` +
      `   (< ${targets.overheadP50Ms} / < ${targets.overheadP95Ms} ms: ${meetsClient ? 'yes' : 'no'})`,
  )
  log(
    `${'overhead, server side (server - floor)'.padEnd(52)}${`+${serverOverheadP50.toFixed(2)}`.padStart(9)}${`+${serverOverheadP95.toFixed(2)}`.padStart(9)}` +
      `   target < ${targets.overheadP50Ms} / < ${targets.overheadP95Ms} ms: ${meets ? 'met' : 'NOT met'}`,
  )
  log(
    `${`CPU ms per run in the server process${mode === 'embedded' ? ' (PGlite included)' : ''}`.padEnd(52)}${cpuSubject.p50Ms.toFixed(2).padStart(9)}${cpuSubject.p95Ms.toFixed(2).padStart(9)}` +
      `   floor ${cpuFloor.p50Ms.toFixed(2)} / ${cpuFloor.p95Ms.toFixed(2)}`,
  )
  log(
    `${retrieval.name.padEnd(52)}${retrieval.p50Ms.toFixed(2).padStart(9)}${retrieval.p95Ms.toFixed(2).padStart(9)}`,
  )
  log('')
  log(
    `${'where the time goes (p50 ms)'.padEnd(52)}${'floor'.padStart(9)}${'turn'.padStart(9)}${'added'.padStart(9)}`,
  )
  for (const { segment, floor: floorPart, subject: subjectPart } of segmentRows) {
    log(
      `${segmentNames[segment].padEnd(52)}${floorPart.p50Ms.toFixed(2).padStart(9)}${subjectPart.p50Ms.toFixed(2).padStart(9)}${`+${(subjectPart.p50Ms - floorPart.p50Ms).toFixed(2)}`.padStart(9)}`,
    )
  }
  if (sequential.failures.length > 0) {
    log(`sequential failures: ${sequential.failures.length} (first: ${sequential.failures[0]})`)
  }
  log('')
  log(
    `${'concurrent'.padEnd(52)}${'errors'.padStart(8)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'wall s'.padStart(8)}`,
  )
  for (const run of [concurrentFloor, concurrentSubject]) {
    log(
      `${`${run.firstToken.name}: first token`.padEnd(52)}${String(run.failures.length).padStart(8)}${run.firstToken.p50Ms.toFixed(1).padStart(9)}${run.firstToken.p95Ms.toFixed(1).padStart(9)}${(run.wallMs / 1000).toFixed(2).padStart(8)}`,
    )
  }
  if (concurrentSubject.failures.length > 0) {
    log(`concurrent failures, first: ${concurrentSubject.failures[0]}`)
  }
  log(
    `(no errors at ${concurrency} concurrent: ${concurrentSubject.failures.length === 0 ? 'met' : 'NOT met'}; bench ran ${benchSeconds.toFixed(0)} s)`,
  )

  const pair = (measurement: Measurement, base: Measurement): Row => ({
    p50_ms: measurement.p50Ms,
    p95_ms: measurement.p95Ms,
    mean_ms: measurement.meanMs,
    floor: base.name,
    floor_p50_ms: base.p50Ms,
    floor_p95_ms: base.p95Ms,
    ratio_p50: ratio(measurement.p50Ms, base.p50Ms),
    ratio_p95: ratio(measurement.p95Ms, base.p95Ms),
  })
  return [
    {
      bench: 'assistant turn: workspace load (synthetic chunks, lexical 512-d) + index',
      ...common,
      documents: loaded.documents,
      load_seconds: round3(loaded.seconds),
      chunks_per_s: Math.round(loaded.chunks / loaded.seconds),
      analyze_seconds: round3(analyzeSeconds),
      index_seconds: round3(indexSeconds),
    },
    {
      bench: `assistant turn: ${subject.name}`,
      ...common,
      runs,
      failures: sequential.failures.length,
      ...pair(subject, floor),
      cpu_p50_ms: cpuSubject.p50Ms,
      cpu_p95_ms: cpuSubject.p95Ms,
      floor_cpu_p50_ms: cpuFloor.p50Ms,
      floor_cpu_p95_ms: cpuFloor.p95Ms,
      overhead_p50_ms: overheadP50,
      overhead_p95_ms: overheadP95,
      server_p50_ms: subjectServer.p50Ms,
      server_p95_ms: subjectServer.p95Ms,
      server_runs: subjectServer.runs,
      server_overhead_p50_ms: serverOverheadP50,
      server_overhead_p95_ms: serverOverheadP95,
      target_overhead_p50_ms: targets.overheadP50Ms,
      target_overhead_p95_ms: targets.overheadP95Ms,
      meets_target: meets,
    },
    ...segmentRows.map(({ segment, floor: floorPart, subject: subjectPart }) => ({
      bench: `assistant turn segment: ${segmentNames[segment]}`,
      ...common,
      runs: subjectPart.runs,
      ...pair(subjectPart, floorPart),
      added_p50_ms: round3(subjectPart.p50Ms - floorPart.p50Ms),
    })),
    {
      bench: `assistant turn: ${retrieval.name}`,
      ...common,
      runs: retrieval.runs,
      p50_ms: retrieval.p50Ms,
      p95_ms: retrieval.p95Ms,
      mean_ms: retrieval.meanMs,
    },
    ...[concurrentFloor, concurrentSubject].map((run) => ({
      bench: `assistant turn concurrency: ${run.firstToken.name}`,
      ...common,
      concurrency,
      errors: run.failures.length,
      first_error: run.failures[0],
      first_token_p50_ms: run.firstToken.p50Ms,
      first_token_p95_ms: run.firstToken.p95Ms,
      total_p95_ms: run.total.p95Ms,
      wall_ms: round3(run.wallMs),
      meets_target: run.failures.length === 0,
    })),
  ]
}
