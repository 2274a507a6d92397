/**
 * Insights bench (issue 8): a full detector run over one workspace with 50k deals (100k
 * interactions), 100k tasks, 5k prospects, 2k customers and 10k campaign recipients (20 sent
 * campaigns), generated in SQL with a fixed shape:
 *
 *   - deals: 30% closed; each deal has 2 interactions 0-19 days old, 4 days apart, so about 10% of
 *     open deals are stale at 14 days; expected close dates spread from 20 days ago to 160 days
 *     ahead (about 11% of open deals past it)
 *   - tasks: 40% done, 10% cancelled, the rest open with due dates spread over +-30 days (about half
 *     of the open ones overdue), over 20 assignees
 *   - campaigns: bounce and unsubscribe rates from 0 to 7% and open rates from 10% to 50%
 *
 * Measured: the first run (raises every insight and its notifications), then BENCH_INSIGHTS_RUNS
 * (default 5) steady-state runs (every insight refreshed, nothing new), which is what the hourly
 * schedule does almost always. Target: a full run < 2 s on PostgreSQL.
 *
 * `BENCH_INSIGHTS_SCALE` multiplies every count (default 1).
 */

import { createInsightService } from '../assistant/index.ts'
import { createInProcessEventBus, createLogger, systemClock } from '../core/index.ts'
import { addMember, type Database } from '../db/index.ts'
import { createTestWorkspace } from '../test/support/http-fixtures.ts'
import { allTools, createToolService } from '../tools/index.ts'

const targetMs = 2_000

/** One printed result line. */
export type InsightsBenchRow = Record<string, string | number | boolean>

export interface InsightsBenchOptions {
  database: Database
  mode: string
  log: (line: string) => void
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits
const median = (values: number[]) => {
  const sorted = [...values].sort((left, right) => left - right)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** Generates the big workspace in a handful of set-based statements (privileged connection). */
async function generateWorkspace({
  database,
  scale,
}: {
  database: Database
  scale: number
}): Promise<{ workspaceId: string; counts: Record<string, number> }> {
  const workspace = await createTestWorkspace({ database, slug: `insights-bench-${Date.now()}` })
  const sellers = await database.withSystem(async (system) => {
    const added: string[] = [
      workspace.members.owner.userId,
      workspace.members.admin.userId,
      workspace.members.member.userId,
    ]
    for (let index = 0; index < 17; index += 1) {
      const member = await addMember(system, {
        workspaceId: workspace.id,
        email: `seller${index}@${workspace.slug}.test`,
        name: `Seller ${index}`,
        role: 'member',
      })
      added.push(member.userId)
    }
    return added
  })
  const counts = {
    customers: 2_000 * scale,
    contacts: 10_000 * scale,
    deals: 50_000 * scale,
    interactions: 100_000 * scale,
    tasks: 100_000 * scale,
    prospects: 5_000 * scale,
    campaigns: 20,
    recipients: 10_000 * scale,
  }
  const perCampaign = Math.floor(counts.recipients / counts.campaigns)
  await database.withSystem(async ({ sequelize, transaction }) => {
    const run = (sql: string) =>
      sequelize.query(sql, {
        transaction,
        replacements: { workspaceId: workspace.id, sellers, ...counts, perCampaign },
      })
    const seller = (expression: string) =>
      `(ARRAY[:sellers]::uuid[])[1 + ((${expression}) % ${sellers.length})]`
    await run(`INSERT INTO customers (workspace_id, name, status, owner_id, created_at)
      SELECT :workspaceId, 'Customer ' || i,
             (ARRAY['active','active','active','active','active','active','lead','lead','inactive','churned'])[1 + i % 10],
             ${seller('i')}, now() - ((i * 7) % 400 + 40) * interval '1 day'
        FROM generate_series(1, :customers) i`)
    await run(`INSERT INTO contacts (workspace_id, first_name, last_name, email, customer_id, owner_id)
      SELECT :workspaceId, 'Contact', 'No ' || i, 'contact' || i || '@bench.example', c.ids[1 + i % :customers], ${seller('i')}
        FROM generate_series(1, :contacts) i,
             (SELECT array_agg(id ORDER BY name) AS ids FROM customers WHERE workspace_id = :workspaceId) c`)
    await run(`INSERT INTO deals (workspace_id, name, customer_id, stage, value_cents, expected_close_date, owner_id,
                                 closed_at, created_at)
      SELECT :workspaceId, 'Deal ' || i, c.ids[1 + i % :customers],
             CASE WHEN i % 10 = 0 THEN 'won' WHEN i % 10 IN (1, 2) THEN 'lost'
                  ELSE (ARRAY['qualification','discovery','proposal','negotiation'])[1 + i % 4] END,
             ((i * 7919) % 100000) * 100, current_date + ((i * 31) % 180 - 20), ${seller('i * 3')},
             CASE WHEN i % 10 IN (0, 1, 2) THEN now() - (i % 90) * interval '1 day' END,
             now() - ((i * 13) % 300 + 30) * interval '1 day'
        FROM generate_series(1, :deals) i,
             (SELECT array_agg(id ORDER BY name) AS ids FROM customers WHERE workspace_id = :workspaceId) c`)
    await run(`INSERT INTO crm_interactions (workspace_id, type, deal_id, user_id, occurred_at, summary)
      SELECT :workspaceId, (ARRAY['call','email','meeting','note'])[1 + i % 4], d.ids[1 + i % :deals], ${seller('i')},
             now() - (((i * 7) % 20 + (i / :deals) * 4) % 20) * interval '1 day' - (i % 24) * interval '1 hour',
             'Touch ' || i
        FROM generate_series(1, :interactions) i,
             (SELECT array_agg(id ORDER BY id) AS ids FROM deals WHERE workspace_id = :workspaceId) d`)
    await run(`INSERT INTO tasks (workspace_id, title, status, priority, due_at, assignee_id, completed_at)
      SELECT :workspaceId, 'Task ' || i,
             CASE WHEN i % 10 < 4 THEN 'done' WHEN i % 10 = 4 THEN 'cancelled' WHEN i % 10 < 8 THEN 'todo' ELSE 'in_progress' END,
             (ARRAY['low','medium','high','urgent'])[1 + i % 4],
             now() + ((i * 7) % 60 - 30) * interval '1 day' + (i % 24) * interval '1 hour',
             ${seller('i * 7')},
             CASE WHEN i % 10 < 4 THEN now() - (i % 30) * interval '1 day' END
        FROM generate_series(1, :tasks) i`)
    await run(`INSERT INTO prospects (workspace_id, name, stage, score, owner_id, next_follow_up_at)
      SELECT :workspaceId, 'Prospect ' || i,
             (ARRAY['new','contacted','qualified','proposal','negotiation','won','lost'])[1 + i % 7],
             (i * 37) % 101, ${seller('i')},
             CASE WHEN i % 3 = 0 THEN NULL ELSE now() + ((i * 11) % 20 - 10) * interval '1 day' END
        FROM generate_series(1, :prospects) i`)
    await run(`INSERT INTO campaigns (workspace_id, name, status, subject, body, sent_at, created_by_id)
      SELECT :workspaceId, 'Campaign ' || i, 'sent', 'News ' || i, 'Hello', now() - (i % 25) * interval '1 day', ${seller('i')}
        FROM generate_series(1, :campaigns) i`)
    // Campaign k (0-based) bounces k % 8 %, unsubscribes (k * 3) % 7 %, opens 10% + (k * 7) % 41 %.
    await run(`INSERT INTO campaign_recipients (workspace_id, campaign_id, contact_id, status, status_changed_at)
      SELECT :workspaceId, c.id, ct.ids[1 + (c.k * :perCampaign + j) % :contacts],
             CASE WHEN j % 100 < c.k % 8 THEN 'bounced'
                  WHEN j % 100 < c.k % 8 + (c.k * 3) % 7 THEN 'unsubscribed'
                  WHEN j % 100 < c.k % 8 + (c.k * 3) % 7 + 10 + (c.k * 7) % 41 THEN 'opened'
                  ELSE 'delivered' END,
             now() - interval '1 day'
        FROM (SELECT id, (row_number() OVER (ORDER BY name) - 1)::int AS k FROM campaigns WHERE workspace_id = :workspaceId) c,
             generate_series(0, :perCampaign - 1) j,
             (SELECT array_agg(id ORDER BY email) AS ids FROM contacts WHERE workspace_id = :workspaceId) ct`)
    await run(
      'ANALYZE customers, contacts, deals, crm_interactions, tasks, prospects, campaigns, campaign_recipients',
    )
  })
  return { workspaceId: workspace.id, counts }
}

/** Runs the bench; returns one row per measurement. */
export async function runInsightsBench({
  database,
  mode,
  log,
}: InsightsBenchOptions): Promise<InsightsBenchRow[]> {
  const scale = Number(process.env.BENCH_INSIGHTS_SCALE ?? 1)
  const runs = Number(process.env.BENCH_INSIGHTS_RUNS ?? 5)
  const generationStarted = performance.now()
  const { workspaceId, counts } = await generateWorkspace({ database, scale })
  log(
    `insights bench (${mode}): generated ${counts.deals} deals, ${counts.interactions} interactions, ${counts.tasks} tasks, ` +
      `${counts.prospects} prospects, ${counts.recipients} campaign recipients in ${round((performance.now() - generationStarted) / 1000)} s`,
  )
  const logger = createLogger({ level: 'silent' })
  const bus = createInProcessEventBus()
  const toolService = createToolService({ database, tools: allTools, clock: systemClock, bus, logger })
  const insights = createInsightService({ database, toolService, clock: systemClock, bus, logger })
  const rows: InsightsBenchRow[] = []

  const first = await insights.runInsights({ workspaceId })
  rows.push({
    bench: 'insights',
    mode,
    case: 'first run (raises everything)',
    ms: round(first.durationMs),
    raised: first.raised,
    notifications: first.notifications,
    targetMs,
    met: first.durationMs < targetMs,
  })
  log(
    `  first run: ${round(first.durationMs)} ms (writing ${round(first.reconcileMs)} ms), raised ${first.raised} insights, ${first.notifications} notifications`,
  )
  for (const detector of first.detectors)
    log(
      `    ${detector.type.padEnd(18)} ${String(detector.found).padStart(6)} found ${round(detector.durationMs)} ms`,
    )

  const steady: number[] = []
  const writing: number[] = []
  const perDetector = new Map<string, number[]>()
  for (let index = 0; index < runs; index += 1) {
    const summary = await insights.runInsights({ workspaceId })
    steady.push(summary.durationMs)
    writing.push(summary.reconcileMs)
    for (const detector of summary.detectors)
      perDetector.set(detector.type, [...(perDetector.get(detector.type) ?? []), detector.durationMs])
  }
  const steadyMedian = median(steady)
  rows.push({
    bench: 'insights',
    mode,
    case: `steady-state run (median of ${runs})`,
    ms: round(steadyMedian),
    maxMs: round(Math.max(...steady)),
    refreshed: first.raised,
    targetMs,
    met: Math.max(...steady) < targetMs,
  })
  log(
    `  steady-state run: median ${round(steadyMedian)} ms (writing ${round(median(writing))} ms), max ${round(Math.max(...steady))} ms (target < ${targetMs} ms)`,
  )
  rows.push({ bench: 'insights', mode, case: 'steady-state writing (median)', ms: round(median(writing)) })
  // The detectors run concurrently: their times overlap and do not add up.
  for (const [type, values] of perDetector) {
    rows.push({ bench: 'insights', mode, case: `detector ${type} (median)`, ms: round(median(values)) })
    log(`    ${type.padEnd(18)} ${round(median(values))} ms`)
  }
  const digestStarted = performance.now()
  const digest = await insights.runDigest({ workspaceId })
  const digestMs = performance.now() - digestStarted
  rows.push({
    bench: 'insights',
    mode,
    case: 'daily digest',
    ms: round(digestMs),
    notifications: digest.notifications,
  })
  log(`  daily digest: ${round(digestMs)} ms, ${digest.notifications} notifications`)
  await bus.close()
  return rows
}
