import type { ToolDefinition } from '../tool-definition.ts'

/** The campaign tools. */
export const campaignTools: ToolDefinition[] = [] as ToolDefinition[]
