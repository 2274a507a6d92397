import { z } from 'zod'
import {
  campaignStatsFromCounts,
  markPendingRecipientsSent,
  type PlainRecord,
  updateRecord,
} from '../../db/index.ts'
import { quoteName } from '../format.ts'
import { recordReference } from '../shared-schemas.ts'
import { defineTool, type ToolContext } from '../tool-definition.ts'
import {
  addressFor,
  assertCampaignStatus,
  assertSendable,
  countOf,
  recipientCounts,
  resolveCampaign,
} from './campaign-helpers.ts'

/** Campaigns that have not gone out yet. */
const sendableStatuses = ['draft', 'scheduled', 'paused'] as const

async function check(
  context: ToolContext,
  input: { campaign: string },
  { lock }: { lock: boolean },
): Promise<{ campaign: PlainRecord; pending: number }> {
  const campaign = await resolveCampaign(context, { reference: input.campaign, lock })
  assertCampaignStatus(campaign, { allowed: sendableStatuses, doing: 'be sent' })
  const { byStatus } = await recipientCounts(context.tenant, { campaignId: campaign.id })
  const pending = byStatus.pending ?? 0
  assertSendable(campaign, { pending })
  return { campaign, pending }
}

/**
 * send_campaign: send a campaign to its waiting recipients now.
 *
 * There is no real email or SMS provider yet: sending records the delivery (recipients with an
 * address become `sent`, those whose address has gone since they were added `bounced`; the campaign
 * becomes `sent` with `sent_at` and `stats` derived from its recipients, as the demo seed defines
 * them), but no message leaves the system. A later issue plugs in a provider through an outbox
 * written in this same transaction. Either way it cannot be undone.
 */
export const sendCampaignTool = defineTool({
  name: 'send_campaign',
  category: 'campaigns',
  risk: 'external',
  description:
    'Send a draft, scheduled or paused campaign (by id or name) to all its waiting recipients right now. ' +
    'This cannot be undone. The campaign needs at least one recipient, and email campaigns a subject. ' +
    'To send later use schedule_campaign. Returns the sent campaign and how many messages went out.',
  inputSchema: z.object({
    campaign: recordReference('campaign'),
  }),
  notUndoableBecause: 'A sent campaign cannot be unsent: the messages have left.',
  async prepare(context, input) {
    const { campaign, pending } = await check(context, input, { lock: false })
    return {
      input: { campaign: campaign.id },
      facts: { name: campaign.name, channel: campaign.channel, pending },
    }
  },
  summarize(input, facts) {
    const audience = typeof facts.pending === 'number' ? ` to ${countOf(facts.pending, 'recipient')}` : ''
    const channel = facts.channel ? ` ${String(facts.channel)}` : ''
    return `Send${channel} campaign ${quoteName(facts.name ?? input.campaign)} now${audience}`
  },
  async execute(context, input) {
    const { campaign } = await check(context, input, { lock: true })
    const now = context.clock.now()
    const delivery = await markPendingRecipientsSent(context.tenant, {
      campaignId: campaign.id,
      address: addressFor(campaign),
      now,
    })
    const { byStatus } = await recipientCounts(context.tenant, { campaignId: campaign.id })
    const stats = campaignStatsFromCounts(byStatus)
    const change = await updateRecord(context.tenant, {
      kind: 'campaign',
      id: campaign.id,
      changes: { status: 'sent', sentAt: now, stats },
    })
    const bounced = delivery.bounced > 0 ? ` (${delivery.bounced} without an address bounced)` : ''
    return {
      result: { campaign: change.record, sent: delivery.sent, bounced: delivery.bounced, stats },
      resultSummary: `Sent campaign ${quoteName(campaign.name)} to ${countOf(delivery.sent, 'recipient')}${bounced}`,
    }
  },
})
