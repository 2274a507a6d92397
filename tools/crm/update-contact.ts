import { z } from 'zod'
import { AppError } from '../../core/index.ts'
import { requireRecord, updateRecord } from '../../db/index.ts'
import { quoteName } from '../format.ts'
import { recordId, recordReference } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'
import {
  assertEmailUnused,
  clearableText,
  contactName,
  emailAddress,
  requireMember,
  resolveContact,
  resolveCustomer,
} from './crm-helpers.ts'

const changeable = ['firstName', 'lastName', 'email', 'phone', 'title', 'customer', 'ownerId'] as const

/** update_contact: correct or complete a person's details, move them to another company or owner. */
export const updateContactTool = defineTool({
  name: 'update_contact',
  category: 'crm',
  risk: 'write',
  description:
    'Update a contact (a person): name, email, phone, job title, the customer (company) they work for, or their ' +
    'owner. Name the contact by id, full name or email (an ambiguous name returns candidates). Give only the ' +
    'fields that change; null clears email, phone, title or customer. Returns the updated contact and what changed.',
  inputSchema: z
    .object({
      contact: recordReference('contact to update'),
      firstName: z
        .string()
        .trim()
        .min(1, 'a first name cannot be empty')
        .max(200)
        .optional()
        .describe('New first name.'),
      lastName: z.string().trim().max(200).optional().describe('New last name.'),
      email: emailAddress('New email address; null clears it.').nullable().optional(),
      phone: clearableText(50, 'New phone number.'),
      title: clearableText(200, 'New job title.'),
      customer: recordReference('customer (company) the contact now works for; null detaches them')
        .nullable()
        .optional(),
      ownerId: recordId('new owner (workspace member user)').optional(),
    })
    .refine((input) => changeable.some((field) => input[field] !== undefined), {
      message: `give at least one change (${changeable.join(', ')})`,
    }),
  async prepare(context, input) {
    const { tenant } = context
    const contact = await resolveContact(context, input.contact)
    const facts: Record<string, unknown> = { name: contactName(contact) }
    let customer = input.customer
    if (input.customer) {
      const found = await resolveCustomer(context, input.customer)
      customer = found.id
      facts.customerName = found.name
    }
    if (input.email) await assertEmailUnused(tenant, { email: input.email, exceptId: contact.id })
    if (input.ownerId) facts.ownerName = (await requireMember(tenant, { userId: input.ownerId })).name
    return { input: { ...input, contact: contact.id, customer }, facts }
  },
  summarize(input, facts) {
    const changes: string[] = []
    if (input.firstName !== undefined) changes.push(`first name ${quoteName(input.firstName)}`)
    if (input.lastName !== undefined) changes.push(`last name ${quoteName(input.lastName)}`)
    if (input.email !== undefined) changes.push(input.email ? `email ${input.email}` : 'no email')
    if (input.phone !== undefined) changes.push(input.phone ? `phone ${input.phone}` : 'no phone')
    if (input.title !== undefined) changes.push(input.title ? `title ${quoteName(input.title)}` : 'no title')
    if (input.customer !== undefined) {
      changes.push(
        input.customer ? `customer ${quoteName(facts.customerName ?? input.customer)}` : 'no customer',
      )
    }
    if (input.ownerId) changes.push(`owner ${String(facts.ownerName ?? input.ownerId)}`)
    return `Update contact ${quoteName(facts.name ?? input.contact)}: ${changes.join(', ')}`
  },
  async execute(context, input) {
    const { tenant } = context
    const { id } = await resolveContact(context, input.contact)
    const contact = await requireRecord(tenant, { kind: 'contact', id, lock: true })
    const customerId =
      input.customer === undefined || input.customer === null
        ? input.customer
        : (await resolveCustomer(context, input.customer)).id
    if (input.email) await assertEmailUnused(tenant, { email: input.email, exceptId: contact.id })
    const change = await updateRecord(tenant, {
      kind: 'contact',
      id,
      changes: {
        firstName: input.firstName,
        lastName: input.lastName,
        email: input.email,
        phone: input.phone,
        title: input.title,
        customerId,
        ownerId: input.ownerId,
      },
    })
    const changed = Object.keys(change.after)
    if (changed.length === 0) {
      throw new AppError('validation_failed', {
        message: `Contact ${quoteName(contactName(contact))} already has those values; nothing changed.`,
      })
    }
    const name = contactName(change.record)
    return {
      result: { contact: { ...change.record, name }, changed },
      resultSummary: `Updated contact ${quoteName(name)} (${changed.join(', ')})`,
      undo: { type: 'update', kind: 'contact', id, before: change.before, after: change.after },
    }
  },
})
