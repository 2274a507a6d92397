import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError, fixedClock } from '../../core/index.ts'
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.ts'
import { type SeededDemoWorkspace, seedDemoWorkspace } from './demo-workspace.ts'

const now = new Date('2026-03-02T09:00:00Z')
const today = '2026-03-02'
const clock = fixedClock(now)

let testDatabase: TestDatabase
let seeded: SeededDemoWorkspace

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  seeded = await seedDemoWorkspace({ database: testDatabase.database, clock })
})

afterAll(async () => {
  await testDatabase?.close()
})

/** Runs one read as the seeded workspace's owner, under row-level security. */
async function query<Row>(
  sql: string,
  replacements: Record<string, unknown> = {},
  workspaceId = seeded.workspace.id,
) {
  return testDatabase.database.withTenant({ workspaceId }, async (tenant) => {
    const [rows] = await tenant.sequelize.query(sql, { replacements, transaction: tenant.transaction })
    return rows as Row[]
  })
}

async function count(sql: string, replacements: Record<string, unknown> = {}): Promise<number> {
  const rows = await query<{ count: string | number }>(sql, replacements)
  return Number(rows[0]!.count)
}

describe('seedDemoWorkspace', () => {
  it('creates the workspace with an owner, an admin, members and a viewer', () => {
    expect(seeded.workspace).toMatchObject({ name: 'Acme Demo Co', slug: 'demo' })
    expect(seeded.members.map((member) => member.role)).toEqual([
      'owner',
      'admin',
      'member',
      'member',
      'viewer',
    ])
    for (const member of seeded.members) expect(member.email).toMatch(/@acme-demo\.test$/)
  })

  it('creates record counts in the demo ranges and reports them truthfully', async () => {
    const ranges: Record<string, [number, number]> = {
      customers: [18, 22],
      contacts: [55, 65],
      prospects: [27, 33],
      deals: [22, 28],
      tasks: [36, 44],
      campaigns: [3, 3],
    }
    for (const [table, [min, max]] of Object.entries(ranges)) {
      const rows = await count(`SELECT count(*) FROM ${table}`)
      expect(rows, table).toBeGreaterThanOrEqual(min)
      expect(rows, table).toBeLessThanOrEqual(max)
    }
    for (const [table, reported] of Object.entries(seeded.counts)) {
      expect(await count(`SELECT count(*) FROM ${table}`), table).toBe(reported)
    }
    expect(seeded.counts.crm_interactions).toBeGreaterThan(20)
  })

  it('mixes customer statuses and gives contacts email addresses at their company domain', async () => {
    const statuses = await query<{ status: string }>('SELECT DISTINCT status FROM customers ORDER BY status')
    expect(statuses.map((row) => row.status)).toEqual(['active', 'churned', 'inactive', 'lead'])
    const linked = await count('SELECT count(*) FROM contacts WHERE customer_id IS NOT NULL')
    expect(linked).toBeGreaterThanOrEqual(45)
    const offDomain = await count(`
      SELECT count(*) FROM contacts c JOIN customers cu ON cu.id = c.customer_id
       WHERE c.email NOT LIKE '%@' || cu.domain`)
    expect(offDomain).toBe(0)
  })

  it('has open deals that went stale and others with recent activity', async () => {
    const openDealsBy = (recent: boolean) =>
      count(
        `SELECT count(*) FROM deals d
          WHERE d.closed_at IS NULL
            AND ${recent ? '' : 'NOT'} EXISTS (
              SELECT 1 FROM crm_interactions i
               WHERE i.deal_id = d.id AND i.occurred_at > CAST(:now AS timestamptz) - interval '14 days')`,
        { now },
      )
    expect(await openDealsBy(false)).toBeGreaterThanOrEqual(3)
    expect(await openDealsBy(true)).toBeGreaterThanOrEqual(3)
    // Nothing happens in the future.
    expect(await count('SELECT count(*) FROM crm_interactions WHERE occurred_at > :now', { now })).toBe(0)
  })

  it('has open deals past their expected close date, every stage, and closed_at only on closed deals', async () => {
    expect(
      await count(
        'SELECT count(*) FROM deals WHERE closed_at IS NULL AND expected_close_date < CAST(:today AS date)',
        {
          today,
        },
      ),
    ).toBeGreaterThanOrEqual(2)
    const stages = await query<{ stage: string }>('SELECT DISTINCT stage FROM deals ORDER BY stage')
    expect(stages.map((row) => row.stage)).toEqual([
      'discovery',
      'lost',
      'negotiation',
      'proposal',
      'qualification',
      'won',
    ])
    const currencies = await query<{ currency: string }>(
      'SELECT DISTINCT currency FROM deals ORDER BY currency',
    )
    expect(currencies.map((row) => row.currency)).toEqual(['EUR', 'USD'])
    expect(
      await count("SELECT count(*) FROM deals WHERE (stage IN ('won', 'lost')) <> (closed_at IS NOT NULL)"),
    ).toBe(0)
    // Each deal name is unambiguous, so "the pilot for X" means one deal.
    expect(await count('SELECT count(*) - count(DISTINCT name) AS count FROM deals')).toBe(0)
    expect(
      await count('SELECT count(*) FROM deals WHERE value_cents <= 0 OR closed_at > :now', { now }),
    ).toBe(0)
  })

  it('has overdue open tasks, tasks due later today, and completed_at exactly on done tasks', async () => {
    expect(
      await count("SELECT count(*) FROM tasks WHERE status IN ('todo', 'in_progress') AND due_at < :now", {
        now,
      }),
    ).toBeGreaterThanOrEqual(3)
    expect(
      await count(
        `SELECT count(*) FROM tasks WHERE status IN ('todo', 'in_progress')
            AND due_at >= :now AND due_at < CAST(:today AS date) + 1`,
        { now, today },
      ),
    ).toBeGreaterThanOrEqual(1)
    const statuses = await query<{ status: string }>('SELECT DISTINCT status FROM tasks ORDER BY status')
    expect(statuses.map((row) => row.status)).toEqual(['cancelled', 'done', 'in_progress', 'todo'])
    expect(
      await count("SELECT count(*) FROM tasks WHERE (status = 'done') <> (completed_at IS NOT NULL)"),
    ).toBe(0)
    expect(await count('SELECT count(*) FROM tasks WHERE deal_id IS NOT NULL')).toBeGreaterThanOrEqual(5)
  })

  it('has hot prospects, prospects in every stage, and follow-ups that are overdue or missing', async () => {
    expect(await count('SELECT count(*) FROM prospects WHERE score >= 80')).toBeGreaterThanOrEqual(2)
    expect(await count('SELECT count(*) FROM prospects WHERE score NOT BETWEEN 0 AND 100')).toBe(0)
    const stages = await query<{ stage: string }>('SELECT DISTINCT stage FROM prospects')
    expect(stages).toHaveLength(7)
    const open = "stage NOT IN ('won', 'lost')"
    expect(
      await count(`SELECT count(*) FROM prospects WHERE ${open} AND next_follow_up_at IS NULL`),
    ).toBeGreaterThan(0)
    expect(
      await count(`SELECT count(*) FROM prospects WHERE ${open} AND next_follow_up_at < :now`, { now }),
    ).toBeGreaterThan(0)
  })

  it("has one sent campaign whose stats match its recipients' statuses, one scheduled and one draft", async () => {
    const campaigns = await query<{
      id: string
      status: string
      stats: Record<string, number>
      scheduled_at: Date
    }>('SELECT id, status, stats, scheduled_at FROM campaigns ORDER BY status')
    expect(campaigns.map((campaign) => campaign.status)).toEqual(['draft', 'scheduled', 'sent'])
    const [draft, scheduled, sent] = campaigns as [
      (typeof campaigns)[0],
      (typeof campaigns)[0],
      (typeof campaigns)[0],
    ]

    const statusCounts = async (campaignId: string) => {
      const rows = await query<{ status: string; count: string | number }>(
        'SELECT status, count(*) FROM campaign_recipients WHERE campaign_id = :campaignId GROUP BY status',
        { campaignId },
      )
      return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)])) as Record<string, number>
    }
    const byStatus = await statusCounts(sent.id)
    const of = (...statuses: string[]) => statuses.reduce((sum, status) => sum + (byStatus[status] ?? 0), 0)
    expect(byStatus.pending).toBeUndefined()
    expect(sent.stats).toEqual({
      sent: of('sent', 'delivered', 'opened', 'clicked', 'bounced', 'unsubscribed'),
      delivered: of('delivered', 'opened', 'clicked', 'unsubscribed'),
      opened: of('opened', 'clicked'),
      clicked: of('clicked'),
      bounced: of('bounced'),
      unsubscribed: of('unsubscribed'),
    })
    expect(sent.stats.sent).toBeGreaterThanOrEqual(20)
    expect(sent.stats.opened).toBeGreaterThan(0)

    expect(new Date(scheduled.scheduled_at).getTime()).toBeGreaterThan(now.getTime())
    const scheduledCounts = await statusCounts(scheduled.id)
    expect(Object.keys(scheduledCounts)).toEqual(['pending'])
    expect(Object.keys(await statusCounts(draft.id))).toEqual(['pending'])
  })

  it('only lets members of the workspace own, be assigned, or act, and never the viewer', async () => {
    const viewer = seeded.members.find((member) => member.role === 'viewer')!
    const people = [
      ['customers', 'owner_id'],
      ['contacts', 'owner_id'],
      ['prospects', 'owner_id'],
      ['deals', 'owner_id'],
      ['crm_interactions', 'user_id'],
      ['tasks', 'assignee_id'],
      ['tasks', 'created_by_id'],
      ['campaigns', 'created_by_id'],
    ]
    for (const [table, column] of people) {
      const outsiders = await count(
        `SELECT count(*) FROM ${table}
          WHERE ${column} IS NULL OR ${column} = :viewerId
             OR ${column} NOT IN (SELECT user_id FROM workspace_members)`,
        { viewerId: viewer.userId },
      )
      expect(outsiders, `${table}.${column}`).toBe(0)
    }
  })

  it('refuses to seed a second workspace with the same slug', async () => {
    const attempt = seedDemoWorkspace({ database: testDatabase.database, clock })
    await expect(attempt).rejects.toBeInstanceOf(AppError)
    await expect(attempt).rejects.toMatchObject({ code: 'conflict' })
  })

  it('generates the same data for the same clock and seed, and different data for another seed', async () => {
    const fingerprint = async (workspaceId: string) => ({
      customers: await query(
        'SELECT name, domain, industry, status, created_at FROM customers ORDER BY created_at, name',
        {},
        workspaceId,
      ),
      deals: await query(
        'SELECT name, stage, value_cents, currency, expected_close_date, closed_at FROM deals ORDER BY name, value_cents',
        {},
        workspaceId,
      ),
      tasks: await query(
        'SELECT title, status, priority, due_at FROM tasks ORDER BY title, due_at',
        {},
        workspaceId,
      ),
    })
    const copy = await seedDemoWorkspace({ database: testDatabase.database, clock, slug: 'demo-copy' })
    expect(copy.counts).toEqual(seeded.counts)
    const original = await fingerprint(seeded.workspace.id)
    expect(await fingerprint(copy.workspace.id)).toEqual(original)
    // The same people are members of both demo workspaces.
    expect(copy.members.map((member) => member.userId)).toEqual(seeded.members.map((member) => member.userId))

    const other = await seedDemoWorkspace({
      database: testDatabase.database,
      clock,
      slug: 'demo-other',
      random: 7,
    })
    expect((await fingerprint(other.workspace.id)).customers).not.toEqual(original.customers)
  })
})
