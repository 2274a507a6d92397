import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type WebSocket, WebSocketServer } from 'ws'
import { buildWidgetScript } from '../../adapters/widget/build-widget.ts'
import { demoPageHtml } from '../../adapters/widget/demo-page.ts'

/**
 * A stand-in for the Nereid server side of the widget, for testing the browser client on its own:
 * the demo page, /widget.js, a token endpoint, the `/v1/ws` protocol (scripted per test) and the
 * few HTTP calls the widget makes. Everything it receives is recorded.
 */
// biome-ignore lint/suspicious/noExplicitAny: protocol messages are inspected freely in tests
export type Json = Record<string, any>

export interface FakeConnection {
  socket: WebSocket
  token: string
  received: Json[]
  send(message: Json): void
}

export interface FakeWidgetServer {
  url: string
  /** Tokens handed out by the token endpoint, in order. */
  tokens: { token: string; expiresAt: string }[]
  /** Every WebSocket connection, in order (closed ones too). */
  connections: FakeConnection[]
  /** Every client message over every connection. */
  received(): Json[]
  /** Sends to every open connection. */
  broadcast(message: Json): void
  /** Answers client messages; the default answers ping, subscribe (empty) and decisions (ack). */
  onMessage: (connection: FakeConnection, message: Json) => void
  /** Token lifetime for the token endpoint (default 1 h). */
  tokenLifetimeMs: number
  /** HTTP requests to /v1/* with their authorization header. */
  httpRequests: { method: string; path: string; authorization: string | undefined; bytes: number }[]
  /** Status answers for `GET /v1/knowledge/documents/:id`, in order (the last one repeats). */
  documentStatuses: Json[]
  /** The answer to `POST /v1/actions/:id/undo`. */
  undoResponse: { status: number; body: Json }
  /** An extra page: HTML served at `/page`. */
  page: string
  /** Resolves with the next connection (after `ready` was sent). */
  nextConnection(): Promise<FakeConnection>
  close(): Promise<void>
}

export async function startFakeWidgetServer(): Promise<FakeWidgetServer> {
  const script = await buildWidgetScript()
  const connections: FakeConnection[] = []
  const waiters: ((connection: FakeConnection) => void)[] = []
  const validTokens = new Map<string, number>()
  let tokenCount = 0

  const state: FakeWidgetServer = {
    url: '',
    tokens: [],
    connections,
    received: () => connections.flatMap((connection) => connection.received),
    broadcast(message) {
      for (const connection of connections) if (connection.socket.readyState === 1) connection.send(message)
    },
    onMessage: defaultHandler,
    tokenLifetimeMs: 60 * 60 * 1000,
    httpRequests: [],
    documentStatuses: [{ status: 'ready' }],
    undoResponse: { status: 200, body: { status: 'undone', summary: 'Undid it' } },
    page: '',
    nextConnection: () => new Promise((resolve) => waiters.push(resolve)),
    close: async () => {
      for (const connection of connections) connection.socket.terminate()
      sockets.close()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }

  function defaultHandler(connection: FakeConnection, message: Json) {
    if (message.type === 'ping') connection.send({ type: 'pong', ...(message.id ? { id: message.id } : {}) })
    else if (message.type === 'subscribe' && message.chatId)
      connection.send({ type: 'error', id: message.id, code: 'not_found', message: 'No such conversation.' })
    else if (message.type === 'subscribe') connection.send({ type: 'conversations', conversations: [] })
    else if (message.id) connection.send({ type: 'ack', id: message.id })
  }

  let uploads = 0
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const send = (status: number, body: string | Json, type = 'application/json') => {
      response.writeHead(status, { 'content-type': type })
      response.end(typeof body === 'string' ? body : JSON.stringify(body))
    }
    let bytes = 0
    for await (const chunk of request) bytes += (chunk as Buffer).length
    if (url.pathname.startsWith('/v1/'))
      state.httpRequests.push({
        method: request.method ?? '',
        path: url.pathname,
        authorization: request.headers.authorization,
        bytes,
      })
    if (request.method === 'GET' && url.pathname === '/') return send(200, demoPageHtml(), 'text/html')
    if (request.method === 'GET' && url.pathname === '/page') return send(200, state.page, 'text/html')
    if (request.method === 'GET' && url.pathname === '/widget.js')
      return send(200, script, 'text/javascript; charset=utf-8')
    if (request.method === 'POST' && url.pathname === '/demo/widget-token') {
      tokenCount += 1
      const token = `token-${tokenCount}`
      const expiresAt = new Date(Date.now() + state.tokenLifetimeMs)
      validTokens.set(token, expiresAt.getTime())
      state.tokens.push({ token, expiresAt: expiresAt.toISOString() })
      return send(200, { token, expiresAt: expiresAt.toISOString() })
    }
    const authorized = validToken(request.headers.authorization?.replace(/^Bearer /, ''))
    if (url.pathname.startsWith('/v1/') && !authorized)
      return send(401, { error: { code: 'unauthorized', message: 'No valid token.' } })
    if (request.method === 'POST' && url.pathname === '/v1/knowledge/documents') {
      uploads += 1
      return send(202, { id: `doc-${uploads}`, status: 'processing' })
    }
    const documentMatch = url.pathname.match(/^\/v1\/knowledge\/documents\/([\w-]+)$/)
    if (request.method === 'GET' && documentMatch) {
      const next =
        state.documentStatuses.length > 1 ? state.documentStatuses.shift()! : state.documentStatuses[0]
      return send(200, { id: documentMatch[1], ...next })
    }
    if (request.method === 'POST' && /^\/v1\/actions\/[\w-]+\/undo$/.test(url.pathname))
      return send(state.undoResponse.status, state.undoResponse.body)
    if (request.method === 'GET' && url.pathname === '/v1/notifications') return send(200, { data: [] })
    if (request.method === 'POST' && /^\/v1\/notifications\/[\w-]+\/read$/.test(url.pathname))
      return send(200, { ok: true })
    send(404, { error: { code: 'not_found', message: 'No such route.' } })
  }

  function validToken(token: string | undefined): boolean {
    const expiresAt = token ? validTokens.get(token) : undefined
    return expiresAt !== undefined && expiresAt > Date.now()
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500)
      response.end(String(error))
    })
  })
  const sockets = new WebSocketServer({ noServer: true })
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const token = url.searchParams.get('token') ?? ''
    if (url.pathname !== '/v1/ws' || !validToken(token)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\n\r\n')
      return
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      const connection: FakeConnection = {
        socket: ws,
        token,
        received: [],
        send: (message) => ws.send(JSON.stringify(message)),
      }
      connections.push(connection)
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as Json
        connection.received.push(message)
        state.onMessage(connection, message)
      })
      connection.send({ type: 'ready', userId: 'user-1', workspaceId: 'workspace-1', name: 'Ada' })
      for (const waiter of waiters.splice(0)) waiter(connection)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return state
}
