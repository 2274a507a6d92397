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
      // NOT EXISTS stops at the first recent interaction, so healthy customers cost one index probe
      // each; only the customers at risk get their last interaction looked up.
      `SELECT c.id, c.name, c.owner_id AS "ownerId", c.created_at AS "createdAt",
              greatest(
                (SELECT max(i.occurred_at) FROM crm_interactions i WHERE i.customer_id = c.id),
                (SELECT max(i.occurred_at) FROM contacts ct JOIN crm_interactions i ON i.contact_id = ct.id
                  WHERE ct.customer_id = c.id),
                (SELECT max(i.occurred_at) FROM deals d JOIN crm_interactions i ON i.deal_id = d.id
                  WHERE d.customer_id = c.id)) AS "lastActivityAt"
         FROM customers c
        WHERE c.status = 'active' AND c.created_at < :cutoff
          AND NOT EXISTS (SELECT 1 FROM crm_interactions i WHERE i.customer_id = c.id AND i.occurred_at >= :cutoff)
          AND NOT EXISTS (SELECT 1 FROM contacts ct JOIN crm_interactions i ON i.contact_id = ct.id
                           WHERE ct.customer_id = c.id AND i.occurred_at >= :cutoff)
          AND NOT EXISTS (SELECT 1 FROM deals d JOIN crm_interactions i ON i.deal_id = d.id
                           WHERE d.customer_id = c.id AND i.occurred_at >= :cutoff)`,
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
