import { type DetectedInsight, selectRows } from '../../db/index.ts'
import { type DetectorContext, daysBetween, type InsightDetector, plural, recipientsFor } from './detector.ts'

interface OverdueGroupRow {
  assigneeId: string | null
  count: number
  oldestDueAt: Date
  tasks: { id: string; title: string; dueAt: string }[]
}

/** How many tasks an insight names (the count covers them all). */
const listedTasks = 10

/**
 * Open tasks (todo, in progress) due before now, one insight per assignee (unassigned ones go to
 * the owners and admins). Suggests moving the most overdue task to tomorrow.
 */
export const overdueTasksDetector: InsightDetector = {
  type: 'overdue_tasks',
  async detect({ tenant, now, settings, members }: DetectorContext): Promise<DetectedInsight[]> {
    const rows = await selectRows<OverdueGroupRow>(
      tenant,
      `SELECT o.assignee_id AS "assigneeId", max(o.total)::int AS count, min(o.due_at) AS "oldestDueAt",
              jsonb_agg(jsonb_build_object('id', o.id, 'title', o.title, 'dueAt', o.due_at) ORDER BY o.due_at, o.id)
                FILTER (WHERE o.rank <= ${listedTasks}) AS tasks
         FROM (SELECT id, title, due_at, assignee_id,
                      row_number() OVER (PARTITION BY assignee_id ORDER BY due_at, id) AS rank,
                      count(*) OVER (PARTITION BY assignee_id) AS total
                 FROM tasks
                WHERE status IN ('todo', 'in_progress') AND due_at < :now) o
        GROUP BY o.assignee_id`,
      { now },
    )
    return rows.flatMap((group) => {
      const oldest = group.tasks[0]!
      const oldestDays = Math.max(1, daysBetween(new Date(group.oldestDueAt), now))
      const names = group.tasks.map((task) => `"${task.title}"`).join(', ')
      const more = group.count > group.tasks.length ? ` and ${group.count - group.tasks.length} more` : ''
      const owner = group.assigneeId ? 'You have' : 'The workspace has'
      const unassigned = group.assigneeId ? '' : 'unassigned '
      return recipientsFor(group.assigneeId, members).map((userId) => ({
        type: 'overdue_tasks',
        severity: group.count >= settings.overdueTasksCriticalCount ? 'critical' : 'warning',
        title: `${plural(group.count, `overdue ${unassigned}task`)}`,
        body: `${owner} ${plural(group.count, `overdue ${unassigned}task`)}: ${names}${more}. The oldest is ${plural(oldestDays, 'day')} late.`,
        entities: group.tasks.map((task) => ({ kind: 'task' as const, id: task.id, name: task.title })),
        data: { count: group.count, oldestDueAt: group.oldestDueAt },
        userId,
        dedupeKey: `overdue-tasks:${group.assigneeId ?? 'unassigned'}`,
        suggestedAction: {
          tool: 'update_task',
          label: `Move "${oldest.title}" to tomorrow`.slice(0, 200),
          input: { taskId: oldest.id },
          relativeDates: { dueAt: 1 },
        },
      }))
    })
  },
}
