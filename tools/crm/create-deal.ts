import { z } from 'zod'
import { AppError } from '../../core/index.ts'
import { closedDealStages, createRecord, dealStages, requireRecord } from '../../db/index.ts'
import { formatDay, formatLabel, formatMoney, quoteName } from '../format.ts'
import { currencyCode, isoDate, moneyCents, recordId, recordReference } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'
import { contactName, requireMember, resolveCustomer, today } from './crm-helpers.ts'

const isClosed = (stage: string) => (closedDealStages as readonly string[]).includes(stage)

/** create_deal: a new opportunity in the pipeline. */
export const createDealTool = defineTool({
  name: 'create_deal',
  category: 'crm',
  risk: 'write',
  description:
    'Create a deal (a sales opportunity) in the pipeline. Give a name; add the customer (by id or name), the ' +
    'main contact id, the stage (qualification, discovery, proposal, negotiation, won, lost; default ' +
    'qualification), the value in cents with its currency (default USD), the expected close date and the owner ' +
    '(default: the member asking). A deal created as won or lost is closed at once. When only a contact is ' +
    'given, the deal goes to their customer. Returns the created deal.',
  inputSchema: z.object({
    name: z
      .string()
      .trim()
      .min(1, 'a deal needs a name')
      .max(300)
      .describe('A short name, e.g. "Acme - Annual platform license".'),
    customer: recordReference('customer (company) the deal is with').optional(),
    contactId: recordId('main contact').optional(),
    stage: z.enum(dealStages).default('qualification').describe('The pipeline stage. Default qualification.'),
    valueCents: moneyCents.default(0),
    currency: currencyCode.default('USD'),
    expectedCloseDate: isoDate(
      'When the deal is expected to close (YYYY-MM-DD). Not in the past for an open deal.',
    ).optional(),
    ownerId: recordId('owner (workspace member user); default: the member asking').optional(),
  }),
  async prepare(context, input) {
    const { tenant, actor, clock } = context
    if (input.expectedCloseDate && !isClosed(input.stage) && input.expectedCloseDate < today(clock)) {
      throw new AppError('validation_failed', {
        message: `expectedCloseDate ${input.expectedCloseDate} is in the past; an open deal needs a future close date.`,
      })
    }
    const facts: Record<string, unknown> = {}
    let customerId: string | undefined
    if (input.customer) {
      const customer = await resolveCustomer(context, input.customer)
      customerId = customer.id
      facts.customerName = customer.name
    }
    if (input.contactId) {
      const contact = await requireRecord(tenant, { kind: 'contact', id: input.contactId })
      facts.contactName = contactName(contact)
      if (!customerId && contact.customerId) {
        customerId = String(contact.customerId)
        facts.customerName = (await requireRecord(tenant, { kind: 'customer', id: customerId })).name
      }
    }
    const ownerId = input.ownerId ?? actor.userId
    facts.ownerName = (await requireMember(tenant, { userId: ownerId })).name
    return { input: { ...input, customer: customerId, ownerId }, facts }
  },
  summarize(input, facts) {
    const details = [
      formatMoney(input.valueCents, input.currency),
      formatLabel(input.stage),
      input.expectedCloseDate && !isClosed(input.stage)
        ? `closing ${formatDay(input.expectedCloseDate)}`
        : '',
    ].filter(Boolean)
    const customer = facts.customerName ? ` for ${String(facts.customerName)}` : ''
    return `Create deal ${quoteName(input.name)}${customer} (${details.join(', ')})`
  },
  async execute(context, input) {
    const { tenant, actor, clock } = context
    const customer = input.customer ? await resolveCustomer(context, input.customer) : undefined
    if (input.contactId) await requireRecord(tenant, { kind: 'contact', id: input.contactId })
    const deal = await createRecord(tenant, {
      kind: 'deal',
      values: {
        name: input.name,
        customerId: customer?.id ?? null,
        contactId: input.contactId ?? null,
        stage: input.stage,
        valueCents: input.valueCents,
        currency: input.currency,
        expectedCloseDate: input.expectedCloseDate ?? null,
        ownerId: input.ownerId ?? actor.userId,
        // The schema insists: a deal is closed exactly when it is won or lost.
        closedAt: isClosed(input.stage) ? clock.now() : null,
      },
    })
    return {
      result: { deal: { ...deal, customerName: customer?.name ?? null } },
      resultSummary: `Created deal ${quoteName(deal.name)} (${formatMoney(input.valueCents, input.currency)}, ${formatLabel(input.stage)})`,
      undo: { type: 'create', records: [{ kind: 'deal', id: deal.id, updatedAt: deal.updatedAt as Date }] },
    }
  },
})
