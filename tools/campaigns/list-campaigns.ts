import { z } from 'zod'
import {
  campaignChannels,
  campaignStatuses,
  countCampaignRecipientsByStatus,
  listRecords,
} from '../../db/index.ts'
import { quoteName } from '../format.ts'
import { pageLimit } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'

/** list_campaigns: the workspace's marketing campaigns, newest first. */
export const listCampaignsTool = defineTool({
  name: 'list_campaigns',
  category: 'campaigns',
  risk: 'read',
  description:
    'List the marketing campaigns of the workspace, newest first; optionally only one status ' +
    '(draft, scheduled, sending, sent, paused, cancelled), one channel (email or sms) or names containing some text. ' +
    'Returns id, name, channel, status, subject, scheduled and sent times, stored stats and the number of recipients. ' +
    'For open and click rates of one campaign use get_campaign_stats.',
  inputSchema: z.object({
    status: z.enum(campaignStatuses).optional().describe('Only campaigns in this status.'),
    channel: z.enum(campaignChannels).optional().describe('Only campaigns on this channel: email or sms.'),
    query: z.string().trim().max(200).optional().describe('Text to look for in campaign names and subjects.'),
    limit: pageLimit,
  }),
  summarize(input) {
    const which = [input.status, input.channel].filter(Boolean).join(' ')
    const matching = input.query ? ` matching ${quoteName(input.query)}` : ''
    return `List ${which ? `${which} ` : ''}campaigns${matching}`
  },
  async execute({ tenant }, input) {
    const filters: Record<string, string> = {}
    if (input.status) filters.status = input.status
    if (input.channel) filters.channel = input.channel
    const page = await listRecords(tenant, {
      kind: 'campaigns',
      q: input.query,
      filters,
      limit: input.limit,
      offset: 0,
    })
    const counts = await countCampaignRecipientsByStatus(tenant, {
      campaignIds: page.data.map((campaign) => String(campaign.id)),
    })
    const campaigns = page.data.map((campaign) => ({
      id: campaign.id,
      name: campaign.name,
      channel: campaign.channel,
      status: campaign.status,
      subject: campaign.subject,
      scheduledAt: campaign.scheduledAt,
      sentAt: campaign.sentAt,
      stats: campaign.stats,
      recipientCount: Object.values(counts.get(String(campaign.id)) ?? {}).reduce(
        (sum, count) => sum + count,
        0,
      ),
      createdAt: campaign.createdAt,
    }))
    return {
      result: { campaigns, hasMore: page.page.hasMore },
      resultSummary: `Found ${campaigns.length} campaign(s)`,
    }
  },
})
