import { createHash } from 'node:crypto'
import { QueryTypes } from 'sequelize'
import type { TenantTransaction } from '../database.ts'
import type { InsightSeverity, InsightStatus } from '../vocabulary.ts'
import { selectRows } from './select-rows.ts'

/** A tool call an insight suggests; `relativeDates` are filled in at accept time (e.g. `{ dueAt: 1 }`: tomorrow). */
export interface SuggestedAction {
  tool: string
  input: Record<string, unknown>
  /** The button text, e.g. "Create a follow-up task". */
  label: string
  /** Input fields set to "now + N days" when the action runs (ISO date-time; `expectedCloseDate`: a date). */
  relativeDates?: Record<string, number> | undefined
}

/** A record an insight is about. */
export interface InsightEntity {
  kind: 'deal' | 'task' | 'prospect' | 'campaign' | 'customer'
  id: string
  name: string
}

/** What a detector found, for one member. */
export interface DetectedInsight {
  type: string
  severity: InsightSeverity
  title: string
  body: string
  entities: InsightEntity[]
  data?: Record<string, unknown> | undefined
  userId: string
  dedupeKey: string
  suggestedAction?: SuggestedAction | undefined
}

export interface InsightRecord {
  id: string
  type: string
  severity: InsightSeverity
  title: string
  body: string
  entities: InsightEntity[]
  data: Record<string, unknown>
  userId: string
  dedupeKey: string
  status: InsightStatus
  suggestedAction: SuggestedAction | null
  snoozedUntil: Date | null
  decidedAt: Date | null
  actionId: string | null
  actionStatus: string | null
  firstDetectedAt: Date
  lastDetectedAt: Date
  resolvedAt: Date | null
  createdAt: Date
  updatedAt: Date
}

const insightColumns = `id, type, severity, title, body, entities, data, user_id AS "userId", dedupe_key AS "dedupeKey",
  status, suggested_action AS "suggestedAction", snoozed_until AS "snoozedUntil", decided_at AS "decidedAt",
  action_id AS "actionId", action_status AS "actionStatus", first_detected_at AS "firstDetectedAt",
  last_detected_at AS "lastDetectedAt", resolved_at AS "resolvedAt", created_at AS "createdAt", updated_at AS "updatedAt"`

/** Rows per upsert statement: bounds the JSON parameter on very large runs. */
const upsertBatchSize = 2_000

/** A raised (or re-opened) insight, as the notifications need it. */
export interface UpsertedInsight {
  id: string
  userId: string
  type: string
  severity: InsightSeverity
  title: string
  body: string
  status: InsightStatus
  inserted: boolean
}

/** What a finding says (text, severity, entities, action): equal fingerprints need no rewrite. */
export function insightFingerprint(insight: DetectedInsight): string {
  return createHash('sha1')
    .update(
      JSON.stringify([
        insight.severity,
        insight.title,
        insight.body,
        insight.entities,
        insight.suggestedAction ?? null,
      ]),
    )
    .digest('base64url')
}

/**
 * The fingerprints of the unresolved insights of some types, keyed by `<user id> <dedupe key>`: a
 * run sends only findings that are new or changed, so an hourly run over an unchanged workspace
 * writes nothing.
 */
export async function listInsightFingerprints(
  tenant: TenantTransaction,
  { types }: { types: readonly string[] },
): Promise<Map<string, string>> {
  if (types.length === 0) return new Map()
  const rows = await bindRows<{ key: string; fingerprint: string | null }>(
    tenant,
    `SELECT user_id::text || ' ' || dedupe_key AS key, data ->> 'fingerprint' AS fingerprint
       FROM proactive_insights WHERE resolved_at IS NULL AND type = ANY($1::text[])`,
    [types],
  )
  return new Map(rows.map((row) => [row.key, row.fingerprint ?? '']))
}

/**
 * Raises or refreshes insights in one statement per batch. An unresolved insight with the same
 * member and dedupe key keeps its status (so a dismissed or snoozed insight is not raised again
 * while its condition holds) and is rewritten only when its fingerprint (text, severity, entities,
 * action) changed:
 * an hourly run over an unchanged workspace writes nothing. Returns the newly raised insights.
 */
export async function upsertInsights(
  tenant: TenantTransaction,
  { insights, runId, now }: { insights: readonly DetectedInsight[]; runId: string; now: Date },
): Promise<UpsertedInsight[]> {
  const raised: UpsertedInsight[] = []
  for (let start = 0; start < insights.length; start += upsertBatchSize) {
    const batch = insights.slice(start, start + upsertBatchSize).map((insight) => ({
      type: insight.type,
      severity: insight.severity,
      title: insight.title,
      body: insight.body,
      entities: insight.entities,
      data: { ...insight.data, fingerprint: insightFingerprint(insight) },
      user_id: insight.userId,
      dedupe_key: insight.dedupeKey,
      suggested_action: insight.suggestedAction ?? null,
    }))
    // Why the workspace comes from the tenant context: row-level security would refuse any other.
    // Bound parameters, not replacements: the batch travels as one parameter instead of being escaped
    // into megabytes of SQL text.
    const rows = await bindRows<UpsertedInsight>(
      tenant,
      `WITH upserted AS (
         INSERT INTO proactive_insights AS p (workspace_id, type, severity, title, body, entities, data, user_id,
                dedupe_key, suggested_action, first_detected_at, last_detected_at, last_run_id)
         SELECT $1, r.type, r.severity, r.title, r.body, r.entities, r.data, r.user_id, r.dedupe_key,
                r.suggested_action, $2, $2, $3
           FROM jsonb_to_recordset($4::jsonb) AS r(type text, severity text, title text, body text,
                entities jsonb, data jsonb, user_id uuid, dedupe_key text, suggested_action jsonb)
         ON CONFLICT (workspace_id, user_id, dedupe_key) WHERE resolved_at IS NULL DO UPDATE SET
                severity = excluded.severity, title = excluded.title, body = excluded.body,
                entities = excluded.entities, data = excluded.data, suggested_action = excluded.suggested_action,
                last_detected_at = excluded.last_detected_at, last_run_id = excluded.last_run_id
          WHERE p.data ->> 'fingerprint' IS DISTINCT FROM excluded.data ->> 'fingerprint'
         RETURNING p.id, p.user_id AS "userId", p.type, p.severity, p.title, p.body, p.status, (p.xmax = 0) AS inserted
       )
       SELECT * FROM upserted WHERE inserted`,
      [tenant.workspaceId, now, runId, JSON.stringify(batch)],
    )
    raised.push(...rows)
  }
  return raised
}

/**
 * Resolves every unresolved insight of the given types whose member and dedupe key are not among
 * `found`: its condition no longer holds. Open and snoozed ones become `resolved`; dismissed and
 * accepted ones keep their status. Either way the dedupe key is free again.
 */
export async function resolveVanishedInsights(
  tenant: TenantTransaction,
  {
    types,
    found,
    now,
  }: { types: readonly string[]; found: readonly Pick<DetectedInsight, 'userId' | 'dedupeKey'>[]; now: Date },
): Promise<string[]> {
  if (types.length === 0) return []
  const keys = found.map((insight) => `${insight.userId} ${insight.dedupeKey}`)
  // NOT IN over a subquery becomes a hashed subplan: one pass however many insights are open (a
  // correlated NOT EXISTS over a function scan was quadratic: 11 s at 8k insights).
  const rows = await bindRows<{ id: string }>(
    tenant,
    `UPDATE proactive_insights p
        SET status = CASE WHEN p.status IN ('open', 'snoozed') THEN 'resolved' ELSE p.status END,
            snoozed_until = NULL, resolved_at = $1
      WHERE p.resolved_at IS NULL AND p.type = ANY($2::text[])
        AND (p.user_id::text || ' ' || p.dedupe_key) NOT IN (SELECT jsonb_array_elements_text($3::jsonb))
      RETURNING p.id`,
    [now, types, JSON.stringify(keys)],
  )
  return rows.map((row) => row.id)
}

/** A statement with positional bound parameters ($1, $2, ...) in the tenant transaction. */
async function bindRows<Row extends object>(
  { sequelize, transaction }: TenantTransaction,
  sql: string,
  bind: unknown[],
): Promise<Row[]> {
  return (await sequelize.query(sql, { bind, transaction, type: QueryTypes.SELECT })) as Row[]
}

/** Snoozed insights whose snooze has ended and whose condition still holds become open again. */
export async function wakeSnoozedInsights(
  tenant: TenantTransaction,
  { now }: { now: Date },
): Promise<UpsertedInsight[]> {
  return selectRows<UpsertedInsight>(
    tenant,
    `UPDATE proactive_insights SET status = 'open', snoozed_until = NULL
      WHERE status = 'snoozed' AND snoozed_until <= :now AND resolved_at IS NULL
      RETURNING id, user_id AS "userId", type, severity, title, body, status, false AS inserted`,
    { now },
  )
}

/** One member's insights, newest first. */
export async function listInsights(
  tenant: TenantTransaction,
  {
    userId,
    statuses,
    limit,
    offset,
  }: { userId: string; statuses?: readonly InsightStatus[] | undefined; limit: number; offset: number },
): Promise<InsightRecord[]> {
  return selectRows<InsightRecord>(
    tenant,
    `SELECT ${insightColumns} FROM proactive_insights
      WHERE user_id = :userId ${statuses && statuses.length > 0 ? 'AND status IN (:statuses)' : ''}
      ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset`,
    { userId, statuses: statuses ?? [], limit, offset },
  )
}

/** One insight of the current workspace, or undefined. */
export async function findInsight(
  tenant: TenantTransaction,
  { id }: { id: string },
): Promise<InsightRecord | undefined> {
  const rows = await selectRows<InsightRecord>(
    tenant,
    `SELECT ${insightColumns} FROM proactive_insights WHERE id = :id`,
    { id },
  )
  return rows[0]
}

/**
 * Moves an insight from one of `from` to `status` atomically (a concurrent decision finds it
 * moved and gets undefined). Returns the updated insight.
 */
export async function transitionInsight(
  tenant: TenantTransaction,
  {
    id,
    from,
    status,
    now,
    snoozedUntil = null,
    actionId,
    actionStatus,
  }: {
    id: string
    from: readonly InsightStatus[]
    status: InsightStatus
    now: Date
    snoozedUntil?: Date | null
    actionId?: string | undefined
    actionStatus?: string | undefined
  },
): Promise<InsightRecord | undefined> {
  const rows = await selectRows<InsightRecord>(
    tenant,
    `UPDATE proactive_insights
        SET status = :status, snoozed_until = :snoozedUntil, decided_at = :now,
            action_id = coalesce(:actionId, action_id), action_status = coalesce(:actionStatus, action_status)
      WHERE id = :id AND status IN (:from)
      RETURNING ${insightColumns}`,
    {
      id,
      from,
      status,
      now,
      snoozedUntil,
      actionId: actionId ?? null,
      actionStatus: actionStatus ?? null,
    },
  )
  return rows[0]
}

/** Records what became of the action an accepted insight created (pending, executed, ...). */
export async function setInsightActionStatus(
  tenant: TenantTransaction,
  { actionId, actionStatus }: { actionId: string; actionStatus: string },
): Promise<number> {
  const rows = await selectRows<{ id: string }>(
    tenant,
    'UPDATE proactive_insights SET action_status = :actionStatus WHERE action_id = :actionId RETURNING id',
    { actionId, actionStatus },
  )
  return rows.length
}

/** The workspace's insight settings (raw, validated by the caller) and its time zone. */
export async function readInsightSettings(
  tenant: TenantTransaction,
): Promise<{ settings: unknown; timeZone: string; name: string }> {
  // Why no id filter: row-level security shows exactly the current workspace.
  const rows = await selectRows<{ settings: unknown; timeZone: string; name: string }>(
    tenant,
    `SELECT settings -> 'insights' AS settings, time_zone AS "timeZone", name FROM workspaces`,
  )
  return rows[0] ?? { settings: undefined, timeZone: 'UTC', name: '' }
}

/** Replaces the workspace's stored insight settings (`workspaces.settings.insights`); returns them. */
export async function saveInsightSettings(
  tenant: TenantTransaction,
  { settings }: { settings: Record<string, unknown> },
): Promise<Record<string, unknown>> {
  // Why the id filter as well: row-level security already limits this to the current workspace.
  const rows = await selectRows<{ settings: Record<string, unknown> }>(
    tenant,
    `UPDATE workspaces SET settings = jsonb_set(settings, '{insights}', CAST(:settings AS jsonb))
      WHERE id = :workspaceId RETURNING settings -> 'insights' AS settings`,
    { settings: JSON.stringify(settings), workspaceId: tenant.workspaceId },
  )
  return rows[0]?.settings ?? {}
}
