import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { RateLimiterMemory } from 'rate-limiter-flexible'
import { type WebSocket, WebSocketServer } from 'ws'
import { type ChatService, conversationIdFor } from '../../assistant/index.ts'
import { AppError, type EventBus, isAppError, type Logger, type NereidEvent } from '../../core/index.ts'
import {
  type Database,
  findConversation,
  findMember,
  findPendingAction,
  listConversations,
  listMessages,
  type MemberRole,
} from '../../db/index.ts'
import { getWidgetOrigins } from '../../db/queries/widget-settings.ts'
import type { Actor, ToolService } from '../../tools/index.ts'
import { isAllowedWidgetOrigin } from './widget-origins.ts'
import {
  type ClientMessage,
  maxClientMessageBytes,
  parseClientMessage,
  type ServerMessage,
} from './widget-protocol.ts'
import type { WidgetTokens } from './widget-token.ts'

/** Limits of the widget's WebSocket; the defaults suit one process serving a few thousand members. */
export interface WidgetLimits {
  /** Largest client frame in bytes (bigger ones close the socket with 1009). */
  maxMessageBytes: number
  /** Client messages per connection per `windowSeconds`. */
  messagesPerWindow: number
  /** Chat turns per member (all their tabs together) per `windowSeconds`. */
  turnsPerWindow: number
  windowSeconds: number
  /** Protocol-level ping interval; a connection that misses one pong is dropped. */
  heartbeatMs: number
  /** Above this many unsent bytes a streaming turn waits for the client to catch up. */
  highWaterBytes: number
  /** Above this many unsent bytes the client is too slow: the socket is closed (1013) and it reconnects. */
  maxBufferedBytes: number
  /** Chunks of an in-flight answer kept for a reconnecting client. */
  maxReplayChunks: number
}

export const defaultWidgetLimits: WidgetLimits = {
  maxMessageBytes: maxClientMessageBytes,
  messagesPerWindow: 60,
  turnsPerWindow: 20,
  windowSeconds: 60,
  heartbeatMs: 30_000,
  highWaterBytes: 256 * 1024,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxReplayChunks: 4000,
}

export interface WidgetServerOptions {
  database: Database
  chat: ChatService
  toolService: ToolService
  bus: EventBus
  tokens: WidgetTokens
  logger: Logger
  /** The service's own origin (PUBLIC_URL), always allowed besides the workspace's origins. */
  publicOrigin?: string | undefined
  limits?: Partial<WidgetLimits>
}

interface Connection {
  socket: WebSocket
  workspaceId: string
  userId: string
  role: MemberRole
  /** Conversations this connection shows, by conversation id -> the client's chat id. */
  following: Map<string, string>
  alive: boolean
}

interface InFlight {
  chatId: string
  chunks: ServerMessage[]
  overflowed: boolean
}

const path = '/v1/ws'

/**
 * The widget's WebSocket server on `/v1/ws` (protocol: widget-protocol.ts), sharing the HTTP
 * server's port.
 *
 * Authorization, decided once at the upgrade: a valid widget token names the workspace and the
 * member; the member must still belong to it; the page's `Origin` must be one the workspace
 * allowed (or the service's own). Everything after runs as that member through the same chat and
 * tool services as every other channel, so the socket cannot reach further than the member could
 * over HTTP. Fan-out comes from the event bus (Postgres LISTEN/NOTIFY across processes), so a
 * decision in Slack or the API updates every open tab.
 */
export function attachWidgetServer({
  server,
  database,
  chat,
  toolService,
  bus,
  tokens,
  logger,
  publicOrigin,
  limits: limitOverrides = {},
}: WidgetServerOptions & { server: Server }) {
  const limits = { ...defaultWidgetLimits, ...limitOverrides }
  const sockets = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes })
  const connections = new Set<Connection>()
  /** In-flight answers by conversation id, for tabs that join (or reconnect) mid-answer. */
  const inFlight = new Map<string, InFlight>()
  const messageLimiter = new RateLimiterMemory({
    points: limits.messagesPerWindow,
    duration: limits.windowSeconds,
  })
  const turnLimiter = new RateLimiterMemory({ points: limits.turnsPerWindow, duration: limits.windowSeconds })
  let nextConnection = 0

  const send = (connection: Connection, message: ServerMessage): void => {
    const { socket } = connection
    if (socket.readyState !== socket.OPEN) return
    if (socket.bufferedAmount > limits.maxBufferedBytes) {
      // Too slow to keep up: dropping it bounds memory; the client reconnects and resubscribes.
      socket.close(1013, 'too slow: reconnect')
      return
    }
    socket.send(JSON.stringify(message))
  }

  /** Waits while the socket has more than the high-water mark unsent (backpressure on the turn). */
  const drained = async (connection: Connection): Promise<void> => {
    while (
      connection.socket.readyState === connection.socket.OPEN &&
      connection.socket.bufferedAmount > limits.highWaterBytes
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  // workspace id -> user id -> that member's open connections: every streamed chunk is routed with
  // two map lookups instead of a scan of every socket (1,000 idle sockets x every token otherwise).
  const byMember = new Map<string, Map<string, Set<Connection>>>()
  const register = (connection: Connection) => {
    connections.add(connection)
    const members = byMember.get(connection.workspaceId) ?? new Map<string, Set<Connection>>()
    byMember.set(connection.workspaceId, members)
    const own = members.get(connection.userId) ?? new Set<Connection>()
    members.set(connection.userId, own)
    own.add(connection)
  }
  const unregister = (connection: Connection) => {
    connections.delete(connection)
    const members = byMember.get(connection.workspaceId)
    const own = members?.get(connection.userId)
    if (!members || !own) return
    own.delete(connection)
    if (own.size === 0) members.delete(connection.userId)
    if (members.size === 0) byMember.delete(connection.workspaceId)
  }
  const noConnections: readonly Connection[] = []
  const membersConnections = (workspaceId: string, userId?: string): Iterable<Connection> => {
    const members = byMember.get(workspaceId)
    if (!members) return noConnections
    if (userId !== undefined) return members.get(userId) ?? noConnections
    return [...members.values()].flatMap((own) => [...own])
  }

  // Every chunk of every turn this process streams goes to the member's tabs that show it.
  const stopObserving = chat.observeTurns(({ workspaceId, userId, conversationId, chunk }) => {
    const flight = inFlight.get(conversationId)
    for (const connection of membersConnections(workspaceId, userId)) {
      const chatId = connection.following.get(conversationId)
      if (chatId) send(connection, { type: 'chunk', chatId, conversationId, chunk })
    }
    if (flight) {
      if (flight.chunks.length < limits.maxReplayChunks) {
        flight.chunks.push({ type: 'chunk', chatId: flight.chatId, conversationId, chunk })
      } else flight.overflowed = true
    }
    if (chunk.type === 'start' && !flight) {
      inFlight.set(conversationId, {
        chatId:
          [...membersConnections(workspaceId, userId)]
            .map((connection) => connection.following.get(conversationId))
            .find(Boolean) ?? conversationId,
        chunks: [{ type: 'chunk', chatId: conversationId, conversationId, chunk }],
        overflowed: false,
      })
    }
    if (chunk.type === 'finish') inFlight.delete(conversationId)
  })

  const stopListening = bus.subscribe((event: NereidEvent) => {
    void routeBusEvent(event).catch((error: unknown) =>
      logger.warn({ err: error, event: event.type }, 'could not route an event to widget sessions'),
    )
  })

  async function routeBusEvent(event: NereidEvent): Promise<void> {
    if (!byMember.has(event.workspaceId)) return
    if (event.type === 'action.pending' || event.type === 'action.updated') {
      let requestedById = typeof event.requestedById === 'string' ? event.requestedById : undefined
      let summary = typeof event.summary === 'string' ? event.summary : undefined
      if (!requestedById) {
        const action = await database.withTenant({ workspaceId: event.workspaceId }, (tenant) =>
          findPendingAction(tenant, { id: String(event.actionId) }),
        )
        requestedById = action?.requestedById ?? undefined
        summary ??= action?.summary
      }
      const status = event.type === 'action.pending' ? 'pending' : String(event.status)
      // The requester's tabs, and admins' (who may decide for them).
      for (const connection of membersConnections(event.workspaceId)) {
        if (connection.userId !== requestedById && connection.role !== 'owner' && connection.role !== 'admin')
          continue
        send(connection, {
          type: 'action',
          actionId: String(event.actionId),
          status: status as Extract<ServerMessage, { type: 'action' }>['status'],
          ...(typeof event.tool === 'string' ? { tool: event.tool } : {}),
          ...(summary ? { summary } : {}),
        })
      }
      return
    }
    if (event.type === 'conversation.message' && typeof event.userId === 'string') {
      for (const connection of membersConnections(event.workspaceId, event.userId)) {
        send(connection, {
          type: 'message',
          conversationId: String(event.conversationId),
          messageId: String(event.messageId),
        })
      }
      return
    }
    if (event.type === 'notification.created' && typeof event.userId === 'string') {
      for (const connection of membersConnections(event.workspaceId, event.userId)) {
        send(connection, {
          type: 'notification',
          notification: event.notification as { id: string },
        })
      }
    }
  }

  const refuseUpgrade = (socket: Duplex, status: number, message: string) => {
    const body = JSON.stringify({ error: { code: status === 401 ? 'unauthorized' : 'forbidden', message } })
    socket.end(
      `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  }

  async function authorizeUpgrade(request: IncomingMessage) {
    const url = new URL(request.url ?? '/', 'http://widget.invalid')
    const token = url.searchParams.get('token') ?? ''
    const identity = tokens.verify(token)
    const { member, origins } = await database.withTenant(
      { workspaceId: identity.workspaceId },
      async (tenant) => ({
        member: await findMember(tenant, { idOrEmail: identity.userId }),
        origins: await getWidgetOrigins(tenant),
      }),
    )
    if (!member)
      throw new AppError('forbidden', { message: 'The token names someone who is no longer a member.' })
    const origin = request.headers.origin
    if (
      !isAllowedWidgetOrigin({ origin, host: request.headers.host, publicOrigin, allowedOrigins: origins })
    ) {
      throw new AppError('forbidden', {
        message: `The origin ${origin} is not allowed for this workspace's widget.`,
      })
    }
    return { identity, member }
  }

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(request.url ?? '/', 'http://widget.invalid').pathname !== path) return
    authorizeUpgrade(request).then(
      ({ identity, member }) => {
        sockets.handleUpgrade(request, socket, head, (webSocket) => {
          accept({
            socket: webSocket,
            workspaceId: identity.workspaceId,
            userId: member.userId,
            role: member.role,
            name: member.name ?? member.email,
          })
        })
      },
      (error: unknown) => {
        if (isAppError(error) && error.status < 500) {
          refuseUpgrade(socket, error.status === 401 ? 401 : 403, error.message)
        } else {
          logger.error({ err: error }, 'widget upgrade failed')
          socket.destroy()
        }
      },
    )
  }
  server.on('upgrade', onUpgrade)

  function accept({
    socket,
    workspaceId,
    userId,
    role,
    name,
  }: {
    socket: WebSocket
    workspaceId: string
    userId: string
    role: MemberRole
    name: string
  }) {
    const connection: Connection = { socket, workspaceId, userId, role, following: new Map(), alive: true }
    const key = `c${nextConnection++}`
    register(connection)
    socket.on('pong', () => {
      connection.alive = true
    })
    socket.on('close', () => unregister(connection))
    socket.on('error', (error) => logger.debug({ err: error }, 'widget socket error'))
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        send(connection, { type: 'error', code: 'bad_request', message: 'Send JSON text frames.' })
        return
      }
      const parsed = parseClientMessage(data.toString())
      if (!parsed.ok) {
        send(connection, {
          type: 'error',
          code: 'bad_request',
          message: parsed.message,
          ...(parsed.id ? { id: parsed.id } : {}),
        })
        return
      }
      messageLimiter.consume(key).then(
        () => handle(connection, parsed.message),
        () =>
          send(connection, {
            type: 'error',
            code: 'rate_limited',
            message: 'Too many messages; slow down.',
            ...(parsed.message.id ? { id: parsed.message.id } : {}),
          }),
      )
    })
    send(connection, { type: 'ready', userId, workspaceId, name })
  }

  const actorOf = (connection: Connection): Actor & { channel: 'widget' } => ({
    workspaceId: connection.workspaceId,
    userId: connection.userId,
    role: connection.role,
    channel: 'widget',
  })

  async function handle(connection: Connection, message: ClientMessage): Promise<void> {
    const reply = (body: Omit<Extract<ServerMessage, { type: 'error' }>, 'type' | 'id'>) =>
      send(connection, { type: 'error', ...body, ...(message.id ? { id: message.id } : {}) })
    try {
      switch (message.type) {
        case 'ping':
          send(connection, { type: 'pong', ...(message.id ? { id: message.id } : {}) })
          return
        case 'subscribe':
          await subscribe(connection, message.chatId)
          break
        case 'approve':
          await toolService.approve({ actor: actorOf(connection), actionId: message.actionId })
          break
        case 'reject':
          await toolService.reject({
            actor: actorOf(connection),
            actionId: message.actionId,
            reason: message.reason,
          })
          break
        case 'chat':
          try {
            await turnLimiter.consume(`${connection.workspaceId}:${connection.userId}`)
          } catch {
            reply({ code: 'rate_limited', message: 'Too many messages in a minute; wait a moment.' })
            return
          }
          await runTurn(connection, message)
          return
      }
      if (message.id) send(connection, { type: 'ack', id: message.id })
    } catch (error) {
      if (isAppError(error) && error.status < 500) reply({ code: error.code, message: error.message })
      else {
        logger.error({ err: error }, 'widget request failed')
        reply({ code: 'internal', message: 'Something went wrong; please try again.' })
      }
    }
  }

  async function subscribe(connection: Connection, chatId: string | undefined): Promise<void> {
    if (!chatId) {
      const { conversations } = await database.withTenant(
        { workspaceId: connection.workspaceId, userId: connection.userId },
        (tenant) => listConversations(tenant, { userId: connection.userId, limit: 50, offset: 0 }),
      )
      send(connection, {
        type: 'conversations',
        conversations: conversations.map((conversation) => ({
          id: conversation.id,
          title: conversation.title,
          channel: conversation.channel,
          lastMessageAt: conversation.lastMessageAt,
        })),
      })
      return
    }
    const conversationId = conversationIdFor({
      workspaceId: connection.workspaceId,
      userId: connection.userId,
      chatId,
    })
    const messages = await database.withTenant(
      { workspaceId: connection.workspaceId, userId: connection.userId },
      async (tenant) =>
        (await findConversation(tenant, { id: conversationId, userId: connection.userId }))
          ? listMessages(tenant, { conversationId, newest: 100 })
          : [],
    )
    send(connection, {
      type: 'conversation',
      chatId,
      conversationId,
      messages: messages.map((stored) => ({
        id: stored.id,
        role: stored.role,
        parts: stored.parts,
        status: stored.status,
        createdAt: stored.createdAt,
      })),
    })
    // An answer still streaming (started before a reconnect, or in another tab): replay it so far.
    const flight = inFlight.get(conversationId)
    if (flight && !flight.overflowed) {
      for (const chunk of flight.chunks) send(connection, { ...chunk, chatId } as ServerMessage)
    }
    // Follow only now, in the same tick as the replay: live chunks then continue exactly where the
    // replay ended, with no chunk sent twice (the order clients rely on: conversation, replay, ack).
    connection.following.set(conversationId, chatId)
  }

  async function runTurn(connection: Connection, message: Extract<ClientMessage, { type: 'chat' }>) {
    // Follow before the turn starts, so this tab gets the answer from its first chunk.
    connection.following.set(
      conversationIdFor({
        workspaceId: connection.workspaceId,
        userId: connection.userId,
        chatId: message.chatId,
      }),
      message.chatId,
    )
    const { stream } = await chat.streamTurn({
      actor: actorOf(connection),
      chatId: message.chatId,
      message: { role: 'user', parts: [{ type: 'text', text: message.text }] },
    })
    if (message.id) send(connection, { type: 'ack', id: message.id })
    // The turn runs to the end even if this tab closes (the answer is stored and other tabs, or
    // this one after reconnecting, see it); reading at the client's pace is the backpressure.
    const reader = stream.getReader()
    for (;;) {
      await drained(connection)
      const { done } = await reader.read()
      if (done) break
    }
  }

  const heartbeat = setInterval(() => {
    for (const connection of connections) {
      if (!connection.alive) {
        connection.socket.terminate()
        unregister(connection)
        continue
      }
      connection.alive = false
      connection.socket.ping()
    }
  }, limits.heartbeatMs)
  heartbeat.unref()

  return {
    /** Open connections (for health and the bench). */
    connectionCount: () => connections.size,
    async close(): Promise<void> {
      clearInterval(heartbeat)
      server.off('upgrade', onUpgrade)
      stopObserving()
      stopListening()
      for (const connection of connections) connection.socket.close(1001, 'server shutting down')
      await new Promise<void>((resolve) => sockets.close(() => resolve()))
    },
  }
}

export type WidgetServer = ReturnType<typeof attachWidgetServer>
