import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../core/index.ts'
import { createWorkspace } from '../../db/index.ts'
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.ts'
import {
  createInsightScheduler,
  type InsightScheduler,
  insightDigestQueue,
  insightRunQueue,
} from './insight-scheduler.ts'

/**
 * The pg-boss schedules: one hourly run and one daily digest (at the digest hour, in the
 * workspace's time zone) per workspace, and per-workspace jobs whose failures stay their own.
 */

let testDatabase: TestDatabase
let scheduler: InsightScheduler
const ran: string[] = []
let berlin: string
let tokyo: string

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  const { database } = testDatabase
  ;({ id: berlin } = await database.withSystem((system) =>
    createWorkspace(system, { name: 'Berlin Co', slug: 'berlin', timeZone: 'Europe/Berlin' }),
  ))
  ;({ id: tokyo } = await database.withSystem((system) =>
    createWorkspace(system, { name: 'Tokyo Co', slug: 'tokyo', timeZone: 'Asia/Tokyo' }),
  ))
  await database.withSystem(({ sequelize, transaction }) =>
    sequelize.query(`UPDATE workspaces SET settings = '{"insights":{"digestHour":7}}' WHERE id = :id`, {
      transaction,
      replacements: { id: tokyo },
    }),
  )
  scheduler = await createInsightScheduler({
    url: testDatabase.url,
    database,
    logger: createLogger({ level: 'silent' }),
    service: {
      async runInsights({ workspaceId }) {
        ran.push(workspaceId)
        // The Berlin workspace's run always fails: Tokyo's must still run.
        if (workspaceId === berlin) throw new Error('detector exploded')
        return {} as never
      },
      async runDigest() {
        return {} as never
      },
    },
  })
}, 120_000)

afterAll(async () => {
  await scheduler?.stop()
  await testDatabase?.close()
})

describe('insight scheduler', () => {
  it('keeps one hourly run and one local-time digest per workspace', async () => {
    const schedules = await scheduler.listSchedules()
    const of = (queue: string, workspaceId: string) =>
      schedules.find((schedule) => schedule.queue === queue && schedule.workspaceId === workspaceId)
    expect(of(insightRunQueue, berlin)).toMatchObject({ cron: '0 * * * *' })
    expect(of(insightDigestQueue, berlin)).toMatchObject({ cron: '0 8 * * *', timeZone: 'Europe/Berlin' })
    expect(of(insightDigestQueue, tokyo)).toMatchObject({ cron: '0 7 * * *', timeZone: 'Asia/Tokyo' })
    expect(await scheduler.syncSchedules()).toEqual({ workspaces: 2 })
    expect((await scheduler.listSchedules()).length).toBe(schedules.length)
  })

  it("runs each workspace as its own job: one workspace's failure does not stop another's", async () => {
    await scheduler.enqueueRun({ workspaceId: berlin })
    await scheduler.enqueueRun({ workspaceId: tokyo })
    for (let attempt = 0; attempt < 200 && !ran.includes(tokyo); attempt += 1) await sleep(50)
    expect(ran).toContain(berlin)
    expect(ran).toContain(tokyo)
  })
})
