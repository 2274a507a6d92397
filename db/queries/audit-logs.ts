import type { Transaction } from 'sequelize'
import type { Models } from '../models/index.ts'
import type { auditActorTypes } from '../vocabulary.ts'

export interface AuditEntry {
  /** Needed for system transactions; inside withTenant it defaults to the current workspace. */
  workspaceId?: string
  actorType: (typeof auditActorTypes)[number]
  actorUserId?: string | null | undefined
  /** Dotted, lower-case: `api_key.create`, `member.add`. */
  action: string
  targetType?: string
  targetId?: string
  requestId?: string
  metadata?: Record<string, unknown>
}

/** Appends one entry to the workspace's audit log (append-only for the app role). */
export async function recordAudit(
  { transaction, models }: { transaction: Transaction; models: Models },
  entry: AuditEntry,
): Promise<void> {
  await models.AuditLog.create(
    {
      ...(entry.workspaceId ? { workspaceId: entry.workspaceId } : {}),
      actorType: entry.actorType,
      actorUserId: entry.actorUserId ?? null,
      action: entry.action,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      requestId: entry.requestId ?? null,
      metadata: entry.metadata ?? {},
    },
    { transaction },
  )
}
