import { QueryTypes } from 'sequelize'
import type { TenantTransaction } from '../database.ts'

/**
 * Queries over campaigns and their recipients that the generic record store cannot express:
 * audience selection, idempotent bulk inserts, delivery bookkeeping and status counts. All run
 * inside `withTenant`, so row-level security limits them to the current workspace.
 */

/** Which contacts a recipient operation is about: explicit ids, or a filter over contacts. */
export type RecipientSelection =
  | { contactIds: readonly string[] }
  | {
      filter: {
        customerId?: string | undefined
        customerStatus?: string | undefined
        titleContains?: string | undefined
        emailDomain?: string | undefined
      }
    }

/** The address a campaign channel needs: email campaigns need an email, SMS campaigns a phone. */
export type RecipientAddress = 'email' | 'phone'

/** Fixed SQL (never input): whether contact `c` has the address a channel needs. */
const reachableSql: Record<RecipientAddress, string> = {
  email: `(c.email IS NOT NULL AND btrim(c.email) <> '')`,
  phone: `(c.phone IS NOT NULL AND btrim(c.phone) <> '')`,
}

/** The WHERE clause (fixed fragments) and named replacements selecting contacts `c` (customer `cu`). */
function selectionSql(selection: RecipientSelection): {
  where: string
  replacements: Record<string, unknown>
} {
  if ('contactIds' in selection) {
    // An empty list selects nothing (IN () is not valid SQL).
    if (selection.contactIds.length === 0) return { where: 'false', replacements: {} }
    return { where: 'c.id IN (:contactIds)', replacements: { contactIds: [...selection.contactIds] } }
  }
  const { customerId, customerStatus, titleContains, emailDomain } = selection.filter
  const conditions: string[] = []
  const replacements: Record<string, unknown> = {}
  if (customerId) {
    conditions.push('c.customer_id = :customerId')
    replacements.customerId = customerId
  }
  if (customerStatus) {
    conditions.push('cu.status = :customerStatus')
    replacements.customerStatus = customerStatus
  }
  if (titleContains?.trim()) {
    conditions.push('c.title ILIKE :titlePattern')
    replacements.titlePattern = `%${titleContains.trim().replace(/[\\%_]/g, (character) => `\\${character}`)}%`
  }
  if (emailDomain?.trim()) {
    conditions.push(`split_part(lower(c.email), '@', 2) = :emailDomain`)
    replacements.emailDomain = emailDomain.trim().replace(/^@/, '').toLowerCase()
  }
  return { where: conditions.length > 0 ? conditions.join(' AND ') : 'true', replacements }
}

/** The ids among `ids` that name contacts of the current workspace. */
export async function findExistingContactIds(
  { sequelize, transaction }: TenantTransaction,
  { ids }: { ids: readonly string[] },
): Promise<string[]> {
  if (ids.length === 0) return []
  const rows = await sequelize.query<{ id: string }>('SELECT id FROM contacts WHERE id IN (:ids)', {
    replacements: { ids: [...ids] },
    transaction,
    type: QueryTypes.SELECT,
  })
  return rows.map((row) => row.id)
}

export interface RecipientPreview {
  /** Contacts the selection matches. */
  matched: number
  /** Matched contacts already on the campaign (skipped). */
  alreadyAdded: number
  /** Matched contacts not on the campaign but without the address the channel needs (skipped). */
  unreachable: number
  /** Contacts an add would insert now. */
  toAdd: number
}

/** What adding `selection` to a campaign would do, without doing it. */
export async function previewCampaignRecipients(
  { sequelize, transaction }: TenantTransaction,
  {
    campaignId,
    selection,
    address,
  }: { campaignId: string; selection: RecipientSelection; address: RecipientAddress },
): Promise<RecipientPreview> {
  const { where, replacements } = selectionSql(selection)
  const [row] = await sequelize.query<Record<keyof RecipientPreview, string | number>>(
    `SELECT count(*) AS matched,
            count(*) FILTER (WHERE r.id IS NOT NULL) AS "alreadyAdded",
            count(*) FILTER (WHERE r.id IS NULL AND NOT ${reachableSql[address]}) AS unreachable,
            count(*) FILTER (WHERE r.id IS NULL AND ${reachableSql[address]}) AS "toAdd"
       FROM contacts c
       LEFT JOIN customers cu ON cu.id = c.customer_id
       LEFT JOIN campaign_recipients r ON r.campaign_id = :campaignId AND r.contact_id = c.id
      WHERE ${where}`,
    { replacements: { ...replacements, campaignId }, transaction, type: QueryTypes.SELECT },
  )
  return {
    matched: Number(row?.matched ?? 0),
    alreadyAdded: Number(row?.alreadyAdded ?? 0),
    unreachable: Number(row?.unreachable ?? 0),
    toAdd: Number(row?.toAdd ?? 0),
  }
}

/**
 * Adds the selected, reachable contacts to a campaign as `pending` recipients. Contacts already on
 * the campaign are skipped by the unique (campaign_id, contact_id) constraint, also under
 * concurrent adds; only the rows actually inserted come back.
 */
export async function addCampaignRecipients(
  { sequelize, transaction, workspaceId }: TenantTransaction,
  {
    campaignId,
    selection,
    address,
  }: { campaignId: string; selection: RecipientSelection; address: RecipientAddress },
): Promise<{ id: string; contactId: string; updatedAt: Date }[]> {
  const { where, replacements } = selectionSql(selection)
  return sequelize.query<{ id: string; contactId: string; updatedAt: Date }>(
    `INSERT INTO campaign_recipients (workspace_id, campaign_id, contact_id, status)
     SELECT :workspaceId, :campaignId, c.id, 'pending'
       FROM contacts c
       LEFT JOIN customers cu ON cu.id = c.customer_id
      WHERE ${where} AND ${reachableSql[address]}
      ORDER BY c.id
     ON CONFLICT (campaign_id, contact_id) DO NOTHING
     RETURNING id, contact_id AS "contactId", updated_at AS "updatedAt"`,
    { replacements: { ...replacements, workspaceId, campaignId }, transaction, type: QueryTypes.SELECT },
  )
}

/** Recipient counts per status for each campaign (statuses without recipients are left out). */
export async function countCampaignRecipientsByStatus(
  { sequelize, transaction }: TenantTransaction,
  { campaignIds }: { campaignIds: readonly string[] },
): Promise<Map<string, Record<string, number>>> {
  const counts = new Map<string, Record<string, number>>()
  if (campaignIds.length === 0) return counts
  const rows = await sequelize.query<{ campaignId: string; status: string; count: string | number }>(
    `SELECT campaign_id AS "campaignId", status, count(*) AS count
       FROM campaign_recipients
      WHERE campaign_id IN (:campaignIds)
      GROUP BY campaign_id, status`,
    { replacements: { campaignIds: [...campaignIds] }, transaction, type: QueryTypes.SELECT },
  )
  for (const row of rows) {
    const perStatus = counts.get(row.campaignId) ?? {}
    perStatus[row.status] = Number(row.count)
    counts.set(row.campaignId, perStatus)
  }
  return counts
}

/**
 * Records delivery of a campaign's pending recipients at `now`: those with the address the channel
 * needs become `sent`, those without it (the address was removed after they were added) `bounced`.
 * Returns how many became which.
 */
export async function markPendingRecipientsSent(
  { sequelize, transaction }: TenantTransaction,
  { campaignId, address, now }: { campaignId: string; address: RecipientAddress; now: Date },
): Promise<{ sent: number; bounced: number }> {
  const rows = await sequelize.query<{ status: string; count: string | number }>(
    `WITH updated AS (
       UPDATE campaign_recipients r
          SET status = CASE WHEN ${reachableSql[address]} THEN 'sent' ELSE 'bounced' END,
              status_changed_at = :now
         FROM contacts c
        WHERE c.id = r.contact_id AND r.campaign_id = :campaignId AND r.status = 'pending'
       RETURNING r.status
     )
     SELECT status, count(*) AS count FROM updated GROUP BY status`,
    { replacements: { campaignId, now }, transaction, type: QueryTypes.SELECT },
  )
  const byStatus = Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]))
  return { sent: byStatus.sent ?? 0, bounced: byStatus.bounced ?? 0 }
}
