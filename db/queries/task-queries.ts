import { QueryTypes } from 'sequelize'
import type { TenantTransaction } from '../database.ts'

/** A task as the task tools show it: its columns plus the assignee's name. */
export interface TaskListItem {
  id: string
  title: string
  description: string | null
  status: string
  priority: string
  dueAt: Date | null
  assigneeId: string | null
  assigneeName: string | null
  createdById: string | null
  contactId: string | null
  dealId: string | null
  customerId: string | null
  completedAt: Date | null
  createdAt: Date
  updatedAt: Date
  /** True when the task is due before `now` and still open (neither done nor cancelled). */
  overdue: boolean
}

export interface ListTasksOptions {
  /** Only tasks assigned to this member. */
  assigneeId?: string | undefined
  /** Only tasks in one of these statuses. */
  statuses?: readonly string[] | undefined
  /** Only tasks due strictly before this instant. */
  dueBefore?: Date | undefined
  /** Only tasks due at or after this instant. */
  dueAfter?: Date | undefined
  /** `true`: only overdue tasks; `false`: only tasks that are not overdue; undefined: both. */
  overdue?: boolean | undefined
  /** "Now" for deciding what is overdue (the injected clock, never the database's `now()`). */
  now: Date
  limit: number
}

export interface TaskList {
  tasks: TaskListItem[]
  /** How many tasks match in all (the list holds at most `limit`). */
  total: number
}

/**
 * Tasks of the current workspace matching the filters, soonest due first (undated last). Open
 * tasks that are due before `now` count as overdue; done and cancelled tasks never do.
 */
export async function listTasks(
  { sequelize, transaction }: TenantTransaction,
  { assigneeId, statuses, dueBefore, dueAfter, overdue, now, limit }: ListTasksOptions,
): Promise<TaskList> {
  // Only fixed SQL fragments are joined here; every value travels as a named replacement.
  const conditions: string[] = []
  if (assigneeId) conditions.push('t.assignee_id = :assigneeId')
  if (statuses && statuses.length > 0) conditions.push('t.status IN (:statuses)')
  if (dueBefore) conditions.push('t.due_at < :dueBefore')
  if (dueAfter) conditions.push('t.due_at >= :dueAfter')
  if (overdue === true) conditions.push(`(${overdueSql})`)
  if (overdue === false) conditions.push(`NOT (${overdueSql})`)
  const rows = await sequelize.query<TaskListItem & { total: string | number }>(
    `SELECT t.id, t.title, t.description, t.status, t.priority, t.due_at AS "dueAt",
            t.assignee_id AS "assigneeId", u.name AS "assigneeName", t.created_by_id AS "createdById",
            t.contact_id AS "contactId", t.deal_id AS "dealId", t.customer_id AS "customerId",
            t.completed_at AS "completedAt", t.created_at AS "createdAt", t.updated_at AS "updatedAt",
            (${overdueSql}) AS overdue,
            count(*) OVER () AS total
       FROM tasks t
       LEFT JOIN users u ON u.id = t.assignee_id
      ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
      ORDER BY t.due_at ASC NULLS LAST, t.created_at ASC, t.id ASC
      LIMIT :limit`,
    {
      replacements: {
        assigneeId: assigneeId ?? null,
        statuses: statuses ?? [],
        dueBefore: dueBefore ?? null,
        dueAfter: dueAfter ?? null,
        now,
        limit,
      },
      transaction,
      type: QueryTypes.SELECT,
    },
  )
  return {
    tasks: rows.map(({ total: _total, ...task }) => task),
    total: rows.length > 0 ? Number(rows[0]!.total) : 0,
  }
}

/** Due before now and still open. `coalesce`: a task without a due date is never overdue. */
const overdueSql = `coalesce(t.due_at < :now, false) AND t.status NOT IN ('done', 'cancelled')`
