import { QueryTypes } from 'sequelize'
import type { TenantTransaction } from '../database.ts'
import { type PlainRecord, type RecordKindName, recordKindModels } from './record-store.ts'

/**
 * The CRM tools' reads: searches that join the names a person (or a model) wants to see next to
 * an id (customer, contact, owner), and what deleting a contact or a deal takes with it. Everything
 * runs inside `withTenant`, so row-level security scopes every table of every join.
 */

/** A page of search results: at most `limit` rows and how many match in all. */
export interface SearchResult<Row> {
  rows: Row[]
  total: number
}

interface TextSearch {
  /** Words to look for; every word must appear in at least one of the searched columns. */
  query?: string | undefined
  limit: number
}

/**
 * One SQL condition per word of `query` ("ada lovelace" -> first name Ada AND last name Lovelace),
 * each word a named replacement with LIKE wildcards escaped.
 */
function wordConditions(
  columns: string[],
  query: string | undefined,
  replacements: Record<string, unknown>,
): string[] {
  const words = (query ?? '').trim().split(/\s+/).filter(Boolean).slice(0, 8)
  return words.map((word, index) => {
    replacements[`word${index}`] = `%${word.replace(/[\\%_]/g, (character) => `\\${character}`)}%`
    return `(${columns.map((column) => `${column} ILIKE :word${index}`).join(' OR ')})`
  })
}

async function searchRows<Row>(
  { sequelize, transaction }: TenantTransaction,
  {
    sql,
    conditions,
    replacements,
  }: { sql: string; conditions: string[]; replacements: Record<string, unknown> },
): Promise<SearchResult<Row>> {
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''
  const rows = await sequelize.query<Row & { total: string | number }>(sql.replace('/*where*/', where), {
    replacements,
    transaction,
    type: QueryTypes.SELECT,
  })
  return {
    rows: rows.map(({ total: _total, ...row }) => row as Row),
    total: rows.length > 0 ? Number(rows[0]!.total) : 0,
  }
}

export interface CustomerSearchRow {
  id: string
  name: string
  domain: string | null
  industry: string | null
  status: string
  ownerId: string | null
  ownerName: string | null
  notes: string | null
  contactCount: number
  openDealCount: number
}

/** Customers by name, domain or industry; optionally one status or owner. Alphabetical. */
export async function searchCustomers(
  tenant: TenantTransaction,
  {
    query,
    status,
    ownerId,
    limit,
  }: TextSearch & { status?: string | undefined; ownerId?: string | undefined },
): Promise<SearchResult<CustomerSearchRow>> {
  const replacements: Record<string, unknown> = { limit, status, ownerId }
  const conditions = wordConditions(['c.name', 'c.domain', 'c.industry'], query, replacements)
  if (status) conditions.push('c.status = :status')
  if (ownerId) conditions.push('c.owner_id = :ownerId')
  const result = await searchRows<CustomerSearchRow>(tenant, {
    sql: `SELECT c.id, c.name, c.domain, c.industry, c.status, c.owner_id AS "ownerId", u.name AS "ownerName",
                 c.notes,
                 (SELECT count(*) FROM contacts k WHERE k.customer_id = c.id) AS "contactCount",
                 (SELECT count(*) FROM deals d WHERE d.customer_id = c.id AND d.closed_at IS NULL) AS "openDealCount",
                 count(*) OVER () AS total
            FROM customers c
            LEFT JOIN users u ON u.id = c.owner_id
            /*where*/
           ORDER BY lower(c.name), c.id
           LIMIT :limit`,
    conditions,
    replacements,
  })
  for (const row of result.rows) {
    row.contactCount = Number(row.contactCount)
    row.openDealCount = Number(row.openDealCount)
  }
  return result
}

export interface ContactSearchRow {
  id: string
  firstName: string
  lastName: string
  email: string | null
  phone: string | null
  title: string | null
  customerId: string | null
  customerName: string | null
  ownerId: string | null
}

/** Contacts by name, email or title; optionally one customer's. By last name, then first name. */
export async function searchContacts(
  tenant: TenantTransaction,
  { query, customerId, limit }: TextSearch & { customerId?: string | undefined },
): Promise<SearchResult<ContactSearchRow>> {
  const replacements: Record<string, unknown> = { limit, customerId }
  const conditions = wordConditions(
    ['k.first_name', 'k.last_name', 'k.email', 'k.title'],
    query,
    replacements,
  )
  if (customerId) conditions.push('k.customer_id = :customerId')
  return searchRows<ContactSearchRow>(tenant, {
    sql: `SELECT k.id, k.first_name AS "firstName", k.last_name AS "lastName", k.email, k.phone, k.title,
                 k.customer_id AS "customerId", c.name AS "customerName", k.owner_id AS "ownerId",
                 count(*) OVER () AS total
            FROM contacts k
            LEFT JOIN customers c ON c.id = k.customer_id
            /*where*/
           ORDER BY lower(k.last_name), lower(k.first_name), k.id
           LIMIT :limit`,
    conditions,
    replacements,
  })
}

export interface ProspectSearchRow {
  id: string
  name: string
  companyName: string | null
  email: string | null
  contactId: string | null
  stage: string
  score: number
  source: string | null
  ownerId: string | null
  ownerName: string | null
  nextFollowUpAt: Date | null
  /** An open prospect (not won or lost) whose next follow-up is before `now`. */
  followUpOverdue: boolean
  notes: string | null
}

/** A follow-up is overdue when its time has passed and the prospect is still open. */
const followUpOverdueSql = `coalesce(p.next_follow_up_at < :now, false) AND p.stage NOT IN ('won', 'lost')`

/** Prospects by name, company, email or source, with filters; the hottest (highest score) first. */
export async function searchProspects(
  tenant: TenantTransaction,
  {
    query,
    stage,
    minScore,
    ownerId,
    followUpOverdue,
    now,
    limit,
  }: TextSearch & {
    stage?: string | undefined
    minScore?: number | undefined
    ownerId?: string | undefined
    /** `true`: only overdue follow-ups; `false`: only prospects without one; undefined: both. */
    followUpOverdue?: boolean | undefined
    /** "Now" for deciding what is overdue (the injected clock). */
    now: Date
  },
): Promise<SearchResult<ProspectSearchRow>> {
  const replacements: Record<string, unknown> = { limit, stage, minScore, ownerId, now }
  const conditions = wordConditions(['p.name', 'p.company_name', 'p.email', 'p.source'], query, replacements)
  if (stage) conditions.push('p.stage = :stage')
  if (minScore !== undefined) conditions.push('p.score >= :minScore')
  if (ownerId) conditions.push('p.owner_id = :ownerId')
  if (followUpOverdue === true) conditions.push(`(${followUpOverdueSql})`)
  if (followUpOverdue === false) conditions.push(`NOT (${followUpOverdueSql})`)
  return searchRows<ProspectSearchRow>(tenant, {
    sql: `SELECT p.id, p.name, p.company_name AS "companyName", p.email, p.contact_id AS "contactId", p.stage,
                 p.score, p.source, p.owner_id AS "ownerId", u.name AS "ownerName",
                 p.next_follow_up_at AS "nextFollowUpAt", (${followUpOverdueSql}) AS "followUpOverdue", p.notes,
                 count(*) OVER () AS total
            FROM prospects p
            LEFT JOIN users u ON u.id = p.owner_id
            /*where*/
           ORDER BY p.score DESC, lower(p.name), p.id
           LIMIT :limit`,
    conditions,
    replacements,
  })
}

export interface DealSearchRow {
  id: string
  name: string
  stage: string
  valueCents: number
  currency: string
  expectedCloseDate: string | null
  closedAt: Date | null
  customerId: string | null
  customerName: string | null
  contactId: string | null
  contactName: string | null
  ownerId: string | null
  ownerName: string | null
  /** When the latest interaction on the deal happened (null: never). */
  lastInteractionAt: Date | null
}

/** Deals by name (or their customer's name), with filters; soonest expected close first. */
export async function searchDeals(
  tenant: TenantTransaction,
  {
    query,
    stage,
    ownerId,
    customerId,
    open,
    closingBefore,
    limit,
  }: TextSearch & {
    stage?: string | undefined
    ownerId?: string | undefined
    customerId?: string | undefined
    /** `true`: only open deals (not won or lost); `false`: only closed ones; undefined: both. */
    open?: boolean | undefined
    /** Only deals expected to close strictly before this day (YYYY-MM-DD). */
    closingBefore?: string | undefined
  },
): Promise<SearchResult<DealSearchRow>> {
  const replacements: Record<string, unknown> = { limit, stage, ownerId, customerId, closingBefore }
  const conditions = wordConditions(['d.name', 'c.name'], query, replacements)
  if (stage) conditions.push('d.stage = :stage')
  if (ownerId) conditions.push('d.owner_id = :ownerId')
  if (customerId) conditions.push('d.customer_id = :customerId')
  if (open === true) conditions.push('d.closed_at IS NULL')
  if (open === false) conditions.push('d.closed_at IS NOT NULL')
  if (closingBefore) conditions.push('d.expected_close_date < CAST(:closingBefore AS date)')
  const result = await searchRows<DealSearchRow>(tenant, {
    sql: `SELECT d.id, d.name, d.stage, d.value_cents AS "valueCents", d.currency,
                 d.expected_close_date::text AS "expectedCloseDate", d.closed_at AS "closedAt",
                 d.customer_id AS "customerId", c.name AS "customerName",
                 d.contact_id AS "contactId", nullif(btrim(k.first_name || ' ' || k.last_name), '') AS "contactName",
                 d.owner_id AS "ownerId", u.name AS "ownerName",
                 (SELECT max(i.occurred_at) FROM crm_interactions i WHERE i.deal_id = d.id) AS "lastInteractionAt",
                 count(*) OVER () AS total
            FROM deals d
            LEFT JOIN customers c ON c.id = d.customer_id
            LEFT JOIN contacts k ON k.id = d.contact_id
            LEFT JOIN users u ON u.id = d.owner_id
            /*where*/
           ORDER BY d.expected_close_date ASC NULLS LAST, lower(d.name), d.id
           LIMIT :limit`,
    conditions,
    replacements,
  })
  for (const row of result.rows) row.valueCents = Number(row.valueCents)
  return result
}

export interface InteractionListItem {
  id: string
  type: string
  occurredAt: Date
  summary: string
  contactId: string | null
  dealId: string | null
  dealName: string | null
  customerId: string | null
  userId: string | null
  userName: string | null
}

/** The latest interactions with a contact, a deal or a customer, newest first. */
export async function listInteractions(
  { sequelize, transaction }: TenantTransaction,
  {
    contactId,
    dealId,
    customerId,
    limit,
  }: {
    contactId?: string | undefined
    dealId?: string | undefined
    customerId?: string | undefined
    limit: number
  },
): Promise<InteractionListItem[]> {
  const conditions: string[] = []
  if (contactId) conditions.push('i.contact_id = :contactId')
  if (dealId) conditions.push('i.deal_id = :dealId')
  if (customerId) conditions.push('i.customer_id = :customerId')
  if (conditions.length === 0) return []
  return sequelize.query<InteractionListItem>(
    `SELECT i.id, i.type, i.occurred_at AS "occurredAt", i.summary, i.contact_id AS "contactId",
            i.deal_id AS "dealId", d.name AS "dealName", i.customer_id AS "customerId",
            i.user_id AS "userId", u.name AS "userName"
       FROM crm_interactions i
       LEFT JOIN deals d ON d.id = i.deal_id
       LEFT JOIN users u ON u.id = i.user_id
      WHERE ${conditions.join(' AND ')}
      ORDER BY i.occurred_at DESC, i.id
      LIMIT :limit`,
    {
      replacements: {
        contactId: contactId ?? null,
        dealId: dealId ?? null,
        customerId: customerId ?? null,
        limit,
      },
      transaction,
      type: QueryTypes.SELECT,
    },
  )
}

/** How deleting a record affects rows that refer to it: the schema's ON DELETE rules. */
export interface DeleteEffect {
  /** The referring rows' kind and table. */
  kind: RecordKindName
  table: string
  /** The referring column and its attribute name. */
  column: string
  attribute: string
  /** `cascade`: the referring rows are deleted too; `set_null`: they lose the reference. */
  onDelete: 'cascade' | 'set_null'
}

/**
 * Every reference to a contact or a deal, as migrations/20261122000200-crm.ts declares it (a test
 * compares this list with the live catalog, so a new reference cannot go unnoticed). Delete tools
 * use it to capture what a delete takes with it, so undo can put all of it back.
 */
export const deleteEffects = {
  contact: [
    {
      kind: 'interaction',
      table: 'crm_interactions',
      column: 'contact_id',
      attribute: 'contactId',
      onDelete: 'cascade',
    },
    {
      kind: 'campaign_recipient',
      table: 'campaign_recipients',
      column: 'contact_id',
      attribute: 'contactId',
      onDelete: 'cascade',
    },
    { kind: 'deal', table: 'deals', column: 'contact_id', attribute: 'contactId', onDelete: 'set_null' },
    {
      kind: 'prospect',
      table: 'prospects',
      column: 'contact_id',
      attribute: 'contactId',
      onDelete: 'set_null',
    },
    { kind: 'task', table: 'tasks', column: 'contact_id', attribute: 'contactId', onDelete: 'set_null' },
  ],
  deal: [
    {
      kind: 'interaction',
      table: 'crm_interactions',
      column: 'deal_id',
      attribute: 'dealId',
      onDelete: 'cascade',
    },
    { kind: 'task', table: 'tasks', column: 'deal_id', attribute: 'dealId', onDelete: 'set_null' },
  ],
} as const satisfies Partial<Record<RecordKindName, readonly DeleteEffect[]>>

export type DeletableKind = keyof typeof deleteEffects

interface RowModel {
  findAll(options: object): Promise<{ get(options: { plain: true }): unknown }[]>
  count(options: object): Promise<number>
}

const modelFor = ({ models }: TenantTransaction, kind: RecordKindName) =>
  models[recordKindModels[kind]] as unknown as RowModel

/**
 * Every row that deleting the record would delete (cascade) or unlink (set null), in full, oldest
 * first, locked for the rest of the transaction. Lock the record itself first (`requireRecord(..., { lock: true })`): a new reference to a
 * locked row has to wait, so the list stays complete until the transaction ends.
 */
export async function findDeleteEffects(
  tenant: TenantTransaction,
  { kind, id }: { kind: DeletableKind; id: string },
): Promise<{ effect: DeleteEffect; records: PlainRecord[] }[]> {
  const found = []
  for (const effect of deleteEffects[kind] as readonly DeleteEffect[]) {
    const rows = await modelFor(tenant, effect.kind).findAll({
      where: { [effect.attribute]: id },
      order: [
        ['createdAt', 'ASC'],
        ['id', 'ASC'],
      ],
      transaction: tenant.transaction,
      // Locked, so the images undo restores are exactly what the delete removes or unlinks.
      lock: tenant.transaction.LOCK.UPDATE,
    })
    found.push({ effect, records: rows.map((row) => row.get({ plain: true }) as PlainRecord) })
  }
  return found
}

/** How many rows deleting the record would delete or unlink, per effect (for summaries). */
export async function countDeleteEffects(
  tenant: TenantTransaction,
  { kind, id }: { kind: DeletableKind; id: string },
): Promise<{ effect: DeleteEffect; count: number }[]> {
  const counted = []
  for (const effect of deleteEffects[kind] as readonly DeleteEffect[]) {
    const count = await modelFor(tenant, effect.kind).count({
      where: { [effect.attribute]: id },
      transaction: tenant.transaction,
    })
    counted.push({ effect, count })
  }
  return counted
}
