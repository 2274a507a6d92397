import type { ClientMessage, ServerMessage } from '../widget-protocol.ts'

/**
 * The widget's WebSocket to `/v1/ws?token=...`: waits for `ready`, sends `ping` every 25 s and
 * treats a silent socket as dead, reconnects with exponential backoff and full jitter (a fresh token
 * first when the socket never got to `ready`, e.g. the token expired), queues messages while
 * disconnected, and matches `ack` / `error` replies to requests by id.
 */
export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'stopped'

type Ready = Extract<ServerMessage, { type: 'ready' }>
type Outgoing = ClientMessage extends infer M ? (M extends { id?: string } ? Omit<M, 'id'> : never) : never

/** The minimal WebSocket surface used (the browser's, or a fake in tests). */
export interface SocketLike {
  readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  onerror: ((event: unknown) => void) | null
}

export interface ConnectionOptions {
  /** The socket URL for a token. */
  url: (token: string) => string
  getToken: (options: { fresh: boolean }) => Promise<string>
  onMessage: (message: ServerMessage) => void
  /** After every `ready`, including reconnects (`reconnected` true): resubscribe here. */
  onReady: (ready: Ready, reconnected: boolean) => void
  onState?: (state: ConnectionState, detail?: string) => void
  createSocket?: (url: string) => SocketLike
  pingIntervalMs?: number
  /** How long a ping may go unanswered (by anything) before the socket counts as dead. */
  pongTimeoutMs?: number
  backoffBaseMs?: number
  backoffMaxMs?: number
  /** How long a request waits for `ack` / `error` before it resolves as `timeout`. */
  requestTimeoutMs?: number
  random?: () => number
  setTimer?: (callback: () => void, ms: number) => unknown
  clearTimer?: (timer: unknown) => void
}

export interface Connection {
  start(): void
  stop(): void
  /** Closes and reconnects now (e.g. with a refreshed token), without backoff. */
  restart(): void
  /** Sends now when ready, otherwise after the next `ready`. */
  send(message: Outgoing): void
  /**
   * Sends with an id and resolves on its `ack` (`'ack'`), or `'timeout'` when no reply came;
   * rejects with the server's `error` message, or when the socket closed before any reply.
   */
  request(message: Outgoing): Promise<'ack' | 'timeout'>
  readonly state: ConnectionState
}

export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** Full jitter: a random delay up to min(max, base * 2^attempt), at least a quarter of it. */
export function backoffDelay({
  attempt,
  baseMs,
  maxMs,
  random,
}: {
  attempt: number
  baseMs: number
  maxMs: number
  random: () => number
}): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20))
  return Math.round(ceiling * (0.25 + 0.75 * random()))
}

const open = 1

export function createConnection(options: ConnectionOptions): Connection {
  const pingIntervalMs = options.pingIntervalMs ?? 25_000
  const pongTimeoutMs = options.pongTimeoutMs ?? 10_000
  const baseMs = options.backoffBaseMs ?? 500
  const maxMs = options.backoffMaxMs ?? 30_000
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000
  const random = options.random ?? Math.random
  const setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms))
  const clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>))
  const createSocket = options.createSocket ?? ((url) => new WebSocket(url) as unknown as SocketLike)

  let state: ConnectionState = 'idle'
  let socket: SocketLike | undefined
  let ready = false
  let everReady = false
  let attempt = 0
  let failedBeforeReady = 0
  let reconnectTimer: unknown
  let pingTimer: unknown
  let pongTimer: unknown
  let generation = 0
  let sequence = 0
  /** Messages waiting for the next `ready`, with the request id they carry (if any). */
  const outbox: { data: string; id?: string }[] = []
  /** Requests waiting for `ack` / `error`; `timer` runs from the moment they are actually sent. */
  const pending = new Map<
    string,
    { resolve: (value: 'ack' | 'timeout') => void; reject: (error: Error) => void; timer?: unknown }
  >()

  const setState = (next: ConnectionState, detail?: string) => {
    state = next
    options.onState?.(next, detail)
  }

  function clearTimers() {
    for (const timer of [reconnectTimer, pingTimer, pongTimer]) if (timer !== undefined) clearTimer(timer)
    reconnectTimer = pingTimer = pongTimer = undefined
  }

  async function connect() {
    const current = ++generation
    setState(everReady ? 'reconnecting' : 'connecting')
    let token: string
    try {
      // After a socket that never became ready (an expired or refused token), ask for a fresh one.
      token = await options.getToken({ fresh: failedBeforeReady > 0 })
    } catch (error) {
      if (current !== generation || state === 'stopped') return
      scheduleReconnect(error instanceof Error ? error.message : String(error))
      return
    }
    if (current !== generation || state === 'stopped') return
    let created: SocketLike
    try {
      created = createSocket(options.url(token))
    } catch (error) {
      scheduleReconnect(error instanceof Error ? error.message : String(error))
      return
    }
    socket = created
    ready = false
    created.onmessage = (event) => {
      if (socket !== created) return
      alive()
      const message = parse(event.data)
      if (message) handle(message)
    }
    created.onclose = (event) => {
      if (socket !== created) return
      socket = undefined
      lost(`closed (${event.code}${event.reason ? `: ${event.reason}` : ''})`)
    }
    created.onerror = () => undefined
  }

  function parse(data: unknown): ServerMessage | undefined {
    if (typeof data !== 'string') return undefined
    try {
      const value = JSON.parse(data) as { type?: unknown }
      return value && typeof value.type === 'string' ? (value as ServerMessage) : undefined
    } catch {
      return undefined
    }
  }

  function handle(message: ServerMessage) {
    if (message.type === 'ready') {
      const reconnected = everReady
      ready = true
      everReady = true
      attempt = 0
      failedBeforeReady = 0
      setState('open')
      startHeartbeat()
      options.onReady(message, reconnected)
      while (outbox.length > 0 && ready && socket) {
        const next = outbox.shift()!
        socket.send(next.data)
        if (next.id) sent(next.id)
      }
      return
    }
    if (message.type === 'pong') return
    if (message.type === 'ack' || (message.type === 'error' && message.id)) {
      const waiting = message.id ? pending.get(message.id) : undefined
      if (waiting) {
        pending.delete(message.id!)
        if (waiting.timer !== undefined) clearTimer(waiting.timer)
        if (message.type === 'ack') waiting.resolve('ack')
        else waiting.reject(new RequestError(message.code, message.message))
        return
      }
    }
    options.onMessage(message)
  }

  function startHeartbeat() {
    if (pingTimer !== undefined) clearTimer(pingTimer)
    pingTimer = setTimer(function tick() {
      pingTimer = setTimer(tick, pingIntervalMs)
      if (!socket || !ready) return
      socket.send(JSON.stringify({ type: 'ping' }))
      if (pongTimer === undefined)
        pongTimer = setTimer(() => {
          pongTimer = undefined
          // Nothing came back: the connection is dead even if the browser has not noticed.
          const dead = socket
          socket = undefined
          dead?.close(4000, 'heartbeat timeout')
          lost('heartbeat timeout')
        }, pongTimeoutMs)
    }, pingIntervalMs)
  }

  /** Anything received proves the socket alive. */
  function alive() {
    if (pongTimer !== undefined) clearTimer(pongTimer)
    pongTimer = undefined
  }

  function lost(detail: string) {
    if (!ready) failedBeforeReady += 1
    ready = false
    if (pingTimer !== undefined) clearTimer(pingTimer)
    if (pongTimer !== undefined) clearTimer(pongTimer)
    pingTimer = pongTimer = undefined
    // Requests sent on this socket got no answer: their outcome is unknown, the caller decides.
    // Queued ones were never sent and go out after the next `ready`.
    failSent('The connection was lost before the server answered.')
    if (state !== 'stopped') scheduleReconnect(detail)
  }

  function scheduleReconnect(detail: string) {
    if (state === 'stopped') return
    setState('reconnecting', detail)
    if (reconnectTimer !== undefined) clearTimer(reconnectTimer)
    const delay = backoffDelay({ attempt, baseMs, maxMs, random })
    attempt += 1
    reconnectTimer = setTimer(() => {
      reconnectTimer = undefined
      void connect()
    }, delay)
  }

  function closeSocket(reason: string) {
    const old = socket
    socket = undefined
    ready = false
    if (old) {
      old.onclose = null
      old.onmessage = null
      try {
        old.close(1000, reason)
      } catch {
        // already closing
      }
    }
  }

  function failSent(reason: string) {
    for (const [id, waiting] of pending) {
      if (waiting.timer === undefined) continue
      clearTimer(waiting.timer)
      waiting.reject(new RequestError('disconnected', reason))
      pending.delete(id)
    }
  }

  /** Starts a request's reply timeout once it has left. */
  function sent(id: string) {
    const waiting = pending.get(id)
    if (!waiting) return
    waiting.timer = setTimer(() => {
      pending.delete(id)
      waiting.resolve('timeout')
    }, requestTimeoutMs)
  }

  function transmit(data: string, id?: string) {
    if (socket && ready && socket.readyState === open) {
      socket.send(data)
      if (id) sent(id)
    } else outbox.push(id ? { data, id } : { data })
  }

  return {
    get state() {
      return state
    },
    start() {
      if (state !== 'idle' && state !== 'stopped') return
      setState('connecting')
      void connect()
    },
    stop() {
      setState('stopped')
      generation += 1
      clearTimers()
      closeSocket('widget closed')
      for (const waiting of pending.values()) {
        if (waiting.timer !== undefined) clearTimer(waiting.timer)
        waiting.reject(new RequestError('stopped', 'The widget was closed.'))
      }
      pending.clear()
      outbox.length = 0
    },
    restart() {
      if (state === 'stopped' || state === 'idle') return
      clearTimers()
      closeSocket('reconnecting')
      attempt = 0
      failSent('The connection was renewed before the server answered.')
      void connect()
    },
    send(message) {
      transmit(JSON.stringify(message))
    },
    request(message) {
      sequence += 1
      const id = `r${sequence}-${Math.floor(random() * 1e9).toString(36)}`
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject })
        transmit(JSON.stringify({ ...message, id }), id)
      })
    },
  }
}
