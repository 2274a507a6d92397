import { z } from 'zod'
import { createRecord, requireRecord, taskPriorities } from '../../db/index.ts'
import { formatDay, quoteName } from '../format.ts'
import { isoDateTime, recordId } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'
import { assertDueNotInPast, resolveAssignee } from './task-helpers.ts'

/** create_task: a new to-do, by default for the member asking. */
export const createTaskTool = defineTool({
  name: 'create_task',
  category: 'tasks',
  risk: 'write',
  description:
    'Create a task (a to-do) in the workspace. Use for follow-ups, reminders and next steps. ' +
    'Assign it to a member by user id (default: the member asking), give a due date if one was mentioned, ' +
    'and link it to a deal, contact or customer when it is about one. Returns the created task.',
  inputSchema: z.object({
    title: z
      .string()
      .trim()
      .min(1, 'a task needs a title')
      .max(500)
      .describe('What needs doing, as a short imperative.'),
    description: z.string().trim().max(10_000).optional().describe('Details, context or a checklist.'),
    priority: z.enum(taskPriorities).default('medium').describe('low, medium, high or urgent.'),
    dueAt: isoDateTime('When it is due (ISO 8601 with time zone). Must not be in the past.').optional(),
    assigneeId: recordId('assignee (workspace member user)').optional(),
    dealId: recordId('deal').optional(),
    contactId: recordId('contact').optional(),
    customerId: recordId('customer').optional(),
  }),
  async prepare({ tenant, clock, actor }, input) {
    if (input.dueAt) assertDueNotInPast({ dueAt: input.dueAt, clock })
    const facts: Record<string, unknown> = {}
    const assignee = await resolveAssignee(tenant, {
      reference: input.assigneeId ?? actor.userId,
      actorUserId: actor.userId,
    })
    if (assignee.userId !== actor.userId) facts.assigneeName = assignee.name
    if (input.dealId) facts.dealName = (await requireRecord(tenant, { kind: 'deal', id: input.dealId })).name
    if (input.contactId) await requireRecord(tenant, { kind: 'contact', id: input.contactId })
    if (input.customerId) await requireRecord(tenant, { kind: 'customer', id: input.customerId })
    return { input: { ...input, assigneeId: assignee.userId }, facts }
  },
  summarize(input, facts) {
    const assignee = facts.assigneeName ? ` for ${String(facts.assigneeName)}` : ''
    const due = input.dueAt ? ` due ${formatDay(input.dueAt)}` : ''
    const deal = facts.dealName ? ` about deal ${quoteName(facts.dealName)}` : ''
    return `Create ${input.priority} task ${quoteName(input.title)}${assignee}${deal}${due}`
  },
  async execute({ tenant, actor }, input) {
    const task = await createRecord(tenant, {
      kind: 'task',
      values: {
        title: input.title,
        description: input.description ?? null,
        priority: input.priority,
        status: 'todo',
        dueAt: input.dueAt ? new Date(input.dueAt) : null,
        assigneeId: input.assigneeId ?? actor.userId,
        createdById: actor.userId,
        dealId: input.dealId ?? null,
        contactId: input.contactId ?? null,
        customerId: input.customerId ?? null,
        completedAt: null,
      },
    })
    return {
      result: { task },
      resultSummary: `Created task ${quoteName(task.title)}`,
      undo: { type: 'create', records: [{ kind: 'task', id: task.id, updatedAt: task.updatedAt as Date }] },
    }
  },
})
