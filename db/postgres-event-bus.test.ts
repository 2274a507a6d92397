import { describe, expect, it } from 'vitest'
import { createServices } from '../cli/runtime.ts'
import { createLogger, loadConfig, type NereidEvent, systemClock } from '../core/index.ts'
import { createTestDatabase, usingRealPostgres } from '../test/support/test-database.ts'
import { createPostgresEventBus } from './postgres-event-bus.ts'

const logger = createLogger({ level: 'silent' })

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const started = Date.now()
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting for the event')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

// PGlite is one Postgres session behind the socket server: notifications never cross its
// connections (measured), so embedded mode uses the in-process bus and LISTEN/NOTIFY is exercised
// against the real server only.
describe.runIf(usingRealPostgres)('the Postgres event bus (LISTEN/NOTIFY)', () => {
  it('delivers an event published by one process to the others and to itself, in order', async () => {
    const testDatabase = await createTestDatabase({ migrate: false })
    const first = await createPostgresEventBus({ url: testDatabase.url, logger })
    const second = await createPostgresEventBus({ url: testDatabase.url, logger })
    try {
      const seenByFirst: NereidEvent[] = []
      const seenBySecond: NereidEvent[] = []
      first.subscribe((event) => seenByFirst.push(event))
      second.subscribe((event) => seenBySecond.push(event))
      for (const status of ['pending', 'executed']) {
        await first.publish({ type: 'action.updated', workspaceId: 'w1', actionId: 'a1', status })
      }
      await waitFor(() => seenBySecond.length === 2 && seenByFirst.length === 2)
      expect(seenBySecond.map((event) => event.status)).toEqual(['pending', 'executed'])
      expect(seenByFirst).toEqual(seenBySecond)
      await expect(
        first.publish({ type: 'huge', workspaceId: 'w1', blob: 'x'.repeat(10_000) }),
      ).rejects.toThrow(/too large/)
    } finally {
      await first.close()
      await second.close()
      await testDatabase.close()
    }
  })
})

describe('choosing the event bus', () => {
  it(`uses ${usingRealPostgres ? 'LISTEN/NOTIFY' : 'the in-process bus'} for this database and delivers events`, async () => {
    const testDatabase = await createTestDatabase({ migrate: false })
    const services = await createServices({
      database: testDatabase.database,
      config: loadConfig({ environment: {}, envFile: false }),
      logger,
      clock: systemClock,
      worker: false,
    })
    try {
      const seen: NereidEvent[] = []
      services.bus.subscribe((event) => seen.push(event))
      await services.bus.publish({ type: 'ping', workspaceId: 'w1' })
      await waitFor(() => seen.length === 1)
      expect(seen[0]).toEqual({ type: 'ping', workspaceId: 'w1' })
    } finally {
      await services.close()
      await testDatabase.close()
    }
  })
})
