import { z } from 'zod'
import { searchContacts } from '../../db/index.ts'
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
    'A full name works ("Ada Lovelace"): every word must match the first name, last name, email or title. ' +
    'Returns id, name, email, phone, title, customer id and name for each match, and the total number of ' +
    'matches. Use the id with other tools.',
  inputSchema: z.object({
    query: z.string().trim().max(200).optional().describe('Text to look for in names, emails and titles.'),
    customerId: recordId('customer').optional(),
    limit: pageLimit,
  }),
  summarize(input) {
    return input.query ? `Search contacts for ${quoteName(input.query)}` : 'List contacts'
  },
  async execute({ tenant }, input) {
    const { rows, total } = await searchContacts(tenant, input)
    return {
      result: { contacts: rows, total, hasMore: total > rows.length },
      resultSummary: `Found ${total} contact(s)${total > rows.length ? `, showing ${rows.length}` : ''}`,
    }
  },
})
