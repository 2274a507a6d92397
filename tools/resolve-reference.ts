import { AppError } from '../core/index.ts'
import { type PlainRecord, type RecordKindName, requireRecord, searchRecordsByText } from '../db/index.ts'
import type { ToolContext } from './tool-definition.ts'

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export interface ResolveReferenceOptions {
  kind: RecordKindName
  /** An id, or a name/email to search for. */
  reference: string
  /** Attributes a name is searched in. */
  searchIn: string[]
  /** How a candidate is shown ("Ada Lovelace <ada@example.com>"). */
  label(record: PlainRecord): string
}

/**
 * Turns an id or a name into one record of the current workspace. A name matching several
 * records is never guessed: the error carries the candidates (id + label) so the model or the
 * user can pick one. Another workspace's id is "not found", like any unknown id.
 */
export async function resolveReference(
  { tenant }: ToolContext,
  { kind, reference, searchIn, label }: ResolveReferenceOptions,
): Promise<PlainRecord> {
  const text = reference.trim()
  const readable = kind.replace('_', ' ')
  if (uuidPattern.test(text)) return requireRecord(tenant, { kind, id: text })
  const matches = await searchRecordsByText(tenant, { kind, attributes: searchIn, text, limit: 10 })
  // An exact name (or label) match wins over partial matches: "Acme" picks "Acme", not "Acme Labs".
  const wanted = text.toLowerCase()
  const exact = matches.filter(
    (record) =>
      label(record).toLowerCase() === wanted ||
      searchIn.some((attribute) => String(record[attribute] ?? '').toLowerCase() === wanted),
  )
  const candidates = exact.length === 1 ? exact : matches
  if (candidates.length === 1) return candidates[0]!
  if (candidates.length === 0) {
    throw new AppError('not_found', { message: `No ${readable} matches "${text}" in this workspace.` })
  }
  throw new AppError('ambiguous_reference', {
    message: `"${text}" matches ${candidates.length} ${readable}s; name one by id.`,
    details: { candidates: candidates.map((record) => ({ id: record.id, label: label(record) })) },
  })
}
