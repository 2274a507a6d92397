import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../core/index.ts'
import { createTestDatabase, type TestDatabase, usingRealPostgres } from '../test/support/test-database.ts'
import { type Database, openDatabase } from './database.ts'
import { selectRows } from './queries/select-rows.ts'

/**
 * DATABASE_POOL_IDLE_SECONDS: an unused pooled connection is kept that long and reused, then
 * closed. Observed through the server's backend process id, so only on PostgreSQL: the embedded
 * database serves every connection from its one Postgres session (one pid whatever the pool does).
 */
describe.skipIf(!usingRealPostgres)('the connection pool', () => {
  let testDatabase: TestDatabase
  const opened: Database[] = []

  beforeAll(async () => {
    testDatabase = await createTestDatabase({ migrate: false })
  })

  afterAll(async () => {
    for (const database of opened) await database.close()
    await testDatabase?.close()
  })

  const open = async (databasePoolIdleSeconds: number) => {
    const database = await openDatabase({
      config: {
        databaseUrl: testDatabase.url,
        databasePoolMax: 1,
        databasePoolIdleSeconds,
        dataDir: '',
        embeddedPostgresPort: 0,
      },
      logger: createLogger({ level: 'silent' }),
    })
    opened.push(database)
    return database
  }

  const backendPid = async (database: Database) => {
    const [row] = await database.withSystem((system) =>
      selectRows<{ pid: number }>(system, 'SELECT pg_backend_pid() AS pid'),
    )
    return row!.pid
  }

  it('reuses a connection unused for less than the idle time, and reconnects after it', async () => {
    const keeping = await open(60)
    const closing = await open(1)
    const before = { keeping: await backendPid(keeping), closing: await backendPid(closing) }
    // Past 1 s idle plus the pool's eviction interval (1 s).
    await sleep(2_600)
    expect(await backendPid(keeping)).toBe(before.keeping)
    expect(await backendPid(closing)).not.toBe(before.closing)
  })
})
