import { z } from 'zod'
import { campaignStatsFromCounts } from '../../db/index.ts'
import { quoteName } from '../format.ts'
import { recordReference } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'
import { campaignRates, formatRate, recipientCounts, resolveCampaign } from './campaign-helpers.ts'

/**
 * get_campaign_stats: how a campaign is doing, computed from its recipients. The stats follow the
 * demo seed's definition (cumulative: `opened` includes clicks, `delivered` everyone not bounced).
 */
export const getCampaignStatsTool = defineTool({
  name: 'get_campaign_stats',
  category: 'campaigns',
  risk: 'read',
  description:
    'Get the delivery statistics of one campaign, by id or name: recipient counts per status ' +
    '(pending, sent, delivered, opened, clicked, bounced, unsubscribed), cumulative stats (sent, delivered, opened, ' +
    'clicked, bounced, unsubscribed) and rates as fractions between 0 and 1: openRate and clickRate (of delivered), ' +
    'clickToOpenRate (of opened), bounceRate (of sent), unsubscribeRate (of delivered); a rate is null until ' +
    'something was sent. For a sent campaign, storedStats are the stats recorded on the campaign.',
  inputSchema: z.object({
    campaign: recordReference('campaign'),
  }),
  async prepare(context, input) {
    const campaign = await resolveCampaign(context, { reference: input.campaign })
    return { input: { campaign: campaign.id }, facts: { name: campaign.name } }
  },
  summarize(input, facts) {
    return `Get the stats of campaign ${quoteName(facts.name ?? input.campaign)}`
  },
  async execute(context, input) {
    const campaign = await resolveCampaign(context, { reference: input.campaign })
    const { byStatus, total } = await recipientCounts(context.tenant, { campaignId: campaign.id })
    const stats = campaignStatsFromCounts(byStatus)
    const rates = campaignRates(stats)
    const result = {
      campaign: {
        id: campaign.id,
        name: campaign.name,
        channel: campaign.channel,
        status: campaign.status,
        scheduledAt: campaign.scheduledAt,
        sentAt: campaign.sentAt,
      },
      recipients: { total, byStatus },
      stats,
      rates,
      ...(campaign.status === 'sent' ? { storedStats: campaign.stats } : {}),
    }
    const resultSummary =
      stats.sent > 0
        ? `Campaign ${quoteName(campaign.name)}: ${stats.sent} sent, ${formatRate(rates.openRate)} opened, ` +
          `${formatRate(rates.clickRate)} clicked, ${formatRate(rates.bounceRate)} bounced`
        : `Campaign ${quoteName(campaign.name)}: nothing sent yet, ${total} recipient(s)`
    return { result, resultSummary }
  },
})
