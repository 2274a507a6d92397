import { type DetectedInsight, selectRows } from '../../db/index.ts'
import { type DetectorContext, daysBetween, type InsightDetector, recipientsFor } from './detector.ts'

interface AtRiskRow {
  id: string
  name: string
  ownerId: string | null
  lastActivityAt: Date | null
  createdAt: Date
}

/**
 * Active customers with no interaction for `customerAtRiskDays`, counting interactions logged on
 * the customer, on its contacts and on its deals. For the owner; suggests a check-in task.
 */
export const customersAtRiskDetector: InsightDetector = {
  type: 'customer_at_risk',
  async detect({ tenant, now, settings, members }: DetectorContext): Promise<DetectedInsight[]> {
    const cutoff = new Date(now.getTime() - settings.customerAtRiskDays * 24 * 60 * 60 * 1000)
    const rows = await selectRows<AtRiskRow>(
      tenant,
      `WITH touches AS (
         SELECT coalesce(i.customer_id, ct.customer_id, d.customer_id) AS customer_id, max(i.occurred_at) AS at
           FROM crm_interactions i
           LEFT JOIN contacts ct ON ct.id = i.contact_id
           LEFT JOIN deals d ON d.id = i.deal_id
          GROUP BY 1
       )
       SELECT c.id, c.name, c.owner_id AS "ownerId", t.at AS "lastActivityAt", c.created_at AS "createdAt"
         FROM customers c
         LEFT JOIN touches t ON t.customer_id = c.id
        WHERE c.status = 'active' AND coalesce(t.at, c.created_at) < :cutoff`,
      { cutoff },
    )
    return rows.flatMap((customer) => {
      const days = daysBetween(customer.lastActivityAt ?? customer.createdAt, now)
      return recipientsFor(customer.ownerId, members).map((userId) => ({
        type: 'customer_at_risk',
        severity: days >= settings.customerAtRiskDays * 2 ? 'critical' : 'warning',
        title: `${customer.name} may be at risk`,
        body: customer.lastActivityAt
          ? `Active customer ${customer.name} has had no interaction for ${days} days.`
          : `Active customer ${customer.name} has no logged interaction at all.`,
        entities: [{ kind: 'customer', id: customer.id, name: customer.name }],
        data: { daysSinceActivity: days, lastActivityAt: customer.lastActivityAt },
        userId,
        dedupeKey: `customer-at-risk:${customer.id}`,
        suggestedAction: {
          tool: 'create_task',
          label: 'Create a check-in task for tomorrow',
          input: {
            title: `Check in with ${customer.name}`.slice(0, 500),
            priority: 'medium',
            customerId: customer.id,
            assigneeId: customer.ownerId ?? userId,
          },
          relativeDates: { dueAt: 1 },
        },
      }))
    })
  },
}
