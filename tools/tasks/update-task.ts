import { z } from 'zod'
import { AppError } from '../../core/index.ts'
import { requireRecord, taskPriorities, taskStatuses, updateRecord } from '../../db/index.ts'
import { formatDay, formatLabel, quoteName } from '../format.ts'
import { isoDateTime, recordId } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'
import { assertDueNotInPast } from './task-helpers.ts'

/** update_task: change a task's title, description, priority, due date or status. */
export const updateTaskTool = defineTool({
  name: 'update_task',
  category: 'tasks',
  risk: 'write',
  description:
    'Update a task: its title, description, priority, due date or status (todo, in_progress, done, cancelled). ' +
    'Find the task id with list_tasks first. Setting status done marks it completed now; moving a done task to ' +
    'another status reopens it. Pass null for description or dueAt to clear them. ' +
    'To reassign a task use assign_task; to simply finish it, complete_task. Returns the updated task.',
  inputSchema: z
    .object({
      taskId: recordId('task'),
      title: z
        .string()
        .trim()
        .min(1, 'a task needs a title')
        .max(500)
        .optional()
        .describe('The new title, as a short imperative.'),
      description: z
        .string()
        .trim()
        .max(10_000)
        .nullable()
        .optional()
        .describe('The new details; null removes the description.'),
      priority: z.enum(taskPriorities).optional().describe('The new priority: low, medium, high or urgent.'),
      dueAt: isoDateTime(
        'The new due date (ISO 8601 with time zone); must not be in the past. null removes it.',
      )
        .nullable()
        .optional(),
      status: z
        .enum(taskStatuses)
        .optional()
        .describe('The new status: todo, in_progress, done or cancelled.'),
    })
    .refine(
      (input) =>
        Object.keys(input).some((key) => key !== 'taskId' && input[key as keyof typeof input] !== undefined),
      { message: 'give at least one change (title, description, priority, dueAt or status)' },
    ),
  async prepare({ tenant, clock }, input) {
    if (input.dueAt) assertDueNotInPast({ dueAt: input.dueAt, clock })
    const task = await requireRecord(tenant, { kind: 'task', id: input.taskId })
    return { input, facts: { title: task.title, status: task.status } }
  },
  summarize(input, facts) {
    const changes: string[] = []
    if (input.status && input.status !== facts.status) {
      changes.push(`status from ${formatLabel(String(facts.status))} to ${formatLabel(input.status)}`)
    }
    if (input.title !== undefined) changes.push(`title ${quoteName(input.title)}`)
    if (input.priority) changes.push(`priority ${input.priority}`)
    if (input.dueAt) changes.push(`due ${formatDay(input.dueAt)}`)
    if (input.dueAt === null) changes.push('no due date')
    if (input.description !== undefined)
      changes.push(input.description === null ? 'no description' : 'description')
    return `Update task ${quoteName(facts.title)}: ${changes.join(', ') || 'no change'}`
  },
  async execute({ tenant, clock }, input) {
    const task = await requireRecord(tenant, { kind: 'task', id: input.taskId, lock: true })
    const changes: Record<string, unknown> = {
      title: input.title,
      description: input.description === '' ? null : input.description,
      priority: input.priority,
      dueAt: input.dueAt === undefined ? undefined : input.dueAt === null ? null : new Date(input.dueAt),
      status: input.status,
    }
    // completed_at is set exactly when a task is done (a CHECK constraint holds the schema to it).
    if (input.status === 'done' && task.status !== 'done') changes.completedAt = clock.now()
    if (input.status && input.status !== 'done' && task.status === 'done') changes.completedAt = null
    const change = await updateRecord(tenant, { kind: 'task', id: task.id, changes })
    if (Object.keys(change.after).length === 0) {
      throw new AppError('validation_failed', {
        message: `Task ${quoteName(task.title)} already has those values; nothing changed.`,
      })
    }
    return {
      result: { task: change.record, changed: Object.keys(change.after) },
      resultSummary: `Updated task ${quoteName(change.record.title)} (${Object.keys(change.after).join(', ')})`,
      undo: { type: 'update', kind: 'task', id: task.id, before: change.before, after: change.after },
    }
  },
})
