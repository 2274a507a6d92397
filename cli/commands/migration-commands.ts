import { AppError } from '../../core/index.ts'
import { type CommandEnvironment, withRuntime } from '../runtime.ts'

/** `nereid migrate`: applies every pending migration. */
export async function migrate(commandEnvironment: CommandEnvironment): Promise<void> {
  await withRuntime(commandEnvironment, async ({ database }) => {
    const applied = await database.migrator.up()
    commandEnvironment.output.log(
      applied.length === 0
        ? 'The database is up to date.'
        : `Applied ${applied.length} migration(s):\n${applied.map((name) => `  ${name}`).join('\n')}`,
    )
  })
}

/** `nereid rollback`: reverts the last migration, `--steps N` of them, or `--all`. */
export async function rollback(
  commandEnvironment: CommandEnvironment,
  { steps, all }: { steps: number; all: boolean },
): Promise<void> {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new AppError('validation_failed', { message: '--steps must be a whole number of at least 1.' })
  }
  await withRuntime(commandEnvironment, async ({ database }) => {
    const reverted = all ? await database.migrator.down({ to: 0 }) : await database.migrator.down({ steps })
    commandEnvironment.output.log(
      reverted.length === 0
        ? 'Nothing to roll back.'
        : `Reverted ${reverted.length} migration(s):\n${reverted.map((name) => `  ${name}`).join('\n')}`,
    )
  })
}

/** `nereid status`: every migration, applied or pending. */
export async function migrationStatus(
  commandEnvironment: CommandEnvironment,
): Promise<{ pending: string[] }> {
  return withRuntime(commandEnvironment, async ({ database }) => {
    const { executed, pending } = await database.migrator.status()
    const { output } = commandEnvironment
    for (const name of executed) output.log(`  applied  ${name}`)
    for (const name of pending) output.log(`  pending  ${name}`)
    output.log(`${executed.length} applied, ${pending.length} pending.`)
    return { pending }
  })
}
