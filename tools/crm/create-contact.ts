import { z } from 'zod'
import { createRecord } from '../../db/index.ts'
import { quoteName } from '../format.ts'
import { recordId, recordReference } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'
import {
  assertEmailUnused,
  contactName,
  emailAddress,
  requireMember,
  resolveCustomer,
} from './crm-helpers.ts'

/** create_contact: a new person in the CRM, optionally at a customer. */
export const createContactTool = defineTool({
  name: 'create_contact',
  category: 'crm',
  risk: 'write',
  description:
    'Create a contact (a person) in the CRM. Give at least a first name; add last name, email, phone, job title ' +
    'and the customer (company) they work for, by customer id or name, when known. The owner defaults to the ' +
    'member asking. Refuses an email address another contact already has (it names that contact). ' +
    'Returns the created contact.',
  inputSchema: z.object({
    firstName: z
      .string()
      .trim()
      .min(1, 'a contact needs a first name')
      .max(200)
      .describe('First (given) name.'),
    lastName: z.string().trim().max(200).optional().describe('Last (family) name.'),
    email: emailAddress('Email address.').optional(),
    phone: z.string().trim().min(3).max(50).optional().describe('Phone number, as given.'),
    title: z.string().trim().max(200).optional().describe('Job title, e.g. "VP of Sales".'),
    customer: recordReference('customer (company) the contact works for').optional(),
    ownerId: recordId('owner (workspace member user); default: the member asking').optional(),
  }),
  async prepare(context, input) {
    const { tenant, actor } = context
    const facts: Record<string, unknown> = {}
    let customerId: string | undefined
    if (input.customer) {
      const customer = await resolveCustomer(context, input.customer)
      customerId = customer.id
      facts.customerName = customer.name
    }
    if (input.email) await assertEmailUnused(tenant, { email: input.email })
    const ownerId = input.ownerId ?? actor.userId
    facts.ownerName = (await requireMember(tenant, { userId: ownerId })).name
    return { input: { ...input, customer: customerId, ownerId }, facts }
  },
  summarize(input, facts) {
    const name = contactName({ id: '', firstName: input.firstName, lastName: input.lastName ?? '' })
    const role = [input.title, facts.customerName ? `at ${facts.customerName}` : ''].filter(Boolean).join(' ')
    const details = [role, input.email].filter(Boolean).join(', ')
    return `Create contact ${quoteName(name)}${details ? ` (${details})` : ''}`
  },
  async execute(context, input) {
    const { tenant, actor } = context
    const customer = input.customer ? await resolveCustomer(context, input.customer) : undefined
    if (input.email) await assertEmailUnused(tenant, { email: input.email })
    const contact = await createRecord(tenant, {
      kind: 'contact',
      values: {
        firstName: input.firstName,
        lastName: input.lastName ?? '',
        email: input.email ?? null,
        phone: input.phone ?? null,
        title: input.title ?? null,
        customerId: customer?.id ?? null,
        ownerId: input.ownerId ?? actor.userId,
      },
    })
    const name = contactName(contact)
    return {
      result: { contact: { ...contact, name, customerName: customer?.name ?? null } },
      resultSummary: `Created contact ${quoteName(name)}${customer ? ` at ${customer.name}` : ''}`,
      undo: {
        type: 'create',
        records: [{ kind: 'contact', id: contact.id, updatedAt: contact.updatedAt as Date }],
      },
    }
  },
})
