import { describe, expect, it } from 'vitest'
import { backoffDelay, type ConnectionState, createConnection, type SocketLike } from './connection.ts'

/** A scripted socket: the test opens it, sends server messages into it and reads what the client sent. */
class FakeSocket implements SocketLike {
  readyState = 0
  sent: Record<string, unknown>[] = []
  closed?: { code?: number | undefined; reason?: string | undefined }
  onopen: ((event: unknown) => void) | null = null
  onmessage: ((event: { data: unknown }) => void) | null = null
  onclose: ((event: { code: number; reason: string }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data))
  }
  close(code?: number, reason?: string) {
    this.closed = { code, reason }
    this.readyState = 3
  }
  open() {
    this.readyState = 1
    this.onopen?.({})
    this.receive({ type: 'ready', userId: 'u', workspaceId: 'w', name: 'Ada' })
  }
  receive(message: Record<string, unknown>) {
    this.onmessage?.({ data: JSON.stringify(message) })
  }
  drop(code = 1006) {
    this.readyState = 3
    this.onclose?.({ code, reason: '' })
  }
}

function harness({ failToken = false } = {}) {
  let now = 0
  const timers: { at: number; callback: () => void; id: number }[] = []
  let ids = 0
  const sockets: FakeSocket[] = []
  const tokenRequests: boolean[] = []
  const readies: boolean[] = []
  const states: ConnectionState[] = []
  const messages: unknown[] = []
  const connection = createConnection({
    url: (token) => `wss://nereid.example/v1/ws?token=${token}`,
    getToken: async ({ fresh }) => {
      tokenRequests.push(fresh)
      if (failToken) throw new Error('token URL down')
      return `token-${tokenRequests.length}`
    },
    onMessage: (message) => messages.push(message),
    onReady: (_ready, reconnected) => readies.push(reconnected),
    onState: (state) => states.push(state),
    createSocket: (url) => {
      const socket = new FakeSocket(url)
      sockets.push(socket)
      return socket
    },
    random: () => 0.5,
    setTimer: (callback, ms) => {
      ids += 1
      timers.push({ at: now + ms, callback, id: ids })
      return ids
    },
    clearTimer: (id) => {
      const index = timers.findIndex((timer) => timer.id === id)
      if (index >= 0) timers.splice(index, 1)
    },
  })
  const flush = () => new Promise((resolve) => setTimeout(resolve, 0))
  return {
    connection,
    sockets,
    tokenRequests,
    readies,
    states,
    messages,
    flush,
    /** Advances the clock by `ms`, running due timers in order. */
    async advance(ms: number) {
      const end = now + ms
      for (;;) {
        timers.sort((a, b) => a.at - b.at)
        const timer = timers[0]
        if (!timer || timer.at > end) break
        timers.shift()
        now = timer.at
        timer.callback()
        await flush()
      }
      now = end
    },
    delays: () => timers.map((timer) => timer.at - now),
  }
}

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with jitter between a quarter and all of it', () => {
    const at = (attempt: number, random: number) =>
      backoffDelay({ attempt, baseMs: 500, maxMs: 30_000, random: () => random })
    expect([0, 1, 2, 3].map((attempt) => at(attempt, 1))).toEqual([500, 1000, 2000, 4000])
    expect(at(10, 1)).toBe(30_000)
    expect(at(10, 0)).toBe(7500)
    expect(at(100, 0.5)).toBe(18_750)
  })
})

describe('createConnection', () => {
  it('connects with the token, sends queued messages after ready, and pings on schedule', async () => {
    const test = harness()
    test.connection.send({ type: 'subscribe' })
    test.connection.start()
    await test.flush()
    expect(test.sockets[0]?.url).toBe('wss://nereid.example/v1/ws?token=token-1')
    expect(test.sockets[0]?.sent).toEqual([])
    test.sockets[0]!.open()
    expect(test.states.at(-1)).toBe('open')
    expect(test.sockets[0]?.sent).toEqual([{ type: 'subscribe' }])
    await test.advance(25_000)
    expect(test.sockets[0]?.sent.at(-1)).toEqual({ type: 'ping' })
    test.sockets[0]!.receive({ type: 'pong' })
    await test.advance(25_000)
    expect(test.sockets[0]?.sent.filter((message) => message.type === 'ping')).toHaveLength(2)
    expect(test.messages).toEqual([])
  })

  it('drops a silent socket after a missed pong and reconnects with backoff; resubscribes on ready', async () => {
    const test = harness()
    test.connection.start()
    await test.flush()
    test.sockets[0]!.open()
    await test.advance(25_000 + 10_000)
    expect(test.sockets[0]?.closed).toEqual({ code: 4000, reason: 'heartbeat timeout' })
    expect(test.states.at(-1)).toBe('reconnecting')
    await test.advance(313)
    expect(test.sockets).toHaveLength(2)
    test.sockets[1]!.open()
    expect(test.readies).toEqual([false, true])
    // A socket that had been ready reuses the token.
    expect(test.tokenRequests).toEqual([false, false])
  })

  it('backs off further on each failed attempt and asks for a fresh token when it never got ready', async () => {
    const test = harness()
    test.connection.start()
    await test.flush()
    // 500 ms doubling per attempt, times 0.625 (the jitter at random() = 0.5).
    test.sockets[0]!.drop()
    expect(test.delays()).toEqual([313])
    await test.advance(313)
    test.sockets[1]!.drop()
    expect(test.delays()).toEqual([625])
    await test.advance(625)
    test.sockets[2]!.drop()
    expect(test.delays()).toEqual([1250])
    expect(test.tokenRequests).toEqual([false, true, true])
    await test.advance(1250)
    test.sockets[3]!.open()
    // Ready again: the next failure starts from the first delay.
    test.sockets[3]!.drop()
    expect(test.delays()).toEqual([313])
  })

  it('keeps retrying while the token cannot be fetched', async () => {
    const test = harness({ failToken: true })
    test.connection.start()
    await test.flush()
    expect(test.sockets).toHaveLength(0)
    expect(test.delays()).toEqual([313])
    await test.advance(313)
    expect(test.delays()).toEqual([625])
    test.connection.stop()
    expect(test.delays()).toEqual([])
  })

  it('matches ack and error replies to requests and fails requests whose socket dropped', async () => {
    const test = harness()
    test.connection.start()
    await test.flush()
    test.sockets[0]!.open()
    const approved = test.connection.request({
      type: 'approve',
      actionId: '00000000-0000-4000-8000-000000000001',
    })
    const rejected = test.connection.request({
      type: 'reject',
      actionId: '00000000-0000-4000-8000-000000000002',
    })
    const [first, second] = test.sockets[0]!.sent.slice(-2) as { id: string }[]
    expect(first?.id).not.toBe(second?.id)
    test.sockets[0]!.receive({ type: 'ack', id: first!.id })
    test.sockets[0]!.receive({ type: 'error', id: second!.id, code: 'conflict', message: 'Already decided.' })
    await expect(approved).resolves.toBe('ack')
    await expect(rejected).rejects.toMatchObject({ code: 'conflict', message: 'Already decided.' })

    const lost = test.connection.request({ type: 'chat', chatId: 'c1', text: 'hi' })
    test.sockets[0]!.drop()
    await expect(lost).rejects.toMatchObject({ code: 'disconnected' })
    // Sent while disconnected: queued, and sent after the next ready.
    const queued = test.connection.request({ type: 'subscribe', chatId: 'c1' })
    await test.advance(313)
    test.sockets[1]!.open()
    const sent = test.sockets[1]!.sent.find((message) => message.type === 'subscribe') as { id: string }
    test.sockets[1]!.receive({ type: 'ack', id: sent.id })
    await expect(queued).resolves.toBe('ack')
    // Unmatched server messages go to the widget.
    test.sockets[1]!.receive({ type: 'action', actionId: 'a', status: 'executed' })
    expect(test.messages).toEqual([{ type: 'action', actionId: 'a', status: 'executed' }])
  })

  it('restarts at once (a fresh token) without backoff', async () => {
    const test = harness()
    test.connection.start()
    await test.flush()
    test.sockets[0]!.open()
    test.connection.restart()
    await test.flush()
    expect(test.sockets[0]?.closed?.code).toBe(1000)
    expect(test.sockets).toHaveLength(2)
    test.sockets[1]!.open()
    expect(test.readies).toEqual([false, true])
  })
})
