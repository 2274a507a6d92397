import { z } from 'zod'
import { AppError, type Clock, isAppError } from '../../core/index.ts'
import {
  type DeletableKind,
  type DeleteEffect,
  deleteRecord,
  findDeleteEffects,
  findMember,
  type MemberSummary,
  type PlainRecord,
  requireRecord,
  searchRecordsByText,
  type TenantTransaction,
} from '../../db/index.ts'
import { resolveReference } from '../resolve-reference.ts'
import type { ToolContext, UndoState } from '../tool-definition.ts'

/** Shared pieces of the CRM tools: name resolution, member checks, date rules, delete-with-undo. */

/** "Ada Lovelace" (a contact's display name). */
export function contactName(contact: PlainRecord): string {
  return `${String(contact.firstName ?? '')} ${String(contact.lastName ?? '')}`.trim()
}

/** "Ada Lovelace <ada@example.com>": how a contact candidate is shown when a name is ambiguous. */
export function contactLabel(contact: PlainRecord): string {
  return contact.email ? `${contactName(contact)} <${String(contact.email)}>` : contactName(contact)
}

/**
 * A contact by id, full name, first/last name or email; ambiguous names come back as candidates.
 * A full name that is exactly one candidate's name picks that one ("Ada Lovelace" over "Ada
 * Lovelace-Byron"), as resolveReference already does for a single attribute.
 */
export async function resolveContact(context: ToolContext, reference: string): Promise<PlainRecord> {
  try {
    return await resolveReference(context, {
      kind: 'contact',
      reference,
      searchIn: ['firstName', 'lastName', 'email'],
      label: contactLabel,
    })
  } catch (error) {
    if (!isAppError(error) || error.code !== 'ambiguous_reference') throw error
    const wanted = reference.trim().replace(/\s+/g, ' ').toLowerCase()
    const candidates = (error.details?.candidates ?? []) as { id: string; label: string }[]
    const exact = candidates.filter((candidate) => {
      const label = candidate.label.toLowerCase()
      return label === wanted || label.startsWith(`${wanted} <`)
    })
    if (exact.length !== 1) throw error
    return requireRecord(context.tenant, { kind: 'contact', id: exact[0]!.id })
  }
}

/** A customer by id, name or domain; ambiguous names come back as candidates. */
export function resolveCustomer(context: ToolContext, reference: string): Promise<PlainRecord> {
  return resolveReference(context, {
    kind: 'customer',
    reference,
    searchIn: ['name', 'domain'],
    label: (customer) => (customer.domain ? `${customer.name} (${customer.domain})` : String(customer.name)),
  })
}

/**
 * The workspace member a record is to be owned by. Checked up front for a clear message; the
 * composite foreign key to workspace_members refuses a non-member at write time anyway.
 */
export async function requireMember(
  tenant: TenantTransaction,
  { userId, field = 'ownerId' }: { userId: string; field?: string },
): Promise<MemberSummary> {
  const member = await findMember(tenant, { idOrEmail: userId })
  if (!member) {
    throw new AppError('validation_failed', {
      message: `${field} ${userId} is not a member of this workspace.`,
    })
  }
  return member
}

/** Dates a moment ago still count as "now": the request may have taken a few seconds to arrive. */
const clockSlackMs = 60_000

/** Refuses a date-time before now (a follow-up, a due date): those make no sense in the past. */
export function assertNotPast({ clock, value, field }: { clock: Clock; value: string; field: string }): void {
  if (new Date(value).getTime() < clock.now().getTime() - clockSlackMs) {
    throw new AppError('validation_failed', {
      message: `${field} ${value} is in the past; give a future date.`,
    })
  }
}

/** Refuses a date-time after now (something that already happened). */
export function assertNotFuture({
  clock,
  value,
  field,
}: {
  clock: Clock
  value: string
  field: string
}): void {
  if (new Date(value).getTime() > clock.now().getTime() + clockSlackMs) {
    throw new AppError('validation_failed', {
      message: `${field} ${value} is in the future; log what already happened (or create a task for what is planned).`,
    })
  }
}

/** Today as YYYY-MM-DD in UTC. */
export function today(clock: Clock): string {
  return clock.now().toISOString().slice(0, 10)
}

/** Refuses a second contact with the same email address (case-insensitive). */
export async function assertEmailUnused(
  tenant: TenantTransaction,
  { email, exceptId }: { email: string; exceptId?: string },
): Promise<void> {
  const matches = await searchRecordsByText(tenant, {
    kind: 'contact',
    attributes: ['email'],
    text: email,
    limit: 20,
  })
  const existing = matches.find(
    (contact) => String(contact.email ?? '').toLowerCase() === email.toLowerCase() && contact.id !== exceptId,
  )
  if (existing) {
    throw new AppError('conflict', {
      message: `${contactLabel(existing)} already has the email ${email} (contact id ${existing.id}).`,
      details: { existing: { id: existing.id, label: contactLabel(existing) } },
    })
  }
}

/** "1 interaction", "3 interactions". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

const effectNouns: Record<string, string> = {
  interaction: 'interaction',
  campaign_recipient: 'campaign membership',
  deal: 'deal',
  prospect: 'prospect',
  task: 'task',
}

/**
 * " and 3 interactions; unlink 2 deals, 1 task": what a delete takes with it, from counts per
 * affected kind (`cascade` rows go with the record, `set_null` rows only lose the link).
 */
export function describeDeleteEffects(counts: { kind: string; onDelete: string; count: number }[]): string {
  const phrase = (onDelete: string) =>
    counts
      .filter((item) => item.onDelete === onDelete && item.count > 0)
      .map((item) => plural(item.count, effectNouns[item.kind] ?? item.kind.replace('_', ' ')))
      .join(', ')
  const removed = phrase('cascade')
  const unlinked = phrase('set_null')
  return `${removed ? ` and ${removed}` : ''}${unlinked ? `; unlink ${unlinked}` : ''}`
}

/** Counts per affected kind, the shape summaries and results use. */
export type EffectCounts = { kind: string; onDelete: DeleteEffect['onDelete']; count: number }[]

/**
 * Deletes a contact or a deal together with everything the schema cascades, and returns the undo
 * steps that put all of it back.
 *
 * The record is locked first, so no new reference to it can appear before the delete (inserting
 * a reference takes a key-share lock on it and waits). The steps are listed in the order the
 * effects happen: references set to null, cascaded rows deleted, the record itself deleted.
 * `applyUndo` replays them in reverse, so the record is restored first, then its child rows
 * (whose foreign keys need it), and last the references that pointed at it.
 */
export async function deleteWithDependents(
  tenant: TenantTransaction,
  { kind, id }: { kind: DeletableKind; id: string },
): Promise<{ record: PlainRecord; counts: EffectCounts; undo: UndoState }> {
  await requireRecord(tenant, { kind, id, lock: true })
  const effects = await findDeleteEffects(tenant, { kind, id })
  const record = await deleteRecord(tenant, { kind, id })
  const unlinks: UndoState[] = []
  const removals: UndoState[] = []
  for (const { effect, records } of effects) {
    for (const dependent of records) {
      if (effect.onDelete === 'set_null') {
        unlinks.push({
          type: 'update',
          kind: effect.kind,
          id: dependent.id,
          before: { [effect.attribute]: id },
          after: { [effect.attribute]: null },
        })
      } else {
        removals.push({ type: 'delete', kind: effect.kind, record: dependent })
      }
    }
  }
  return {
    record,
    counts: effects.map(({ effect, records }) => ({
      kind: effect.kind,
      onDelete: effect.onDelete,
      count: records.length,
    })),
    undo: { type: 'steps', steps: [...unlinks, ...removals, { type: 'delete', kind, record }] },
  }
}

/** Optional free text that an update may clear with null. */
export const clearableText = (max: number, description: string) =>
  z
    .string()
    .trim()
    .max(max)
    .transform((value) => value || null)
    .nullable()
    .optional()
    .describe(`${description} null (or an empty string) clears it.`)

/** An email address, trimmed and lower-cased. */
export const emailAddress = (description: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .check(z.email({ message: 'expected an email address like ada@example.com' }))
    .describe(description)

/** A score from 0 (cold) to 100 (ready to buy). */
export const prospectScore = z
  .number()
  .int('expected a whole number')
  .min(0, 'a score is between 0 and 100')
  .max(100, 'a score is between 0 and 100')
  .describe('How likely the prospect is to buy, 0 (cold) to 100 (ready to buy).')
