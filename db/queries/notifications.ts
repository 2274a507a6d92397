import type { TenantTransaction } from '../database.ts'
import type { NotificationChannel } from '../vocabulary.ts'
import { selectRows } from './select-rows.ts'

export type NotificationKind = 'insight' | 'insights' | 'digest'

export interface NewNotification {
  userId: string
  kind: NotificationKind
  title: string
  body: string
  insightId?: string | null | undefined
  data?: Record<string, unknown> | undefined
  /** Set for notifications that must exist at most once per member (e.g. `digest:2026-03-02`). */
  dedupeKey?: string | undefined
  /** The channels it is pushed to beyond the in-app list. */
  pushedTo: readonly NotificationChannel[]
}

export interface NotificationRecord {
  id: string
  userId: string
  kind: NotificationKind
  title: string
  body: string
  insightId: string | null
  data: Record<string, unknown>
  pushedTo: NotificationChannel[]
  readAt: Date | null
  createdAt: Date
}

const notificationColumns = `id, user_id AS "userId", kind, title, body, insight_id AS "insightId", data,
  pushed_to AS "pushedTo", read_at AS "readAt", created_at AS "createdAt"`

/**
 * Inserts notifications; one whose dedupe key a member already has is skipped (not returned), so a
 * digest retried by the queue is not sent twice.
 */
export async function createNotifications(
  tenant: TenantTransaction,
  { notifications, now }: { notifications: readonly NewNotification[]; now: Date },
): Promise<NotificationRecord[]> {
  if (notifications.length === 0) return []
  const rows = notifications.map((notification) => ({
    user_id: notification.userId,
    kind: notification.kind,
    title: notification.title,
    body: notification.body,
    insight_id: notification.insightId ?? null,
    data: notification.data ?? {},
    dedupe_key: notification.dedupeKey ?? null,
    pushed_to: notification.pushedTo,
  }))
  return selectRows<NotificationRecord>(
    tenant,
    `INSERT INTO notifications (workspace_id, user_id, kind, title, body, insight_id, data, dedupe_key, pushed_to,
            created_at, updated_at)
     SELECT :workspaceId, r.user_id, r.kind, r.title, r.body, r.insight_id, r.data, r.dedupe_key,
            ARRAY(SELECT jsonb_array_elements_text(r.pushed_to)), :now, :now
       FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(user_id uuid, kind text, title text, body text,
            insight_id uuid, data jsonb, dedupe_key text, pushed_to jsonb)
     ON CONFLICT (workspace_id, user_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
     RETURNING ${notificationColumns}`,
    { workspaceId: tenant.workspaceId, rows: JSON.stringify(rows), now },
  )
}

/** One member's notifications, newest first. */
export async function listNotifications(
  tenant: TenantTransaction,
  {
    userId,
    unread,
    limit,
    offset,
  }: { userId: string; unread?: boolean | undefined; limit: number; offset: number },
): Promise<NotificationRecord[]> {
  return selectRows<NotificationRecord>(
    tenant,
    `SELECT ${notificationColumns} FROM notifications
      WHERE user_id = :userId ${unread ? 'AND read_at IS NULL' : ''}
      ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset`,
    { userId, limit, offset },
  )
}

/** Marks one of the member's notifications read (idempotent). Undefined when it is not theirs. */
export async function markNotificationRead(
  tenant: TenantTransaction,
  { id, userId, now }: { id: string; userId: string; now: Date },
): Promise<NotificationRecord | undefined> {
  const rows = await selectRows<NotificationRecord>(
    tenant,
    `UPDATE notifications SET read_at = coalesce(read_at, :now)
      WHERE id = :id AND user_id = :userId RETURNING ${notificationColumns}`,
    { id, userId, now },
  )
  return rows[0]
}

export interface NotificationPreferences {
  userId: string
  channels: NotificationChannel[]
  /** Quiet hours in minutes after local midnight (workspace time zone); both null: none. */
  quietStartMinute: number | null
  quietEndMinute: number | null
  /** Only the daily digest is pushed; single insights stay in the in-app list. */
  digestOnly: boolean
}

/** What a member without a stored row gets. */
export const defaultNotificationPreferences: Omit<NotificationPreferences, 'userId'> = {
  channels: ['widget', 'slack'],
  quietStartMinute: null,
  quietEndMinute: null,
  digestOnly: false,
}

/** The preferences of the given members (defaults for members without a row). */
export async function listNotificationPreferences(
  tenant: TenantTransaction,
  { userIds }: { userIds: readonly string[] },
): Promise<Map<string, NotificationPreferences>> {
  const result = new Map<string, NotificationPreferences>()
  if (userIds.length === 0) return result
  const rows = await selectRows<NotificationPreferences>(
    tenant,
    `SELECT user_id AS "userId", channels, quiet_start_minute AS "quietStartMinute",
            quiet_end_minute AS "quietEndMinute", digest_only AS "digestOnly"
       FROM notification_preferences WHERE user_id IN (:userIds)`,
    { userIds },
  )
  for (const row of rows) result.set(row.userId, row)
  for (const userId of userIds) {
    if (!result.has(userId)) result.set(userId, { userId, ...defaultNotificationPreferences })
  }
  return result
}

/** Stores a member's preferences (insert or replace). */
export async function saveNotificationPreferences(
  tenant: TenantTransaction,
  preferences: NotificationPreferences,
): Promise<NotificationPreferences> {
  const rows = await selectRows<NotificationPreferences>(
    tenant,
    `INSERT INTO notification_preferences (workspace_id, user_id, channels, quiet_start_minute, quiet_end_minute, digest_only)
     VALUES (:workspaceId, :userId, array_remove(ARRAY[:channels]::text[], ''), :quietStartMinute, :quietEndMinute, :digestOnly)
     ON CONFLICT (workspace_id, user_id) DO UPDATE SET channels = excluded.channels,
            quiet_start_minute = excluded.quiet_start_minute, quiet_end_minute = excluded.quiet_end_minute,
            digest_only = excluded.digest_only
     RETURNING user_id AS "userId", channels, quiet_start_minute AS "quietStartMinute",
               quiet_end_minute AS "quietEndMinute", digest_only AS "digestOnly"`,
    {
      workspaceId: tenant.workspaceId,
      userId: preferences.userId,
      // ARRAY[] of nothing has no type; a placeholder keeps the SQL valid and array_remove drops it.
      channels: preferences.channels.length > 0 ? preferences.channels : [''],
      quietStartMinute: preferences.quietStartMinute,
      quietEndMinute: preferences.quietEndMinute,
      digestOnly: preferences.digestOnly,
    },
  )
  return rows[0]!
}
