import { hash } from 'node:crypto'
import { setImmediate } from 'node:timers/promises'
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

/**
 * Rows per upsert statement. Bounds the JSON parameter (about 1.5 MB per 2,000 insights) so the
 * server never spills it to disk, while a first run over a big workspace still takes only a few
 * statements.
 */
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
  /** The button text of its suggested action, when it has one. */
  actionLabel?: string | undefined
}

/** A finding ready to write: what it says as JSON, and the fingerprint of that. */
export interface FingerprintedInsight {
  insight: DetectedInsight
  /**
   * `[severity, title, body, entities, suggestedAction]` as JSON: what a member reads. It is hashed
   * for the fingerprint and reused verbatim in the upsert payload, so a finding is serialized once.
   */
  content: string
  /** Equal fingerprints need no rewrite. */
  fingerprint: string
}

/** Serializes and fingerprints a finding (text, severity, entities, action). */
export function fingerprintInsight(insight: DetectedInsight): FingerprintedInsight {
  const content = JSON.stringify([
    insight.severity,
    insight.title,
    insight.body,
    insight.entities,
    insight.suggestedAction ?? null,
  ])
  // One-shot hash: cheaper than a Hash object per finding, and the same digest.
  return { insight, content, fingerprint: hash('sha1', content, 'base64url') }
}

/**
 * The finding with another body (e.g. phrased by a model) written in its place, under the
 * fingerprint of what the detector found: the next run compares facts, not wording, so it neither
 * rewrites nor re-phrases an unchanged finding.
 */
export function withBody(found: FingerprintedInsight, body: string): FingerprintedInsight {
  const insight = { ...found.insight, body }
  const { content } = fingerprintInsight(insight)
  return { insight, content, fingerprint: found.fingerprint }
}

/** The key that identifies a finding among the unresolved insights: member and dedupe key. */
export function insightKey(insight: Pick<DetectedInsight, 'userId' | 'dedupeKey'>): string {
  return `${insight.userId} ${insight.dedupeKey}`
}

/** An unresolved insight as a run compares it with what the detectors found. */
export interface UnresolvedInsight {
  id: string
  fingerprint: string
  status: InsightStatus
}

/**
 * The unresolved insights of some types (id, fingerprint, status), keyed by `insightKey`: a run sends
 * only findings that are new or changed, so an hourly run over an unchanged workspace writes
 * nothing, and it knows which ones vanished without sending every finding back.
 */
export async function listUnresolvedInsights(
  tenant: TenantTransaction,
  { types }: { types: readonly string[] },
): Promise<Map<string, UnresolvedInsight>> {
  if (types.length === 0) return new Map()
  const rows = await bindRows<{ key: string; id: string; fingerprint: string | null; status: InsightStatus }>(
    tenant,
    `SELECT user_id::text || ' ' || dedupe_key AS key, id, data ->> 'fingerprint' AS fingerprint, status
       FROM proactive_insights WHERE resolved_at IS NULL AND type = ANY($1::text[])`,
    [types],
  )
  return new Map(
    rows.map((row) => [row.key, { id: row.id, fingerprint: row.fingerprint ?? '', status: row.status }]),
  )
}

/**
 * Raises or refreshes insights in one statement per batch. An unresolved insight with the same
 * member and dedupe key keeps its status (so a dismissed or snoozed insight is not raised again
 * while its condition holds) and is rewritten only when its fingerprint (text, severity, entities,
 * action) changed: an hourly run over an unchanged workspace writes nothing. Returns the newly
 * raised insights.
 */
export async function upsertInsights(
  tenant: TenantTransaction,
  { insights, runId, now }: { insights: readonly FingerprintedInsight[]; runId: string; now: Date },
): Promise<UpsertedInsight[]> {
  const byKey = new Map(insights.map(({ insight }) => [insightKey(insight), insight]))
  const raised: UpsertedInsight[] = []
  let payload = insights.length > 0 ? upsertPayload(insights, 0) : undefined
  for (let start = 0; payload !== undefined; start += upsertBatchSize) {
    // Why the workspace comes from the tenant context: row-level security would refuse any other.
    // RETURNING only what identifies the row: the text is already here, and sending it back for
    // thousands of insights cost about a quarter of the statement's server time (measured at 8k).
    const statement = bindRows<{ id: string; userId: string; dedupeKey: string }>(
      tenant,
      `WITH upserted AS (
         INSERT INTO proactive_insights AS p (workspace_id, type, severity, title, body, entities, data, user_id,
                dedupe_key, suggested_action, first_detected_at, last_detected_at, last_run_id)
         SELECT $1, f ->> 5, f ->> 0, f ->> 1, f ->> 2, f -> 3, f -> 6, (f ->> 7)::uuid, f ->> 8,
                nullif(f -> 4, 'null'::jsonb), $2, $2, $3
           FROM jsonb_array_elements($4::jsonb) AS f
         ON CONFLICT (workspace_id, user_id, dedupe_key) WHERE resolved_at IS NULL DO UPDATE SET
                severity = excluded.severity, title = excluded.title, body = excluded.body,
                entities = excluded.entities, data = excluded.data, suggested_action = excluded.suggested_action,
                last_detected_at = excluded.last_detected_at, last_run_id = excluded.last_run_id
          WHERE p.data ->> 'fingerprint' IS DISTINCT FROM excluded.data ->> 'fingerprint'
         RETURNING p.id, p.user_id AS "userId", p.dedupe_key AS "dedupeKey", (p.xmax = 0) AS inserted
       )
       SELECT id, "userId", "dedupeKey" FROM upserted WHERE inserted`,
      [tenant.workspaceId, now, runId, payload],
    )
    // Awaited below; this only keeps an early failure from counting as unhandled meanwhile.
    statement.catch(() => undefined)
    payload = undefined
    if (start + upsertBatchSize < insights.length) {
      // Serialize the next batch while the server inserts this one (once this one is on the wire):
      // one statement in flight at a time, and the two processes work side by side.
      await setImmediate()
      payload = upsertPayload(insights, start + upsertBatchSize)
    }
    for (const row of await statement) {
      const insight = byKey.get(insightKey(row))!
      raised.push({
        id: row.id,
        userId: row.userId,
        type: insight.type,
        severity: insight.severity,
        title: insight.title,
        body: insight.body,
        status: 'open',
        inserted: true,
        actionLabel: insight.suggestedAction?.label,
      })
    }
  }
  return raised
}

/**
 * One upsert batch as a JSON parameter: each finding as a positional array (no repeated key names),
 * `[severity, title, body, entities, suggestedAction, type, data, userId, dedupeKey]`, its first
 * five items the finding's `content` as already serialized. Bound rather than escaped into the SQL
 * text, and parsed once by the server.
 */
function upsertPayload(insights: readonly FingerprintedInsight[], start: number): string {
  const rows = insights.slice(start, start + upsertBatchSize).map(({ insight, content, fingerprint }) => {
    const rest = JSON.stringify([
      insight.type,
      { ...insight.data, fingerprint },
      insight.userId,
      insight.dedupeKey,
    ])
    return `${content.slice(0, -1)},${rest.slice(1)}`
  })
  return `[${rows.join(',')}]`
}

/**
 * Resolves the given unresolved insights: their condition no longer holds. Open and snoozed ones
 * become `resolved`; dismissed and accepted ones keep their status. Either way the dedupe key is
 * free again. One that a concurrent run already resolved is left alone.
 */
export async function resolveInsights(
  tenant: TenantTransaction,
  { ids, now }: { ids: readonly string[]; now: Date },
): Promise<string[]> {
  if (ids.length === 0) return []
  const rows = await bindRows<{ id: string }>(
    tenant,
    `UPDATE proactive_insights p
        SET status = CASE WHEN p.status IN ('open', 'snoozed') THEN 'resolved' ELSE p.status END,
            snoozed_until = NULL, resolved_at = $1
      WHERE p.id = ANY($2::uuid[]) AND p.resolved_at IS NULL
      RETURNING p.id`,
    [now, ids],
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
