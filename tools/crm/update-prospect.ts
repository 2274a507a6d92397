import { z } from 'zod'
import { AppError } from '../../core/index.ts'
import { prospectStages, requireRecord, updateRecord } from '../../db/index.ts'
import { formatDay, formatLabel, quoteName } from '../format.ts'
import { isoDateTime, recordId } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'
import { assertNotPast, clearableText, prospectScore, requireMember } from './crm-helpers.ts'

const changeable = ['stage', 'score', 'nextFollowUpAt', 'notes', 'ownerId'] as const

/** update_prospect: move a lead along, rescore it, schedule the next follow-up. */
export const updateProspectTool = defineTool({
  name: 'update_prospect',
  category: 'crm',
  risk: 'write',
  description:
    'Update a prospect (a lead): move it to another stage (new, contacted, qualified, proposal, negotiation, won, ' +
    'lost), change its score (0-100), set the next follow-up time (must be in the future; null clears it), ' +
    'replace its notes (include the old text to keep it; null clears them) or change its owner. Find the ' +
    'prospect id with search_prospects first. Returns the updated prospect and what changed.',
  inputSchema: z
    .object({
      prospectId: recordId('prospect'),
      stage: z.enum(prospectStages).optional().describe('The new stage.'),
      score: prospectScore.optional(),
      nextFollowUpAt: isoDateTime(
        'When to follow up next (ISO 8601 with time zone). Must not be in the past; null clears it.',
      )
        .nullable()
        .optional(),
      notes: clearableText(10_000, 'The new notes (they replace the current notes).'),
      ownerId: recordId('new owner (workspace member user)').optional(),
    })
    .refine((input) => changeable.some((field) => input[field] !== undefined), {
      message: `give at least one change (${changeable.join(', ')})`,
    }),
  async prepare({ tenant, clock }, input) {
    if (input.nextFollowUpAt) assertNotPast({ clock, value: input.nextFollowUpAt, field: 'nextFollowUpAt' })
    const prospect = await requireRecord(tenant, { kind: 'prospect', id: input.prospectId })
    const facts: Record<string, unknown> = {
      name: prospect.name,
      companyName: prospect.companyName,
      stage: prospect.stage,
      score: prospect.score,
    }
    if (input.ownerId) facts.ownerName = (await requireMember(tenant, { userId: input.ownerId })).name
    return { input, facts }
  },
  summarize(input, facts) {
    const changes: string[] = []
    if (input.stage && input.stage !== facts.stage) {
      changes.push(`stage from ${formatLabel(String(facts.stage))} to ${formatLabel(input.stage)}`)
    }
    if (input.score !== undefined && input.score !== facts.score) {
      changes.push(`score from ${String(facts.score)} to ${input.score}`)
    }
    if (input.nextFollowUpAt) changes.push(`next follow-up ${formatDay(input.nextFollowUpAt)}`)
    if (input.nextFollowUpAt === null) changes.push('no follow-up')
    if (input.notes !== undefined) changes.push(input.notes ? 'new notes' : 'notes cleared')
    if (input.ownerId) changes.push(`owner ${String(facts.ownerName ?? input.ownerId)}`)
    const company = facts.companyName ? ` (${String(facts.companyName)})` : ''
    return `Update prospect ${quoteName(facts.name)}${company}: ${changes.join(', ') || 'no change'}`
  },
  async execute({ tenant }, input) {
    const prospect = await requireRecord(tenant, { kind: 'prospect', id: input.prospectId, lock: true })
    const change = await updateRecord(tenant, {
      kind: 'prospect',
      id: prospect.id,
      changes: {
        stage: input.stage,
        score: input.score,
        nextFollowUpAt:
          input.nextFollowUpAt === undefined || input.nextFollowUpAt === null
            ? input.nextFollowUpAt
            : new Date(input.nextFollowUpAt),
        notes: input.notes,
        ownerId: input.ownerId,
      },
    })
    const changed = Object.keys(change.after)
    if (changed.length === 0) {
      throw new AppError('validation_failed', {
        message: `Prospect ${quoteName(prospect.name)} already has those values; nothing changed.`,
      })
    }
    return {
      result: { prospect: change.record, changed },
      resultSummary: `Updated prospect ${quoteName(prospect.name)} (${changed.join(', ')})`,
      undo: { type: 'update', kind: 'prospect', id: prospect.id, before: change.before, after: change.after },
    }
  },
})
