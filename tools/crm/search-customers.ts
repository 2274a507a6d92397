import { z } from 'zod'
import { customerStatuses, searchCustomers } from '../../db/index.ts'
import { quoteName } from '../format.ts'
import { pageLimit, recordId } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'

/** search_customers: find companies by name, domain or industry. */
export const searchCustomersTool = defineTool({
  name: 'search_customers',
  category: 'crm',
  risk: 'read',
  description:
    'Search the workspace customers (companies) by name, domain or industry; optionally only one status ' +
    '(lead, active, inactive, churned) or one owner. Returns id, name, domain, industry, status, owner, ' +
    'how many contacts and open deals each has, and the total number of matches. Use the id with other tools.',
  inputSchema: z.object({
    query: z
      .string()
      .trim()
      .max(200)
      .optional()
      .describe('Words to look for in names, domains and industries (every word must match).'),
    status: z.enum(customerStatuses).optional().describe('Only customers with this status.'),
    ownerId: recordId('owner (workspace member user)').optional(),
    limit: pageLimit,
  }),
  summarize(input) {
    const which = input.status ? `${input.status} customers` : 'customers'
    return input.query ? `Search ${which} for ${quoteName(input.query)}` : `List ${which}`
  },
  async execute({ tenant }, input) {
    const { rows, total } = await searchCustomers(tenant, input)
    return {
      result: { customers: rows, total },
      resultSummary: `Found ${total} customer(s)${total > rows.length ? `, showing ${rows.length}` : ''}`,
    }
  },
})
