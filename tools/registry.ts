import { campaignTools } from './campaigns/index.ts'
import { crmTools } from './crm/index.ts'
import { taskTools } from './tasks/index.ts'
import type { ToolDefinition } from './tool-definition.ts'

/** Every tool, in the order clients list them. Names are unique (checked at load). */
export const allTools: readonly ToolDefinition[] = [...crmTools, ...taskTools, ...campaignTools]

const seen = new Set<string>()
for (const tool of allTools) {
  if (seen.has(tool.name)) throw new Error(`Two tools are named ${tool.name}.`)
  seen.add(tool.name)
}
