import { z } from 'zod'
import { AppError } from '../../core/index.ts'
import { type PlainRecord, requireRecord, updateRecord } from '../../db/index.ts'
import { quoteName } from '../format.ts'
import { recordId } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'

/** A task that is already done cannot be completed again: say so instead of pretending. */
function assertNotDone(task: PlainRecord): void {
  if (task.status === 'done') {
    throw new AppError('validation_failed', {
      message: `Task ${quoteName(task.title)} is already done.`,
    })
  }
}

/** complete_task: mark a task done. */
export const completeTaskTool = defineTool({
  name: 'complete_task',
  category: 'tasks',
  risk: 'write',
  description:
    'Mark a task as done (completed now). Use when the member says a task is finished. ' +
    'Find the task id with list_tasks first. Completing a task that is already done is an error. ' +
    'Returns the completed task.',
  inputSchema: z.object({
    taskId: recordId('task'),
  }),
  async prepare({ tenant }, input) {
    const task = await requireRecord(tenant, { kind: 'task', id: input.taskId })
    assertNotDone(task)
    return { input, facts: { title: task.title } }
  },
  summarize(_input, facts) {
    return `Complete task ${quoteName(facts.title)}`
  },
  async execute({ tenant, clock }, input) {
    const task = await requireRecord(tenant, { kind: 'task', id: input.taskId, lock: true })
    assertNotDone(task)
    const change = await updateRecord(tenant, {
      kind: 'task',
      id: task.id,
      changes: { status: 'done', completedAt: clock.now() },
    })
    return {
      result: { task: change.record },
      resultSummary: `Completed task ${quoteName(task.title)}`,
      undo: { type: 'update', kind: 'task', id: task.id, before: change.before, after: change.after },
    }
  },
})
