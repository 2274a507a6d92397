import { createHttpApp, type RunningHttpServer, startHttpServer } from '../../adapters/index.ts'
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
  try {
    await ensureMigrated({ database, allowMigrate: options.migrate, output })
    const demo = options.demo
      ? await ensureDemoWorkspace({ database, clock, dataDir: config.dataDir })
      : undefined
    services = await createServices({ database, config, logger, clock })
    const app = createHttpApp({
      database,
      logger,
      clock,
      toolService: services.toolService,
      knowledge: services.knowledge,
      chat: services.chat,
      maxUploadBytes: config.knowledge.maxUploadBytes,
    })
    server = await startHttpServer({ app, host: config.host, port: options.port ?? config.port })
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1)
    output.log('')
    output.log(`Nereid is ready at ${server.url} (started in ${seconds} s)`)
    if (database.mode === 'embedded') {
      output.log(`  database: embedded PGlite in ${config.dataDir}`)
      output.log(`  psql:     psql "${database.url}"`)
    } else {
      output.log('  database: PostgreSQL (DATABASE_URL)')
    }
    if (demo) {
      output.log(`  demo workspace: ${demo.workspaceName}${demo.created ? ' (just created)' : ''}`)
      output.log(`  demo API key:   ${demo.apiKey}`)
      output.log(
        `  try: curl -H "Authorization: Bearer ${demo.apiKey}" -H "X-Nereid-User: ${demo.ownerEmail}" ${server.url}/v1/deals`,
      )
    }
    output.log('')
  } catch (error) {
    await server?.close()
    await services?.close()
    await runtime.close()
    throw error
  }
  const runningServer = server
  const runningServices = services
  return {
    url: runningServer.url,
    async stop() {
      await runningServer.close()
      await runningServices.close()
      await runtime.close()
    },
  }
}
