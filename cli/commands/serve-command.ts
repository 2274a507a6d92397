import {
  attachWidgetServer,
  buildWidgetScript,
  createHttpApp,
  createSlackBot,
  createWidgetTokens,
  demoPageHtml,
  type RunningHttpServer,
  resolveWidgetSecret,
  type SlackBot,
  slackSettingsFromConfig,
  startHttpServer,
  type WidgetServer,
} from '../../adapters/index.ts'
import type { NotificationSender } from '../../assistant/index.ts'
import { findMember } from '../../db/index.ts'
import { ensureDemoWorkspace } from '../demo-workspace.ts'
import {
  type CommandEnvironment,
  createServices,
  ensureMigrated,
  openRuntime,
  type Services,
} from '../runtime.ts'

export interface ServeOptions {
  migrate: boolean
  demo: boolean
  port?: number | undefined
}

export interface RunningService {
  url: string
  stop(): Promise<void>
}

/**
 * Starts the service: database (embedded or real), migrations (automatic in embedded mode; with a
 * real server only with `--migrate`), the optional demo workspace, then the HTTP server.
 */
export async function serve(
  commandEnvironment: CommandEnvironment,
  options: ServeOptions,
): Promise<RunningService> {
  const { output, clock } = commandEnvironment
  const startedAt = performance.now()
  const runtime = await openRuntime(commandEnvironment, { quiet: false })
  const { config, database, logger } = runtime
  let server: RunningHttpServer | undefined
  let services: Services | undefined
  let widgetServer: WidgetServer | undefined
  let slackBot: SlackBot | undefined
  try {
    await ensureMigrated({ database, allowMigrate: options.migrate, output })
    const demo = options.demo
      ? await ensureDemoWorkspace({ database, clock, dataDir: config.dataDir })
      : undefined
    // The Slack bot needs the services, and the insight service sends through the bot: bound late.
    const slackSettings = slackSettingsFromConfig(config)
    const slackDirectMessages: NotificationSender = {
      channel: 'slack',
      send: async (notification) => slackBot?.notificationSender.send(notification),
    }
    services = await createServices({
      database,
      config,
      logger,
      clock,
      notificationSenders: slackSettings ? [slackDirectMessages] : [],
    })
    const widgetSecret = resolveWidgetSecret({
      encryptionKey: config.encryptionKey,
      embeddedDataDir: database.mode === 'embedded' ? config.dataDir : undefined,
    })
    const widgetTokens = widgetSecret ? createWidgetTokens({ secret: widgetSecret, clock }) : undefined
    if (!widgetTokens) {
      logger.warn('the widget is disabled: set ENCRYPTION_KEY so every process signs widget tokens alike')
    }
    const demoOwner = demo
      ? await database.withTenant({ workspaceId: demo.workspaceId }, (tenant) =>
          findMember(tenant, { idOrEmail: demo.ownerEmail }),
        )
      : undefined
    // The Slack bot when SLACK_* is configured (adapters/slack; README "Slack").
    slackBot = slackSettings
      ? createSlackBot({
          settings: slackSettings,
          database,
          chat: services.chat,
          toolService: services.toolService,
          bus: services.bus,
          insights: services.insights,
          logger,
          clock,
        })
      : undefined
    const app = createHttpApp({
      database,
      logger,
      clock,
      toolService: services.toolService,
      knowledge: services.knowledge,
      chat: services.chat,
      insights: services.insights,
      maxUploadBytes: config.knowledge.maxUploadBytes,
      slack: slackBot?.router,
      widget: {
        tokens: widgetTokens,
        publicOrigin: config.publicUrl,
        script: buildWidgetScript,
        // The demo page signs its visitor in as the demo owner: only with `serve --demo` (npm start),
        // whose workspace holds generated data, never with a real workspace.
        demo:
          demo && demoOwner && widgetTokens
            ? {
                page: () => demoPageHtml({ workspaceName: demo.workspaceName }),
                issueToken: async () =>
                  widgetTokens.issue({ workspaceId: demo.workspaceId, userId: demoOwner.userId }),
              }
            : undefined,
      },
    })
    server = await startHttpServer({ app, host: config.host, port: options.port ?? config.port })
    await slackBot?.start()
    if (widgetTokens) {
      widgetServer = attachWidgetServer({
        server: server.server,
        database,
        chat: services.chat,
        toolService: services.toolService,
        bus: services.bus,
        tokens: widgetTokens,
        logger,
        publicOrigin: config.publicUrl,
      })
    }
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1)
    output.log('')
    output.log(`Nereid is ready at ${server.url} (started in ${seconds} s)`)
    if (database.mode === 'embedded') {
      output.log(`  database: embedded PGlite in ${config.dataDir}`)
      output.log(`  psql:     psql "${database.url}"`)
    } else {
      output.log('  database: PostgreSQL (DATABASE_URL)')
    }
    if (slackBot) {
      output.log(`  slack:    ${slackBot.mode === 'socket' ? 'Socket Mode' : `${server.url}/slack/events`}`)
    }
    if (demo) {
      output.log(`  demo workspace: ${demo.workspaceName}${demo.created ? ' (just created)' : ''}`)
      output.log(`  demo API key:   ${demo.apiKey}`)
      if (widgetTokens) output.log(`  chat widget:    open ${server.url}/ in a browser`)
      output.log(
        `  try: curl -H "Authorization: Bearer ${demo.apiKey}" -H "X-Nereid-User: ${demo.ownerEmail}" ${server.url}/v1/deals`,
      )
    }
    output.log('')
  } catch (error) {
    await slackBot?.stop()
    await widgetServer?.close()
    await server?.close()
    await services?.close()
    await runtime.close()
    throw error
  }
  const runningServer = server
  const runningServices = services
  const runningWidgetServer = widgetServer
  const runningSlackBot = slackBot
  return {
    url: runningServer.url,
    async stop() {
      await runningSlackBot?.stop()
      await runningWidgetServer?.close()
      await runningServer.close()
      await runningServices.close()
      await runtime.close()
    },
  }
}
