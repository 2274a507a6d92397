import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../core/index.ts'
import { type MemberRole, selectRows } from '../../db/index.ts'
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.ts'
import { createToolTestbed, type ToolTestbed } from '../../test/support/tool-fixtures.ts'
import type { InsightDetector } from './detector.ts'
import { allDetectors } from './detectors.ts'
import { createInsightService, type InsightService, type NotificationSender } from './insight-service.ts'

/**
 * Insights over the demo workspace (seeded at 2026-03-02 09:00 UTC): what the detectors raise, that
 * runs are idempotent, resolution, decisions, accept through the autonomy policy, delivery and
 * isolation of failures. Runs on the embedded database and, with TEST_DATABASE_URL, on PostgreSQL.
 */

let testDatabase: TestDatabase
let testbed: ToolTestbed
let service: InsightService
let stopListening: () => void
const slackSent: { userId: string; title: string }[] = []
let slackFailures = 0
const notificationEvents = () => testbed.events.filter((event) => event.type === 'notification.created')

/** A Slack stand-in sender: records DMs, and fails the first `slackFailures` of them. */
const slackSender: NotificationSender = {
  channel: 'slack',
  async send({ notification }) {
    if (slackFailures > 0) {
      slackFailures -= 1
      throw new Error('Slack is down')
    }
    slackSent.push({ userId: notification.userId, title: notification.title })
  },
}

const expectedByType = {
  stale_deal: 6,
  deal_past_close: 4,
  overdue_tasks: 4,
  hot_prospect: 2,
  campaign_health: 1,
  customer_at_risk: 1,
}

function query<Row extends object>(sql: string, replacements: Record<string, unknown> = {}) {
  return testDatabase.database.withTenant({ workspaceId: testbed.workspaceId }, (tenant) =>
    selectRows<Row>(tenant, sql, replacements),
  )
}

function actorFor(userId: string) {
  const entry = Object.entries(testbed.members).find(([, member]) => member.userId === userId)!
  return testbed.actor(entry[0] as MemberRole | 'member2')
}

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  testbed = await createToolTestbed({ database: testDatabase.database, slug: 'insights' })
  service = createInsightService({
    database: testDatabase.database,
    toolService: testbed.service,
    clock: testbed.clock,
    bus: testbed.bus,
    logger: createLogger({ level: 'silent' }),
    senders: [slackSender],
  })
  stopListening = service.listen()
}, 120_000)

afterAll(async () => {
  stopListening?.()
  await testDatabase?.close()
})

beforeEach(() => {
  slackSent.length = 0
  slackFailures = 0
})

describe('detectors over the demo workspace', () => {
  it('raise the expected insights, for the right members, and notify them', async () => {
    slackFailures = 1
    const summary = await service.runInsights({ workspaceId: testbed.workspaceId })
    expect(summary.detectors.every((outcome) => !outcome.error)).toBe(true)
    expect(summary.raised).toBe(18)
    const counts = await query<{ type: string; count: number }>(
      'SELECT type, count(*)::int AS count FROM proactive_insights GROUP BY type',
    )
    expect(Object.fromEntries(counts.map((row) => [row.type, row.count]))).toEqual(expectedByType)

    // Overdue tasks: one insight per assignee, covering all 6 overdue open tasks of the seed.
    const overdue = await query<{ total: number }>(
      `SELECT sum((data ->> 'count')::int)::int AS total FROM proactive_insights WHERE type = 'overdue_tasks'`,
    )
    expect(overdue[0]!.total).toBe(6)
    const overdueTruth = await query<{ count: number }>(
      `SELECT count(*)::int AS count FROM tasks WHERE status IN ('todo', 'in_progress') AND due_at < :now`,
      { now: testbed.clock.now() },
    )
    expect(overdueTruth[0]!.count).toBe(6)

    // Every stale-deal insight is for the deal's owner and suggests a follow-up task.
    const stale = await query<{ userId: string; ownerId: string; tool: string }>(
      `SELECT p.user_id AS "userId", d.owner_id AS "ownerId", p.suggested_action ->> 'tool' AS tool
         FROM proactive_insights p JOIN deals d ON d.id = (p.entities -> 0 ->> 'id')::uuid
        WHERE p.type = 'stale_deal'`,
    )
    for (const row of stale) {
      expect(row.userId).toBe(row.ownerId)
      expect(row.tool).toBe('create_task')
    }

    // Delivery: notifications rows, one bus event per notification (the widget), Slack DMs; the first
    // DM failed and the others still went out.
    const notifications = await query<{ userId: string; pushedTo: string[] }>(
      'SELECT user_id AS "userId", pushed_to AS "pushedTo" FROM notifications',
    )
    expect(notifications.length).toBe(summary.notifications)
    expect(notifications.length).toBeGreaterThan(0)
    expect(notificationEvents()).toHaveLength(notifications.length)
    expect(slackSent).toHaveLength(notifications.length - 1)
    const event = notificationEvents()[0]!
    expect(event).toMatchObject({
      workspaceId: testbed.workspaceId,
      notification: { id: expect.any(String) },
    })
    expect(notifications.some((row) => row.userId === event.userId)).toBe(true)
    // A single insight's notification names its suggested action, so a client can offer it as a button.
    const [single] = await query<{ insightId: string; data: { actionLabel?: string } }>(
      `SELECT n.insight_id AS "insightId", n.data FROM notifications n
         JOIN proactive_insights i ON i.id = n.insight_id
        WHERE n.kind = 'insight' AND i.suggested_action IS NOT NULL LIMIT 1`,
    )
    expect(single?.data.actionLabel).toEqual(expect.any(String))
  })

  it('raise no duplicates on a second run', async () => {
    const before = notificationEvents().length
    const summary = await service.runInsights({ workspaceId: testbed.workspaceId })
    expect(summary).toMatchObject({ raised: 0, refreshed: 18, resolved: 0, notifications: 0 })
    const rows = await query<{ count: number }>('SELECT count(*)::int AS count FROM proactive_insights')
    expect(rows[0]!.count).toBe(18)
    expect(notificationEvents().length).toBe(before)
  })

  it('resolve an insight when its condition is fixed, and raise it again when it returns', async () => {
    const [insight] = await query<{ id: string; prospectId: string }>(
      `SELECT id, entities -> 0 ->> 'id' AS "prospectId" FROM proactive_insights
        WHERE type = 'hot_prospect' AND status = 'open' ORDER BY id LIMIT 1`,
    )
    const future = new Date(testbed.clock.now().getTime() + 3 * 24 * 60 * 60 * 1000)
    await query('UPDATE prospects SET next_follow_up_at = :future WHERE id = :id RETURNING id', {
      future,
      id: insight!.prospectId,
    })
    const summary = await service.runInsights({ workspaceId: testbed.workspaceId })
    expect(summary).toMatchObject({ raised: 0, resolved: 1 })
    const [resolved] = await query<{ status: string; resolvedAt: Date }>(
      'SELECT status, resolved_at AS "resolvedAt" FROM proactive_insights WHERE id = :id',
      { id: insight!.id },
    )
    expect(resolved).toMatchObject({ status: 'resolved', resolvedAt: expect.any(Date) })

    await query('UPDATE prospects SET next_follow_up_at = NULL WHERE id = :id RETURNING id', {
      id: insight!.prospectId,
    })
    const again = await service.runInsights({ workspaceId: testbed.workspaceId })
    expect(again.raised).toBe(1)
    const rows = await query<{ status: string }>(
      `SELECT status FROM proactive_insights WHERE dedupe_key = :key ORDER BY created_at`,
      { key: `hot-prospect:${insight!.prospectId}` },
    )
    expect(rows.map((row) => row.status).sort()).toEqual(['open', 'resolved'])
  })
})

describe('decisions', () => {
  it('accept runs the suggested action through the policy: pending, approved, executed', async () => {
    const [insight] = await query<{ id: string; userId: string; dealId: string }>(
      `SELECT id, user_id AS "userId", entities -> 0 ->> 'id' AS "dealId" FROM proactive_insights
        WHERE type = 'stale_deal' AND status = 'open' ORDER BY id LIMIT 1`,
    )
    const actor = actorFor(insight!.userId)
    const { insight: accepted, action } = await service.accept({ actor, id: insight!.id })
    expect(action.status).toBe('pending')
    expect(accepted).toMatchObject({ status: 'accepted', actionId: action.actionId, actionStatus: 'pending' })
    await expect(service.accept({ actor, id: insight!.id })).rejects.toMatchObject({ code: 'conflict' })

    const approved = await testbed.service.approve({ actor, actionId: action.actionId })
    expect(approved).toMatchObject({ status: 'executed' })
    const tasks = await query<{ title: string; dueAt: Date }>(
      'SELECT title, due_at AS "dueAt" FROM tasks WHERE deal_id = :dealId AND created_at >= :since',
      { dealId: insight!.dealId, since: new Date(Date.now() - 60_000) },
    )
    expect(tasks.some((task) => task.title.startsWith('Follow up on'))).toBe(true)
    // The bus listener records the decision on the insight.
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const [row] = await query<{ actionStatus: string }>(
        'SELECT action_status AS "actionStatus" FROM proactive_insights WHERE id = :id',
        { id: insight!.id },
      )
      if (row!.actionStatus === 'executed') break
      await sleep(20)
    }
    const [row] = await query<{ actionStatus: string }>(
      'SELECT action_status AS "actionStatus" FROM proactive_insights WHERE id = :id',
      { id: insight!.id },
    )
    expect(row!.actionStatus).toBe('executed')
  })

  it('accepting a past-close insight moves the expected close date two weeks out once approved', async () => {
    const [insight] = await query<{ id: string; userId: string; dealId: string }>(
      `SELECT id, user_id AS "userId", entities -> 0 ->> 'id' AS "dealId" FROM proactive_insights
        WHERE type = 'deal_past_close' AND status = 'open' ORDER BY id LIMIT 1`,
    )
    const actor = actorFor(insight!.userId)
    const { action } = await service.accept({ actor, id: insight!.id })
    expect(action.status).toBe('pending')
    await testbed.service.approve({ actor, actionId: action.actionId })
    const [deal] = await query<{ expectedCloseDate: string }>(
      `SELECT to_char(expected_close_date, 'YYYY-MM-DD') AS "expectedCloseDate" FROM deals WHERE id = :id`,
      { id: insight!.dealId },
    )
    const expected = new Date(testbed.clock.now().getTime() + 14 * 24 * 60 * 60 * 1000)
      .toISOString()
      .slice(0, 10)
    expect(deal!.expectedCloseDate).toBe(expected)
    // The next run finds the condition gone and resolves the (accepted) insight.
    await service.runInsights({ workspaceId: testbed.workspaceId })
    const [after] = await query<{ status: string; resolvedAt: Date | null }>(
      'SELECT status, resolved_at AS "resolvedAt" FROM proactive_insights WHERE id = :id',
      { id: insight!.id },
    )
    expect(after).toMatchObject({ status: 'accepted', resolvedAt: expect.any(Date) })
  })

  it('only the member an insight is for can see or decide it', async () => {
    const [insight] = await query<{ id: string; userId: string }>(
      `SELECT id, user_id AS "userId" FROM proactive_insights WHERE status = 'open' ORDER BY id LIMIT 1`,
    )
    const other = Object.values(testbed.members).find((member) => member.userId !== insight!.userId)!
    await expect(service.dismiss({ actor: actorFor(other.userId), id: insight!.id })).rejects.toMatchObject({
      code: 'not_found',
      details: { insightId: insight!.id },
    })
    const listed = await service.listInsights({ actor: actorFor(other.userId), limit: 100, offset: 0 })
    expect(listed.some((entry) => entry.id === insight!.id)).toBe(false)
  })

  it('a dismissed insight stays quiet; a snoozed one comes back (and notifies) when the snooze ends', async () => {
    const open = await query<{ id: string; userId: string }>(
      `SELECT id, user_id AS "userId" FROM proactive_insights WHERE status = 'open' AND type = 'deal_past_close'
        ORDER BY id LIMIT 2`,
    )
    const [toDismiss, toSnooze] = open
    await service.dismiss({ actor: actorFor(toDismiss!.userId), id: toDismiss!.id })
    const until = new Date(testbed.clock.now().getTime() + 60 * 60 * 1000)
    const snoozed = await service.snooze({ actor: actorFor(toSnooze!.userId), id: toSnooze!.id, until })
    expect(snoozed).toMatchObject({ status: 'snoozed', snoozedUntil: until })
    await expect(
      service.snooze({ actor: actorFor(toSnooze!.userId), id: toSnooze!.id, until: new Date(0) }),
    ).rejects.toMatchObject({ code: 'validation_failed' })

    const quiet = await service.runInsights({ workspaceId: testbed.workspaceId })
    expect(quiet).toMatchObject({ raised: 0, reopened: 0 })

    const before = notificationEvents().length
    testbed.clock.advance(2 * 60 * 60 * 1000)
    const woken = await service.runInsights({ workspaceId: testbed.workspaceId })
    expect(woken).toMatchObject({ raised: 0, reopened: 1 })
    const [row] = await query<{ status: string }>('SELECT status FROM proactive_insights WHERE id = :id', {
      id: toSnooze!.id,
    })
    expect(row!.status).toBe('open')
    const [dismissed] = await query<{ status: string }>(
      'SELECT status FROM proactive_insights WHERE id = :id',
      {
        id: toDismiss!.id,
      },
    )
    expect(dismissed!.status).toBe('dismissed')
    expect(notificationEvents().length).toBe(before + 1)
  })
})

describe('notification preferences', () => {
  it('quiet hours keep new insights in the in-app list; digest-only members get no single notifications', async () => {
    testbed.clock.advance(60_000)
    const quietMember = testbed.members.member
    const digestMember = testbed.members.member2
    // Quiet around the clock (00:00-23:59 in the workspace's UTC).
    await service.savePreferences({
      actor: actorFor(quietMember.userId),
      preferences: {
        channels: ['widget', 'slack'],
        quietStartMinute: 0,
        quietEndMinute: 1439,
        digestOnly: false,
      },
    })
    const saved = await service.savePreferences({
      actor: actorFor(digestMember.userId),
      preferences: { channels: ['widget'], quietStartMinute: null, quietEndMinute: null, digestOnly: true },
    })
    expect(saved).toMatchObject({ channels: ['widget'], digestOnly: true })
    expect(await service.getPreferences({ actor: actorFor(digestMember.userId) })).toEqual(saved)

    // New overdue tasks for both members: a new condition for the quiet one, refreshed for the other.
    const past = new Date(testbed.clock.now().getTime() - 24 * 60 * 60 * 1000)
    for (const member of [quietMember, digestMember]) {
      await testDatabase.database.withTenant({ workspaceId: testbed.workspaceId }, (tenant) =>
        selectRows(
          tenant,
          `INSERT INTO tasks (workspace_id, title, status, due_at, assignee_id) VALUES (:workspaceId, :title, 'todo', :due, :assignee)
           RETURNING id`,
          {
            workspaceId: testbed.workspaceId,
            title: 'Prep the board pack',
            due: past,
            assignee: member.userId,
          },
        ),
      )
    }
    // Resolve both members' overdue insights first so the next run raises them anew.
    await query(
      `UPDATE proactive_insights SET status = 'resolved', resolved_at = :now
        WHERE type = 'overdue_tasks' AND user_id IN (:users) AND resolved_at IS NULL RETURNING id`,
      { now: testbed.clock.now(), users: [quietMember.userId, digestMember.userId] },
    )
    const eventsBefore = notificationEvents().length
    const summary = await service.runInsights({ workspaceId: testbed.workspaceId })
    expect(summary.raised).toBe(2)
    const notifications = await query<{ userId: string; pushedTo: string[] }>(
      `SELECT user_id AS "userId", pushed_to AS "pushedTo" FROM notifications WHERE created_at = :now`,
      { now: testbed.clock.now() },
    )
    expect(notifications).toEqual([{ userId: quietMember.userId, pushedTo: [] }])
    expect(notificationEvents().length).toBe(eventsBefore)
    expect(slackSent).toEqual([])
  })

  it('the daily digest lists tasks due today and open insights, once per member and day', async () => {
    const first = await service.runDigest({ workspaceId: testbed.workspaceId })
    expect(first.notifications).toBeGreaterThan(0)
    const digests = await query<{ userId: string; data: { dueTodayCount: number } }>(
      `SELECT user_id AS "userId", data FROM notifications WHERE kind = 'digest'`,
    )
    expect(digests).toHaveLength(first.notifications)
    const dueToday = digests.reduce((sum, digest) => sum + digest.data.dueTodayCount, 0)
    const truth = await query<{ count: number }>(
      `SELECT count(*)::int AS count FROM tasks WHERE status IN ('todo', 'in_progress') AND assignee_id IS NOT NULL
          AND due_at >= date_trunc('day', CAST(:now AS timestamptz) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
          AND due_at < (date_trunc('day', CAST(:now AS timestamptz) AT TIME ZONE 'UTC') + interval '1 day') AT TIME ZONE 'UTC'`,
      { now: testbed.clock.now() },
    )
    expect(dueToday).toBe(truth[0]!.count)
    expect(dueToday).toBeGreaterThan(0)
    const second = await service.runDigest({ workspaceId: testbed.workspaceId })
    expect(second.notifications).toBe(0)
  })

  it('notifications are listed per member and marked read', async () => {
    const [row] = await query<{ id: string; userId: string }>(
      'SELECT id, user_id AS "userId" FROM notifications WHERE read_at IS NULL ORDER BY created_at LIMIT 1',
    )
    const actor = actorFor(row!.userId)
    const listed = await service.listNotifications({ actor, limit: 100, offset: 0 })
    expect(listed.every((notification) => notification.userId === row!.userId)).toBe(true)
    const read = await service.markNotificationRead({ actor, id: row!.id })
    expect(read.readAt).toBeInstanceOf(Date)
    const other = Object.values(testbed.members).find((member) => member.userId !== row!.userId)!
    await expect(
      service.markNotificationRead({ actor: actorFor(other.userId), id: row!.id }),
    ).rejects.toMatchObject({
      code: 'not_found',
    })
  })
})

describe('failures', () => {
  it('a write that fails part-way leaves nothing half-written; the same findings then go in across batches', async () => {
    const bulk = await createToolTestbed({ database: testDatabase.database, slug: 'insights-bulk' })
    const userId = bulk.members.owner.userId
    // More findings than one upsert statement takes (2,000), so the run writes in several statements.
    const manyFindings: InsightDetector = {
      type: 'bulk_check',
      async detect() {
        return Array.from({ length: 2_500 }, (_, index) => ({
          type: 'bulk_check',
          severity: 'info' as const,
          title: `Finding ${index}`,
          body: 'Something to look at.',
          entities: [],
          userId,
          dedupeKey: `bulk:${index}`,
        }))
      },
    }
    // Its title breaks a CHECK constraint, in the second statement, after the first one went in.
    const invalidFinding: InsightDetector = {
      type: 'invalid_check',
      async detect() {
        return [
          {
            type: 'invalid_check',
            severity: 'info' as const,
            title: 'x'.repeat(600),
            body: '',
            entities: [],
            userId,
            dedupeKey: 'invalid:1',
          },
        ]
      },
    }
    const serviceWith = (detectors: InsightDetector[]) =>
      createInsightService({
        database: testDatabase.database,
        toolService: bulk.service,
        clock: bulk.clock,
        bus: bulk.bus,
        logger: createLogger({ level: 'silent' }),
        detectors,
      })
    const counts = () =>
      testDatabase.database.withTenant({ workspaceId: bulk.workspaceId }, (tenant) =>
        selectRows<{ insights: number; notifications: number }>(
          tenant,
          `SELECT (SELECT count(*)::int FROM proactive_insights) AS insights,
                  (SELECT count(*)::int FROM notifications) AS notifications`,
        ),
      )

    await expect(
      serviceWith([manyFindings, invalidFinding]).runInsights({ workspaceId: bulk.workspaceId }),
    ).rejects.toThrow(/violates check constraint/)
    expect((await counts())[0]).toEqual({ insights: 0, notifications: 0 })

    const summary = await serviceWith([manyFindings]).runInsights({ workspaceId: bulk.workspaceId })
    expect(summary).toMatchObject({ raised: 2_500, refreshed: 0, notifications: 1 })
    expect((await counts())[0]).toEqual({ insights: 2_500, notifications: 1 })
    const again = await serviceWith([manyFindings]).runInsights({ workspaceId: bulk.workspaceId })
    expect(again).toMatchObject({ raised: 0, refreshed: 2_500, resolved: 0, notifications: 0 })
  })

  it("a detector failing on one workspace stops neither that workspace's other detectors nor other workspaces", async () => {
    const other = await createToolTestbed({ database: testDatabase.database, slug: 'insights-other' })
    const brokenFor = testbed.workspaceId
    const flaky: InsightDetector[] = allDetectors.map((detector) =>
      detector.type === 'stale_deal'
        ? {
            type: detector.type,
            async detect(context) {
              if (context.tenant.workspaceId === brokenFor) throw new Error('boom')
              return detector.detect(context)
            },
          }
        : detector,
    )
    const flakyService = createInsightService({
      database: testDatabase.database,
      toolService: testbed.service,
      clock: testbed.clock,
      bus: testbed.bus,
      logger: createLogger({ level: 'silent' }),
      detectors: flaky,
    })
    const openStaleBefore = await query<{ count: number }>(
      `SELECT count(*)::int AS count FROM proactive_insights WHERE type = 'stale_deal' AND resolved_at IS NULL`,
    )
    const results = await flakyService.runAllInsights({
      workspaceIds: [testbed.workspaceId, other.workspaceId],
    })
    const [broken, healthy] = results as Extract<(typeof results)[number], { detectors: unknown }>[]
    expect(broken!.detectors.find((outcome) => outcome.type === 'stale_deal')?.error).toBe('boom')
    expect(broken!.detectors.filter((outcome) => outcome.error)).toHaveLength(1)
    // The failed detector's insights are not resolved just because it found nothing.
    const openStaleAfter = await query<{ count: number }>(
      `SELECT count(*)::int AS count FROM proactive_insights WHERE type = 'stale_deal' AND resolved_at IS NULL`,
    )
    expect(openStaleAfter[0]!.count).toBe(openStaleBefore[0]!.count)
    expect(healthy!.detectors.every((outcome) => !outcome.error)).toBe(true)
    expect(healthy!.raised).toBeGreaterThan(0)

    // Tenant isolation: the other workspace's insights are invisible here and vice versa.
    const visible = await query<{ count: number }>(
      'SELECT count(*)::int AS count FROM proactive_insights WHERE workspace_id = :other',
      { other: other.workspaceId },
    )
    expect(visible[0]!.count).toBe(0)
  })
})
