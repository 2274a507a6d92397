import type { ToolDefinition } from '../tool-definition.ts'
import { assignTaskTool } from './assign-task.ts'
import { completeTaskTool } from './complete-task.ts'
import { createTaskTool } from './create-task.ts'
import { deleteTaskTool } from './delete-task.ts'
import { listTasksTool } from './list-tasks.ts'
import { updateTaskTool } from './update-task.ts'

/** The task tools. */
export const taskTools: ToolDefinition[] = [
  listTasksTool,
  createTaskTool,
  updateTaskTool,
  completeTaskTool,
  assignTaskTool,
  deleteTaskTool,
] as ToolDefinition[]
