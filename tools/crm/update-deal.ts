import { z } from 'zod'
import { AppError } from '../../core/index.ts'
import { closedDealStages, dealStages, requireRecord, updateRecord } from '../../db/index.ts'
import { formatDay, formatLabel, formatMoney, quoteName } from '../format.ts'
import { currencyCode, isoDate, moneyCents, recordId } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'
import { requireMember } from './crm-helpers.ts'

/** update_deal: move a deal through the pipeline, change its value, close date or owner. */
export const updateDealTool = defineTool({
  name: 'update_deal',
  category: 'crm',
  risk: 'write',
  description:
    'Update a deal: move it to another stage (qualification, discovery, proposal, negotiation, won, lost), ' +
    'change its value, expected close date or owner. Find the deal id with search_deals first. ' +
    'Moving to won or lost closes the deal; moving back out of won/lost reopens it.',
  inputSchema: z
    .object({
      dealId: recordId('deal'),
      stage: z.enum(dealStages).optional().describe('The new pipeline stage.'),
      valueCents: moneyCents.optional(),
      currency: currencyCode.optional(),
      expectedCloseDate: isoDate('The new expected close date (YYYY-MM-DD).').nullable().optional(),
      ownerId: recordId('new owner (workspace member user)').optional(),
    })
    .refine(
      (input) =>
        Object.keys(input).some((key) => key !== 'dealId' && input[key as keyof typeof input] !== undefined),
      { message: 'give at least one change (stage, valueCents, currency, expectedCloseDate or ownerId)' },
    ),
  async prepare({ tenant }, input) {
    const deal = await requireRecord(tenant, { kind: 'deal', id: input.dealId })
    const facts: Record<string, unknown> = {
      name: deal.name,
      stage: deal.stage,
      valueCents: deal.valueCents,
      currency: deal.currency,
    }
    if (input.ownerId) facts.ownerName = (await requireMember(tenant, { userId: input.ownerId })).name
    return { input, facts }
  },
  summarize(input, facts) {
    const changes: string[] = []
    if (input.stage && input.stage !== facts.stage) {
      changes.push(`from ${formatLabel(String(facts.stage))} to ${formatLabel(input.stage)}`)
    }
    if (input.valueCents !== undefined) {
      changes.push(
        `value ${formatMoney(input.valueCents, input.currency ?? String(facts.currency ?? 'USD'))}`,
      )
    }
    if (input.expectedCloseDate) changes.push(`expected close ${formatDay(input.expectedCloseDate)}`)
    if (input.expectedCloseDate === null) changes.push('no expected close date')
    if (input.ownerId) changes.push(facts.ownerName ? `owner ${String(facts.ownerName)}` : 'new owner')
    const verb = input.stage && input.stage !== facts.stage ? 'Move' : 'Update'
    const value =
      verb === 'Move' && input.valueCents === undefined && typeof facts.valueCents === 'number'
        ? ` (${formatMoney(facts.valueCents, String(facts.currency ?? 'USD'))})`
        : ''
    return `${verb} deal ${quoteName(facts.name)} ${changes.join(', ')}${value}`.trim()
  },
  async execute({ tenant, clock }, input) {
    const deal = await requireRecord(tenant, { kind: 'deal', id: input.dealId, lock: true })
    const changes: Record<string, unknown> = {
      stage: input.stage,
      valueCents: input.valueCents,
      currency: input.currency,
      expectedCloseDate: input.expectedCloseDate,
      ownerId: input.ownerId,
    }
    if (input.stage && input.stage !== deal.stage) {
      const closing = (closedDealStages as readonly string[]).includes(input.stage)
      const wasClosed = (closedDealStages as readonly string[]).includes(String(deal.stage))
      if (closing && !wasClosed) changes.closedAt = clock.now()
      if (!closing && wasClosed) changes.closedAt = null
    }
    const change = await updateRecord(tenant, { kind: 'deal', id: input.dealId, changes })
    if (Object.keys(change.after).length === 0) {
      throw new AppError('validation_failed', {
        message: `Deal ${quoteName(deal.name)} already has those values; nothing changed.`,
      })
    }
    return {
      result: { deal: change.record, changed: Object.keys(change.after) },
      resultSummary: `Updated deal ${quoteName(deal.name)} (${Object.keys(change.after).join(', ')})`,
      undo: { type: 'update', kind: 'deal', id: deal.id, before: change.before, after: change.after },
    }
  },
})
