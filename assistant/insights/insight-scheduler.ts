import { PgBoss } from 'pg-boss'
import type { Logger } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import type { InsightService } from './insight-service.ts'
import { resolveInsightSettings } from './insight-settings.ts'

export const insightRunQueue = 'insights-run'
export const insightDigestQueue = 'insights-digest'
const syncQueue = 'insights-sync-schedules'

export interface InsightScheduler {
  /** Writes (or updates) one hourly run and one daily digest schedule per workspace; drops those of deleted ones. */
  syncSchedules(): Promise<{ workspaces: number }>
  /** Queues an on-demand run for one workspace. */
  enqueueRun(options: { workspaceId: string }): Promise<void>
  /** The per-workspace schedules as stored (queue, workspace, cron, time zone). */
  listSchedules(): Promise<
    { queue: string; workspaceId: string; cron: string; timeZone: string | undefined }[]
  >
  stop(): Promise<void>
}

/**
 * The insight schedules on pg-boss: per workspace, `insights-run` every hour and `insights-digest`
 * at the workspace's digest hour (default 08:00) in its own time zone (pg-boss evaluates the cron
 * in `tz`). Schedules are keyed by workspace id, re-synced every 15 minutes (new workspaces, changed
 * time zones), and each job covers one workspace: a workspace whose run fails is retried on its
 * own and never holds up the others.
 */
export async function createInsightScheduler({
  url,
  database,
  service,
  logger,
  worker = true,
}: {
  url: string
  database: Database
  service: Pick<InsightService, 'runInsights' | 'runDigest'>
  logger: Logger
  /** Work the jobs in this process (default); false only writes schedules and jobs. */
  worker?: boolean
}): Promise<InsightScheduler> {
  const boss = new PgBoss({ connectionString: url, max: 2 })
  boss.on('error', (error) => logger.error({ err: error }, 'insight queue error'))
  await boss.start()
  for (const name of [insightRunQueue, insightDigestQueue, syncQueue]) {
    await boss.createQueue(name, { retryLimit: 2, retryBackoff: true, retryDelay: 30 })
  }

  async function syncSchedules(): Promise<{ workspaces: number }> {
    // Why the system connection: schedules span every workspace; only ids and time zones are read.
    const workspaces = await database.withSystem(async ({ sequelize, transaction }) => {
      const [rows] = await sequelize.query(
        `SELECT id, time_zone AS "timeZone", settings -> 'insights' AS insights FROM workspaces`,
        { transaction },
      )
      return rows as { id: string; timeZone: string; insights: unknown }[]
    })
    const known = new Set(workspaces.map((workspace) => workspace.id))
    for (const workspace of workspaces) {
      const { settings } = resolveInsightSettings(workspace.insights)
      await boss.schedule(insightRunQueue, '0 * * * *', { workspaceId: workspace.id }, { key: workspace.id })
      await boss.schedule(
        insightDigestQueue,
        `0 ${settings.digestHour} * * *`,
        { workspaceId: workspace.id },
        { key: workspace.id, tz: workspace.timeZone },
      )
    }
    for (const name of [insightRunQueue, insightDigestQueue]) {
      for (const schedule of await boss.getSchedules(name)) {
        if (schedule.key && !known.has(schedule.key)) await boss.unschedule(name, schedule.key)
      }
    }
    return { workspaces: workspaces.length }
  }

  await syncSchedules()
  await boss.schedule(syncQueue, '*/15 * * * *', null)
  if (worker) {
    const options = { batchSize: 1, localConcurrency: 1, pollingIntervalSeconds: 2 }
    await boss.work<{ workspaceId: string }>(insightRunQueue, options, async ([job]) => {
      if (job) await service.runInsights({ workspaceId: job.data.workspaceId })
    })
    await boss.work<{ workspaceId: string }>(insightDigestQueue, options, async ([job]) => {
      if (job) await service.runDigest({ workspaceId: job.data.workspaceId })
    })
    await boss.work(syncQueue, options, async () => {
      await syncSchedules()
    })
  }
  return {
    syncSchedules,
    async enqueueRun({ workspaceId }) {
      await boss.send(insightRunQueue, { workspaceId })
    },
    async listSchedules() {
      const result: { queue: string; workspaceId: string; cron: string; timeZone: string | undefined }[] = []
      for (const name of [insightRunQueue, insightDigestQueue]) {
        for (const schedule of await boss.getSchedules(name)) {
          result.push({
            queue: name,
            workspaceId: schedule.key,
            cron: schedule.cron,
            timeZone: schedule.timezone ?? undefined,
          })
        }
      }
      return result
    },
    async stop() {
      await boss.stop({ graceful: true, timeout: 10_000 })
    },
  }
}
