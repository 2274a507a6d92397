import { Op } from 'sequelize'
import { AppError, isAppError } from '../core/index.ts'
import {
  createRecords,
  deleteRecords,
  findRecord,
  findRecords,
  type PlainRecord,
  type RecordKindName,
  sameValue,
  updateRecord,
} from '../db/index.ts'
import type { ToolContext, UndoState } from './tool-definition.ts'

const readable = (kind: RecordKindName) => kind.replace('_', ' ')

/**
 * Reverses what an action did, from its stored UndoState, inside the caller's transaction (so a
 * refused step leaves everything as it was). An update is restored only if the record still holds
 * the values the action wrote; a created record is removed only if nobody changed it since; a
 * deleted record comes back only if what it refers to still exists. Otherwise a 409 says what
 * stands in the way. Many records of one kind are handled in one statement.
 */
export async function applyUndo(context: ToolContext, state: UndoState): Promise<void> {
  const { tenant } = context
  switch (state.type) {
    case 'update': {
      const current = await findRecord(tenant, { kind: state.kind, id: state.id, lock: true })
      if (!current) {
        throw new AppError('conflict', {
          message: `The ${readable(state.kind)} was deleted since; nothing to restore.`,
        })
      }
      const changed = Object.entries(state.after)
        .filter(([attribute, value]) => !sameValue(current[attribute], value))
        .map(([attribute, value]) => ({
          field: attribute,
          expected: value,
          actual: current[attribute] ?? null,
        }))
      if (changed.length > 0) {
        throw new AppError('conflict', {
          message: `The ${readable(state.kind)} changed since (${changed.map((item) => item.field).join(', ')}); undo would overwrite that.`,
          details: { changed },
        })
      }
      await updateRecord(tenant, { kind: state.kind, id: state.id, changes: state.before })
      return
    }
    case 'create': {
      const byKind = groupByKind(state.records)
      for (const [kind, records] of [...byKind].reverse()) {
        const ids = records.map((record) => record.id)
        const current = await findRecords(tenant, {
          kind,
          where: { id: { [Op.in]: ids } },
          limit: ids.length,
        })
        const expected = new Map(records.map((record) => [record.id, record.updatedAt]))
        const edited = current.filter(
          (record) =>
            expected.get(record.id) !== undefined && !sameValue(record.updatedAt, expected.get(record.id)),
        )
        if (edited.length > 0) {
          throw new AppError('conflict', {
            message: `${edited.length === 1 ? `The ${readable(kind)} was` : `${edited.length} ${readable(kind)}s were`} changed after the action created ${edited.length === 1 ? 'it' : 'them'}; undo would discard those changes.`,
            details: { changed: edited.map((record) => ({ kind, id: record.id })) },
          })
        }
        await deleteRecords(tenant, { kind, ids: current.map((record) => record.id) })
      }
      return
    }
    case 'delete': {
      await restoreRecords(context, state.kind, [state.record])
      return
    }
    case 'steps': {
      // Undone in reverse; consecutive deletes of one kind are restored together.
      const reversed = [...state.steps].reverse()
      for (let index = 0; index < reversed.length; ) {
        const step = reversed[index]!
        if (step.type !== 'delete') {
          await applyUndo(context, step)
          index += 1
          continue
        }
        const batch: PlainRecord[] = []
        while (index < reversed.length) {
          const next = reversed[index]!
          if (next.type !== 'delete' || next.kind !== step.kind) break
          batch.push(next.record)
          index += 1
        }
        await restoreRecords(context, step.kind, batch)
      }
      return
    }
  }
}

/** Puts deleted records back as they were (those already back are left alone). */
async function restoreRecords(
  { tenant }: ToolContext,
  kind: RecordKindName,
  records: PlainRecord[],
): Promise<void> {
  const ids = records.map((record) => record.id)
  const present = new Set(
    (await findRecords(tenant, { kind, where: { id: { [Op.in]: ids } }, limit: ids.length })).map(
      (record) => record.id,
    ),
  )
  try {
    await createRecords(tenant, { kind, values: records.filter((record) => !present.has(record.id)) })
  } catch (error) {
    if (isAppError(error) && error.code === 'validation_failed') {
      throw new AppError('conflict', {
        message: `The ${readable(kind)} cannot be restored: ${error.message}`,
        cause: error,
      })
    }
    throw error
  }
}

function groupByKind<Item extends { kind: RecordKindName }>(items: Item[]): Map<RecordKindName, Item[]> {
  const groups = new Map<RecordKindName, Item[]>()
  for (const item of items) groups.set(item.kind, [...(groups.get(item.kind) ?? []), item])
  return groups
}
