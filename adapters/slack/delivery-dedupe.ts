import type { Clock, Logger } from '../../core/index.ts'
import { claimSlackDelivery, type Database, pruneSlackDeliveries } from '../../db/index.ts'

/**
 * Slack delivers an event again when it did not see an acknowledgement in 3 seconds (the retry
 * carries `X-Slack-Retry-Num` and the same `event_id`), and one message can arrive as two events
 * (`message` and `app_mention`). Each delivery, and each message answered, is claimed in Postgres
 * first: the first claim wins in every process sharing the database, so nothing is answered twice.
 * Claims older than a day are pruned (Slack retries within minutes).
 */
export function createDeliveryDedupe({
  database,
  clock,
  logger,
  retentionMs = 24 * 3600 * 1000,
  pruneEveryMs = 15 * 60 * 1000,
}: {
  database: Database
  clock: Clock
  logger: Logger
  retentionMs?: number
  pruneEveryMs?: number
}) {
  const timer = setInterval(() => {
    database
      .withSystem((system) =>
        pruneSlackDeliveries(system, { before: new Date(clock.now().getTime() - retentionMs) }),
      )
      .catch((error: unknown) =>
        logger.warn({ err: error, component: 'slack' }, 'could not prune Slack delivery receipts'),
      )
  }, pruneEveryMs)
  timer.unref()
  return {
    /** True for the first claim of `key` anywhere; false for every later one. */
    claim(key: string): Promise<boolean> {
      return database.withSystem((system) => claimSlackDelivery(system, { key }))
    },
    stop(): void {
      clearInterval(timer)
    },
  }
}

export type DeliveryDedupe = ReturnType<typeof createDeliveryDedupe>
