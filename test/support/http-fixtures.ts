import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Express } from 'express'
import {
  attachWidgetServer,
  createHttpApp,
  createWidgetTokens,
  type WidgetHttpOptions,
  type WidgetLimits,
  type WidgetServer,
} from '../../adapters/index.ts'
import { type CreateSlackBotOptions, createSlackBot, type SlackBot } from '../../adapters/slack/index.ts'
import {
  type ChatModel,
  type ChatServiceOptions,
  createChatService,
  createInsightService,
  type NotificationSender,
} from '../../assistant/index.ts'
import {
  type Clock,
  createInProcessEventBus,
  createLogger,
  fixedClock,
  type Logger,
} from '../../core/index.ts'
import { addMember, createApiKey, createWorkspace, type Database, type MemberRole } from '../../db/index.ts'
import { createLexicalEmbedder } from '../../ingest/embedders/lexical-embedder.ts'
import { createKnowledgeService, type KnowledgeServiceOptions } from '../../ingest/index.ts'
import { allTools, createToolService } from '../../tools/index.ts'

export interface TestWorkspace {
  id: string
  slug: string
  apiKey: string
  members: Record<MemberRole, { userId: string; email: string }>
}

/** A workspace with one member per role and an API key, for HTTP tests. */
export async function createTestWorkspace({
  database,
  slug,
}: {
  database: Database
  slug: string
}): Promise<TestWorkspace> {
  const { workspace, members } = await database.withSystem(async (system) => {
    const created = await createWorkspace(system, { name: `Workspace ${slug}`, slug })
    const added = {} as TestWorkspace['members']
    for (const role of ['owner', 'admin', 'member', 'viewer'] as const) {
      const member = await addMember(system, {
        workspaceId: created.id,
        email: `${role}@${slug}.test`,
        name: `${role} of ${slug}`,
        role,
      })
      added[role] = { userId: member.userId, email: member.email }
    }
    return { workspace: created, members: added }
  })
  const key = await database.withTenant(
    { workspaceId: workspace.id, userId: members.owner.userId },
    (tenant) => createApiKey(tenant, { name: 'test key' }),
  )
  return { id: workspace.id, slug, apiKey: key.key, members }
}

/**
 * The express app over a test database with logs silenced and a fixed clock, and the services
 * behind it. Documents are processed in the background of the test process (no queue) with the
 * offline lexical embedder. The assistant runs on `chatModel` (search mode without one) and
 * continues conversations after decisions, as `serve` does.
 */
export function createTestServices({
  database,
  clock = fixedClock(new Date('2026-03-02T09:00:00Z')),
  maxUploadBytes = 25 * 1024 * 1024,
  knowledgeOptions = {},
  chatModel,
  chatOptions = {},
  widget = {},
  slack,
  notificationSenders = [],
}: {
  database: Database
  clock?: Clock
  maxUploadBytes?: number
  knowledgeOptions?: Partial<KnowledgeServiceOptions>
  chatModel?: ChatModel | undefined
  chatOptions?: Partial<ChatServiceOptions>
  /** Widget settings: the compiled script, a demo page, socket limits. Tokens use a fixed test secret. */
  widget?: Partial<Omit<WidgetHttpOptions, 'tokens'>> & { limits?: Partial<WidgetLimits> }
  /** The Slack bot (adapters/slack) on the same app, with these settings; its own logger if given. */
  slack?:
    | (Omit<CreateSlackBotOptions, 'database' | 'chat' | 'toolService' | 'bus' | 'clock' | 'logger'> & {
        logger?: Logger
      })
    | undefined
  /** Extra notification channels for insights (e.g. a Slack stand-in). */
  notificationSenders?: readonly NotificationSender[]
}) {
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
  const bus = createInProcessEventBus()
  const toolService = createToolService({ database, tools: allTools, clock, bus, logger })
  const knowledge = createKnowledgeService({
    database,
    embedder: createLexicalEmbedder(),
    clock,
    logger,
    maxUploadBytes,
    allowPrivateUrls: false,
    ...knowledgeOptions,
  })
  const chat = createChatService({
    database,
    toolService,
    knowledge,
    chatModel,
    clock,
    logger,
    bus,
    ...chatOptions,
  })
  const insights = createInsightService({
    database,
    toolService,
    clock,
    bus,
    logger,
    senders: notificationSenders,
  })
  const stopChatListening = chat.listen()
  const stopInsightListening = insights.listen()
  const stopListening = () => {
    stopChatListening()
    stopInsightListening()
  }
  const widgetTokens = createWidgetTokens({ secret: Buffer.alloc(32, 7), clock })
  const { limits, ...widgetHttp } = widget
  const slackBot: SlackBot | undefined = slack
    ? createSlackBot({
        ...slack,
        logger: slack.logger ?? logger,
        database,
        chat,
        toolService,
        bus,
        clock,
        insights,
      })
    : undefined
  const app = createHttpApp({
    database,
    logger,
    clock,
    toolService,
    knowledge,
    chat,
    maxUploadBytes,
    widget: { tokens: widgetTokens, ...widgetHttp },
    slack: slackBot?.router,
    insights,
  })

  /**
   * Serves the app on a random local port with the widget's WebSocket server attached, as `serve`
   * does; resolves with the base URL and a close function.
   */
  async function listen(): Promise<{
    url: string
    port: number
    widgetServer: WidgetServer
    close(): Promise<void>
  }> {
    const server = http.createServer(app)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const widgetServer = attachWidgetServer({
      server,
      database,
      chat,
      toolService,
      bus,
      tokens: widgetTokens,
      logger,
      limits,
    })
    const { port } = server.address() as AddressInfo
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      widgetServer,
      async close() {
        await widgetServer.close()
        server.closeAllConnections()
        await new Promise<void>((resolve) => server.close(() => resolve()))
      },
    }
  }
  return { app, bus, toolService, knowledge, chat, insights, stopListening, widgetTokens, listen, slackBot }
}

/** The express app of `createTestServices`. */
export function createTestApp(options: Parameters<typeof createTestServices>[0]): Express {
  return createTestServices(options).app
}
