/** How Nereid counts a campaign's delivery results. */

export interface CampaignStats {
  sent: number
  delivered: number
  opened: number
  clicked: number
  bounced: number
  unsubscribed: number
}

/**
 * Delivery stats from recipient status counts, the one definition the seed and the campaign tools share: each
 * status is the furthest step a recipient reached, so counts are cumulative. `sent` counts everyone
 * who left the queue, `delivered` everyone not bounced (unsubscribing needs a delivered message),
 * `opened` includes the clicks.
 */
export function campaignStatsFromCounts(byStatus: Record<string, number>): CampaignStats {
  const count = (...statuses: string[]) => statuses.reduce((sum, status) => sum + (byStatus[status] ?? 0), 0)
  return {
    sent: count('sent', 'delivered', 'opened', 'clicked', 'bounced', 'unsubscribed'),
    delivered: count('delivered', 'opened', 'clicked', 'unsubscribed'),
    opened: count('opened', 'clicked'),
    clicked: count('clicked'),
    bounced: count('bounced'),
    unsubscribed: count('unsubscribed'),
  }
}
