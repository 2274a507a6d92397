import { z } from 'zod'
import { deleteRecord, deleteRecords, findRecords, type PlainRecord } from '../../db/index.ts'
import { quoteName } from '../format.ts'
import { recordReference } from '../shared-schemas.ts'
import { defineTool, type ToolContext, type UndoState } from '../tool-definition.ts'
import { assertCampaignStatus, countOf, recipientCounts, resolveCampaign } from './campaign-helpers.ts'

async function check(
  context: ToolContext,
  input: { campaign: string },
  { lock }: { lock: boolean },
): Promise<{ campaign: PlainRecord; recipients: number }> {
  const campaign = await resolveCampaign(context, { reference: input.campaign, lock })
  // Only drafts: anything scheduled, sent or paused is part of the workspace's sending history.
  assertCampaignStatus(campaign, { allowed: ['draft'], doing: 'be deleted' })
  const { total } = await recipientCounts(context.tenant, { campaignId: campaign.id })
  return { campaign, recipients: total }
}

/** delete_campaign: remove a draft campaign and its recipient list; undo restores both. */
export const deleteCampaignTool = defineTool({
  name: 'delete_campaign',
  category: 'campaigns',
  risk: 'destructive',
  description:
    'Delete a draft campaign (by id or name) together with its recipient list. Only drafts can be deleted; ' +
    'to stop a scheduled campaign use pause_campaign. Only when the member explicitly asks to delete it. ' +
    'Returns the deleted campaign and how many recipients it had.',
  inputSchema: z.object({
    campaign: recordReference('campaign'),
  }),
  async prepare(context, input) {
    const { campaign, recipients } = await check(context, input, { lock: false })
    return { input: { campaign: campaign.id }, facts: { name: campaign.name, recipients } }
  },
  summarize(input, facts) {
    const recipients =
      typeof facts.recipients === 'number' && facts.recipients > 0
        ? ` and its ${countOf(facts.recipients, 'recipient')}`
        : ''
    return `Delete draft campaign ${quoteName(facts.name ?? input.campaign)}${recipients}`
  },
  async execute(context, input) {
    const { tenant } = context
    const { campaign, recipients: total } = await check(context, input, { lock: true })
    const recipients = await findRecords(tenant, {
      kind: 'campaign_recipient',
      where: { campaignId: campaign.id },
      limit: Math.max(total, 1),
    })
    // Children first, then the campaign (the cascade would take them anyway; this way the undo
    // steps mirror exactly what happened).
    await deleteRecords(tenant, {
      kind: 'campaign_recipient',
      ids: recipients.map((recipient) => recipient.id),
    })
    const deleted = await deleteRecord(tenant, { kind: 'campaign', id: campaign.id })
    // Undo runs the steps in reverse: the campaign comes back first, then its recipients.
    const steps: UndoState[] = [
      ...recipients.map((record) => ({
        type: 'delete' as const,
        kind: 'campaign_recipient' as const,
        record,
      })),
      { type: 'delete', kind: 'campaign', record: deleted },
    ]
    return {
      result: { campaign: deleted, recipientsDeleted: recipients.length },
      resultSummary: `Deleted draft campaign ${quoteName(campaign.name)} and ${countOf(recipients.length, 'recipient')}`,
      undo: { type: 'steps', steps },
    }
  },
})
