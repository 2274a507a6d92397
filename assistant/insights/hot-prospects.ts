import { type DetectedInsight, selectRows } from '../../db/index.ts'
import { type DetectorContext, daysBetween, type InsightDetector, plural, recipientsFor } from './detector.ts'

interface HotProspectRow {
  id: string
  name: string
  companyName: string | null
  ownerId: string | null
  score: number
  stage: string
  nextFollowUpAt: Date | null
}

/**
 * Hot prospects (score >= `hotProspectScore`, not won or lost) with no follow-up scheduled or an
 * overdue one. For the owner; suggests scheduling the follow-up for tomorrow.
 */
export const hotProspectsDetector: InsightDetector = {
  type: 'hot_prospect',
  async detect({ tenant, now, settings, members }: DetectorContext): Promise<DetectedInsight[]> {
    const rows = await selectRows<HotProspectRow>(
      tenant,
      `SELECT id, name, company_name AS "companyName", owner_id AS "ownerId", score, stage,
              next_follow_up_at AS "nextFollowUpAt"
         FROM prospects
        WHERE score >= :minimumScore AND stage NOT IN ('won', 'lost')
          AND (next_follow_up_at IS NULL OR next_follow_up_at < :now)`,
      { minimumScore: settings.hotProspectScore, now },
    )
    return rows.flatMap((prospect) => {
      const who = prospect.companyName ? `${prospect.name} (${prospect.companyName})` : prospect.name
      const overdueDays = prospect.nextFollowUpAt ? Math.max(1, daysBetween(prospect.nextFollowUpAt, now)) : 0
      const body = prospect.nextFollowUpAt
        ? `${who} scores ${prospect.score} (${prospect.stage}) and the follow-up is ${plural(overdueDays, 'day')} overdue.`
        : `${who} scores ${prospect.score} (${prospect.stage}) and has no follow-up scheduled.`
      return recipientsFor(prospect.ownerId, members).map((userId) => ({
        type: 'hot_prospect',
        severity: prospect.nextFollowUpAt ? 'critical' : 'warning',
        title: prospect.nextFollowUpAt
          ? `Hot prospect ${prospect.name}: follow-up overdue`
          : `Hot prospect ${prospect.name}: no follow-up scheduled`,
        body,
        entities: [{ kind: 'prospect', id: prospect.id, name: prospect.name }],
        data: { score: prospect.score, nextFollowUpAt: prospect.nextFollowUpAt },
        userId,
        dedupeKey: `hot-prospect:${prospect.id}`,
        suggestedAction: {
          tool: 'update_prospect',
          label: 'Schedule the follow-up for tomorrow',
          input: { prospectId: prospect.id },
          relativeDates: { nextFollowUpAt: 1 },
        },
      }))
    })
  },
}
