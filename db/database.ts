import pg from 'pg'
import 'pgvector/sequelize'
import { Sequelize, type Transaction } from 'sequelize'
import { z } from 'zod'
import { AppError, type Config, describeDatabaseUrl, type Logger } from '../core/index.ts'
import {
  type EmbeddedPostgres,
  findRunningEmbeddedPostgres,
  startEmbeddedPostgres,
} from './embedded-postgres.ts'
import { createMigrator, type Migrator } from './migrator.ts'
import { defineModels, type Models, tenantOfTransaction } from './models/index.ts'
import { appRole, userSetting, workspaceSetting } from './schema-sql.ts'

/** Who tenant work runs for. */
export interface TenantContext {
  workspaceId: string
  /** The acting member; undefined for workspace-level system jobs. */
  userId?: string | undefined
}

/** A transaction opened by `withTenant`: row-level security limits it to one workspace. */
export interface TenantTransaction {
  transaction: Transaction
  workspaceId: string
  userId: string | undefined
  models: Models
  sequelize: Sequelize
}

/** A privileged transaction opened by `withSystem` (sees every workspace). */
export interface SystemTransaction {
  transaction: Transaction
  models: Models
  sequelize: Sequelize
}

/**
 * System access without a transaction (`withSystemStatements`): each statement commits on its own.
 * The same privileges as a {@link SystemTransaction}; `transaction` is undefined.
 */
export type SystemStatements = Omit<SystemTransaction, 'transaction'> & { transaction: undefined }

export interface Database {
  mode: 'embedded' | 'postgres'
  /** The URL the pool connects to (embedded: the loopback PGlite server). */
  url: string
  migrator: Migrator
  /**
   * Runs `work` in one transaction as the non-superuser app role with `app.workspace_id` set, so
   * row-level security shows and accepts only that workspace's rows. The only way tenant data is read
   * or written.
   */
  withTenant<Result>(
    context: TenantContext,
    work: (tenant: TenantTransaction) => Promise<Result>,
  ): Promise<Result>
  /**
   * Runs `work` in a transaction as the connecting (privileged) user. Reserved for work that is not
   * inside one workspace by nature: resolving an API key before the workspace is known, creating
   * workspaces and users, migrations, cross-workspace schedulers. Never for request data.
   */
  withSystem<Result>(work: (system: SystemTransaction) => Promise<Result>): Promise<Result>
  /**
   * Like `withSystem`, without the transaction: each statement commits on its own. For system work
   * of one statement on a hot path (resolving the API key of every request), where BEGIN and COMMIT
   * would be two more round trips and there is nothing to keep atomic.
   */
  withSystemStatements<Result>(work: (system: SystemStatements) => Promise<Result>): Promise<Result>
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>
  close(): Promise<void>
}

export interface OpenDatabaseOptions {
  config: Pick<Config, 'databaseUrl' | 'databasePoolMax' | 'dataDir' | 'embeddedPostgresPort'> &
    Partial<Pick<Config, 'databasePoolIdleSeconds'>>
  logger: Logger
  /** Embedded mode only: keep the data in memory instead of `dataDir` (tests). */
  inMemory?: boolean
}

const uuidSchema = z.uuid()

/**
 * Opens the database in one of two modes with one code path: `DATABASE_URL` set means a real
 * PostgreSQL server; unset starts embedded PGlite served on loopback. Either way Sequelize talks to
 * it through `pg` over the wire protocol.
 */
export async function openDatabase({
  config,
  logger,
  inMemory = false,
}: OpenDatabaseOptions): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined
  const running = !config.databaseUrl && !inMemory ? findRunningEmbeddedPostgres(config.dataDir) : undefined
  if (running)
    logger.info({ pid: running.pid }, 'using the embedded database served by a running Nereid process')
  if (!config.databaseUrl && !running) {
    embedded = await startEmbeddedPostgres({
      dataDir: inMemory ? undefined : config.dataDir,
      port: config.embeddedPostgresPort,
      maxConnections: config.databasePoolMax + 10,
      logger,
    })
  }
  const url = config.databaseUrl ?? running?.url ?? embedded!.url
  const sequelize = new Sequelize(url, {
    dialect: 'postgres',
    dialectModule: pg,
    logging: (sql) => logger.trace({ sql }, 'sql'),
    // Why idle connections live for minutes (default 300 s): a new one costs a TCP connect and
    // authentication (SCRAM, often TLS) on the request that needs it, so a server with a request every
    // minute or two would pay that on each. min stays 0, so a process with nothing to do holds none.
    pool: {
      max: config.databasePoolMax,
      min: 0,
      idle: (config.databasePoolIdleSeconds ?? 300) * 1000,
      acquire: 30_000,
    },
    define: { underscored: true },
  })
  try {
    await sequelize.authenticate()
  } catch (error) {
    await sequelize.close().catch(() => undefined)
    await embedded?.stop()
    throw new AppError('unavailable', {
      message: `Cannot connect to the database at ${describeDatabaseUrl(url)}: ${(error as Error).message}. Check DATABASE_URL.`,
      cause: error,
    })
  }
  try {
    await checkServer({ sequelize })
  } catch (error) {
    await sequelize.close().catch(() => undefined)
    await embedded?.stop()
    throw error
  }
  const models = defineModels(sequelize)
  const migrator = createMigrator({ sequelize, logger })

  return {
    mode: config.databaseUrl ? 'postgres' : 'embedded',
    url,
    migrator,
    async withTenant(context, work) {
      const workspaceId = uuidSchema.safeParse(context.workspaceId)
      const userId = context.userId === undefined ? undefined : uuidSchema.safeParse(context.userId)
      if (!workspaceId.success || (userId && !userId.success)) {
        throw new AppError('bad_request', { message: 'The workspace or user id is not a valid id.' })
      }
      return sequelize.transaction(async (transaction) => {
        // Why: the role drop makes Postgres enforce row-level security even when Nereid connects as a
        // superuser; `set_config(..., true)` scopes both settings to this transaction only.
        await sequelize.query(
          `SELECT set_config('role', '${appRole}', true), set_config('${workspaceSetting}', :workspaceId, true),
                  set_config('${userSetting}', :userId, true)`,
          { replacements: { workspaceId: workspaceId.data, userId: userId?.data ?? '' }, transaction },
        )
        tenantOfTransaction.set(transaction, { workspaceId: workspaceId.data, userId: userId?.data })
        return work({ transaction, workspaceId: workspaceId.data, userId: userId?.data, models, sequelize })
      })
    },
    async withSystem(work) {
      return sequelize.transaction(async (transaction) => work({ transaction, models, sequelize }))
    },
    async withSystemStatements(work) {
      return work({ transaction: undefined, models, sequelize })
    },
    async ping() {
      await sequelize.query('SELECT 1')
    },
    async close() {
      await sequelize.close()
      await embedded?.stop()
    },
  }
}

/**
 * Checks what the server must offer: PostgreSQL >= 15, pgvector, and a connecting user allowed to
 * do system work (superuser or BYPASSRLS). Each failure says how to fix it.
 */
async function checkServer({ sequelize }: { sequelize: Sequelize }): Promise<void> {
  const [rows] = (await sequelize.query(`
    SELECT current_setting('server_version_num')::int AS version,
           (SELECT count(*) FROM pg_available_extensions WHERE name = 'vector')::int AS vector,
           (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) AS privileged
  `)) as [{ version: number; vector: number; privileged: boolean }[], unknown]
  const server = rows[0]!
  if (server.version < 150000) {
    throw new AppError('unavailable', {
      message: `PostgreSQL ${Math.floor(server.version / 10000)} is too old: Nereid needs PostgreSQL 15 or newer.`,
    })
  }
  if (server.vector === 0) {
    throw new AppError('unavailable', {
      message:
        'The PostgreSQL server has no pgvector extension ("vector"). Install it on the database server: ' +
        'on Debian/Ubuntu with the PGDG repository `apt-get install postgresql-15-pgvector` (match your major version), ' +
        'on Debian 12 without PGDG run `sudo scripts/install-pgvector.sh` from this repository, ' +
        'or use an image/managed service that ships pgvector >= 0.7 (e.g. pgvector/pgvector:pg16, Neon, RDS).',
    })
  }
  if (!server.privileged) {
    throw new AppError('unavailable', {
      message:
        'The database user in DATABASE_URL can neither bypass row-level security nor is it a superuser. ' +
        'Nereid needs one privileged login for system work (migrations, API key lookup) and drops to the ' +
        `"${appRole}" role for all tenant work: ALTER ROLE <user> BYPASSRLS CREATEROLE (as a superuser).`,
    })
  }
}

export type { Transaction }
