import { z } from 'zod'
import { AppError } from '../../core/index.ts'
import { requireRecord, updateRecord } from '../../db/index.ts'
import { quoteName } from '../format.ts'
import { recordId } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'
import { memberReference, resolveAssignee } from './task-helpers.ts'

/** assign_task: give a task to a workspace member. */
export const assignTaskTool = defineTool({
  name: 'assign_task',
  category: 'tasks',
  risk: 'write',
  description:
    'Assign (or reassign) a task to a workspace member, named by user id, email address, or "me" for the member asking. ' +
    'Only owners, admins and members can be assigned tasks (viewers cannot change data). ' +
    'Find the task id with list_tasks first. Returns the updated task and the assignee.',
  inputSchema: z.object({
    taskId: recordId('task'),
    assignee: memberReference('new assignee'),
  }),
  async prepare({ tenant, actor }, input) {
    const task = await requireRecord(tenant, { kind: 'task', id: input.taskId })
    const member = await resolveAssignee(tenant, { reference: input.assignee, actorUserId: actor.userId })
    return {
      // Canonical: the member's user id, whatever the caller named them by.
      input: { ...input, assignee: member.userId },
      facts: { title: task.title, assigneeName: member.name },
    }
  },
  summarize(_input, facts) {
    return `Assign task ${quoteName(facts.title)} to ${String(facts.assigneeName)}`
  },
  async execute({ tenant, actor }, input) {
    const task = await requireRecord(tenant, { kind: 'task', id: input.taskId, lock: true })
    const member = await resolveAssignee(tenant, { reference: input.assignee, actorUserId: actor.userId })
    const change = await updateRecord(tenant, {
      kind: 'task',
      id: task.id,
      changes: { assigneeId: member.userId },
    })
    if (Object.keys(change.after).length === 0) {
      throw new AppError('validation_failed', {
        message: `Task ${quoteName(task.title)} is already assigned to ${member.name}.`,
      })
    }
    return {
      result: {
        task: change.record,
        assignee: { userId: member.userId, name: member.name, email: member.email },
      },
      resultSummary: `Assigned task ${quoteName(task.title)} to ${member.name}`,
      undo: { type: 'update', kind: 'task', id: task.id, before: change.before, after: change.after },
    }
  },
})
