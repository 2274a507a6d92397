import { z } from 'zod'
import { deleteRecord, requireRecord } from '../../db/index.ts'
import { quoteName } from '../format.ts'
import { recordId } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'

/** delete_task: remove a task for good (undo puts it back). */
export const deleteTaskTool = defineTool({
  name: 'delete_task',
  category: 'tasks',
  risk: 'destructive',
  description:
    'Delete a task permanently. Only when the member explicitly asks to delete or remove it; to close a task ' +
    'that will not be done, prefer update_task with status cancelled. Find the task id with list_tasks first. ' +
    'Returns the deleted task.',
  inputSchema: z.object({
    taskId: recordId('task'),
  }),
  async prepare({ tenant }, input) {
    const task = await requireRecord(tenant, { kind: 'task', id: input.taskId })
    return { input, facts: { title: task.title } }
  },
  summarize(_input, facts) {
    return `Delete task ${quoteName(facts.title)}`
  },
  async execute({ tenant }, input) {
    const task = await deleteRecord(tenant, { kind: 'task', id: input.taskId })
    return {
      result: { task },
      resultSummary: `Deleted task ${quoteName(task.title)}`,
      undo: { type: 'delete', kind: 'task', record: task },
    }
  },
})
