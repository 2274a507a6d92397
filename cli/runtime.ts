import {
  type ChatService,
  createChatModel,
  createChatService,
  createInsightScheduler,
  createInsightService,
  createModelInsightPhraser,
  type InsightScheduler,
  type InsightService,
  type NotificationSender,
} from '../assistant/index.ts'
import {
  AppError,
  type Clock,
  type Config,
  createInProcessEventBus,
  createLogger,
  type EventBus,
  type Logger,
  loadConfig,
  systemClock,
} from '../core/index.ts'
import { createPostgresEventBus, type Database, openDatabase } from '../db/index.ts'
import {
  chooseParser,
  createEmbedder,
  createIngestQueue,
  createKnowledgeService,
  type IngestQueue,
  type KnowledgeService,
} from '../ingest/index.ts'
import { allTools, createToolService, type ToolService } from '../tools/index.ts'

/** Where CLI commands write for people; injected so tests can read it. */
export interface Output {
  log(line: string): void
  error(line: string): void
  /**
   * Writes text as is, without a line break (streamed tokens, prompts). Optional: commands that
   * stream fall back to printing whole lines through `log` when an output has no `write`.
   */
  write?(text: string): void
}

export const consoleOutput: Output = {
  log: (line) => process.stdout.write(`${line}\n`),
  error: (line) => process.stderr.write(`${line}\n`),
  write: (text) => process.stdout.write(text),
}

/** What every command gets: the environment to read, where to print, and where to read from. */
export interface CommandEnvironment {
  environment: Record<string, string | undefined>
  envFile: string | false
  output: Output
  clock: Clock
  /** What interactive commands (`nereid chat`) read lines from; standard input when absent. */
  input?: NodeJS.ReadableStream | undefined
}

export const defaultCommandEnvironment = (): CommandEnvironment => ({
  environment: process.env,
  envFile: '.env',
  output: consoleOutput,
  clock: systemClock,
})

export interface Runtime {
  config: Config
  logger: Logger
  database: Database
  clock: Clock
  close(): Promise<void>
}

/**
 * Loads the configuration and opens the database for a command. Admin commands log at `warn`
 * (or `quietLevel`) unless LOG_LEVEL asks for something else, so their own output stays readable.
 */
export async function openRuntime(
  { environment, envFile, clock }: CommandEnvironment,
  { quiet = true, quietLevel = 'warn' }: { quiet?: boolean; quietLevel?: 'warn' | 'error' } = {},
): Promise<Runtime> {
  const config = loadConfig({ environment, envFile })
  const level = quiet && !environment.LOG_LEVEL ? quietLevel : config.logLevel
  const logger = createLogger({ level })
  const database = await openDatabase({ config, logger })
  return { config, logger, database, clock, close: () => database.close() }
}

/** Runs `work` with a runtime and always closes it (PGlite flushes its data on close). */
export async function withRuntime<Result>(
  commandEnvironment: CommandEnvironment,
  work: (runtime: Runtime) => Promise<Result>,
): Promise<Result> {
  const runtime = await openRuntime(commandEnvironment)
  try {
    return await work(runtime)
  } finally {
    await runtime.close()
  }
}

/** Applies pending migrations in embedded mode; with a real server, refuses unless allowed. */
export async function ensureMigrated({
  database,
  allowMigrate,
  output,
}: {
  database: Database
  allowMigrate: boolean
  output: Output
}): Promise<void> {
  const { pending } = await database.migrator.status()
  if (pending.length === 0) return
  if (database.mode === 'embedded' || allowMigrate) {
    const applied = await database.migrator.up()
    output.log(`Applied ${applied.length} migration(s): ${applied.join(', ')}`)
    return
  }
  throw new AppError('unavailable', {
    message:
      `The database has ${pending.length} pending migration(s): ${pending.join(', ')}. ` +
      'Run "nereid migrate" (npm run db:migrate) first, or start with "nereid serve --migrate".',
  })
}

export interface Services {
  bus: EventBus
  toolService: ToolService
  knowledge: KnowledgeService
  chat: ChatService
  insights: InsightService
  close(): Promise<void>
}

/**
 * The long-lived services of a serving process. The event bus is Postgres LISTEN/NOTIFY with a real
 * server (so several web processes see each other's decisions) and in-process with the embedded
 * database (one process).
 */
export async function createServices({
  database,
  config,
  logger,
  clock,
  worker = true,
  listen = true,
  notificationSenders = [],
}: {
  database: Database
  config: Config
  logger: Logger
  clock: Clock
  /** Work the ingestion queue in this process too (default). */
  worker?: boolean
  /**
   * Continue conversations after decisions heard on the bus (default). A short-lived process (the
   * terminal chat) leaves that to the serving processes: one that exits in the middle of writing a
   * continuation would lose it, and its own decisions are continued by the chat turn itself.
   */
  listen?: boolean
  /** Where notifications go besides the widget (the Slack bot's direct messages). */
  notificationSenders?: readonly NotificationSender[]
}): Promise<Services> {
  const bus =
    database.mode === 'postgres'
      ? await createPostgresEventBus({ url: database.url, logger })
      : createInProcessEventBus()
  const toolService = createToolService({ database, tools: allTools, clock, bus, logger })
  let queue: IngestQueue | undefined
  let insightScheduler: InsightScheduler | undefined
  try {
    queue = await createIngestQueue({
      url: database.url,
      logger,
      concurrency: config.knowledge.ingestConcurrency,
    })
    const knowledge = createKnowledgeService({
      database,
      embedder: createEmbedder({ config }),
      clock,
      logger,
      bus,
      scheduler: queue,
      maxUploadBytes: config.knowledge.maxUploadBytes,
      allowPrivateUrls: config.knowledge.allowPrivateUrls,
      efSearch: config.knowledge.efSearch,
      workspaceIndexBuild: config.knowledge.workspaceIndexBuild,
      parse: chooseParser(config.unstructured),
    })
    if (worker) await queue.startWorker(knowledge)
    const chatModel = createChatModel({ config })
    const chat = createChatService({
      database,
      toolService,
      knowledge,
      chatModel,
      clock,
      logger,
      bus,
      maxSteps: config.chat.maxSteps,
      stepTimeoutMs: config.chat.stepTimeoutMs,
    })
    // Decisions taken on any channel continue their conversations.
    const stopListening = listen ? chat.listen() : () => {}
    // Proactive insights: hourly runs and the daily digest per workspace on pg-boss (worker processes).
    const insights = createInsightService({
      database,
      toolService,
      clock,
      bus,
      logger,
      senders: notificationSenders,
      // With a model configured it words new insights' bodies; templates otherwise (and on failure).
      phraser: chatModel ? createModelInsightPhraser({ model: chatModel.model, logger }) : undefined,
    })
    const stopInsightListener = listen ? insights.listen() : () => {}
    if (worker) {
      insightScheduler = await createInsightScheduler({
        url: database.url,
        database,
        service: insights,
        logger,
      })
    }
    const startedQueue = queue
    const startedScheduler = insightScheduler
    return {
      bus,
      toolService,
      knowledge,
      chat,
      insights,
      async close() {
        stopListening()
        stopInsightListener()
        await startedScheduler?.stop()
        await startedQueue.stop()
        await bus.close()
      },
    }
  } catch (error) {
    await insightScheduler?.stop().catch(() => undefined)
    await queue?.stop().catch(() => undefined)
    await bus.close()
    throw error
  }
}
