import { z } from 'zod'
import { AppError, type Clock } from '../../core/index.ts'
import { type PlainRecord, updateRecord } from '../../db/index.ts'
import { quoteName } from '../format.ts'
import { isoDateTime, recordReference } from '../shared-schemas.ts'
import { defineTool, type ToolContext } from '../tool-definition.ts'
import {
  assertCampaignStatus,
  assertSendable,
  countOf,
  formatMoment,
  recipientCounts,
  resolveCampaign,
} from './campaign-helpers.ts'

/** Draft and paused campaigns can be scheduled; a scheduled one can be moved to another time. */
const schedulableStatuses = ['draft', 'paused', 'scheduled'] as const

function assertFuture({ scheduledAt, clock }: { scheduledAt: string; clock: Clock }): void {
  if (new Date(scheduledAt).getTime() <= clock.now().getTime()) {
    throw new AppError('validation_failed', {
      message: `scheduledAt ${scheduledAt} is not in the future; give a later time (or use send_campaign to send now).`,
    })
  }
}

async function check(
  context: ToolContext,
  input: { campaign: string; scheduledAt: string },
  { lock }: { lock: boolean },
): Promise<{ campaign: PlainRecord; pending: number }> {
  assertFuture({ scheduledAt: input.scheduledAt, clock: context.clock })
  const campaign = await resolveCampaign(context, { reference: input.campaign, lock })
  assertCampaignStatus(campaign, { allowed: schedulableStatuses, doing: 'be scheduled' })
  const { byStatus } = await recipientCounts(context.tenant, { campaignId: campaign.id })
  const pending = byStatus.pending ?? 0
  assertSendable(campaign, { pending })
  return { campaign, pending }
}

/**
 * schedule_campaign: set the time a campaign goes out. It is `external` because it commits to
 * sending at that time. Nothing dispatches scheduled campaigns yet: a later issue adds the job that
 * sends them (through the outbox that also plugs in a real email/SMS provider). Undo puts the
 * campaign back in the status and schedule it had.
 */
export const scheduleCampaignTool = defineTool({
  name: 'schedule_campaign',
  category: 'campaigns',
  risk: 'external',
  description:
    'Schedule a draft or paused campaign (by id or name) to be sent at a future time, or move a scheduled ' +
    'campaign to another time. The campaign needs at least one recipient waiting, and email campaigns a subject. ' +
    'Returns the scheduled campaign.',
  inputSchema: z.object({
    campaign: recordReference('campaign'),
    scheduledAt: isoDateTime('When to send (ISO 8601 with time zone); must be in the future.'),
  }),
  async prepare(context, input) {
    const { campaign, pending } = await check(context, input, { lock: false })
    return {
      input: { ...input, campaign: campaign.id },
      facts: { name: campaign.name, status: campaign.status, pending },
    }
  },
  summarize(input, facts) {
    const verb = facts.status === 'scheduled' ? 'Reschedule' : 'Schedule'
    const audience = typeof facts.pending === 'number' ? ` to ${countOf(facts.pending, 'recipient')}` : ''
    return `${verb} campaign ${quoteName(facts.name ?? input.campaign)}${audience} for ${formatMoment(input.scheduledAt)}`
  },
  async execute(context, input) {
    const { campaign, pending } = await check(context, input, { lock: true })
    const change = await updateRecord(context.tenant, {
      kind: 'campaign',
      id: campaign.id,
      changes: { status: 'scheduled', scheduledAt: new Date(input.scheduledAt) },
    })
    if (Object.keys(change.after).length === 0) {
      throw new AppError('validation_failed', {
        message: `Campaign ${quoteName(campaign.name)} is already scheduled for ${formatMoment(input.scheduledAt)}.`,
      })
    }
    return {
      result: { campaign: change.record, recipients: pending },
      resultSummary: `Scheduled campaign ${quoteName(campaign.name)} for ${formatMoment(input.scheduledAt)} (${countOf(pending, 'recipient')})`,
      undo: { type: 'update', kind: 'campaign', id: campaign.id, before: change.before, after: change.after },
    }
  },
})
