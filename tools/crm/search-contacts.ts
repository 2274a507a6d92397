import { z } from 'zod'
import { listRecords } from '../../db/index.ts'
import { quoteName } from '../format.ts'
import { pageLimit, recordId } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'

/** search_contacts: find people by name, email or title. */
export const searchContactsTool = defineTool({
  name: 'search_contacts',
  category: 'crm',
  risk: 'read',
  description:
    'Search the workspace contacts (people) by name, email or job title; optionally only those of one customer. ' +
    'Returns id, name, email, phone, title and customer id for each match. Use the id with other tools.',
  inputSchema: z.object({
    query: z.string().trim().max(200).optional().describe('Text to look for in names, emails and titles.'),
    customerId: recordId('customer').optional(),
    limit: pageLimit,
  }),
  summarize(input) {
    return input.query ? `Search contacts for ${quoteName(input.query)}` : 'List contacts'
  },
  async execute({ tenant }, input) {
    const page = await listRecords(tenant, {
      kind: 'contacts',
      q: input.query,
      filters: input.customerId ? { customerId: input.customerId } : {},
      limit: input.limit,
      offset: 0,
    })
    return {
      result: { contacts: page.data, hasMore: page.page.hasMore },
      resultSummary: `Found ${page.data.length} contact(s)`,
    }
  },
})
