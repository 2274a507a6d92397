import { selectRows, type TenantTransaction } from '../../db/index.ts'

export interface DueTodayGroup {
  assigneeId: string
  count: number
  tasks: { id: string; title: string; dueAt: string; priority: string }[]
}

/**
 * Open tasks due today (the local calendar day in the workspace's time zone), per assignee: the
 * heart of the daily digest. Lists at most 10 per member; `count` covers all.
 */
export async function findTasksDueToday(
  tenant: TenantTransaction,
  { now, timeZone }: { now: Date; timeZone: string },
): Promise<DueTodayGroup[]> {
  return selectRows<DueTodayGroup>(
    tenant,
    `WITH today AS (
       SELECT (date_trunc('day', CAST(:now AS timestamptz) AT TIME ZONE :timeZone)) AT TIME ZONE :timeZone AS starts
     )
     SELECT t.assignee_id AS "assigneeId", count(*)::int AS count,
            to_jsonb((array_agg(jsonb_build_object('id', t.id, 'title', t.title, 'dueAt', t.due_at, 'priority', t.priority)
              ORDER BY t.due_at, t.id))[1:10]) AS tasks
       FROM tasks t, today
      WHERE t.status IN ('todo', 'in_progress') AND t.assignee_id IS NOT NULL
        AND t.due_at >= today.starts AND t.due_at < today.starts + interval '1 day'
      GROUP BY t.assignee_id`,
    { now, timeZone },
  )
}
