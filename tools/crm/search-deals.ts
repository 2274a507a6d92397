import { z } from 'zod'
import { dealStages, searchDeals } from '../../db/index.ts'
import { formatDay, formatLabel, formatMoney, quoteName } from '../format.ts'
import { isoDate, pageLimit, recordId, recordReference } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'
import { resolveCustomer } from './crm-helpers.ts'

/** search_deals: the pipeline, filtered. */
export const searchDealsTool = defineTool({
  name: 'search_deals',
  category: 'crm',
  risk: 'read',
  description:
    'Search the deals (the sales pipeline) by deal or customer name, optionally filtered by stage, owner, customer, ' +
    'open (not won or lost) or closed, and expected close date. Soonest expected close first. Returns id, name, ' +
    'stage, value, expected close date, customer, contact, owner and when the last interaction happened, plus the ' +
    'total number of matches. Use the id with update_deal, log_interaction or delete_deal.',
  inputSchema: z.object({
    query: z
      .string()
      .trim()
      .max(200)
      .optional()
      .describe('Words to look for in deal names and customer names (every word must match).'),
    stage: z.enum(dealStages).optional().describe('Only deals in this stage.'),
    ownerId: recordId('owner (workspace member user)').optional(),
    customer: recordReference('customer').optional(),
    open: z
      .boolean()
      .optional()
      .describe('true: only open deals (not won or lost); false: only closed (won or lost) deals.'),
    closingBefore: isoDate(
      'Only deals expected to close before this date (YYYY-MM-DD, that day itself not included).',
    ).optional(),
    limit: pageLimit,
  }),
  async prepare(context, input) {
    if (!input.customer) return { input, facts: {} }
    const customer = await resolveCustomer(context, input.customer)
    return { input: { ...input, customer: customer.id }, facts: { customerName: customer.name } }
  },
  summarize(input, facts) {
    const filters = [
      input.query ? `matching ${quoteName(input.query)}` : '',
      input.customer ? `for ${quoteName(facts.customerName ?? input.customer)}` : '',
      input.stage ? `in ${formatLabel(input.stage)}` : '',
      input.closingBefore ? `closing before ${formatDay(input.closingBefore)}` : '',
      input.ownerId ? 'of one owner' : '',
    ].filter(Boolean)
    const which = input.open === true ? 'open deals' : input.open === false ? 'closed deals' : 'deals'
    return filters.length > 0 ? `Search ${which} ${filters.join(', ')}` : `List ${which}`
  },
  async execute(context, input) {
    const customerId = input.customer ? (await resolveCustomer(context, input.customer)).id : undefined
    const { rows, total } = await searchDeals(context.tenant, { ...input, customerId })
    return {
      result: {
        deals: rows.map((deal) => ({
          ...deal,
          value: formatMoney(deal.valueCents, deal.currency),
          open: deal.closedAt === null,
        })),
        total,
      },
      resultSummary: `Found ${total} deal(s)${total > rows.length ? `, showing ${rows.length}` : ''}`,
    }
  },
})
