import { type DetectedInsight, selectRows } from '../../db/index.ts'
import {
  type DetectorContext,
  daysBetween,
  formatMoney,
  type InsightDetector,
  recipientsFor,
} from './detector.ts'

interface StaleDealRow {
  id: string
  name: string
  ownerId: string | null
  stage: string
  valueCents: string
  currency: string
  lastActivityAt: Date | null
  createdAt: Date
}

/**
 * Open deals with no interaction for `staleDealDays` (a deal that never had one counts from its
 * creation). For the deal owner; suggests a follow-up task on the deal.
 */
export const staleDealsDetector: InsightDetector = {
  type: 'stale_deal',
  async detect({ tenant, now, settings, members }: DetectorContext): Promise<DetectedInsight[]> {
    const cutoff = new Date(now.getTime() - settings.staleDealDays * 24 * 60 * 60 * 1000)
    const rows = await selectRows<StaleDealRow>(
      tenant,
      `SELECT d.id, d.name, d.owner_id AS "ownerId", d.stage, d.value_cents AS "valueCents", d.currency,
              (SELECT max(i.occurred_at) FROM crm_interactions i WHERE i.deal_id = d.id) AS "lastActivityAt",
              d.created_at AS "createdAt"
         FROM deals d
        WHERE d.closed_at IS NULL AND d.created_at < :cutoff
          AND NOT EXISTS (SELECT 1 FROM crm_interactions i WHERE i.deal_id = d.id AND i.occurred_at >= :cutoff)`,
      { cutoff },
    )
    return rows.flatMap((deal) => {
      const since = deal.lastActivityAt ?? deal.createdAt
      const days = daysBetween(since, now)
      const value = formatMoney(deal.valueCents, deal.currency)
      const body = deal.lastActivityAt
        ? `Deal "${deal.name}" (${value}, ${deal.stage}) has had no activity for ${days} days. A quick check-in keeps it moving.`
        : `Deal "${deal.name}" (${value}, ${deal.stage}) was opened ${days} days ago and has no logged activity yet.`
      return recipientsFor(deal.ownerId, members).map((userId) => ({
        type: 'stale_deal',
        severity: days >= settings.staleDealDays * 2 ? 'critical' : 'warning',
        title: `"${deal.name}" has gone quiet for ${days} days`,
        body,
        entities: [{ kind: 'deal', id: deal.id, name: deal.name }],
        data: { daysSinceActivity: days, lastActivityAt: deal.lastActivityAt, stage: deal.stage },
        userId,
        dedupeKey: `stale-deal:${deal.id}`,
        suggestedAction: {
          tool: 'create_task',
          label: 'Create a follow-up task for tomorrow',
          input: {
            title: `Follow up on ${deal.name}`.slice(0, 500),
            priority: 'high',
            dealId: deal.id,
            assigneeId: deal.ownerId ?? userId,
          },
          relativeDates: { dueAt: 1 },
        },
      }))
    })
  },
}
