import type { ToolDefinition } from '../tool-definition.ts'
import { createTaskTool } from './create-task.ts'

/** The task tools. */
export const taskTools: ToolDefinition[] = [createTaskTool] as ToolDefinition[]
