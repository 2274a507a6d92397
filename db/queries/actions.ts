import { Op, QueryTypes } from 'sequelize'
import type { TenantTransaction } from '../database.ts'
import type {
  ActionHistoryAttributes,
  AutonomyPreferenceAttributes,
  PendingActionAttributes,
} from '../models/index.ts'
import type {
  ActionChannel,
  ActionHistoryStatus,
  AutonomyMode,
  AutonomyScopeType,
  PendingActionStatus,
  ToolRisk,
} from '../vocabulary.ts'

export type PendingActionRecord = PendingActionAttributes
export type ActionHistoryRecord = ActionHistoryAttributes
export type AutonomyPreferenceRecord = AutonomyPreferenceAttributes

/** The member's own autonomy preferences and the workspace defaults (`userId` null). */
export async function listAutonomyPreferences(
  { models, transaction }: TenantTransaction,
  { userId }: { userId: string },
): Promise<AutonomyPreferenceRecord[]> {
  const rows = await models.AutonomyPreference.findAll({
    where: { [Op.or]: [{ userId }, { userId: null }] },
    order: [
      ['scopeType', 'ASC'],
      ['scope', 'ASC'],
    ],
    transaction,
  })
  return rows.map((row) => row.get({ plain: true }))
}

/**
 * Sets (or with `mode` null, clears) one preference. `userId` null sets a workspace default; the
 * caller has checked the actor may do that.
 */
export async function setAutonomyPreference(
  { sequelize, transaction }: TenantTransaction,
  {
    userId,
    scopeType,
    scope,
    mode,
    setById,
  }: {
    userId: string | null
    scopeType: AutonomyScopeType
    scope: string
    mode: AutonomyMode | null
    setById: string
  },
): Promise<void> {
  if (mode === null) {
    await sequelize.query(
      `DELETE FROM user_autonomy_preferences
        WHERE user_id IS NOT DISTINCT FROM :userId AND scope_type = :scopeType AND scope = :scope`,
      { replacements: { userId, scopeType, scope }, transaction },
    )
    return
  }
  await sequelize.query(
    `INSERT INTO user_autonomy_preferences (workspace_id, user_id, scope_type, scope, mode, set_by_id)
     VALUES (nullif(current_setting('app.workspace_id', true), '')::uuid, :userId, :scopeType, :scope, :mode, :setById)
     ON CONFLICT (workspace_id, user_id, scope_type, scope)
     DO UPDATE SET mode = EXCLUDED.mode, set_by_id = EXCLUDED.set_by_id, updated_at = now()`,
    { replacements: { userId, scopeType, scope, mode, setById }, transaction },
  )
}

export interface NewPendingAction {
  tool: string
  input: Record<string, unknown>
  inputHash: string
  summary: string
  risk: ToolRisk
  requestedById: string
  channel: ActionChannel
  conversationId?: string | null | undefined
  messageId?: string | null | undefined
  toolCallId?: string | null | undefined
  expiresAt: Date
}

export async function createPendingAction(
  { models, transaction }: TenantTransaction,
  action: NewPendingAction,
): Promise<PendingActionRecord> {
  const row = await models.PendingAction.create(
    {
      ...action,
      conversationId: action.conversationId ?? null,
      messageId: action.messageId ?? null,
      toolCallId: action.toolCallId ?? null,
      status: 'pending',
      decidedById: null,
      decidedAt: null,
      result: null,
      error: null,
    },
    { transaction },
  )
  return row.get({ plain: true })
}

export async function findPendingAction(
  { models, transaction }: TenantTransaction,
  { id }: { id: string },
): Promise<PendingActionRecord | undefined> {
  const row = await models.PendingAction.findByPk(id, { transaction })
  return row?.get({ plain: true })
}

/**
 * The one atomic decision: moves a pending, unexpired action to `status` and returns it, or returns
 * undefined when it was no longer pending (someone decided first) or has expired. Concurrent
 * callers serialize on the row lock; exactly one of them gets the row.
 */
export async function claimPendingAction(
  { sequelize, transaction }: TenantTransaction,
  {
    id,
    status,
    decidedById,
    now,
  }: { id: string; status: 'executing' | 'rejected'; decidedById: string; now: Date },
): Promise<boolean> {
  const rows = await sequelize.query(
    `UPDATE pending_actions SET status = :status, decided_by_id = :decidedById, decided_at = :now, updated_at = :now
      WHERE id = :id AND status = 'pending' AND expires_at > :now
      RETURNING id`,
    { replacements: { id, status, decidedById, now }, transaction, type: QueryTypes.SELECT },
  )
  return rows.length === 1
}

/** Records the outcome of a claimed action. */
export async function finishPendingAction(
  { models, transaction }: TenantTransaction,
  {
    id,
    status,
    result,
    error,
  }: { id: string; status: PendingActionStatus; result?: unknown; error?: string | null },
): Promise<void> {
  await models.PendingAction.update(
    { status, result: result ?? null, error: error ?? null },
    { where: { id }, transaction },
  )
}

/** Marks pending actions whose time has passed as expired; returns their ids. */
export async function expirePendingActions(
  { sequelize, transaction }: TenantTransaction,
  { now, ids }: { now: Date; ids?: string[] },
): Promise<string[]> {
  const rows = (await sequelize.query(
    `UPDATE pending_actions SET status = 'expired', updated_at = :now
      WHERE status = 'pending' AND expires_at <= :now ${ids ? 'AND id IN (:ids)' : ''}
      RETURNING id`,
    { replacements: { now, ids: ids ?? [] }, transaction, type: QueryTypes.SELECT },
  )) as { id: string }[]
  return rows.map((row) => row.id)
}

/**
 * Cancels still-pending actions (an assistant turn that failed before its approval request reached
 * anyone), so no orphan approval can run later; returns the ids cancelled.
 */
export async function cancelPendingActions(
  { sequelize, transaction }: TenantTransaction,
  { ids, reason, now }: { ids: string[]; reason: string; now: Date },
): Promise<string[]> {
  if (ids.length === 0) return []
  const rows = (await sequelize.query(
    `UPDATE pending_actions SET status = 'cancelled', error = :reason, updated_at = :now
      WHERE status = 'pending' AND id IN (:ids) RETURNING id`,
    { replacements: { ids, reason, now }, transaction, type: QueryTypes.SELECT },
  )) as { id: string }[]
  return rows.map((row) => row.id)
}

export async function listPendingActions(
  { models, transaction }: TenantTransaction,
  { status, limit, offset }: { status: PendingActionStatus; limit: number; offset: number },
): Promise<PendingActionRecord[]> {
  const rows = await models.PendingAction.findAll({
    where: { status },
    order: [
      ['createdAt', 'DESC'],
      ['id', 'ASC'],
    ],
    limit,
    offset,
    transaction,
  })
  return rows.map((row) => row.get({ plain: true }))
}

export interface NewActionHistory {
  actorUserId: string | null
  tool: string
  risk: ToolRisk
  input: Record<string, unknown>
  status: ActionHistoryStatus
  resultSummary?: string | null
  result?: unknown
  error?: string | null
  durationMs?: number | null
  channel: ActionChannel
  conversationId?: string | null | undefined
  pendingActionId?: string | null
  undoState?: unknown
  undoesActionId?: string | null
}

/** Appends one entry to the action history (the table is insert-only for the app). */
export async function recordActionHistory(
  { models, transaction }: TenantTransaction,
  entry: NewActionHistory,
): Promise<ActionHistoryRecord> {
  const row = await models.ActionHistory.create(
    {
      actorUserId: entry.actorUserId,
      tool: entry.tool,
      risk: entry.risk,
      input: entry.input,
      status: entry.status,
      resultSummary: entry.resultSummary ?? null,
      result: entry.result ?? null,
      error: entry.error ?? null,
      durationMs: entry.durationMs ?? null,
      channel: entry.channel,
      conversationId: entry.conversationId ?? null,
      pendingActionId: entry.pendingActionId ?? null,
      undoState: entry.undoState ?? null,
      undoesActionId: entry.undoesActionId ?? null,
    },
    { transaction },
  )
  return row.get({ plain: true })
}

export async function findActionHistory(
  { models, transaction }: TenantTransaction,
  where:
    | { id: string }
    | { pendingActionId: string; status: ActionHistoryStatus }
    | { undoesActionId: string },
): Promise<ActionHistoryRecord | undefined> {
  const row = await models.ActionHistory.findOne({ where, transaction })
  return row?.get({ plain: true })
}

export async function listActionHistory(
  { models, transaction }: TenantTransaction,
  { status, limit, offset }: { status?: ActionHistoryStatus | undefined; limit: number; offset: number },
): Promise<ActionHistoryRecord[]> {
  const rows = await models.ActionHistory.findAll({
    where: status ? { status } : {},
    order: [
      ['createdAt', 'DESC'],
      ['id', 'ASC'],
    ],
    limit,
    offset,
    transaction,
  })
  return rows.map((row) => row.get({ plain: true }))
}

/**
 * How many times in a row the member's most recent decisions on `tool` (their own requests) were
 * approvals; a rejection ends the streak.
 */
export async function countConsecutiveApprovals(
  { sequelize, transaction }: TenantTransaction,
  { userId, tools, window = 50 }: { userId: string; tools: string[]; window?: number },
): Promise<Record<string, number>> {
  if (tools.length === 0) return {}
  const rows = (await sequelize.query(
    `SELECT tool, status FROM (
       SELECT tool, status, decided_at, created_at,
              row_number() OVER (PARTITION BY tool ORDER BY decided_at DESC, created_at DESC) AS position
         FROM pending_actions
        WHERE requested_by_id = :userId AND tool IN (:tools) AND decided_at IS NOT NULL
          AND status IN ('executing', 'executed', 'failed', 'approved', 'rejected')
     ) recent WHERE position <= :window ORDER BY tool, position`,
    { replacements: { userId, tools, window }, transaction, type: QueryTypes.SELECT },
  )) as { tool: string; status: string }[]
  const streaks: Record<string, number> = {}
  const ended = new Set<string>()
  for (const row of rows) {
    streaks[row.tool] ??= 0
    if (ended.has(row.tool)) continue
    if (row.status === 'rejected') ended.add(row.tool)
    else streaks[row.tool]! += 1
  }
  return streaks
}
