import {
  DatabaseError,
  ForeignKeyConstraintError,
  type Model,
  Op,
  UniqueConstraintError,
  ValidationError,
  type WhereOptions,
} from 'sequelize'
import { AppError } from '../../core/index.ts'
import type { TenantTransaction } from '../database.ts'
import type { Models } from '../models/index.ts'

/**
 * Generic, tenant-scoped access to the business records tools change. Every function runs inside
 * `withTenant`, so row-level security decides what exists: another workspace's id is simply
 * "not found". Writes translate constraint violations into clear `AppError`s.
 */
export const recordKindModels = {
  customer: 'Customer',
  contact: 'Contact',
  prospect: 'Prospect',
  deal: 'Deal',
  interaction: 'Interaction',
  task: 'Task',
  campaign: 'Campaign',
  campaign_recipient: 'CampaignRecipient',
} as const satisfies Record<string, keyof Models>

export type RecordKindName = keyof typeof recordKindModels

/** A record as plain JSON-able values (camelCase attributes). */
export type PlainRecord = Record<string, unknown> & { id: string }

interface GenericModel {
  findOne(options: object): Promise<Model | null>
  findAll(options: object): Promise<Model[]>
  create(values: object, options: object): Promise<Model>
  bulkCreate(values: object[], options: object): Promise<Model[]>
  destroy(options: object): Promise<number>
}

function modelOf({ models }: TenantTransaction, kind: RecordKindName): GenericModel {
  return models[recordKindModels[kind]] as unknown as GenericModel
}

function plain(row: Model): PlainRecord {
  return row.get({ plain: true }) as PlainRecord
}

const readable = (kind: RecordKindName) => kind.replace('_', ' ')

/** Turns constraint violations into user-facing validation errors (nothing half-written: the transaction rolls back). */
export function translateDatabaseError(error: unknown, kind: RecordKindName): never {
  if (error instanceof ForeignKeyConstraintError) {
    const parent = error.parent as { detail?: string; constraint?: string } | undefined
    const detail = String(parent?.detail ?? '')
    // Under row-level security Postgres leaves the key out of the detail ("Key is not present in
    // table ..."), so the constraint name (<table>_workspace_id_<column>_fkey) is the fallback.
    const column =
      /\(workspace_id, (\w+)\)/.exec(detail)?.[1] ??
      /Key \((\w+)\)/.exec(detail)?.[1] ??
      /_workspace_id_(\w+?)_fkey$/.exec(String(parent?.constraint ?? ''))?.[1]
    const field = column?.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase())
    throw new AppError('validation_failed', {
      message: field
        ? `${field} does not name a ${field.endsWith('Id') && /owner|assignee|createdBy|user/.test(field) ? 'member' : 'record'} of this workspace.`
        : `The ${readable(kind)} refers to something that does not exist in this workspace.`,
      cause: error,
    })
  }
  if (error instanceof UniqueConstraintError) {
    throw new AppError('conflict', { message: `That ${readable(kind)} already exists.`, cause: error })
  }
  if (error instanceof ValidationError) {
    throw new AppError('validation_failed', {
      message: error.errors.map((item) => item.message).join('; ') || `Invalid ${readable(kind)}.`,
      cause: error,
    })
  }
  if (error instanceof DatabaseError && (error.parent as { code?: string } | undefined)?.code === '23514') {
    const constraint = String((error.parent as { constraint?: string }).constraint ?? '')
    throw new AppError('validation_failed', {
      message: `The ${readable(kind)} values are not allowed together (${constraint || 'check constraint'}).`,
      cause: error,
    })
  }
  if (error instanceof DatabaseError && (error.parent as { code?: string } | undefined)?.code === '22P02') {
    throw new AppError('validation_failed', {
      message: `An id or value for the ${readable(kind)} is malformed.`,
      cause: error,
    })
  }
  throw error
}

/** One record by id, or undefined (also for another workspace's id). */
export async function findRecord(
  tenant: TenantTransaction,
  { kind, id, lock = false }: { kind: RecordKindName; id: string; lock?: boolean },
): Promise<PlainRecord | undefined> {
  const row = await modelOf(tenant, kind).findOne({
    where: { id },
    transaction: tenant.transaction,
    ...(lock ? { lock: tenant.transaction.LOCK.UPDATE } : {}),
  })
  return row ? plain(row) : undefined
}

/** One record by id, or a 404 that says which kind was not found. */
export async function requireRecord(
  tenant: TenantTransaction,
  { kind, id, lock = false }: { kind: RecordKindName; id: string; lock?: boolean },
): Promise<PlainRecord> {
  const record = await findRecord(tenant, { kind, id, lock })
  if (!record)
    throw new AppError('not_found', { message: `No ${readable(kind)} with id ${id} in this workspace.` })
  return record
}

/** Records matching exact attribute values, in a stable order. */
export async function findRecords(
  tenant: TenantTransaction,
  { kind, where, limit = 100 }: { kind: RecordKindName; where: WhereOptions; limit?: number },
): Promise<PlainRecord[]> {
  const rows = await modelOf(tenant, kind).findAll({
    where,
    limit,
    order: [
      ['createdAt', 'ASC'],
      ['id', 'ASC'],
    ],
    transaction: tenant.transaction,
  })
  return rows.map(plain)
}

/**
 * Records where every word of `text` appears (case-insensitive) in at least one of the text
 * attributes, best for name resolution. Word by word, so a full name ("Ada Lovelace") finds the
 * contact whose first name is Ada and last name Lovelace; a single word behaves as a plain
 * substring search.
 */
export async function searchRecordsByText(
  tenant: TenantTransaction,
  {
    kind,
    attributes,
    text,
    limit = 10,
  }: { kind: RecordKindName; attributes: string[]; text: string; limit?: number },
): Promise<PlainRecord[]> {
  const words = text.trim().split(/\s+/).filter(Boolean)
  const pattern = (word: string) => `%${word.replace(/[\\%_]/g, (character) => `\\${character}`)}%`
  return findRecords(tenant, {
    kind,
    where: {
      [Op.and]: words.map((word) => ({
        [Op.or]: attributes.map((attribute) => ({ [attribute]: { [Op.iLike]: pattern(word) } })),
      })),
    },
    limit,
  })
}

/** Creates a record in the current workspace. */
export async function createRecord(
  tenant: TenantTransaction,
  { kind, values }: { kind: RecordKindName; values: Record<string, unknown> },
): Promise<PlainRecord> {
  try {
    return plain(await modelOf(tenant, kind).create(values, { transaction: tenant.transaction }))
  } catch (error) {
    translateDatabaseError(error, kind)
  }
}

/** Creates many records of one kind at once. */
export async function createRecords(
  tenant: TenantTransaction,
  { kind, values }: { kind: RecordKindName; values: Record<string, unknown>[] },
): Promise<PlainRecord[]> {
  if (values.length === 0) return []
  try {
    return (
      await modelOf(tenant, kind).bulkCreate(values, { transaction: tenant.transaction, validate: true })
    ).map(plain)
  } catch (error) {
    translateDatabaseError(error, kind)
  }
}

export interface RecordChange {
  record: PlainRecord
  /** The changed attributes as they were (the before-image undo restores). */
  before: Record<string, unknown>
  /** The changed attributes as they are now. */
  after: Record<string, unknown>
}

/**
 * Updates a record (locked for the rest of the transaction) and reports exactly which attributes
 * changed, before and after. Attributes given with their current value are not "changes".
 */
export async function updateRecord(
  tenant: TenantTransaction,
  { kind, id, changes }: { kind: RecordKindName; id: string; changes: Record<string, unknown> },
): Promise<RecordChange> {
  const row = await modelOf(tenant, kind).findOne({
    where: { id },
    transaction: tenant.transaction,
    lock: tenant.transaction.LOCK.UPDATE,
  })
  if (!row)
    throw new AppError('not_found', { message: `No ${readable(kind)} with id ${id} in this workspace.` })
  const current = plain(row)
  const before: Record<string, unknown> = {}
  const after: Record<string, unknown> = {}
  for (const [attribute, value] of Object.entries(changes)) {
    if (value === undefined || sameValue(current[attribute], value)) continue
    before[attribute] = current[attribute] ?? null
    after[attribute] = value
  }
  if (Object.keys(after).length === 0) return { record: current, before, after }
  try {
    row.set(after)
    await row.save({ transaction: tenant.transaction })
  } catch (error) {
    translateDatabaseError(error, kind)
  }
  const record = plain(row)
  for (const attribute of Object.keys(after)) after[attribute] = record[attribute] ?? null
  return { record, before, after }
}

/** Deletes a record and returns it as it was (for undo). */
export async function deleteRecord(
  tenant: TenantTransaction,
  { kind, id }: { kind: RecordKindName; id: string },
): Promise<PlainRecord> {
  const record = await requireRecord(tenant, { kind, id, lock: true })
  try {
    await modelOf(tenant, kind).destroy({ where: { id }, transaction: tenant.transaction })
  } catch (error) {
    translateDatabaseError(error, kind)
  }
  return record
}

/** Deletes records by id; returns how many existed. */
export async function deleteRecords(
  tenant: TenantTransaction,
  { kind, ids }: { kind: RecordKindName; ids: string[] },
): Promise<number> {
  if (ids.length === 0) return 0
  return modelOf(tenant, kind).destroy({ where: { id: ids }, transaction: tenant.transaction })
}

/** True when two attribute values are the same for change detection (dates by instant, objects by JSON). */
export function sameValue(left: unknown, right: unknown): boolean {
  const normalize = (value: unknown) => {
    if (value instanceof Date) return value.toISOString()
    if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) {
      const parsed = new Date(value)
      return Number.isNaN(parsed.getTime()) ? value : parsed.toISOString()
    }
    return value ?? null
  }
  const a = normalize(left)
  const b = normalize(right)
  return typeof a === 'object' || typeof b === 'object' ? JSON.stringify(a) === JSON.stringify(b) : a === b
}
