import { campaignStatsFromCounts, type DetectedInsight, selectRows } from '../../db/index.ts'
import { type DetectorContext, type InsightDetector, recipientsFor } from './detector.ts'

interface CampaignCountRow {
  id: string
  name: string
  status: string
  createdById: string | null
  byStatus: Record<string, number>
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((left, right) => left - right)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/**
 * Campaigns sent (or sending) within `campaignLookbackDays` with at least `campaignMinSent`
 * messages out whose bounce rate (of sent) or unsubscribe rate (of delivered) is above the
 * threshold, or whose open rate (of delivered) is below `campaignOpenRateFactor` x the median of
 * the workspace's campaigns (when there are enough to have a median). For the campaign's creator
 * (or the owners and admins); a campaign still sending gets "pause it" as the action.
 */
export const campaignHealthDetector: InsightDetector = {
  type: 'campaign_health',
  async detect({ tenant, now, settings, members }: DetectorContext): Promise<DetectedInsight[]> {
    const since = new Date(now.getTime() - settings.campaignLookbackDays * 24 * 60 * 60 * 1000)
    const rows = await selectRows<CampaignCountRow>(
      tenant,
      `SELECT c.id, c.name, c.status, c.created_by_id AS "createdById",
              coalesce((SELECT jsonb_object_agg(s.status, s.count)
                          FROM (SELECT r.status, count(*)::int AS count FROM campaign_recipients r
                                 WHERE r.campaign_id = c.id GROUP BY r.status) s), '{}'::jsonb) AS "byStatus"
         FROM campaigns c
        WHERE c.status IN ('sent', 'sending') AND coalesce(c.sent_at, c.scheduled_at, c.created_at) >= :since`,
      { since },
    )
    const judged = rows
      .map((campaign) => {
        const stats = campaignStatsFromCounts(campaign.byStatus)
        return {
          campaign,
          stats,
          bounceRate: stats.sent > 0 ? stats.bounced / stats.sent : 0,
          unsubscribeRate: stats.delivered > 0 ? stats.unsubscribed / stats.delivered : 0,
          openRate: stats.delivered > 0 ? stats.opened / stats.delivered : 0,
        }
      })
      .filter(({ stats }) => stats.sent >= settings.campaignMinSent)
    const medianOpenRate =
      judged.length >= settings.campaignMedianMinCampaigns
        ? median(judged.map((entry) => entry.openRate))
        : undefined
    return judged.flatMap(({ campaign, stats, bounceRate, unsubscribeRate, openRate }) => {
      const problems: string[] = []
      if (bounceRate > settings.campaignBounceRate)
        problems.push(
          `a bounce rate of ${percent(bounceRate)} (threshold ${percent(settings.campaignBounceRate)})`,
        )
      if (unsubscribeRate > settings.campaignUnsubscribeRate)
        problems.push(
          `an unsubscribe rate of ${percent(unsubscribeRate)} (threshold ${percent(settings.campaignUnsubscribeRate)})`,
        )
      if (medianOpenRate !== undefined && openRate < medianOpenRate * settings.campaignOpenRateFactor)
        problems.push(
          `an open rate of ${percent(openRate)}, well below the workspace median of ${percent(medianOpenRate)}`,
        )
      if (problems.length === 0) return []
      return recipientsFor(campaign.createdById, members).map((userId) => ({
        type: 'campaign_health',
        severity: bounceRate > settings.campaignBounceRate * 2 ? 'critical' : 'warning',
        title: `Campaign "${campaign.name}" needs a look`,
        body: `"${campaign.name}" went to ${stats.sent} recipients and has ${problems.join(', and ')}.`,
        entities: [{ kind: 'campaign', id: campaign.id, name: campaign.name }],
        data: { ...stats, bounceRate, unsubscribeRate, openRate, medianOpenRate: medianOpenRate ?? null },
        userId,
        dedupeKey: `campaign-health:${campaign.id}`,
        suggestedAction:
          campaign.status === 'sending'
            ? { tool: 'pause_campaign', label: 'Pause the campaign', input: { campaignId: campaign.id } }
            : undefined,
      }))
    })
  },
}
