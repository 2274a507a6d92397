import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type WebSocket, WebSocketServer } from 'ws'

/**
 * A local stand-in for the Slack Web API (`slackApiUrl` of `@slack/web-api` and Bolt points here):
 * it answers the methods the bot uses the way Slack does (`{ ok: true, … }` or
 * `{ ok: false, error }`, HTTP 429 with `Retry-After`), keeps the messages it was given per
 * channel and thread (so `conversations.replies` and `chat.update` behave), and records every
 * call for assertions. Faults can be injected per method. Response URLs (slash commands) and the
 * OAuth code exchange are served too.
 */

export interface StandInTeam {
  id: string
  name: string
  botToken: string
  botUserId: string
  botId: string
  /** Whether `chat.startStream` & co. work for this team (otherwise `unknown_method`). */
  streaming: boolean
}

export interface StandInUser {
  id: string
  teamId: string
  name: string
  email?: string | undefined
  isBot?: boolean
  deleted?: boolean
}

/** A message the stand-in holds. */
export interface StoredMessage {
  channel: string
  ts: string
  threadTs?: string | undefined
  user?: string | undefined
  botId?: string | undefined
  text: string
  // biome-ignore lint/suspicious/noExplicitAny: Block Kit as sent
  blocks?: any[] | undefined
  /** Streaming: `started` while chat.appendStream is allowed, `stopped` after chat.stopStream. */
  stream?: 'started' | 'stopped' | undefined
  deleted?: boolean
}

/** One call the stand-in received. */
export interface RecordedSlackCall {
  method: string
  token: string | undefined
  // biome-ignore lint/suspicious/noExplicitAny: arguments as Slack received them
  args: Record<string, any>
  // biome-ignore lint/suspicious/noExplicitAny: the answer given
  response: any
  status: number
  /** When it arrived (ms since the epoch). */
  at: number
}

/** A fault for the next matching calls of a method. */
export interface SlackFault {
  /** Slack's error code, answered as `{ ok: false, error }`. */
  error?: string
  /** HTTP 429 with this `Retry-After` (seconds), like Slack's rate limiting. */
  retryAfterSeconds?: number
  /** How many calls it applies to (default 1). */
  times?: number
  // biome-ignore lint/suspicious/noExplicitAny: matches on arguments
  when?: (args: Record<string, any>) => boolean
}

export interface SlackStandIn {
  /** The Web API base URL, ending in `/api/`. */
  apiUrl: string
  /** Base URL of the server. */
  url: string
  /** Slack's OAuth consent page stand-in (answers 200; tests read the state from the URL). */
  authorizeUrl: string
  addTeam(team: StandInTeam): void
  addUser(user: StandInUser): void
  calls: RecordedSlackCall[]
  callsTo(method: string): RecordedSlackCall[]
  /** Resolves with the first call of `method` matching `predicate`, waiting up to `timeoutMs` (5 s). */
  waitForCall(
    method: string,
    predicate?: (call: RecordedSlackCall) => boolean,
    timeoutMs?: number,
  ): Promise<RecordedSlackCall>
  /** Resolves once `check()` is true (polling), or rejects after `timeoutMs` with `description`. */
  waitUntil(check: () => boolean, description: string, timeoutMs?: number): Promise<void>
  fail(method: string, fault: SlackFault): void
  revokeToken(token: string): void
  /** Makes a channel unknown (`channel_not_found`). */
  removeChannel(channel: string): void
  messages: StoredMessage[]
  /** A message a person wrote (so thread history has it); returns its ts. */
  userMessage(message: { channel: string; user: string; text: string; threadTs?: string | undefined }): string
  /** A fresh response URL (slash commands). */
  responseUrl(): string
  /** What was posted to response URLs, in order. */
  // biome-ignore lint/suspicious/noExplicitAny: response bodies as sent
  responses: { url: string; body: any }[]
  /** Registers an OAuth code that `oauth.v2.access` exchanges for this team's installation. */
  oauthCode(code: string, teamId: string, installerUserId: string): void
  /** Accepts an app-level token (`xapp-…`) for Socket Mode (`apps.connections.open`). */
  addAppToken(token: string): void
  /** Resolves once a Socket Mode client has connected (and was sent `hello`). */
  socketConnected(timeoutMs?: number): Promise<void>
  /**
   * Sends an envelope over the Socket Mode connection, like Slack does (`events_api`,
   * `interactive`, `slash_commands`); resolves with the client's acknowledgement.
   */
  sendOverSocket(
    type: string,
    payload: Record<string, unknown>,
  ): Promise<{ envelope_id: string; payload?: unknown }>
  /** Forgets calls, messages, faults and responses (teams and users stay). */
  reset(): void
  close(): Promise<void>
}

export async function startSlackStandIn(): Promise<SlackStandIn> {
  const teams = new Map<string, StandInTeam>()
  const users = new Map<string, StandInUser>()
  const revoked = new Set<string>()
  const removedChannels = new Set<string>()
  const faults = new Map<string, SlackFault[]>()
  const codes = new Map<string, { teamId: string; installerUserId: string }>()
  const calls: RecordedSlackCall[] = []
  const messages: StoredMessage[] = []
  const responses: { url: string; body: unknown }[] = []
  let clock = 1_770_000_000_000_000 // microseconds
  const nextTs = () => {
    clock += 100
    return `${Math.floor(clock / 1_000_000)}.${String(clock % 1_000_000).padStart(6, '0')}`
  }
  const teamOfToken = (token: string | undefined) =>
    [...teams.values()].find((team) => team.botToken === token)
  async function waitUntil(check: () => boolean, description: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!check()) {
      if (Date.now() > deadline) {
        const seen = calls
          .map((call) => `${call.method} ${JSON.stringify(call.response?.error ?? 'ok')}`)
          .join('\n  ')
        throw new Error(`timed out waiting for ${description}; calls so far:\n  ${seen}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
  const find = (channel: string, ts: string) =>
    messages.find((message) => message.channel === channel && message.ts === ts && !message.deleted)

  const appTokens = new Set<string>()
  const sockets = new Set<WebSocket>()
  const acknowledgements = new Map<string, (ack: { envelope_id: string; payload?: unknown }) => void>()
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, { ok: false, error: `stand-in: ${String(error)}` })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const socketServer = new WebSocketServer({ server, path: '/socket' })
  socketServer.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('message', (data) => {
      const ack = JSON.parse(String(data)) as { envelope_id: string; payload?: unknown }
      acknowledgements.get(ack.envelope_id)?.(ack)
      acknowledgements.delete(ack.envelope_id)
    })
    socket.send(
      JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0NEREID' } }),
    )
  })

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', url).pathname
    const raw = await readBody(request)
    if (path.startsWith('/oauth/v2/authorize')) {
      send(response, 200, { ok: true, note: 'consent page stand-in' })
      return
    }
    if (path.startsWith('/respond/')) {
      responses.push({ url: `${url}${path}`, body: JSON.parse(raw || '{}') })
      send(response, 200, { ok: true })
      return
    }
    if (!path.startsWith('/api/')) {
      send(response, 404, { ok: false, error: 'not_found' })
      return
    }
    const method = path.slice('/api/'.length)
    const args = parseArguments(raw, String(request.headers['content-type'] ?? ''))
    const authorization = request.headers.authorization
    const token = authorization?.startsWith('Bearer ')
      ? authorization.slice(7)
      : (args.token as string | undefined)
    const record: RecordedSlackCall = {
      method,
      token,
      args,
      response: undefined,
      status: 200,
      at: Date.now(),
    }
    calls.push(record)
    const pending = faults.get(method)
    const fault = pending?.find((candidate) => !candidate.when || candidate.when(args))
    if (fault) {
      fault.times = (fault.times ?? 1) - 1
      if (fault.times <= 0) pending!.splice(pending!.indexOf(fault), 1)
      if (fault.retryAfterSeconds !== undefined) {
        record.status = 429
        record.response = { ok: false, error: 'ratelimited' }
        response.writeHead(429, {
          'content-type': 'application/json',
          'retry-after': String(fault.retryAfterSeconds),
        })
        response.end(JSON.stringify(record.response))
        return
      }
      record.response = { ok: false, error: fault.error ?? 'internal_error' }
      send(response, 200, record.response)
      return
    }
    record.response = answer(method, token, args)
    send(response, 200, record.response)
  }

  // biome-ignore lint/suspicious/noExplicitAny: Slack arguments and answers are loose JSON
  function answer(method: string, token: string | undefined, args: Record<string, any>): any {
    if (method === 'apps.connections.open') {
      if (!appTokens.has(token ?? '')) return { ok: false, error: 'invalid_auth' }
      return { ok: true, url: `${url.replace('http', 'ws')}/socket` }
    }
    if (method === 'oauth.v2.access') {
      const grant = codes.get(String(args.code))
      if (!grant) return { ok: false, error: 'invalid_code' }
      codes.delete(String(args.code))
      const team = teams.get(grant.teamId)!
      return {
        ok: true,
        app_id: 'A0NEREID',
        authed_user: { id: grant.installerUserId },
        scope: 'app_mentions:read,chat:write,commands,users:read,users:read.email',
        token_type: 'bot',
        access_token: team.botToken,
        bot_user_id: team.botUserId,
        team: { id: team.id, name: team.name },
        enterprise: null,
        is_enterprise_install: false,
      }
    }
    if (revoked.has(token ?? '')) return { ok: false, error: 'token_revoked' }
    const team = teamOfToken(token)
    if (!team) return { ok: false, error: 'invalid_auth' }
    const channel = String(args.channel ?? args.channel_id ?? '')
    const channelGone = () =>
      removedChannels.has(channel) ? { ok: false, error: 'channel_not_found' } : undefined
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: `https://${team.id.toLowerCase()}.slack.test/`,
          team: team.name,
          user: 'nereid',
          team_id: team.id,
          user_id: team.botUserId,
          bot_id: team.botId,
        }
      case 'users.info': {
        const user = users.get(String(args.user))
        if (!user) return { ok: false, error: 'user_not_found' }
        return {
          ok: true,
          user: {
            id: user.id,
            team_id: user.teamId,
            name: user.name.toLowerCase().replace(/\s+/g, '.'),
            real_name: user.name,
            deleted: Boolean(user.deleted),
            is_bot: Boolean(user.isBot),
            profile: {
              real_name: user.name,
              display_name: user.name,
              ...(user.email ? { email: user.email } : {}),
            },
          },
        }
      }
      case 'chat.postMessage': {
        const gone = channelGone()
        if (gone) return gone
        if (!args.text && !args.blocks) return { ok: false, error: 'no_text' }
        const message: StoredMessage = {
          channel,
          ts: nextTs(),
          threadTs: args.thread_ts,
          botId: team.botId,
          user: team.botUserId,
          text: String(args.text ?? ''),
          blocks: args.blocks,
        }
        messages.push(message)
        return { ok: true, channel, ts: message.ts, message: { text: message.text, ts: message.ts } }
      }
      case 'chat.update': {
        const gone = channelGone()
        if (gone) return gone
        const message = find(channel, String(args.ts))
        if (!message) return { ok: false, error: 'message_not_found' }
        if (args.text !== undefined) message.text = String(args.text)
        if (args.blocks !== undefined) message.blocks = args.blocks
        return { ok: true, channel, ts: message.ts, text: message.text }
      }
      case 'chat.delete': {
        const message = find(channel, String(args.ts))
        if (!message) return { ok: false, error: 'message_not_found' }
        message.deleted = true
        return { ok: true, channel, ts: message.ts }
      }
      case 'chat.postEphemeral': {
        const gone = channelGone()
        if (gone) return gone
        return { ok: true, message_ts: nextTs() }
      }
      case 'chat.startStream': {
        if (!team.streaming) return { ok: false, error: 'unknown_method' }
        const gone = channelGone()
        if (gone) return gone
        if (!args.thread_ts) return { ok: false, error: 'invalid_arguments' }
        if (!channel.startsWith('D') && (!args.recipient_user_id || !args.recipient_team_id)) {
          return { ok: false, error: 'missing_recipient_user_id' }
        }
        const message: StoredMessage = {
          channel,
          ts: nextTs(),
          threadTs: args.thread_ts,
          botId: team.botId,
          user: team.botUserId,
          text: streamText(args),
          stream: 'started',
        }
        messages.push(message)
        return { ok: true, channel, ts: message.ts }
      }
      case 'chat.appendStream':
      case 'chat.stopStream': {
        const message = find(channel, String(args.ts))
        if (!message) return { ok: false, error: 'message_not_found' }
        if (message.stream !== 'started') return { ok: false, error: 'message_not_in_streaming_state' }
        message.text += streamText(args)
        if (method === 'chat.stopStream') {
          message.stream = 'stopped'
          if (args.blocks) message.blocks = args.blocks
        }
        return { ok: true, channel, ts: message.ts }
      }
      case 'conversations.replies': {
        const gone = channelGone()
        if (gone) return gone
        const threadTs = String(args.ts)
        const oldest = args.oldest ? Number(args.oldest) : undefined
        const thread = messages
          .filter((message) => message.channel === channel && !message.deleted)
          .filter((message) => message.ts === threadTs || message.threadTs === threadTs)
          .filter((message) => message.ts === threadTs || oldest === undefined || Number(message.ts) > oldest)
          .sort((left, right) => Number(left.ts) - Number(right.ts))
        return {
          ok: true,
          messages: thread.map((message) => ({
            type: 'message',
            ts: message.ts,
            ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
            ...(message.botId ? { bot_id: message.botId } : { user: message.user }),
            ...(message.botId ? { user: message.user } : {}),
            text: message.text,
          })),
          has_more: false,
        }
      }
      case 'conversations.open':
        return { ok: true, channel: { id: `D${String(args.users).replace(/^U/, '')}` } }
      case 'assistant.threads.setStatus':
      case 'assistant.threads.setSuggestedPrompts':
      case 'assistant.threads.setTitle':
        return { ok: true }
      default:
        return { ok: false, error: 'unknown_method' }
    }
  }

  return {
    apiUrl: `${url}/api/`,
    url,
    authorizeUrl: `${url}/oauth/v2/authorize`,
    addTeam: (team) => teams.set(team.id, team),
    addUser: (user) => users.set(user.id, user),
    calls,
    callsTo: (method) => calls.filter((call) => call.method === method),
    async waitForCall(method, predicate = () => true, timeoutMs = 5_000) {
      let found: RecordedSlackCall | undefined
      await waitUntil(
        () => {
          found = calls.find((call) => call.method === method && predicate(call))
          return Boolean(found)
        },
        `a ${method} call`,
        timeoutMs,
      )
      return found!
    },
    waitUntil,
    fail(method, fault) {
      faults.set(method, [...(faults.get(method) ?? []), { times: 1, ...fault }])
    },
    revokeToken: (token) => revoked.add(token),
    removeChannel: (channel) => removedChannels.add(channel),
    messages,
    userMessage({ channel, user, text, threadTs }) {
      const ts = nextTs()
      messages.push({ channel, ts, threadTs, user, text })
      return ts
    },
    responseUrl: () => `${url}/respond/${randomBytes(6).toString('hex')}`,
    responses,
    oauthCode: (code, teamId, installerUserId) => codes.set(code, { teamId, installerUserId }),
    addAppToken: (token) => appTokens.add(token),
    socketConnected: (timeoutMs = 5_000) =>
      waitUntil(() => sockets.size > 0, 'a Socket Mode connection', timeoutMs),
    sendOverSocket(type, payload) {
      const envelopeId = randomBytes(8).toString('hex')
      const [socket] = sockets
      if (!socket) return Promise.reject(new Error('no Socket Mode client is connected'))
      const acknowledged = new Promise<{ envelope_id: string; payload?: unknown }>((resolve) =>
        acknowledgements.set(envelopeId, resolve),
      )
      socket.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: type !== 'events_api',
          retry_attempt: 0,
          retry_reason: '',
        }),
      )
      return acknowledged
    },
    reset() {
      calls.splice(0)
      messages.splice(0)
      responses.splice(0)
      faults.clear()
      revoked.clear()
      removedChannels.clear()
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.terminate()
        socketServer.close()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

// biome-ignore lint/suspicious/noExplicitAny: Slack arguments are loose JSON
function streamText(args: Record<string, any>): string {
  let text = typeof args.markdown_text === 'string' ? args.markdown_text : ''
  for (const chunk of Array.isArray(args.chunks) ? args.chunks : []) {
    if (chunk?.type === 'markdown_text' && typeof chunk.text === 'string') text += chunk.text
  }
  return text
}

/** Form fields (the Web API client's default) or JSON; JSON-looking form values are decoded. */
// biome-ignore lint/suspicious/noExplicitAny: loose JSON
function parseArguments(raw: string, contentType: string): Record<string, any> {
  if (contentType.includes('application/json')) return raw ? JSON.parse(raw) : {}
  // biome-ignore lint/suspicious/noExplicitAny: loose JSON
  const args: Record<string, any> = {}
  for (const [key, value] of new URLSearchParams(raw)) {
    if (/^[[{]/.test(value)) {
      try {
        args[key] = JSON.parse(value)
        continue
      } catch {
        // Not JSON after all: keep the string.
      }
    }
    args[key] = value
  }
  return args
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
  })
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(JSON.stringify(body))
}
