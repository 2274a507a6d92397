import { z } from 'zod'
import { AppError } from '../../core/index.ts'
import {
  createRecord,
  customerStatuses,
  searchRecordsByText,
  type TenantTransaction,
} from '../../db/index.ts'
import { quoteName } from '../format.ts'
import { recordId } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'
import { requireMember } from './crm-helpers.ts'

/** create_customer: a new company in the CRM. */
export const createCustomerTool = defineTool({
  name: 'create_customer',
  category: 'crm',
  risk: 'write',
  description:
    'Create a customer (a company or organization) in the CRM. Give its name; add its web domain, industry, ' +
    'status (lead, active, inactive, churned; default lead), owner (default: the member asking) and notes when ' +
    'known. Refuses a name another customer already has (it names that customer). Returns the created customer.',
  inputSchema: z.object({
    name: z.string().trim().min(1, 'a customer needs a name').max(300).describe('The company name.'),
    domain: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^(https?:\/\/)?(www\.)?[a-z0-9-]+(\.[a-z0-9-]+)+\/?$/, 'expected a web domain like acme.com')
      .transform((value) =>
        value
          .replace(/^https?:\/\//, '')
          .replace(/^www\./, '')
          .replace(/\/$/, ''),
      )
      .optional()
      .describe('The web domain, e.g. acme.com.'),
    industry: z.string().trim().max(200).optional().describe('The industry, e.g. "Software" or "Retail".'),
    status: z
      .enum(customerStatuses)
      .default('lead')
      .describe('lead (not buying yet), active, inactive or churned. Default lead.'),
    ownerId: recordId('owner (workspace member user); default: the member asking').optional(),
    notes: z.string().trim().max(10_000).optional().describe('Free-form notes about the customer.'),
  }),
  async prepare({ tenant, actor }, input) {
    await assertNameUnused(tenant, input.name)
    const ownerId = input.ownerId ?? actor.userId
    const owner = await requireMember(tenant, { userId: ownerId })
    return { input: { ...input, ownerId }, facts: { ownerName: owner.name } }
  },
  summarize(input) {
    const details = [input.status, input.industry, input.domain].filter(Boolean).join(', ')
    return `Create customer ${quoteName(input.name)} (${details})`
  },
  async execute({ tenant, actor }, input) {
    await assertNameUnused(tenant, input.name)
    const customer = await createRecord(tenant, {
      kind: 'customer',
      values: {
        name: input.name,
        domain: input.domain ?? null,
        industry: input.industry ?? null,
        status: input.status,
        ownerId: input.ownerId ?? actor.userId,
        notes: input.notes ?? null,
      },
    })
    return {
      result: { customer },
      resultSummary: `Created customer ${quoteName(customer.name)}`,
      undo: {
        type: 'create',
        records: [{ kind: 'customer', id: customer.id, updatedAt: customer.updatedAt as Date }],
      },
    }
  },
})

/** Two customers with one name would make every later "Acme" ambiguous: refuse the duplicate. */
async function assertNameUnused(tenant: TenantTransaction, name: string): Promise<void> {
  const matches = await searchRecordsByText(tenant, { kind: 'customer', attributes: ['name'], text: name })
  const existing = matches.find((customer) => String(customer.name).toLowerCase() === name.toLowerCase())
  if (existing) {
    throw new AppError('conflict', {
      message: `A customer named ${quoteName(existing.name)} already exists (id ${existing.id}).`,
      details: { existing: { id: existing.id, label: existing.name } },
    })
  }
}
