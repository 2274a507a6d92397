import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Sequelize } from 'sequelize'
import { SequelizeStorage, Umzug } from 'umzug'
import type { Logger } from '../core/index.ts'

/** What each migration's `up` and `down` receive: one query function inside the migration's transaction. */
export interface MigrationContext {
  query(sql: string): Promise<void>
}

interface MigrationModule {
  up(params: { context: MigrationContext }): Promise<void>
  down(params: { context: MigrationContext }): Promise<void>
}

const migrationsDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations')

/** The table umzug records applied migrations in. */
export const migrationsTable = 'nereid_migrations'

export interface MigrationStatus {
  executed: string[]
  pending: string[]
}

export interface Migrator {
  up(): Promise<string[]>
  /** Reverts the last `steps` migrations (default 1); `to: 0` reverts all. */
  down(options?: { steps?: number; to?: 0 }): Promise<string[]>
  status(): Promise<MigrationStatus>
}

/**
 * Umzug over `migrations/`: timestamp-prefixed files, each run in its own transaction (Postgres
 * DDL is transactional, so a failing migration leaves nothing half-applied). Names drop the
 * extension so the TypeScript sources and the compiled build record the same history.
 */
export function createMigrator({ sequelize, logger }: { sequelize: Sequelize; logger?: Logger }): Migrator {
  const umzug = new Umzug<MigrationContext>({
    migrations: {
      glob: ['[0-9]*-*.{ts,js}', { cwd: migrationsDirectory, ignore: ['*.d.ts', '*.test.ts', '*.test.js'] }],
      resolve: ({ name, path }) => {
        const load = async () => (await import(pathToFileURL(path!).href)) as MigrationModule
        const run = (direction: 'up' | 'down') => async () => {
          const migration = await load()
          await sequelize.transaction(async (transaction) => {
            await migration[direction]({
              context: { query: async (sql) => void (await sequelize.query(sql, { transaction })) },
            })
          })
        }
        return { name: name.replace(/\.(ts|js)$/, ''), up: run('up'), down: run('down') }
      },
    },
    context: { query: async () => undefined },
    storage: new SequelizeStorage({ sequelize, tableName: migrationsTable }),
    logger: {
      info: (message) => logger?.info(message),
      warn: (message) => logger?.warn(message),
      error: (message) => logger?.error(message),
      debug: (message) => logger?.debug(message),
    },
  })
  return {
    async up() {
      return (await umzug.up()).map((migration) => migration.name)
    },
    async down({ steps = 1, to }: { steps?: number; to?: 0 } = {}) {
      const reverted = to === 0 ? await umzug.down({ to: 0 }) : await umzug.down({ step: steps })
      return reverted.map((migration) => migration.name)
    },
    async status() {
      // One after the other: on a fresh database both would create the migrations table at once.
      const executed = await umzug.executed()
      const pending = await umzug.pending()
      return { executed: executed.map((item) => item.name), pending: pending.map((item) => item.name) }
    },
  }
}
