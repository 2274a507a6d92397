import type { ToolDefinition } from '../tool-definition.ts'
import { createContactTool } from './create-contact.ts'
import { createCustomerTool } from './create-customer.ts'
import { createDealTool } from './create-deal.ts'
import { createProspectTool } from './create-prospect.ts'
import { deleteContactTool } from './delete-contact.ts'
import { deleteDealTool } from './delete-deal.ts'
import { getContactTool } from './get-contact.ts'
import { logInteractionTool } from './log-interaction.ts'
import { searchContactsTool } from './search-contacts.ts'
import { searchCustomersTool } from './search-customers.ts'
import { searchDealsTool } from './search-deals.ts'
import { searchProspectsTool } from './search-prospects.ts'
import { updateContactTool } from './update-contact.ts'
import { updateDealTool } from './update-deal.ts'
import { updateProspectTool } from './update-prospect.ts'

/** The CRM tools: customers, contacts, prospects, deals and interactions. */
export const crmTools: ToolDefinition[] = [
  searchContactsTool,
  getContactTool,
  createContactTool,
  updateContactTool,
  deleteContactTool,
  searchCustomersTool,
  createCustomerTool,
  searchProspectsTool,
  createProspectTool,
  updateProspectTool,
  logInteractionTool,
  searchDealsTool,
  createDealTool,
  updateDealTool,
  deleteDealTool,
] as ToolDefinition[]
