import { z } from 'zod'
import { countDeleteEffects, requireRecord } from '../../db/index.ts'
import { quoteName } from '../format.ts'
import { recordId } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'
import { contactName, deleteWithDependents, describeDeleteEffects } from './crm-helpers.ts'

/** delete_contact: remove a person and their interaction history (undoable). */
export const deleteContactTool = defineTool({
  name: 'delete_contact',
  category: 'crm',
  risk: 'destructive',
  description:
    'Delete a contact (a person) by id. This also deletes their logged interactions and removes them from ' +
    'campaigns; deals, prospects and tasks that mention them stay but lose the link. Find the id with ' +
    'search_contacts or get_contact first, and only delete when the user clearly asked to. Always asks for ' +
    'approval unless an admin allowed it; can be undone, which restores everything it removed.',
  inputSchema: z.object({
    contactId: recordId('contact to delete'),
  }),
  async prepare({ tenant }, input) {
    const contact = await requireRecord(tenant, { kind: 'contact', id: input.contactId })
    const counts = await countDeleteEffects(tenant, { kind: 'contact', id: contact.id })
    return {
      input,
      facts: {
        name: contactName(contact),
        effects: counts.map(({ effect, count }) => ({ kind: effect.kind, onDelete: effect.onDelete, count })),
      },
    }
  },
  summarize(input, facts) {
    const effects = Array.isArray(facts.effects) ? describeDeleteEffects(facts.effects) : ''
    return `Delete contact ${quoteName(facts.name ?? input.contactId)}${effects}`
  },
  async execute({ tenant }, input) {
    const { record, counts, undo } = await deleteWithDependents(tenant, {
      kind: 'contact',
      id: input.contactId,
    })
    const name = contactName(record)
    const count = (kind: string) => counts.find((item) => item.kind === kind)?.count ?? 0
    return {
      result: {
        deleted: { id: record.id, name },
        deletedInteractions: count('interaction'),
        removedFromCampaigns: count('campaign_recipient'),
        unlinked: { deals: count('deal'), prospects: count('prospect'), tasks: count('task') },
      },
      resultSummary: `Deleted contact ${quoteName(name)}${describeDeleteEffects(counts)}`,
      undo,
    }
  },
})
