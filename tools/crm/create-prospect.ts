import { z } from 'zod'
import { createRecord, prospectStages, requireRecord } from '../../db/index.ts'
import { formatDay, formatLabel, quoteName } from '../format.ts'
import { isoDateTime, recordId } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'
import { assertNotPast, contactName, emailAddress, prospectScore, requireMember } from './crm-helpers.ts'

/** create_prospect: a new lead to qualify. */
export const createProspectTool = defineTool({
  name: 'create_prospect',
  category: 'crm',
  risk: 'write',
  description:
    'Create a prospect: a person or company that might buy but is not a customer yet (a lead to qualify). Give ' +
    'a name; add company, email, where they came from (source), stage (default new), score 0-100 (default 0), ' +
    'the next follow-up time (must be in the future), notes, the owner (default: the member asking), and the ' +
    'contact id when the person is already a contact. Returns the created prospect.',
  inputSchema: z.object({
    name: z.string().trim().min(1, 'a prospect needs a name').max(300).describe("The person's full name."),
    companyName: z.string().trim().max(300).optional().describe('The company they work for.'),
    email: emailAddress('Email address.').optional(),
    contactId: recordId('existing contact this prospect is').optional(),
    stage: z
      .enum(prospectStages)
      .default('new')
      .describe('new, contacted, qualified, proposal, negotiation, won or lost. Default new.'),
    score: prospectScore.default(0),
    source: z
      .string()
      .trim()
      .max(200)
      .optional()
      .describe('Where the lead came from, e.g. website, referral, event, linkedin.'),
    nextFollowUpAt: isoDateTime(
      'When to follow up next (ISO 8601 with time zone). Must not be in the past.',
    ).optional(),
    notes: z.string().trim().max(10_000).optional().describe('Free-form notes.'),
    ownerId: recordId('owner (workspace member user); default: the member asking').optional(),
  }),
  async prepare({ tenant, actor, clock }, input) {
    if (input.nextFollowUpAt) assertNotPast({ clock, value: input.nextFollowUpAt, field: 'nextFollowUpAt' })
    const facts: Record<string, unknown> = {}
    if (input.contactId) {
      facts.contactName = contactName(await requireRecord(tenant, { kind: 'contact', id: input.contactId }))
    }
    const ownerId = input.ownerId ?? actor.userId
    facts.ownerName = (await requireMember(tenant, { userId: ownerId })).name
    return { input: { ...input, ownerId }, facts }
  },
  summarize(input) {
    const details = [
      formatLabel(input.stage),
      `score ${input.score}`,
      input.nextFollowUpAt ? `follow up ${formatDay(input.nextFollowUpAt)}` : '',
    ].filter(Boolean)
    const company = input.companyName ? ` at ${input.companyName}` : ''
    return `Create prospect ${quoteName(input.name)}${company} (${details.join(', ')})`
  },
  async execute({ tenant, actor }, input) {
    if (input.contactId) await requireRecord(tenant, { kind: 'contact', id: input.contactId })
    const prospect = await createRecord(tenant, {
      kind: 'prospect',
      values: {
        name: input.name,
        companyName: input.companyName ?? null,
        email: input.email ?? null,
        contactId: input.contactId ?? null,
        stage: input.stage,
        score: input.score,
        source: input.source ?? null,
        ownerId: input.ownerId ?? actor.userId,
        nextFollowUpAt: input.nextFollowUpAt ? new Date(input.nextFollowUpAt) : null,
        notes: input.notes ?? null,
      },
    })
    return {
      result: { prospect },
      resultSummary: `Created prospect ${quoteName(prospect.name)}`,
      undo: {
        type: 'create',
        records: [{ kind: 'prospect', id: prospect.id, updatedAt: prospect.updatedAt as Date }],
      },
    }
  },
})
