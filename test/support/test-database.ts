import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { createLogger, type Logger } from '../../core/index.ts'
import { type Database, openDatabase } from '../../db/index.ts'

export interface TestDatabase {
  database: Database
  /** The URL the database answers on (embedded: a loopback PGlite server). */
  url: string
  /** "embedded" or "postgres": which backend this test run exercises. */
  mode: Database['mode']
  close(): Promise<void>
}

export interface CreateTestDatabaseOptions {
  /** Apply all migrations before returning (default true). */
  migrate?: boolean
  logger?: Logger
}

/** True when the tests run against a real PostgreSQL server (`TEST_DATABASE_URL`). */
export const usingRealPostgres = Boolean(process.env.TEST_DATABASE_URL)

/**
 * A clean, private database for one test file: an in-memory PGlite served on a random loopback
 * port by default, or, when `TEST_DATABASE_URL` names a real server, a freshly created database on
 * it that is dropped again on close.
 */
export async function createTestDatabase({
  migrate = true,
  logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
}: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL
  let databaseUrl: string | undefined
  let dropDatabase = async () => {}
  if (serverUrl) {
    const name = `nereid_test_${randomBytes(6).toString('hex')}`
    await withAdminClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`))
    const url = new URL(serverUrl)
    url.pathname = `/${name}`
    databaseUrl = url.toString()
    dropDatabase = () =>
      withAdminClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
  }
  const database = await openDatabase({
    config: { databaseUrl, databasePoolMax: 5, dataDir: '', embeddedPostgresPort: 0 },
    logger,
    inMemory: true,
  })
  if (migrate) await database.migrator.up()
  return {
    database,
    url: database.url,
    mode: database.mode,
    async close() {
      await database.close()
      await dropDatabase()
    },
  }
}

async function withAdminClient(url: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await work(client)
  } finally {
    await client.end()
  }
}
