import type { ToolDefinition } from '../tool-definition.ts'
import { searchContactsTool } from './search-contacts.ts'
import { updateDealTool } from './update-deal.ts'

/** The CRM tools: customers, contacts, prospects, deals and interactions. */
export const crmTools: ToolDefinition[] = [searchContactsTool, updateDealTool] as ToolDefinition[]
