import { type DetectedInsight, selectRows } from '../../db/index.ts'
import {
  type DetectorContext,
  daysBetween,
  formatDate,
  formatMoney,
  type InsightDetector,
  recipientsFor,
} from './detector.ts'

interface PastCloseRow {
  id: string
  name: string
  ownerId: string | null
  stage: string
  valueCents: string
  currency: string
  expectedCloseDate: string
}

/**
 * Open deals whose expected close date (a calendar date) is before today in the workspace's time
 * zone. For the owner; suggests moving the close date two weeks out.
 */
export const dealsPastCloseDetector: InsightDetector = {
  type: 'deal_past_close',
  async detect({ tenant, now, settings, timeZone, members }: DetectorContext): Promise<DetectedInsight[]> {
    const rows = await selectRows<PastCloseRow>(
      tenant,
      `SELECT id, name, owner_id AS "ownerId", stage, value_cents AS "valueCents", currency,
              to_char(expected_close_date, 'YYYY-MM-DD') AS "expectedCloseDate"
         FROM deals
        WHERE closed_at IS NULL
          AND expected_close_date < (CAST(:now AS timestamptz) AT TIME ZONE :timeZone)::date`,
      { now, timeZone },
    )
    return rows.flatMap((deal) => {
      const days = Math.max(1, daysBetween(new Date(`${deal.expectedCloseDate}T00:00:00Z`), now))
      return recipientsFor(deal.ownerId, members).map((userId) => ({
        type: 'deal_past_close',
        severity: days >= settings.pastCloseCriticalDays ? 'critical' : 'warning',
        title: `"${deal.name}" is past its expected close date`,
        body:
          `Deal "${deal.name}" (${formatMoney(deal.valueCents, deal.currency)}, ${deal.stage}) was expected to close on ` +
          `${formatDate(deal.expectedCloseDate)}, ${days} day${days === 1 ? '' : 's'} ago. Close it, or move the date.`,
        entities: [{ kind: 'deal', id: deal.id, name: deal.name }],
        data: { expectedCloseDate: deal.expectedCloseDate, daysPastClose: days },
        userId,
        dedupeKey: `deal-past-close:${deal.id}`,
        suggestedAction: {
          tool: 'update_deal',
          label: 'Move the expected close date two weeks out',
          input: { dealId: deal.id },
          relativeDates: { expectedCloseDate: 14 },
        },
      }))
    })
  },
}
