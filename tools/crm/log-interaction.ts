import { z } from 'zod'
import { createRecord, interactionTypes, requireRecord } from '../../db/index.ts'
import { formatDay, quoteName } from '../format.ts'
import { isoDateTime, recordId, recordReference } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'
import { assertNotFuture, contactName, resolveContact } from './crm-helpers.ts'

/** log_interaction: record a call, email, meeting or note with a contact, on a deal or a customer. */
export const logInteractionTool = defineTool({
  name: 'log_interaction',
  category: 'crm',
  risk: 'write',
  description:
    'Log something that happened in the CRM: a call, email, meeting or note, with a short summary. Attach it to ' +
    'a contact (by id, full name or email), a deal id and/or a customer id; at least one of them. occurredAt ' +
    'defaults to now and cannot be in the future (use create_task for planned work). When only a contact or ' +
    'a deal is given, the interaction is also filed under its customer. Returns the logged interaction.',
  inputSchema: z
    .object({
      type: z.enum(interactionTypes).describe('call, email, meeting or note.'),
      summary: z
        .string()
        .trim()
        .min(1, 'say what happened')
        .max(10_000)
        .describe('What happened, in a sentence or two.'),
      occurredAt: isoDateTime(
        'When it happened (ISO 8601 with time zone); default now. Must not be in the future.',
      ).optional(),
      contact: recordReference('contact it was with').optional(),
      dealId: recordId('deal it was about').optional(),
      customerId: recordId('customer it was with').optional(),
    })
    .refine((input) => input.contact || input.dealId || input.customerId, {
      message: 'attach the interaction to a contact, a dealId or a customerId',
    }),
  async prepare(context, input) {
    const { tenant, clock } = context
    const now = clock.now()
    const occurredAt = input.occurredAt ?? now.toISOString()
    assertNotFuture({ clock, value: occurredAt, field: 'occurredAt' })
    const facts: Record<string, unknown> = {}
    let contactId: string | undefined
    let customerId = input.customerId
    if (input.contact) {
      const contact = await resolveContact(context, input.contact)
      contactId = contact.id
      facts.contactName = contactName(contact)
      customerId ??= (contact.customerId as string | null) ?? undefined
    }
    if (input.dealId) {
      const deal = await requireRecord(tenant, { kind: 'deal', id: input.dealId })
      facts.dealName = deal.name
      customerId ??= (deal.customerId as string | null) ?? undefined
    }
    if (customerId)
      facts.customerName = (await requireRecord(tenant, { kind: 'customer', id: customerId })).name
    // Backdated by more than a day: the summary says when, so the approver sees it.
    if (now.getTime() - new Date(occurredAt).getTime() > 24 * 60 * 60 * 1000) facts.backdated = true
    return { input: { ...input, occurredAt, contact: contactId, customerId }, facts }
  },
  summarize(input, facts) {
    const preposition = input.type === 'note' ? 'about' : 'with'
    const about = facts.dealName
      ? ` ${input.type === 'note' ? 'on' : 'about'} deal ${quoteName(facts.dealName)}`
      : ''
    let target: string
    if (facts.contactName) target = `${preposition} ${String(facts.contactName)}${about}`
    else if (facts.dealName) target = `on deal ${quoteName(facts.dealName)}`
    else target = `${preposition} customer ${quoteName(facts.customerName ?? input.customerId)}`
    const when = facts.backdated && input.occurredAt ? ` (${formatDay(input.occurredAt)})` : ''
    return `Log ${input.type} ${target}${when}: ${quoteName(input.summary)}`
  },
  async execute(context, input) {
    const { tenant, actor, clock } = context
    const contact = input.contact ? await resolveContact(context, input.contact) : undefined
    if (input.dealId) await requireRecord(tenant, { kind: 'deal', id: input.dealId })
    if (input.customerId) await requireRecord(tenant, { kind: 'customer', id: input.customerId })
    const interaction = await createRecord(tenant, {
      kind: 'interaction',
      values: {
        type: input.type,
        summary: input.summary,
        occurredAt: new Date(input.occurredAt ?? clock.now()),
        contactId: contact?.id ?? null,
        dealId: input.dealId ?? null,
        customerId: input.customerId ?? null,
        userId: actor.userId,
      },
    })
    const target = contact ? ` with ${contactName(contact)}` : ''
    return {
      result: { interaction },
      resultSummary: `Logged ${input.type}${target}: ${quoteName(input.summary)}`,
      undo: {
        type: 'create',
        records: [{ kind: 'interaction', id: interaction.id, updatedAt: interaction.updatedAt as Date }],
      },
    }
  },
})
