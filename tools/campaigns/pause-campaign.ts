import { z } from 'zod'
import { type PlainRecord, updateRecord } from '../../db/index.ts'
import { formatLabel, quoteName } from '../format.ts'
import { recordReference } from '../shared-schemas.ts'
import { defineTool, type ToolContext } from '../tool-definition.ts'
import { assertCampaignStatus, resolveCampaign } from './campaign-helpers.ts'

/** Campaigns that are on their way out. */
const pausableStatuses = ['scheduled', 'sending'] as const

async function check(
  context: ToolContext,
  input: { campaign: string },
  { lock }: { lock: boolean },
): Promise<PlainRecord> {
  const campaign = await resolveCampaign(context, { reference: input.campaign, lock })
  assertCampaignStatus(campaign, { allowed: pausableStatuses, doing: 'be paused' })
  return campaign
}

/** pause_campaign: hold a scheduled (or sending) campaign; undo puts it back as it was. */
export const pauseCampaignTool = defineTool({
  name: 'pause_campaign',
  category: 'campaigns',
  risk: 'write',
  description:
    'Pause a scheduled or sending campaign (by id or name) so it does not go out. Its recipients and schedule are ' +
    'kept; schedule_campaign or send_campaign resumes it later. Returns the paused campaign.',
  inputSchema: z.object({
    campaign: recordReference('campaign'),
  }),
  async prepare(context, input) {
    const campaign = await check(context, input, { lock: false })
    return { input: { campaign: campaign.id }, facts: { name: campaign.name, status: campaign.status } }
  },
  summarize(input, facts) {
    const from = facts.status ? ` (now ${formatLabel(String(facts.status)).toLowerCase()})` : ''
    return `Pause campaign ${quoteName(facts.name ?? input.campaign)}${from}`
  },
  async execute(context, input) {
    const campaign = await check(context, input, { lock: true })
    const change = await updateRecord(context.tenant, {
      kind: 'campaign',
      id: campaign.id,
      changes: { status: 'paused' },
    })
    return {
      result: { campaign: change.record },
      resultSummary: `Paused campaign ${quoteName(campaign.name)}`,
      undo: { type: 'update', kind: 'campaign', id: campaign.id, before: change.before, after: change.after },
    }
  },
})
