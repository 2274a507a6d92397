/**
 * Slack bench (issue 7): how fast `POST /slack/events` acknowledges, with 50 events arriving at
 * once (BENCH_SLACK_CONCURRENCY), over BENCH_SLACK_ROUNDS rounds (default 10).
 *
 * Each event is a real, signed `app_mention` from a linked team and a matched member, and each is
 * really answered after the acknowledgement: member lookup, the assistant turn against a local
 * OpenAI-compatible model, the answer streamed to a local Slack Web API stand-in. So the
 * acknowledgements of a round compete with the work of the events acknowledged just before them,
 * as they would in production. A round waits for all its answers before the next one starts.
 *
 * The requests come from a child process (bench/slack-bench-clients.ts), so the server's event
 * loop is its own. Floor: the same number of concurrent `GET /healthz` requests on the same HTTP
 * server (express, helmet and the request log, nothing else). Also reported: event -> answer
 * complete in Slack, and the server's own share of each acknowledgement (request arrived ->
 * response written, measured in the server process).
 *
 * Target: acknowledgement p99 < 100 ms (Slack allows 3 s).
 */
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createChatModel } from '../assistant/index.ts'
import { createLogger, systemClock } from '../core/index.ts'
import { type Database, linkSlackTeam } from '../db/index.ts'
import { createTestServices, createTestWorkspace } from '../test/support/http-fixtures.ts'
import { startScriptedLlmServer } from '../test/support/scripted-llm-server.ts'
import { startSlackStandIn } from '../test/support/slack-stand-in.ts'
import { askChild, percentile, round } from './bench-harness.ts'

const targetP99Ms = 100

/** One printed result line. */
export type SlackBenchRow = Record<string, string | number | boolean>

export interface SlackBenchOptions {
  database: Database
  mode: string
  log: (line: string) => void
}

/** Runs the Slack acknowledgement bench and returns its rows. */
export async function runSlackBench({ database, mode, log }: SlackBenchOptions): Promise<SlackBenchRow[]> {
  const concurrency = Number(process.env.BENCH_SLACK_CONCURRENCY ?? 50)
  const rounds = Number(process.env.BENCH_SLACK_ROUNDS ?? 10)
  const signingSecret = 'bench-signing-secret'
  const team = {
    id: `TBENCH${Date.now().toString(36).toUpperCase()}`,
    name: 'Bench Slack',
    botToken: 'xoxb-bench',
    botUserId: 'UBOTBENCH',
    botId: 'BBENCH',
    streaming: true,
  }
  const llm = await startScriptedLlmServer()
  llm.setDefault({ text: 'Three deals need attention this week: Acme, Initech and Umbrella.' })
  const slack = await startSlackStandIn()
  slack.addTeam(team)
  const workspace = await createTestWorkspace({ database, slug: `slack-bench-${Date.now().toString(36)}` })
  await database.withSystem((system) => linkSlackTeam(system, { teamId: team.id, workspaceId: workspace.id }))
  const slackUsers = Object.entries(workspace.members).map(([role, member]) => {
    const id = `UBENCH${role.toUpperCase()}`
    slack.addUser({ id, teamId: team.id, name: `${role} bench`, email: member.email })
    return id
  })
  const services = createTestServices({
    database,
    clock: systemClock,
    chatModel: createChatModel({
      config: { openai: { apiKey: 'bench', baseUrl: llm.url, chatModel: 'bench', embeddingModel: 'unused' } },
    }),
    chatOptions: { maxRetries: 0 },
    slack: {
      settings: { signingSecret, botToken: team.botToken, apiUrl: slack.apiUrl, streaming: true },
      logger: createLogger({ level: 'silent' }),
    },
  })
  // The app on a plain HTTP server, timing each request from its arrival (headers parsed) to the
  // last byte of the response written: the server's own share of the acknowledgement.
  const serverSide = { events: [] as number[], health: [] as number[] }
  const httpServer = http.createServer((request, response) => {
    const arrived = performance.now()
    response.on('finish', () => {
      const list =
        request.url === '/slack/events'
          ? serverSide.events
          : request.url === '/healthz'
            ? serverSide.health
            : undefined
      list?.push(performance.now() - arrived)
    })
    services.app(request, response)
  })
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
  const served = {
    url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        httpServer.closeAllConnections()
        httpServer.close(() => resolve())
      }),
  }
  const child = fork(join(import.meta.dirname, 'slack-bench-clients.ts'), {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  await new Promise((resolve) => child.once('message', resolve))
  let sequence = 0
  const answered = () => slack.callsTo('chat.stopStream').length
  type Result = { milliseconds: number; status: number }

  /** `count` signed mentions at once, from the client process. */
  async function burst(count: number): Promise<Result[]> {
    const bodies = Array.from({ length: count }, () => {
      sequence += 1
      const user = slackUsers[sequence % slackUsers.length]!
      const channel = `CBENCH${sequence % 7}`
      const text = `<@${team.botUserId}> which deals need attention? (${sequence})`
      const ts = slack.userMessage({ channel, user, text })
      return JSON.stringify({
        team_id: team.id,
        api_app_id: 'A0NEREID',
        type: 'event_callback',
        event_id: `Ev${randomBytes(6).toString('hex').toUpperCase()}`,
        event_time: Math.floor(Date.now() / 1000),
        event: { type: 'app_mention', user, text, ts, channel, event_ts: ts },
      })
    })
    return (
      await askChild<{ results: Result[] }>(
        child,
        { command: 'events', url: served.url, signingSecret, bodies },
        'events',
      )
    ).results
  }

  async function healthBurst(count: number): Promise<number[]> {
    const { results } = await askChild<{ results: Result[] }>(
      child,
      { command: 'health', url: served.url, count },
      'health',
    )
    return results.map((result) => result.milliseconds)
  }

  const waitForAnswers = async (expected: number, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs
    while (answered() < expected && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20))
  }

  const rows: SlackBenchRow[] = []
  try {
    // Warm-up: JIT, connection pools, the member matches (users.info) and the token cache.
    await healthBurst(concurrency)
    await burst(10)
    await waitForAnswers(10)
    serverSide.events.length = 0
    serverSide.health.length = 0
    const acks: number[] = []
    const floor: number[] = []
    const completions: number[] = []
    let errors = 0
    let expected = answered()
    for (let index = 0; index < rounds; index += 1) {
      floor.push(...(await healthBurst(concurrency)))
      const before = slack.callsTo('chat.stopStream').length
      const started = performance.now()
      const results = await burst(concurrency)
      acks.push(...results.map((result) => result.milliseconds))
      errors += results.filter((result) => result.status !== 200).length
      expected += concurrency
      await waitForAnswers(expected)
      const stops = slack.callsTo('chat.stopStream').slice(before)
      completions.push(...stops.map((call) => call.at - (performance.timeOrigin + started)))
    }
    const unanswered = expected - answered()
    const p50 = percentile(acks, 0.5)
    const p99 = percentile(acks, 0.99)
    log(
      `slack: ${acks.length} signed events, ${concurrency} at once x ${rounds} rounds: acknowledgement p50 ${round(p50)} ms, p99 ${round(p99)} ms (target < ${targetP99Ms}); floor GET /healthz x ${concurrency} at once p50 ${round(percentile(floor, 0.5))} ms, p99 ${round(percentile(floor, 0.99))} ms; event -> answer complete in Slack p50 ${round(percentile(completions, 0.5))} ms, p99 ${round(percentile(completions, 0.99))} ms; ${errors} errors, ${unanswered} unanswered`,
    )
    log(
      `slack: server side (request arrived -> response written): acknowledgement p50 ${round(percentile(serverSide.events, 0.5))} ms, p99 ${round(percentile(serverSide.events, 0.99))} ms; GET /healthz p50 ${round(percentile(serverSide.health, 0.5))} ms, p99 ${round(percentile(serverSide.health, 0.99))} ms`,
    )
    rows.push({
      bench: `slack acknowledgement (${concurrency} concurrent events)`,
      database: mode,
      events: acks.length,
      concurrency,
      p50_ms: round(p50),
      p99_ms: round(p99),
      floor: `GET /healthz, ${concurrency} concurrent`,
      floor_p50_ms: round(percentile(floor, 0.5)),
      floor_p99_ms: round(percentile(floor, 0.99)),
      server_p50_ms: round(percentile(serverSide.events, 0.5)),
      server_p99_ms: round(percentile(serverSide.events, 0.99)),
      floor_server_p50_ms: round(percentile(serverSide.health, 0.5)),
      floor_server_p99_ms: round(percentile(serverSide.health, 0.99)),
      answer_complete_p50_ms: round(percentile(completions, 0.5)),
      answer_complete_p99_ms: round(percentile(completions, 0.99)),
      errors,
      unanswered,
      target_p99_ms: targetP99Ms,
      meets_target: p99 < targetP99Ms && errors === 0,
    })
  } finally {
    child.send({ command: 'close' })
    await new Promise((resolve) => child.once('exit', resolve))
    await services.slackBot?.stop()
    services.stopListening()
    await served.close()
    await llm.close()
    await slack.close()
  }
  return rows
}
