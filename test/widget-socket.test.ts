import request from 'supertest'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { ServerMessage } from '../adapters/index.ts'
import { createChatModel } from '../assistant/index.ts'
import { systemClock } from '../core/index.ts'
import { createTestServices, createTestWorkspace, type TestWorkspace } from './support/http-fixtures.ts'
import { type ScriptedLlmServer, startScriptedLlmServer } from './support/scripted-llm-server.ts'
import { createTestDatabase, type TestDatabase } from './support/test-database.ts'

/**
 * The widget's WebSocket end to end: tokens and origins at the upgrade, a streamed turn, approvals
 * over the socket and from the API reaching every tab, size and rate limits.
 */
let testDatabase: TestDatabase
let llm: ScriptedLlmServer
let services: ReturnType<typeof createTestServices>
let served: Awaited<ReturnType<ReturnType<typeof createTestServices>['listen']>>
let acme: TestWorkspace
let globex: TestWorkspace

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  llm = await startScriptedLlmServer()
  acme = await createTestWorkspace({ database: testDatabase.database, slug: 'acme-widget' })
  globex = await createTestWorkspace({ database: testDatabase.database, slug: 'globex-widget' })
  services = createTestServices({
    database: testDatabase.database,
    clock: systemClock,
    chatModel: createChatModel({
      config: {
        openai: { apiKey: 'k', baseUrl: llm.url, chatModel: 'scripted-model', embeddingModel: 'unused' },
      },
    }),
    chatOptions: { maxRetries: 0 },
    widget: { limits: { maxMessageBytes: 8 * 1024, messagesPerWindow: 30, windowSeconds: 60 } },
  })
  served = await services.listen()
})

beforeEach(() => llm.reset())

afterAll(async () => {
  await served?.close()
  services?.stopListening()
  await llm?.close()
  await testDatabase?.close()
})

/** Mints a widget token the way a host backend does: API key + the member. */
async function tokenFor(workspace: TestWorkspace, role: keyof TestWorkspace['members']) {
  const response = await request(services.app)
    .post('/v1/widget/token')
    .set('Authorization', `Bearer ${workspace.apiKey}`)
    .set('X-Nereid-User', workspace.members.owner.email)
    .send({ user: workspace.members[role].email })
  expect(response.status).toBe(201)
  return response.body.token as string
}

interface Client {
  socket: WebSocket
  received: ServerMessage[]
  next(predicate: (message: ServerMessage) => boolean, timeoutMs?: number): Promise<ServerMessage>
  send(message: Record<string, unknown>): void
  closed: Promise<{ code: number; reason: string }>
}

/** Opens a socket; resolves once `ready` arrives, or rejects with the HTTP status of a refusal. */
function connect(token: string, origin = served.url): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(
      `${served.url.replace('http', 'ws')}/v1/ws?token=${encodeURIComponent(token)}`,
      {
        origin,
      },
    )
    const received: ServerMessage[] = []
    const waiters = new Set<() => void>()
    const closed = new Promise<{ code: number; reason: string }>((done) =>
      socket.on('close', (code, reason) => done({ code, reason: reason.toString() })),
    )
    socket.on('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)))
    socket.on('error', reject)
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as ServerMessage
      received.push(message)
      for (const waiter of waiters) waiter()
      if (message.type === 'ready') {
        resolve({
          socket,
          received,
          closed,
          send: (body) => socket.send(JSON.stringify(body)),
          next: (predicate, timeoutMs = 5000) =>
            new Promise((found, fail) => {
              let index = 0
              const check = () => {
                for (; index < received.length; index += 1) {
                  if (predicate(received[index]!)) {
                    waiters.delete(check)
                    clearTimeout(timer)
                    found(received[index]!)
                    return
                  }
                }
              }
              const timer = setTimeout(() => {
                waiters.delete(check)
                fail(new Error(`no matching message; got ${JSON.stringify(received.slice(-5))}`))
              }, timeoutMs)
              waiters.add(check)
              check()
            }),
        })
      }
    })
  })
}

const chunkText = (messages: ServerMessage[], chatId: string) =>
  messages
    .filter(
      (message): message is Extract<ServerMessage, { type: 'chunk' }> =>
        message.type === 'chunk' && message.chatId === chatId && message.chunk.type === 'text-delta',
    )
    .map((message) => String(message.chunk.delta))
    .join('')

const isFinish = (chatId: string) => (message: ServerMessage) =>
  message.type === 'chunk' && message.chatId === chatId && message.chunk.type === 'finish'

describe('the widget socket', () => {
  it('refuses bad tokens and foreign origins at the upgrade', async () => {
    await expect(connect('nwt1.bogus.token')).rejects.toThrow('HTTP 401')
    await expect(connect('')).rejects.toThrow('HTTP 401')
    const token = await tokenFor(acme, 'member')
    await expect(connect(token, 'https://evil.example')).rejects.toThrow('HTTP 403')
    // Once the workspace allows the origin, a page there may connect.
    const allowed = await request(services.app)
      .put('/v1/widget/origins')
      .set('Authorization', `Bearer ${acme.apiKey}`)
      .set('X-Nereid-User', acme.members.admin.email)
      .send({ origins: ['https://app.acme.test'] })
    expect(allowed.status).toBe(200)
    const client = await connect(token, 'https://app.acme.test')
    client.socket.close()
    // Another workspace's allowed origins do not count for this one.
    await expect(connect(await tokenFor(globex, 'member'), 'https://app.acme.test')).rejects.toThrow(
      'HTTP 403',
    )
  })

  it('only mints tokens with an API key, for members of that workspace', async () => {
    const token = await tokenFor(acme, 'member')
    const withWidgetToken = await request(services.app)
      .post('/v1/widget/token')
      .set('Authorization', `Bearer ${token}`)
      .send({ user: acme.members.owner.email })
    expect(withWidgetToken.status).toBe(403)
    const outsider = await request(services.app)
      .post('/v1/widget/token')
      .set('Authorization', `Bearer ${acme.apiKey}`)
      .set('X-Nereid-User', acme.members.owner.email)
      .send({ user: globex.members.owner.email })
    expect(outsider.status).toBe(404)
    // A widget token works on the HTTP API as its member, whatever X-Nereid-User says.
    const conversations = await request(services.app)
      .get('/v1/conversations')
      .set('Authorization', `Bearer ${token}`)
      .set('X-Nereid-User', acme.members.owner.email)
    expect(conversations.status).toBe(200)
    // From a page on a site the workspace did not allow, the token is refused; preflights pass.
    const foreignPage = await request(services.app)
      .get('/v1/conversations')
      .set('Authorization', `Bearer ${token}`)
      .set('Origin', 'https://evil.example')
    expect(foreignPage.status).toBe(403)
    const preflight = await request(services.app)
      .options('/v1/knowledge/documents')
      .set('Origin', 'https://app.acme.test')
      .set('Access-Control-Request-Method', 'POST')
    expect(preflight.status).toBe(204)
    expect(preflight.headers['access-control-allow-headers']).toContain('authorization')
  })

  it('streams a turn to every tab of the member and approves a write from the card', async () => {
    const token = await tokenFor(acme, 'member')
    const [tab, otherTab] = await Promise.all([connect(token), connect(token)])
    otherTab.send({ type: 'subscribe', chatId: 'widget-chat' })
    await otherTab.next((message) => message.type === 'conversation')

    llm.script({ text: 'Hello from Nereid.' })
    tab.send({ type: 'chat', id: 'r1', chatId: 'widget-chat', text: 'Hi' })
    await tab.next(isFinish('widget-chat'))
    await otherTab.next(isFinish('widget-chat'))
    expect(chunkText(tab.received, 'widget-chat')).toBe('Hello from Nereid.')
    expect(chunkText(otherTab.received, 'widget-chat')).toBe('Hello from Nereid.')

    llm.script(
      { toolCalls: [{ name: 'create_task', arguments: { title: 'Widget follow-up' } }] },
      { text: 'Created it.' },
    )
    tab.send({ type: 'chat', chatId: 'widget-chat', text: 'Add a task: Widget follow-up' })
    const approval = (await tab.next(
      (message) => message.type === 'chunk' && message.chunk.type === 'tool-approval-request',
    )) as Extract<ServerMessage, { type: 'chunk' }>
    const actionId = String(approval.chunk.approvalId)
    await tab.next((message) => message.type === 'action' && message.actionId === actionId)

    tab.send({ type: 'approve', id: 'a1', actionId })
    await tab.next((message) => message.type === 'ack' && message.id === 'a1')
    // Both tabs see the decision, and the continuation streams in.
    for (const client of [tab, otherTab]) {
      await client.next(
        (message) =>
          message.type === 'action' && message.actionId === actionId && message.status === 'executed',
      )
      await client.next(
        (message) =>
          message.type === 'chunk' &&
          message.chunk.type === 'text-delta' &&
          String(message.chunk.delta).length > 0,
      )
    }
    const tasks = await request(services.app)
      .get('/v1/tasks?q=Widget%20follow-up')
      .set('Authorization', `Bearer ${acme.apiKey}`)
      .set('X-Nereid-User', acme.members.member.email)
    expect(tasks.body.data).toHaveLength(1)

    // A second approval of the same action is refused with a clear error, nothing runs twice.
    tab.send({ type: 'approve', id: 'a2', actionId })
    const again = await tab.next((message) => message.type === 'error' && message.id === 'a2')
    expect(again).toMatchObject({ code: 'conflict' })
    tab.socket.close()
    otherTab.socket.close()
  })

  it("updates the card when the action is decided through the API, and cannot decide another member's", async () => {
    const token = await tokenFor(acme, 'member')
    const tab = await connect(token)
    llm.script(
      { toolCalls: [{ name: 'create_task', arguments: { title: 'Decided elsewhere' } }] },
      { text: 'Ok.' },
    )
    tab.send({ type: 'chat', chatId: 'widget-elsewhere', text: 'Task: Decided elsewhere' })
    const approval = (await tab.next(
      (message) => message.type === 'chunk' && message.chunk.type === 'tool-approval-request',
    )) as Extract<ServerMessage, { type: 'chunk' }>
    const actionId = String(approval.chunk.approvalId)

    // Another plain member cannot decide it over their own socket.
    const stranger = await connect(await tokenFor(acme, 'viewer'))
    stranger.send({ type: 'reject', id: 'x1', actionId })
    expect(await stranger.next((message) => message.type === 'error' && message.id === 'x1')).toMatchObject({
      code: 'forbidden',
    })
    // A member of another workspace does not even find it.
    const foreign = await connect(await tokenFor(globex, 'owner'))
    foreign.send({ type: 'approve', id: 'x2', actionId })
    expect(await foreign.next((message) => message.type === 'error' && message.id === 'x2')).toMatchObject({
      code: 'not_found',
    })

    const rejected = await request(services.app)
      .post(`/v1/actions/${actionId}/reject`)
      .set('Authorization', `Bearer ${acme.apiKey}`)
      .set('X-Nereid-User', acme.members.member.email)
    expect(rejected.status).toBe(200)
    await tab.next(
      (message) =>
        message.type === 'action' && message.actionId === actionId && message.status === 'rejected',
    )
    for (const client of [tab, stranger, foreign]) client.socket.close()
  })

  it('answers malformed messages with an error, closes on oversized ones, and rate limits', async () => {
    const tab = await connect(await tokenFor(acme, 'member'))
    tab.send({ type: 'chat', id: 'm1', chatId: 'c', text: '' })
    expect(await tab.next((message) => message.type === 'error' && message.id === 'm1')).toMatchObject({
      code: 'bad_request',
    })
    tab.socket.send('{not json')
    await tab.next((message) => message.type === 'error' && message.message === 'Messages must be JSON.')
    tab.send({ type: 'ping', id: 'p1' })
    await tab.next((message) => message.type === 'pong' && message.id === 'p1')
    for (let index = 0; index < 40; index += 1) tab.send({ type: 'ping' })
    await tab.next((message) => message.type === 'error' && message.code === 'rate_limited')

    const big = await connect(await tokenFor(acme, 'member'))
    big.socket.send(JSON.stringify({ type: 'chat', chatId: 'c', text: 'x'.repeat(10_000) }))
    expect((await big.closed).code).toBe(1009)
    tab.socket.close()
  })
})
