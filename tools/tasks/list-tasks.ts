import { z } from 'zod'
import { AppError } from '../../core/index.ts'
import { findMember, listTasks, taskStatuses } from '../../db/index.ts'
import { formatDay, formatLabel } from '../format.ts'
import { pageLimit } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'

/** A date (YYYY-MM-DD, meaning the start of that day in UTC) or a date-time with a time zone. */
const dueBound = (description: string) =>
  z
    .union([
      z.iso.datetime({ offset: true, message: 'expected an ISO 8601 date-time, e.g. 2026-03-05T17:00:00Z' }),
      z.iso.date({ message: 'expected a date as YYYY-MM-DD' }),
    ])
    .describe(description)

const toInstant = (value: string) => new Date(value.length === 10 ? `${value}T00:00:00Z` : value)

/** "open" is shorthand for the statuses of work still to do. */
const openStatuses = ['todo', 'in_progress'] as const

/** list_tasks: the workspace's tasks, filtered by assignee, status, due dates or overdue. */
export const listTasksTool = defineTool({
  name: 'list_tasks',
  category: 'tasks',
  risk: 'read',
  description:
    'List tasks (to-dos) in the workspace, soonest due first. Filter by assignee ("me" for the member asking), ' +
    'status (todo, in_progress, done, cancelled, or "open" for todo and in_progress), due date range, ' +
    'or overdue (due in the past and neither done nor cancelled). ' +
    'Returns each task with id, title, status, priority, due date, assignee id and name, linked deal/contact/customer ' +
    'and an overdue flag, plus the total number of matches. Use the ids with update_task, complete_task and assign_task.',
  inputSchema: z
    .object({
      assigneeId: z
        .union([z.literal('me'), z.uuid({ message: 'expected a member user id (uuid) or "me"' })])
        .optional()
        .describe('Only tasks assigned to this member: their user id, or "me" for the member asking.'),
      status: z
        .enum([...taskStatuses, 'open'])
        .optional()
        .describe('Only tasks in this status; "open" means todo or in_progress.'),
      dueBefore: dueBound(
        'Only tasks due before this moment (ISO 8601 date-time, or YYYY-MM-DD for the start of that day, UTC).',
      ).optional(),
      dueAfter: dueBound(
        'Only tasks due at or after this moment (ISO 8601 date-time, or YYYY-MM-DD for the start of that day, UTC).',
      ).optional(),
      overdue: z
        .boolean()
        .optional()
        .describe(
          'true: only overdue tasks (due in the past, not done or cancelled); false: only tasks that are not overdue.',
        ),
      limit: pageLimit,
    })
    .refine(
      (input) =>
        !input.dueBefore || !input.dueAfter || toInstant(input.dueAfter) < toInstant(input.dueBefore),
      { message: 'dueAfter must be earlier than dueBefore', path: ['dueAfter'] },
    ),
  async prepare({ tenant, actor }, input) {
    if (!input.assigneeId) return { input, facts: {} }
    const assigneeId = input.assigneeId === 'me' ? actor.userId : input.assigneeId
    const member = await findMember(tenant, { idOrEmail: assigneeId })
    if (!member) {
      throw new AppError('not_found', { message: `No member with id ${assigneeId} in this workspace.` })
    }
    return {
      input: { ...input, assigneeId },
      facts: { assigneeName: assigneeId === actor.userId ? 'me' : member.name },
    }
  },
  summarize(input, facts) {
    const parts = ['List']
    if (input.overdue === true) parts.push('overdue')
    if (input.status) parts.push(input.status === 'open' ? 'open' : formatLabel(input.status).toLowerCase())
    parts.push('tasks')
    if (input.overdue === false) parts.push('that are not overdue')
    if (input.assigneeId) parts.push(`assigned to ${String(facts.assigneeName ?? input.assigneeId)}`)
    if (input.dueAfter && input.dueBefore) {
      parts.push(`due between ${formatDay(input.dueAfter)} and ${formatDay(input.dueBefore)}`)
    } else if (input.dueAfter) {
      parts.push(`due from ${formatDay(input.dueAfter)}`)
    } else if (input.dueBefore) {
      parts.push(`due before ${formatDay(input.dueBefore)}`)
    }
    return parts.join(' ')
  },
  async execute({ tenant, actor, clock }, input) {
    const { tasks, total } = await listTasks(tenant, {
      assigneeId: input.assigneeId === 'me' ? actor.userId : input.assigneeId,
      statuses: input.status === 'open' ? openStatuses : input.status ? [input.status] : undefined,
      dueBefore: input.dueBefore ? toInstant(input.dueBefore) : undefined,
      dueAfter: input.dueAfter ? toInstant(input.dueAfter) : undefined,
      overdue: input.overdue,
      now: clock.now(),
      limit: input.limit,
    })
    return {
      result: { tasks, total, hasMore: total > tasks.length },
      resultSummary:
        total > tasks.length ? `Found ${total} tasks, showing ${tasks.length}` : `Found ${total} task(s)`,
    }
  },
})
