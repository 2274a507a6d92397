import { AppError, ConfigError } from '../core/index.ts'
import { createProgram } from './create-program.ts'
import { defaultCommandEnvironment } from './runtime.ts'

/** Entry point of the `nereid` command: runs one command, maps failures to a message and an exit code. */
async function main(): Promise<void> {
  const commandEnvironment = defaultCommandEnvironment()
  const { output } = commandEnvironment
  const program = createProgram(commandEnvironment, {
    onServing: (service) => {
      let stopping = false
      const shutdown = (signal: string) => {
        if (stopping) return
        stopping = true
        output.log(`Received ${signal}, shutting down…`)
        service.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            output.error(`Shutdown failed: ${(error as Error).message}`)
            process.exit(1)
          },
        )
      }
      process.once('SIGINT', () => shutdown('SIGINT'))
      process.once('SIGTERM', () => shutdown('SIGTERM'))
    },
    onExitCode: (code) => {
      process.exitCode = code
    },
  })
  program.exitOverride()
  try {
    await program.parseAsync(process.argv)
  } catch (error) {
    if (error instanceof ConfigError) {
      output.error(error.message)
      process.exitCode = 2
    } else if (error instanceof AppError) {
      output.error(`Error: ${error.message}`)
      process.exitCode = 1
    } else if ((error as { code?: string }).code?.startsWith('commander.')) {
      const exitCode = (error as { exitCode?: number }).exitCode ?? 1
      process.exitCode = exitCode
    } else {
      output.error(`Unexpected error: ${(error as Error).stack ?? String(error)}`)
      process.exitCode = 1
    }
  }
}

await main()
