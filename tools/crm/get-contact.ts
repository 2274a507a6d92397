import { z } from 'zod'
import { findMember, findRecord, listInteractions } from '../../db/index.ts'
import { quoteName } from '../format.ts'
import { recordReference } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'
import { contactName, resolveContact } from './crm-helpers.ts'

/** How many recent interactions get_contact shows. */
const recentInteractions = 5

/** get_contact: one person, with their company and what happened with them lately. */
export const getContactTool = defineTool({
  name: 'get_contact',
  category: 'crm',
  risk: 'read',
  description:
    'Get one contact (a person) by id, full name, first or last name, or email: their details, the customer ' +
    `(company) they belong to, their owner and the latest ${recentInteractions} interactions (calls, emails, meetings, notes). ` +
    'If the name matches several contacts, the error lists the candidates with their ids; ask which one is meant.',
  inputSchema: z.object({
    contact: recordReference('contact'),
  }),
  async prepare(context, input) {
    const contact = await resolveContact(context, input.contact)
    return { input: { contact: contact.id }, facts: { name: contactName(contact) } }
  },
  summarize(input, facts) {
    return `Look up contact ${quoteName(facts.name ?? input.contact)}`
  },
  async execute(context, input) {
    const { tenant } = context
    const contact = await resolveContact(context, input.contact)
    const customer = contact.customerId
      ? await findRecord(tenant, { kind: 'customer', id: String(contact.customerId) })
      : undefined
    const owner = contact.ownerId
      ? await findMember(tenant, { idOrEmail: String(contact.ownerId) })
      : undefined
    const interactions = await listInteractions(tenant, { contactId: contact.id, limit: recentInteractions })
    const name = contactName(contact)
    return {
      result: {
        contact: {
          id: contact.id,
          name,
          firstName: contact.firstName,
          lastName: contact.lastName,
          email: contact.email,
          phone: contact.phone,
          title: contact.title,
          customerId: contact.customerId,
          customerName: customer?.name ?? null,
          ownerId: contact.ownerId,
          ownerName: owner?.name ?? null,
          createdAt: contact.createdAt,
        },
        latestInteractions: interactions,
      },
      resultSummary: `Found contact ${quoteName(name)}${customer ? ` at ${customer.name}` : ''} with ${interactions.length} recent interaction(s)`,
    }
  },
})
