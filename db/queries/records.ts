import { type Model, Op, type Order, type WhereOptions } from 'sequelize'
import { z } from 'zod'
import type { TenantTransaction } from '../database.ts'
import type { Models } from '../models/index.ts'
import {
  campaignChannels,
  campaignStatuses,
  customerStatuses,
  dealStages,
  prospectStages,
  taskPriorities,
  taskStatuses,
} from '../vocabulary.ts'

const id = z.uuid({ message: 'expected a record id (uuid)' })

interface RecordListSpec {
  model: keyof Models
  /** Columns (attribute names) `q` searches, case-insensitively. */
  searchable: string[]
  /** Allowed filters: query parameter -> schema; the parameter names the attribute. */
  filters: z.ZodRawShape
  order: Order
}

/**
 * The read-only record lists of the HTTP API. A filter not listed here is an error (the HTTP layer
 * answers 400), so a typo never silently returns everything.
 */
export const recordListSpecs = {
  customers: {
    model: 'Customer',
    searchable: ['name', 'domain', 'industry'],
    filters: { status: z.enum(customerStatuses), ownerId: id },
    order: [
      ['name', 'ASC'],
      ['id', 'ASC'],
    ],
  },
  contacts: {
    model: 'Contact',
    searchable: ['firstName', 'lastName', 'email', 'title'],
    filters: { customerId: id, ownerId: id },
    order: [
      ['lastName', 'ASC'],
      ['firstName', 'ASC'],
      ['id', 'ASC'],
    ],
  },
  prospects: {
    model: 'Prospect',
    searchable: ['name', 'companyName', 'email', 'source'],
    filters: { stage: z.enum(prospectStages), ownerId: id },
    order: [
      ['score', 'DESC'],
      ['name', 'ASC'],
      ['id', 'ASC'],
    ],
  },
  deals: {
    model: 'Deal',
    searchable: ['name'],
    filters: { stage: z.enum(dealStages), ownerId: id, customerId: id },
    order: [
      ['expectedCloseDate', 'ASC NULLS LAST'],
      ['name', 'ASC'],
      ['id', 'ASC'],
    ],
  },
  tasks: {
    model: 'Task',
    searchable: ['title', 'description'],
    filters: { status: z.enum(taskStatuses), priority: z.enum(taskPriorities), assigneeId: id, dealId: id },
    order: [
      ['dueAt', 'ASC NULLS LAST'],
      ['createdAt', 'ASC'],
      ['id', 'ASC'],
    ],
  },
  campaigns: {
    model: 'Campaign',
    searchable: ['name', 'subject'],
    filters: { status: z.enum(campaignStatuses), channel: z.enum(campaignChannels) },
    order: [
      ['createdAt', 'DESC'],
      ['id', 'ASC'],
    ],
  },
} satisfies Record<string, RecordListSpec>

export type RecordKind = keyof typeof recordListSpecs

export const recordKinds = Object.keys(recordListSpecs) as RecordKind[]

export const maxPageSize = 100

export interface ListRecordsOptions {
  kind: RecordKind
  q?: string | undefined
  filters?: Record<string, string>
  limit: number
  offset: number
}

export interface RecordPage {
  data: Record<string, unknown>[]
  page: { limit: number; offset: number; hasMore: boolean; nextOffset: number | null }
}

/** One page of a record list in the current workspace (row-level security does the scoping). */
export async function listRecords(
  { transaction, models }: TenantTransaction,
  { kind, q, filters = {}, limit, offset }: ListRecordsOptions,
): Promise<RecordPage> {
  const spec: RecordListSpec = recordListSpecs[kind]
  const model = models[spec.model] as unknown as { findAll(options: object): Promise<Model[]> }
  const conditions: WhereOptions[] = Object.entries(filters).map(([attribute, value]) => ({
    [attribute]: value,
  }))
  const search = q?.trim()
  if (search) {
    const pattern = `%${search.replace(/[\\%_]/g, (character) => `\\${character}`)}%`
    conditions.push({
      [Op.or]: spec.searchable.map((attribute) => ({ [attribute]: { [Op.iLike]: pattern } })),
    })
  }
  const rows = await model.findAll({
    where: conditions.length > 0 ? { [Op.and]: conditions } : {},
    order: spec.order,
    limit: limit + 1,
    offset,
    transaction,
  })
  const hasMore = rows.length > limit
  return {
    data: rows.slice(0, limit).map((row) => row.get({ plain: true }) as Record<string, unknown>),
    page: { limit, offset, hasMore, nextOffset: hasMore ? offset + limit : null },
  }
}
