import { z } from 'zod'
import { countDeleteEffects, requireRecord } from '../../db/index.ts'
import { formatLabel, formatMoney, quoteName } from '../format.ts'
import { recordId } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'
import { deleteWithDependents, describeDeleteEffects } from './crm-helpers.ts'

/** delete_deal: remove a deal and its interaction history (undoable). */
export const deleteDealTool = defineTool({
  name: 'delete_deal',
  category: 'crm',
  risk: 'destructive',
  description:
    'Delete a deal by id. This also deletes the interactions logged on it; tasks about it stay but lose the ' +
    'link. To record that a deal fell through, prefer update_deal with stage lost. Find the id with ' +
    'search_deals first, and only delete when the user clearly asked to. Always asks for approval unless an ' +
    'admin allowed it; can be undone, which restores everything it removed.',
  inputSchema: z.object({
    dealId: recordId('deal to delete'),
  }),
  async prepare({ tenant }, input) {
    const deal = await requireRecord(tenant, { kind: 'deal', id: input.dealId })
    const counts = await countDeleteEffects(tenant, { kind: 'deal', id: deal.id })
    return {
      input,
      facts: {
        name: deal.name,
        stage: deal.stage,
        valueCents: deal.valueCents,
        currency: deal.currency,
        effects: counts.map(({ effect, count }) => ({ kind: effect.kind, onDelete: effect.onDelete, count })),
      },
    }
  },
  summarize(input, facts) {
    const effects = Array.isArray(facts.effects) ? describeDeleteEffects(facts.effects) : ''
    const details =
      typeof facts.valueCents === 'number'
        ? ` (${formatMoney(facts.valueCents, String(facts.currency ?? 'USD'))}, ${formatLabel(String(facts.stage))})`
        : ''
    return `Delete deal ${quoteName(facts.name ?? input.dealId)}${details}${effects}`
  },
  async execute({ tenant }, input) {
    const { record, counts, undo } = await deleteWithDependents(tenant, { kind: 'deal', id: input.dealId })
    const count = (kind: string) => counts.find((item) => item.kind === kind)?.count ?? 0
    return {
      result: {
        deleted: { id: record.id, name: record.name },
        deletedInteractions: count('interaction'),
        unlinked: { tasks: count('task') },
      },
      resultSummary: `Deleted deal ${quoteName(record.name)}${describeDeleteEffects(counts)}`,
      undo,
    }
  },
})
