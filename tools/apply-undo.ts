import { AppError } from '../core/index.ts'
import { createRecord, deleteRecords, findRecord, sameValue, updateRecord } from '../db/index.ts'
import type { ToolContext, UndoState } from './tool-definition.ts'

/**
 * Reverses what an action did, from its stored UndoState, inside the caller's transaction. An
 * update is restored only if the record still holds the values the action wrote; otherwise a 409
 * lists what changed since, and nothing is touched.
 */
export async function applyUndo(context: ToolContext, state: UndoState): Promise<void> {
  const { tenant } = context
  switch (state.type) {
    case 'update': {
      const current = await findRecord(tenant, { kind: state.kind, id: state.id, lock: true })
      if (!current) {
        throw new AppError('conflict', {
          message: `The ${state.kind.replace('_', ' ')} was deleted since; nothing to restore.`,
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
          message: `The ${state.kind.replace('_', ' ')} changed since (${changed.map((item) => item.field).join(', ')}); undo would overwrite that.`,
          details: { changed },
        })
      }
      await updateRecord(tenant, { kind: state.kind, id: state.id, changes: state.before })
      return
    }
    case 'create': {
      for (const { kind, id } of [...state.records].reverse())
        await deleteRecords(tenant, { kind, ids: [id] })
      return
    }
    case 'delete': {
      if (await findRecord(tenant, { kind: state.kind, id: state.record.id })) return
      await createRecord(tenant, { kind: state.kind, values: state.record })
      return
    }
    case 'steps': {
      for (const step of [...state.steps].reverse()) await applyUndo(context, step)
      return
    }
  }
}
