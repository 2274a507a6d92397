import { App, SocketModeReceiver } from '@slack/bolt'
import type { RetryOptions } from '@slack/web-api'
import express, { type Router } from 'express'
import type { ChatService, NotificationSender } from '../../assistant/index.ts'
import { AppError, type Clock, type Config, type EventBus, type Logger } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import type { ToolService } from '../../tools/index.ts'
import { registerApprovalActions } from './approval-actions.ts'
import { createApprovalCards } from './approval-cards.ts'
import { createAssistantView } from './assistant-view.ts'
import { createBotCredentials } from './bot-credentials.ts'
import { mirrorContinuations } from './continuation-mirror.ts'
import { createDeliveryDedupe } from './delivery-dedupe.ts'
import { registerInsightActions, type SlackInsightDecisions } from './insight-actions.ts'
import { createInstallLinkTokens, type InstallLinkTokens } from './install-link-token.ts'
import { createInstallRoutes } from './install-routes.ts'
import { createInstallationStore } from './installation-store.ts'
import { registerLifecycleEvents } from './lifecycle-events.ts'
import { deliveryFilter, registerMessageEvents } from './message-events.ts'
import { createSlackNotificationSender } from './notification-sender.ts'
import { createLimiter, createSerializer, type SlackBotContext } from './slack-bot-context.ts'
import { createSlackClients } from './slack-clients.ts'
import { createSlackIdentity } from './slack-identity.ts'
import { toSlackLogger } from './slack-logger.ts'
import { createSlackReceiver, defaultAckTimeoutMs } from './slack-receiver.ts'
import { defaultReplyTiming, type ReplyTiming } from './slack-reply.ts'
import { createSlackUserDirectory } from './slack-user-directory.ts'
import { registerSlashCommand } from './slash-command.ts'
import { createTokenCipher, deriveSecret } from './token-cipher.ts'

/** The Slack settings (from the environment: SLACK_*, ENCRYPTION_KEY, PUBLIC_URL). */
export interface SlackSettings {
  /** Verifies `POST /slack/events` (HTTP mode). */
  signingSecret?: string | undefined
  /** Single-workspace mode. */
  botToken?: string | undefined
  /** Socket Mode (events over a WebSocket, for local development). */
  appToken?: string | undefined
  /** Multi-workspace OAuth installs (with `encryptionKey`). */
  clientId?: string | undefined
  clientSecret?: string | undefined
  encryptionKey?: Buffer | undefined
  /** The Web API base URL (Slack's when undefined). */
  apiUrl?: string | undefined
  /** The service's public URL (the OAuth redirect URI is derived from it). */
  publicUrl?: string | undefined
  /** Use Slack's streaming methods where allowed (SLACK_STREAMING=auto). */
  streaming: boolean
}

export interface CreateSlackBotOptions {
  settings: SlackSettings
  database: Database
  chat: ChatService
  toolService: ToolService
  bus: EventBus
  logger: Logger
  clock: Clock
  /** The insight service: insight messages then offer Accept and Dismiss buttons. */
  insights?: SlackInsightDecisions | undefined
  /** How often streamed text reaches Slack (tests make it faster). */
  timing?: ReplyTiming
  /** Web API retries (tests make them faster). */
  retryConfig?: RetryOptions
  /** The latest a request is acknowledged when its listener has not done it. */
  ackTimeoutMs?: number
  /** Slack's OAuth authorize page (tests point it at a stand-in). */
  oauthAuthorizationUrl?: string
  /** Answers this process works on at once; more wait their turn (default 8). */
  maxConcurrentTurns?: number
}

/** The running Slack bot. */
export interface SlackBot {
  /** `events` (HTTP, signed requests) or `socket` (Socket Mode). */
  mode: 'http' | 'socket'
  /**
   * Slack's routes for the express app: `POST /slack/events` (HTTP mode) and, with OAuth,
   * `GET /slack/install` and `GET /slack/oauth_redirect`. Mount it before any body parser.
   */
  router: Router
  /** Signed install links (OAuth mode with ENCRYPTION_KEY). */
  installLinks: InstallLinkTokens | undefined
  /** Direct messages for notifications (the insight service's `senders`). */
  notificationSender: NotificationSender
  /** Connects Socket Mode; checks a single-workspace token in the background. */
  start(): Promise<void>
  /** Disconnects and stops listening to the bus and the assistant. */
  stop(): Promise<void>
}

/** The Slack settings of a configuration, or undefined when Slack is not configured. */
export function slackSettingsFromConfig(config: Config): SlackSettings | undefined {
  const { slack } = config
  const oauth = Boolean(slack.clientId && slack.clientSecret)
  if (!slack.botToken && !oauth) return undefined
  if (!slack.signingSecret && !slack.appToken) return undefined
  return {
    signingSecret: slack.signingSecret,
    botToken: slack.botToken,
    appToken: slack.appToken,
    clientId: slack.clientId,
    clientSecret: slack.clientSecret,
    encryptionKey: config.encryptionKey,
    apiUrl: slack.apiUrl,
    publicUrl: config.publicUrl,
    streaming: slack.streaming,
  }
}

/**
 * The Slack bot (issue 7): Bolt on Nereid's HTTP server (or Socket Mode), answering mentions,
 * direct messages, thread follow-ups, the assistant view and `/nereid` with the same assistant,
 * tools, approvals, citations and tenant isolation as every other channel.
 */
export function createSlackBot({
  settings,
  database,
  chat,
  toolService,
  bus,
  logger,
  clock,
  insights,
  timing = defaultReplyTiming,
  retryConfig,
  ackTimeoutMs = defaultAckTimeoutMs,
  oauthAuthorizationUrl,
  maxConcurrentTurns = 8,
}: CreateSlackBotOptions): SlackBot {
  const oauth = Boolean(settings.clientId && settings.clientSecret)
  if (oauth && !settings.encryptionKey) {
    throw new AppError('config_invalid', { message: 'ENCRYPTION_KEY is required for Slack OAuth installs.' })
  }
  if (!settings.appToken && !settings.signingSecret) {
    throw new AppError('config_invalid', {
      message: 'SLACK_SIGNING_SECRET is required to receive Slack events over HTTP.',
    })
  }
  const clients = createSlackClients({
    apiUrl: settings.apiUrl,
    logger,
    ...(retryConfig ? { retryConfig } : {}),
  })
  const installations =
    oauth && settings.encryptionKey
      ? createInstallationStore({
          database,
          cipher: createTokenCipher({ key: settings.encryptionKey, purpose: 'slack-installations' }),
        })
      : undefined
  const credentials = createBotCredentials({
    database,
    installations,
    singleBotToken: settings.botToken,
    clients,
    logger,
    clock,
  })
  const directory = createSlackUserDirectory({ clock })
  const identity = createSlackIdentity({
    database,
    directory,
    clock,
    logger,
    onRevoked: (teamId) => credentials.revoke({ teamId }).catch(() => undefined),
  })
  const dedupe = createDeliveryDedupe({ database, clock, logger })
  const cards = createApprovalCards({ database, clients, credentials, logger })
  const context: SlackBotContext = {
    database,
    chat,
    toolService,
    clients,
    credentials,
    identity,
    directory,
    dedupe,
    cards,
    insights,
    streaming: { enabled: settings.streaming, unsupportedTeams: new Set() },
    timing,
    logger,
    clock,
    renderingHere: new Set(),
    serialize: createSerializer(),
    limit: createLimiter(maxConcurrentTurns),
  }

  const slackLogger = toSlackLogger(logger)
  const httpReceiver = settings.appToken
    ? undefined
    : createSlackReceiver({ signingSecret: settings.signingSecret!, clock, logger, ackTimeoutMs })
  const receiver =
    httpReceiver ??
    new SocketModeReceiver({
      appToken: settings.appToken!,
      logger: slackLogger,
      installerOptions: { clientOptions: clients.options },
    })
  const app = new App({
    receiver,
    authorize: (source) => credentials.authorize(source),
    logger: slackLogger,
    clientOptions: clients.options,
    ignoreSelf: true,
  })
  app.error(async (error) => {
    logger.error({ err: error, component: 'slack' }, 'a Slack listener failed')
  })
  app.use(deliveryFilter(context))
  app.assistant(createAssistantView(context))
  registerMessageEvents(app, context)
  registerApprovalActions(app, context)
  registerInsightActions(app, context)
  registerSlashCommand(app, context)
  registerLifecycleEvents(app, context)

  // A decision from any channel updates the cards; continuations reach their threads.
  const stopListening = bus.subscribe((event) => {
    if (event.type !== 'action.updated' || typeof event.actionId !== 'string') return
    void cards
      .sync({ workspaceId: event.workspaceId, actionId: event.actionId })
      .catch((error: unknown) =>
        logger.warn({ err: error, component: 'slack' }, 'could not update approval cards'),
      )
  })
  const stopMirroring = mirrorContinuations(context)

  const installLinks = settings.encryptionKey
    ? createInstallLinkTokens({
        secret: deriveSecret({ key: settings.encryptionKey, purpose: 'slack-install-links' }),
        clock,
      })
    : undefined
  const router = express.Router()
  if (httpReceiver) router.use(httpReceiver.router)
  if (oauth && installations && installLinks && settings.encryptionKey) {
    router.use(
      createInstallRoutes({
        clientId: settings.clientId!,
        clientSecret: settings.clientSecret!,
        stateSecret: deriveSecret({ key: settings.encryptionKey, purpose: 'slack-oauth-state' }).toString(
          'base64url',
        ),
        installations,
        credentials,
        identity,
        clients,
        linkTokens: installLinks,
        database,
        logger,
        publicUrl: settings.publicUrl,
        authorizationUrl: oauthAuthorizationUrl,
      }),
    )
  }

  return {
    mode: httpReceiver ? 'http' : 'socket',
    router,
    installLinks,
    notificationSender: createSlackNotificationSender(context),
    async start() {
      // Checks SLACK_BOT_TOKEN in the background (a bad one is logged); never delays the start.
      if (settings.botToken) void credentials.singleIdentity()
      if (!httpReceiver) {
        // Connects in the background; a connection that cannot be opened is logged and the rest of
        // Nereid keeps serving.
        void app.start().then(
          () => logger.info({ component: 'slack' }, 'Slack Socket Mode connected'),
          (error: unknown) =>
            logger.error(
              { err: error, component: 'slack' },
              'Slack Socket Mode could not connect (check SLACK_APP_TOKEN)',
            ),
        )
      }
    },
    async stop() {
      stopListening()
      stopMirroring()
      dedupe.stop()
      if (!httpReceiver) await app.stop().catch(() => undefined)
    },
  }
}
