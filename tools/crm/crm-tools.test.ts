import { QueryTypes } from 'sequelize'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { MemberRole } from '../../db/index.ts'
import {
  createRecord,
  deleteEffects,
  findRecord,
  findRecords,
  type PlainRecord,
  type RecordKindName,
  type TenantTransaction,
  updateRecord,
} from '../../db/index.ts'
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.ts'
import { createToolTestbed, type ToolTestbed } from '../../test/support/tool-fixtures.ts'
import { crmTools } from './index.ts'

/**
 * The CRM tools end to end through the tool service (policy, history, undo) on the seeded demo
 * workspace, plus a second seeded workspace ("other") whose ids must look like unknown ids. The
 * owner runs the tools directly (crm category on auto, which for an owner also covers the
 * destructive delete tools); one test per kind goes through a member's request and an approval.
 */

let testDatabase: TestDatabase
let bed: ToolTestbed
let other: ToolTestbed
const start = new Date('2026-03-02T09:00:00Z')
const dayMs = 24 * 60 * 60 * 1000
/** A user id that is no member of any workspace. */
const stranger = '00000000-0000-4000-8000-000000000001'
const unknownId = '00000000-0000-4000-8000-0000000000ff'

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  bed = await createToolTestbed({ database: testDatabase.database, now: start })
  other = await createToolTestbed({ database: testDatabase.database, slug: 'other', now: start })
  await bed.service.setAutonomy({
    actor: bed.actor('owner'),
    settings: [{ scopeType: 'category', scope: 'crm', mode: 'auto' }],
  })
})

afterAll(async () => {
  await testDatabase?.close()
})

type Role = MemberRole | 'member2'
// biome-ignore lint/suspicious/noExplicitAny: tool results are JSON the assertions walk freely
type Json = Record<string, any>

async function run(name: string, input: unknown, role: Role = 'owner') {
  const outcome = await bed.service.invoke({ actor: bed.actor(role), name, input })
  if (outcome.status !== 'executed') throw new Error(`${name} did not run: ${outcome.status}`)
  return outcome as typeof outcome & { result: Json }
}

const invoke = (name: string, input: unknown, role: Role = 'owner') =>
  bed.service.invoke({ actor: bed.actor(role), name, input })

const undo = (actionId: string) => bed.service.undo({ actor: bed.actor('owner'), actionId })

function inTenant<Result>(work: (tenant: TenantTransaction) => Promise<Result>, testbed = bed) {
  return testDatabase.database.withTenant(
    { workspaceId: testbed.workspaceId, userId: testbed.members.owner.userId },
    work,
  )
}

const find = (kind: RecordKindName, id: string, testbed = bed) =>
  inTenant((tenant) => findRecord(tenant, { kind, id }), testbed)
const findAll = (kind: RecordKindName, where: Record<string, unknown>) =>
  inTenant((tenant) => findRecords(tenant, { kind, where, limit: 1000 }))

function query<Row extends object>(sql: string, replacements: Record<string, unknown> = {}, testbed = bed) {
  return inTenant(
    (tenant) =>
      tenant.sequelize.query<Row>(sql, {
        replacements,
        transaction: tenant.transaction,
        type: QueryTypes.SELECT,
      }),
    testbed,
  )
}

const crmTables = [
  'customers',
  'contacts',
  'prospects',
  'deals',
  'crm_interactions',
  'tasks',
  'campaign_recipients',
]

/** Row counts of every CRM table (the action history is left out: failures are recorded there). */
async function countRows(): Promise<Record<string, number>> {
  const [row] = await query<Record<string, string>>(
    `SELECT ${crmTables.map((table) => `(SELECT count(*) FROM ${table}) AS ${table}`).join(', ')}`,
  )
  return Object.fromEntries(Object.entries(row!).map(([table, count]) => [table, Number(count)]))
}

/** Asserts the call fails with the given error and that no CRM table gained or lost a row. */
async function expectRefused(call: () => Promise<unknown>, error: Json): Promise<Json> {
  const before = await countRows()
  let caught: unknown
  try {
    await call()
  } catch (thrown) {
    caught = thrown
  }
  expect(caught, 'expected the call to fail').toBeDefined()
  expect(caught).toMatchObject({ name: 'AppError', ...error })
  expect(await countRows()).toEqual(before)
  return caught as Json
}

/** A record without the columns a restore may legitimately change. */
const comparable = (record: PlainRecord | undefined) => {
  if (!record) return record
  const { updatedAt: _updatedAt, ...rest } = record
  return rest
}

const future = (days: number) => new Date(bed.clock.now().getTime() + days * dayMs).toISOString()
const past = (days: number) => new Date(bed.clock.now().getTime() - days * dayMs).toISOString()
const day = (offsetDays: number) =>
  new Date(bed.clock.now().getTime() + offsetDays * dayMs).toISOString().slice(0, 10)
const fullName = (contact: PlainRecord) => `${contact.firstName} ${contact.lastName}`

/** Every word of the name matches one of these columns: how contacts are found by name. */
const matchesWord = (word: string) =>
  `(o.first_name ILIKE '%' || ${word} || '%' OR o.last_name ILIKE '%' || ${word} || '%'
    OR o.email ILIKE '%' || ${word} || '%' OR o.title ILIKE '%' || ${word} || '%')`

/** A seeded contact (with a customer) whose full name finds only them. */
async function uniqueContact(offset = 0): Promise<PlainRecord> {
  const rows = await query<{ id: string }>(
    `SELECT k.id FROM contacts k
      WHERE k.customer_id IS NOT NULL
        AND (SELECT count(*) FROM contacts o
              WHERE ${matchesWord('k.first_name')} AND ${matchesWord('k.last_name')}) = 1
      ORDER BY k.created_at, k.id
      OFFSET :offset LIMIT 1`,
    { offset },
  )
  return (await find('contact', rows[0]!.id))!
}

describe('tool definitions', () => {
  it('registers every CRM tool once, each described for a model with every input field described', () => {
    expect(crmTools.map((tool) => tool.name).sort()).toEqual(
      [
        'create_contact',
        'create_customer',
        'create_deal',
        'create_prospect',
        'delete_contact',
        'delete_deal',
        'get_contact',
        'log_interaction',
        'search_contacts',
        'search_customers',
        'search_deals',
        'search_prospects',
        'update_contact',
        'update_deal',
        'update_prospect',
      ].sort(),
    )
    for (const tool of crmTools) {
      expect(tool.description.length, tool.name).toBeGreaterThan(80)
      const schema = z.toJSONSchema(tool.inputSchema, { io: 'input' }) as Json
      for (const [field, property] of Object.entries(schema.properties as Json)) {
        const described = property.description ?? property.anyOf?.find((option: Json) => option.description)
        expect(described, `${tool.name}.${field} has a description`).toBeTruthy()
      }
    }
    expect(crmTools.filter((tool) => tool.risk === 'destructive').map((tool) => tool.name)).toEqual([
      'delete_contact',
      'delete_deal',
    ])
  })
})

describe('read tools', () => {
  it('search_contacts finds a person by full name and shows their company', async () => {
    const contact = await uniqueContact()
    const customer = await find('customer', String(contact.customerId))
    const { result, summary } = await run('search_contacts', { query: fullName(contact) })
    expect(summary).toBe(`Search contacts for '${fullName(contact)}'`)
    expect(result.total).toBe(1)
    expect(result.contacts[0]).toMatchObject({ id: contact.id, customerName: customer!.name })

    const byCustomer = await run('search_contacts', { customerId: customer!.id })
    expect(byCustomer.result.contacts.length).toBeGreaterThanOrEqual(2)
    expect(byCustomer.result.contacts.every((row: Json) => row.customerId === customer!.id)).toBe(true)
  })

  it('get_contact returns the person, their customer and their latest five interactions', async () => {
    const [{ id }] = (await query<{ id: string }>(
      `SELECT contact_id AS id FROM crm_interactions WHERE contact_id IS NOT NULL
        GROUP BY contact_id HAVING count(*) >= 6 ORDER BY count(*) DESC, contact_id LIMIT 1`,
    )) as unknown as [{ id: string }]
    const contact = (await find('contact', id))!
    const customer = await find('customer', String(contact.customerId))
    const interactions = (await findAll('interaction', { contactId: id })).sort(
      (left, right) => (right.occurredAt as Date).getTime() - (left.occurredAt as Date).getTime(),
    )

    const { result, summary } = await run('get_contact', { contact: id })
    expect(summary).toBe(`Look up contact '${fullName(contact)}'`)
    expect(result.contact).toMatchObject({
      id,
      name: fullName(contact),
      email: contact.email,
      customerName: customer!.name,
    })
    expect(result.contact.ownerName).toEqual(expect.any(String))
    expect(result.latestInteractions.map((row: Json) => row.id)).toEqual(
      interactions.slice(0, 5).map((row) => row.id),
    )

    const byEmail = await run('get_contact', { contact: String(contact.email).toUpperCase() })
    expect(byEmail.result.contact.id).toBe(id)
  })

  it('get_contact by a name several contacts share returns candidates instead of guessing', async () => {
    const first = await run('create_contact', { firstName: 'Quillon', lastName: 'Ashgrove' })
    const second = await run('create_contact', { firstName: 'Quillon', lastName: 'Birchwood' })
    const error = await expectRefused(() => invoke('get_contact', { contact: 'Quillon' }), {
      code: 'ambiguous_reference',
      status: 409,
    })
    expect(error.message).toContain('"Quillon" matches 2 contacts')
    expect(error.details.candidates).toEqual(
      expect.arrayContaining([
        { id: first.result.contact.id, label: 'Quillon Ashgrove' },
        { id: second.result.contact.id, label: 'Quillon Birchwood' },
      ]),
    )
    // The full name picks one, even when another name contains it.
    await run('create_contact', { firstName: 'Quillon', lastName: 'Birchwoodson' })
    const picked = await run('get_contact', { contact: 'quillon  birchwood' })
    expect(picked.result.contact.id).toBe(second.result.contact.id)
  })

  it('get_contact: an unknown name, an unknown id and another workspace’s id are all "not found"', async () => {
    await expectRefused(() => invoke('get_contact', { contact: 'Nobody Byanyname' }), {
      code: 'not_found',
      status: 404,
    })
    await expectRefused(() => invoke('get_contact', { contact: unknownId }), { code: 'not_found' })
    const [foreign] = await query<{ id: string }>('SELECT id FROM contacts LIMIT 1', {}, other)
    const error = await expectRefused(() => invoke('get_contact', { contact: foreign!.id }), {
      code: 'not_found',
    })
    expect(error.message).toBe(`No contact with id ${foreign!.id} in this workspace.`)
  })

  it('search_customers filters by status and text, with contact and open deal counts', async () => {
    const active = await run('search_customers', { status: 'active', limit: 100 })
    expect(active.summary).toBe('List active customers')
    expect(active.result.total).toBe(10)
    expect(active.result.customers.every((row: Json) => row.status === 'active')).toBe(true)
    const withDeals = active.result.customers.find((row: Json) => row.openDealCount > 0)
    expect(withDeals).toBeDefined()
    const [counts] = await query<{ contacts: string; deals: string }>(
      `SELECT (SELECT count(*) FROM contacts WHERE customer_id = :id) AS contacts,
              (SELECT count(*) FROM deals WHERE customer_id = :id AND closed_at IS NULL) AS deals`,
      { id: withDeals.id },
    )
    expect(withDeals.contactCount).toBe(Number(counts!.contacts))
    expect(withDeals.openDealCount).toBe(Number(counts!.deals))

    const byName = await run('search_customers', { query: withDeals.name })
    expect(byName.summary).toBe(`Search customers for '${withDeals.name}'`)
    expect(byName.result.customers.map((row: Json) => row.id)).toContain(withDeals.id)

    await expectRefused(() => invoke('search_customers', { status: 'prospective' }), {
      code: 'validation_failed',
      status: 400,
    })
  })

  it('search_prospects filters by stage, minimum score, owner and overdue follow-ups', async () => {
    const hot = await run('search_prospects', { minScore: 80, limit: 100 })
    expect(hot.summary).toBe('Search prospects score 80+')
    expect(hot.result.total).toBeGreaterThan(0)
    expect(hot.result.prospects.every((row: Json) => row.score >= 80)).toBe(true)
    const scores = hot.result.prospects.map((row: Json) => row.score)
    expect(scores).toEqual([...scores].sort((left, right) => right - left))

    const overdue = await run('search_prospects', { followUpOverdue: true, limit: 100 })
    const notOverdue = await run('search_prospects', { followUpOverdue: false, limit: 100 })
    const all = await run('search_prospects', { limit: 100 })
    expect(overdue.result.total).toBeGreaterThanOrEqual(5)
    expect(overdue.result.total + notOverdue.result.total).toBe(all.result.total)
    for (const row of overdue.result.prospects) {
      expect(row.followUpOverdue).toBe(true)
      expect(new Date(row.nextFollowUpAt).getTime()).toBeLessThan(start.getTime())
      expect(['won', 'lost']).not.toContain(row.stage)
    }
    expect(notOverdue.result.prospects.some((row: Json) => row.followUpOverdue)).toBe(false)

    const owner = overdue.result.prospects[0].ownerId
    const mine = await run('search_prospects', { stage: 'negotiation', ownerId: owner, limit: 100 })
    expect(
      mine.result.prospects.every((row: Json) => row.stage === 'negotiation' && row.ownerId === owner),
    ).toBe(true)
    await expectRefused(() => invoke('search_prospects', { minScore: 150 }), { code: 'validation_failed' })
  })

  it('search_deals filters open deals, close dates, stage, owner and customer by name', async () => {
    const open = await run('search_deals', { open: true, limit: 100 })
    expect(open.summary).toBe('List open deals')
    expect(open.result.total).toBe(17)
    expect(open.result.deals.every((deal: Json) => deal.closedAt === null && deal.open === true)).toBe(true)
    expect(open.result.deals[0].value).toMatch(/^[$€]/)

    const closed = await run('search_deals', { open: false, limit: 100 })
    expect(closed.result.total).toBe(8)

    const overdue = await run('search_deals', { open: true, closingBefore: day(0), limit: 100 })
    expect(overdue.result.total).toBe(4)
    expect(overdue.result.deals.every((deal: Json) => deal.expectedCloseDate < day(0))).toBe(true)

    const deal = open.result.deals.find((row: Json) => row.customerName)
    const customerDeals = await run('search_deals', { customer: deal.customerName, limit: 100 })
    expect(customerDeals.summary).toBe(`Search deals for '${deal.customerName}'`)
    expect(customerDeals.result.deals.map((row: Json) => row.id)).toContain(deal.id)
    expect(customerDeals.result.deals.every((row: Json) => row.customerId === deal.customerId)).toBe(true)

    const staged = await run('search_deals', { stage: 'proposal', ownerId: deal.ownerId, limit: 100 })
    expect(
      staged.result.deals.every((row: Json) => row.stage === 'proposal' && row.ownerId === deal.ownerId),
    ).toBe(true)

    const [foreign] = await query<{ id: string }>('SELECT id FROM customers LIMIT 1', {}, other)
    await expectRefused(() => invoke('search_deals', { customer: foreign!.id }), { code: 'not_found' })
    await expectRefused(() => invoke('search_deals', { stage: 'closed' }), { code: 'validation_failed' })
    await expectRefused(() => invoke('search_deals', { closingBefore: 'next friday' }), {
      code: 'validation_failed',
    })
  })
})

describe('contacts', () => {
  it('create_contact creates the person at a customer named by name; undo removes them', async () => {
    const [customer] = await findAll('customer', { status: 'active' })
    const outcome = await run('create_contact', {
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: ' Ada.Lovelace@Analytical.example ',
      title: 'CTO',
      customer: customer!.name,
    })
    expect(outcome.summary).toBe(
      `Create contact 'Ada Lovelace' (CTO at ${customer!.name}, ada.lovelace@analytical.example)`,
    )
    const stored = await find('contact', outcome.result.contact.id)
    expect(stored).toMatchObject({
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada.lovelace@analytical.example',
      customerId: customer!.id,
      ownerId: bed.members.owner.userId,
    })

    await expectRefused(
      () => invoke('create_contact', { firstName: 'Augusta', email: 'ADA.lovelace@analytical.example' }),
      { code: 'conflict', status: 409 },
    )

    const undone = await undo(outcome.actionId)
    expect(undone.summary).toBe(`Undid: Created contact 'Ada Lovelace' at ${customer!.name}`)
    expect(await find('contact', outcome.result.contact.id)).toBeUndefined()
  })

  it('create_contact refuses bad input and writes nothing', async () => {
    await expectRefused(() => invoke('create_contact', { lastName: 'Nofirst' }), {
      code: 'validation_failed',
      status: 400,
    })
    await expectRefused(() => invoke('create_contact', { firstName: 'Bad', email: 'not-an-email' }), {
      code: 'validation_failed',
    })
    const error = await expectRefused(
      () => invoke('create_contact', { firstName: 'Owned', ownerId: stranger }),
      { code: 'validation_failed' },
    )
    expect(error.message).toBe(`ownerId ${stranger} is not a member of this workspace.`)
    const [foreign] = await query<{ id: string }>('SELECT id FROM customers LIMIT 1', {}, other)
    await expectRefused(() => invoke('create_contact', { firstName: 'Far', customer: foreign!.id }), {
      code: 'not_found',
    })
  })

  it('create_contact: a non-member owner that slips past prepare is refused by the database, clearly', async () => {
    const tool = crmTools.find((candidate) => candidate.name === 'create_contact')!
    const before = await countRows()
    const error = await inTenant((tenant) =>
      tool.execute(
        { tenant, actor: { userId: bed.members.owner.userId }, clock: bed.clock },
        { firstName: 'Direct', ownerId: stranger },
      ),
    ).catch((thrown: unknown) => thrown)
    expect(error).toMatchObject({
      code: 'validation_failed',
      message: 'ownerId does not name a member of this workspace.',
    })
    expect(await countRows()).toEqual(before)
  })

  it('update_contact changes the fields given (by full name); undo restores them', async () => {
    const contact = await uniqueContact(1)
    const [customer] = (await findAll('customer', { status: 'inactive' })).filter(
      (candidate) => candidate.id !== contact.customerId,
    )
    const outcome = await run('update_contact', {
      contact: fullName(contact),
      title: 'Chief Revenue Officer',
      phone: null,
      customer: customer!.name,
    })
    expect(outcome.summary).toBe(
      `Update contact '${fullName(contact)}': no phone, title 'Chief Revenue Officer', customer '${customer!.name}'`,
    )
    expect(await find('contact', contact.id)).toMatchObject({
      title: 'Chief Revenue Officer',
      phone: null,
      customerId: customer!.id,
    })
    expect(outcome.result.changed).toEqual(
      contact.phone ? ['phone', 'title', 'customerId'] : ['title', 'customerId'],
    )

    await undo(outcome.actionId)
    expect(comparable(await find('contact', contact.id))).toEqual(comparable(contact))
  })

  it('update_contact: a no-op is "nothing changed"; an undo after a later change is a 409 naming the field', async () => {
    const contact = await uniqueContact(2)
    await expectRefused(() => invoke('update_contact', { contact: contact.id, title: contact.title }), {
      code: 'validation_failed',
      message: `Contact '${fullName(contact)}' already has those values; nothing changed.`,
    })
    await expectRefused(() => invoke('update_contact', { contact: contact.id }), {
      code: 'validation_failed',
    })

    const first = await run('update_contact', { contact: contact.id, title: 'Head of Data' })
    await run('update_contact', { contact: contact.id, title: 'Chief Data Officer' })
    const conflict = (await undo(first.actionId).then(
      () => undefined,
      (thrown: unknown) => thrown,
    )) as Json
    expect(conflict).toMatchObject({ code: 'conflict', status: 409 })
    expect(conflict.message).toContain('(title)')
    expect(conflict.details.changed).toEqual([
      { field: 'title', expected: 'Head of Data', actual: 'Chief Data Officer' },
    ])
    expect((await find('contact', contact.id))!.title).toBe('Chief Data Officer')
  })

  it('update_contact: another workspace’s contact is not found', async () => {
    const [foreign] = await query<{ id: string; title: string }>(
      'SELECT id, title FROM contacts LIMIT 1',
      {},
      other,
    )
    await expectRefused(() => invoke('update_contact', { contact: foreign!.id, title: 'Hijacked' }), {
      code: 'not_found',
    })
    expect((await find('contact', foreign!.id, other))!.title).toBe(foreign!.title)
  })
})

describe('customers', () => {
  it('create_customer creates the company (domain cleaned up); undo removes it', async () => {
    const outcome = await run('create_customer', {
      name: 'Analytical Engines Ltd',
      domain: 'https://www.Analytical-Engines.example/',
      industry: 'Manufacturing',
    })
    expect(outcome.summary).toBe(
      "Create customer 'Analytical Engines Ltd' (lead, Manufacturing, analytical-engines.example)",
    )
    const stored = await find('customer', outcome.result.customer.id)
    expect(stored).toMatchObject({
      name: 'Analytical Engines Ltd',
      domain: 'analytical-engines.example',
      status: 'lead',
      ownerId: bed.members.owner.userId,
    })
    await expectRefused(() => invoke('create_customer', { name: 'analytical engines ltd' }), {
      code: 'conflict',
    })
    await undo(outcome.actionId)
    expect(await find('customer', outcome.result.customer.id)).toBeUndefined()
  })

  it('create_customer refuses a wrong status, a bad domain and a non-member owner', async () => {
    await expectRefused(() => invoke('create_customer', { name: 'Enumless', status: 'vip' }), {
      code: 'validation_failed',
    })
    await expectRefused(() => invoke('create_customer', { name: 'Domainless', domain: 'not a domain' }), {
      code: 'validation_failed',
    })
    await expectRefused(() => invoke('create_customer', { name: 'Ownerless', ownerId: stranger }), {
      code: 'validation_failed',
      message: `ownerId ${stranger} is not a member of this workspace.`,
    })
  })
})

describe('prospects', () => {
  it('create_prospect creates the lead with its follow-up; undo removes it', async () => {
    const followUp = future(3)
    const outcome = await run('create_prospect', {
      name: 'Grace Hopper',
      companyName: 'Compiler Works',
      email: 'grace@compiler.example',
      score: 70,
      source: 'referral',
      nextFollowUpAt: followUp,
    })
    expect(outcome.summary).toBe(
      "Create prospect 'Grace Hopper' at Compiler Works (New, score 70, follow up Mar 5, 2026)",
    )
    const stored = await find('prospect', outcome.result.prospect.id)
    expect(stored).toMatchObject({ name: 'Grace Hopper', stage: 'new', score: 70 })
    expect((stored!.nextFollowUpAt as Date).toISOString()).toBe(followUp)
    await undo(outcome.actionId)
    expect(await find('prospect', outcome.result.prospect.id)).toBeUndefined()
  })

  it('create_prospect refuses a score of 150, a past follow-up, a wrong stage and a foreign contact', async () => {
    await expectRefused(() => invoke('create_prospect', { name: 'Too Hot', score: 150 }), {
      code: 'validation_failed',
      message: expect.stringContaining('score: a score is between 0 and 100'),
    })
    await expectRefused(() => invoke('create_prospect', { name: 'Late', nextFollowUpAt: past(2) }), {
      code: 'validation_failed',
      message: expect.stringContaining('is in the past'),
    })
    await expectRefused(() => invoke('create_prospect', { name: 'Staged', stage: 'closed' }), {
      code: 'validation_failed',
    })
    const [foreign] = await query<{ id: string }>('SELECT id FROM contacts LIMIT 1', {}, other)
    await expectRefused(() => invoke('create_prospect', { name: 'Linked', contactId: foreign!.id }), {
      code: 'not_found',
    })
  })

  it('update_prospect moves, rescores and schedules; undo restores; a later change makes undo a 409', async () => {
    const [prospect] = await findAll('prospect', { stage: 'contacted' })
    const followUp = future(5)
    const outcome = await run('update_prospect', {
      prospectId: prospect!.id,
      stage: 'qualified',
      score: 88,
      nextFollowUpAt: followUp,
    })
    expect(outcome.summary).toBe(
      `Update prospect '${prospect!.name}' (${prospect!.companyName}): stage from Contacted to Qualified, ` +
        `score from ${prospect!.score} to 88, next follow-up Mar 7, 2026`,
    )
    const stored = await find('prospect', prospect!.id)
    expect(stored).toMatchObject({ stage: 'qualified', score: 88 })
    expect((stored!.nextFollowUpAt as Date).toISOString()).toBe(followUp)

    await undo(outcome.actionId)
    expect(comparable(await find('prospect', prospect!.id))).toEqual(comparable(prospect))

    const again = await run('update_prospect', { prospectId: prospect!.id, score: 91 })
    await run('update_prospect', { prospectId: prospect!.id, score: 95, notes: 'Signed the NDA.' })
    await expect(undo(again.actionId)).rejects.toMatchObject({
      code: 'conflict',
      status: 409,
      message: expect.stringContaining('(score)'),
    })
  })

  it('update_prospect refuses a past follow-up, a score of 150, a no-op, unknown and foreign ids', async () => {
    const [prospect] = await findAll('prospect', { stage: 'proposal' })
    await expectRefused(
      () => invoke('update_prospect', { prospectId: prospect!.id, nextFollowUpAt: past(1) }),
      {
        code: 'validation_failed',
        message: expect.stringContaining('nextFollowUpAt'),
      },
    )
    await expectRefused(() => invoke('update_prospect', { prospectId: prospect!.id, score: 150 }), {
      code: 'validation_failed',
    })
    await expectRefused(() => invoke('update_prospect', { prospectId: prospect!.id, stage: 'proposal' }), {
      code: 'validation_failed',
      message: expect.stringContaining('nothing changed'),
    })
    await expectRefused(() => invoke('update_prospect', { prospectId: unknownId, score: 10 }), {
      code: 'not_found',
      status: 404,
    })
    const [foreign] = await query<{ id: string; score: number }>(
      'SELECT id, score FROM prospects LIMIT 1',
      {},
      other,
    )
    await expectRefused(() => invoke('update_prospect', { prospectId: foreign!.id, score: 1 }), {
      code: 'not_found',
    })
    expect((await find('prospect', foreign!.id, other))!.score).toBe(foreign!.score)
    expect(comparable(await find('prospect', prospect!.id))).toEqual(comparable(prospect))
  })
})

describe('interactions', () => {
  it('log_interaction logs a call with a contact by name, filed under their customer; undo removes it', async () => {
    const contact = await uniqueContact(3)
    const outcome = await run('log_interaction', {
      type: 'call',
      contact: fullName(contact),
      summary: 'Discussed renewal',
    })
    expect(outcome.summary).toBe(`Log call with ${fullName(contact)}: 'Discussed renewal'`)
    const interaction = await find('interaction', outcome.result.interaction.id)
    expect(interaction).toMatchObject({
      type: 'call',
      contactId: contact.id,
      customerId: contact.customerId,
      userId: bed.members.owner.userId,
      summary: 'Discussed renewal',
    })
    expect((interaction!.occurredAt as Date).toISOString()).toBe(bed.clock.now().toISOString())

    const shown = await run('get_contact', { contact: contact.id })
    expect(shown.result.latestInteractions[0].id).toBe(interaction!.id)

    await undo(outcome.actionId)
    expect(await find('interaction', interaction!.id)).toBeUndefined()
  })

  it('log_interaction on a deal, backdated, says when', async () => {
    const [deal] = await findAll('deal', { stage: 'negotiation' })
    const outcome = await run('log_interaction', {
      type: 'meeting',
      dealId: deal!.id,
      summary: 'Walked the board through the rollout plan',
      occurredAt: past(3),
    })
    expect(outcome.summary).toBe(
      `Log meeting on deal '${deal!.name}' (Feb 27, 2026): 'Walked the board through the rollout plan'`,
    )
    expect(await find('interaction', outcome.result.interaction.id)).toMatchObject({
      dealId: deal!.id,
      customerId: deal!.customerId,
      contactId: null,
    })
  })

  it('log_interaction refuses a future date, no target, a wrong type and a foreign deal', async () => {
    const contact = await uniqueContact(3)
    await expectRefused(
      () =>
        invoke('log_interaction', { type: 'call', contact: contact.id, summary: 'x', occurredAt: future(1) }),
      { code: 'validation_failed', message: expect.stringContaining('is in the future') },
    )
    await expectRefused(() => invoke('log_interaction', { type: 'call', summary: 'Lonely call' }), {
      code: 'validation_failed',
      message: expect.stringContaining('attach the interaction to a contact, a dealId or a customerId'),
    })
    await expectRefused(() => invoke('log_interaction', { type: 'fax', contact: contact.id, summary: 'x' }), {
      code: 'validation_failed',
    })
    const [foreign] = await query<{ id: string }>('SELECT id FROM deals LIMIT 1', {}, other)
    await expectRefused(
      () => invoke('log_interaction', { type: 'note', dealId: foreign!.id, summary: 'x' }),
      {
        code: 'not_found',
      },
    )
  })
})

describe('deals', () => {
  it('create_deal creates an open deal for a customer named by name; undo removes it', async () => {
    const [customer] = await findAll('customer', { status: 'lead' })
    const outcome = await run('create_deal', {
      name: 'Difference engine pilot',
      customer: customer!.name,
      valueCents: 1_200_000,
      expectedCloseDate: day(30),
    })
    expect(outcome.summary).toBe(
      `Create deal 'Difference engine pilot' for ${customer!.name} ($12,000, Qualification, closing Apr 1, 2026)`,
    )
    const deal = await find('deal', outcome.result.deal.id)
    expect(deal).toMatchObject({
      name: 'Difference engine pilot',
      customerId: customer!.id,
      stage: 'qualification',
      valueCents: 1_200_000,
      currency: 'USD',
      expectedCloseDate: day(30),
      ownerId: bed.members.owner.userId,
      closedAt: null,
    })
    await undo(outcome.actionId)
    expect(await find('deal', deal!.id)).toBeUndefined()
  })

  it('create_deal as won closes it at once; a contact alone brings their customer', async () => {
    const contact = await uniqueContact(4)
    const outcome = await run('create_deal', {
      name: 'Signed expansion',
      contactId: contact.id,
      stage: 'won',
      valueCents: 500_050,
      currency: 'EUR',
      ownerId: bed.members.member.userId,
    })
    expect(outcome.summary).toMatch(/^Create deal 'Signed expansion' for .+ \(€5,000\.50, Won\)$/)
    const deal = await find('deal', outcome.result.deal.id)
    expect(deal).toMatchObject({
      stage: 'won',
      customerId: contact.customerId,
      ownerId: bed.members.member.userId,
    })
    expect((deal!.closedAt as Date).toISOString()).toBe(bed.clock.now().toISOString())
  })

  it('create_deal with a customer name several customers share returns candidates and writes nothing', async () => {
    const labs = await run('create_customer', { name: 'Zenith Labs', domain: 'zenith-labs.example' })
    const partners = await run('create_customer', { name: 'Zenith Partners' })
    const error = await expectRefused(
      () => invoke('create_deal', { name: 'Zenith pilot', customer: 'zenith' }),
      {
        code: 'ambiguous_reference',
      },
    )
    expect(error.details.candidates).toEqual([
      { id: labs.result.customer.id, label: 'Zenith Labs (zenith-labs.example)' },
      { id: partners.result.customer.id, label: 'Zenith Partners' },
    ])
    // The exact name is not ambiguous.
    const deal = await run('create_deal', { name: 'Zenith pilot', customer: 'Zenith Labs' })
    expect(deal.result.deal.customerId).toBe(labs.result.customer.id)
  })

  it('create_deal refuses a past close date, a wrong stage, a non-member owner and a foreign customer', async () => {
    await expectRefused(() => invoke('create_deal', { name: 'Late', expectedCloseDate: day(-3) }), {
      code: 'validation_failed',
      message: expect.stringContaining('is in the past'),
    })
    await expectRefused(() => invoke('create_deal', { name: 'Staged', stage: 'signed' }), {
      code: 'validation_failed',
    })
    await expectRefused(() => invoke('create_deal', { name: 'Owned', ownerId: stranger }), {
      code: 'validation_failed',
      message: `ownerId ${stranger} is not a member of this workspace.`,
    })
    await expectRefused(() => invoke('create_deal', { name: 'Negative', valueCents: -5 }), {
      code: 'validation_failed',
    })
    const [foreign] = await query<{ id: string }>('SELECT id FROM customers LIMIT 1', {}, other)
    await expectRefused(() => invoke('create_deal', { name: 'Far', customer: foreign!.id }), {
      code: 'not_found',
    })
  })

  it('update_deal moves a deal to won (closing it); undo reopens it; a later change makes undo a 409', async () => {
    const [deal] = await findAll('deal', { stage: 'proposal' })
    const outcome = await run('update_deal', { dealId: deal!.id, stage: 'won' })
    expect(outcome.summary).toMatch(new RegExp(`^Move deal '${deal!.name}' from Proposal to Won \\(.+\\)$`))
    const won = await find('deal', deal!.id)
    expect(won).toMatchObject({ stage: 'won' })
    expect((won!.closedAt as Date).toISOString()).toBe(bed.clock.now().toISOString())

    await undo(outcome.actionId)
    expect(comparable(await find('deal', deal!.id))).toEqual(comparable(deal))

    const again = await run('update_deal', { dealId: deal!.id, valueCents: 4_200_000 })
    await run('update_deal', { dealId: deal!.id, valueCents: 4_300_000 })
    await expect(undo(again.actionId)).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('(valueCents)'),
    })
  })

  it('update_deal names the new owner, and refuses non-members, no-ops and foreign deals', async () => {
    const [deal] = await findAll('deal', { stage: 'discovery' })
    const member = bed.members.member2
    const outcome = await run('update_deal', {
      dealId: deal!.id,
      ownerId: deal!.ownerId === member.userId ? bed.members.member.userId : member.userId,
    })
    expect(outcome.summary).toMatch(
      new RegExp(`^Update deal '${deal!.name}' owner (Priya Raman|Diego Alvarez)$`),
    )
    await expectRefused(() => invoke('update_deal', { dealId: deal!.id, ownerId: stranger }), {
      code: 'validation_failed',
      message: `ownerId ${stranger} is not a member of this workspace.`,
    })
    await expectRefused(() => invoke('update_deal', { dealId: deal!.id, stage: 'discovery' }), {
      code: 'validation_failed',
      message: expect.stringContaining('nothing changed'),
    })
    const [foreign] = await query<{ id: string; stage: string }>(
      'SELECT id, stage FROM deals LIMIT 1',
      {},
      other,
    )
    await expectRefused(() => invoke('update_deal', { dealId: foreign!.id, valueCents: 1 }), {
      code: 'not_found',
    })
    expect((await find('deal', foreign!.id, other))!.stage).toBe(foreign!.stage)
  })
})

describe('deletes', () => {
  /** Everything that refers to a record, in full, to compare before the delete and after the undo. */
  async function referencesOf(kind: 'contact' | 'deal', id: string) {
    const found: Record<string, unknown[]> = {}
    for (const effect of deleteEffects[kind]) {
      const rows = await findAll(effect.kind, { [effect.attribute]: id })
      found[`${effect.table}.${effect.column}`] = rows
        .map(comparable)
        .sort((left, right) => String(left!.id).localeCompare(String(right!.id)))
    }
    return found
  }

  it('the delete effects the tools capture match every foreign key in the live schema', async () => {
    const rows = await testDatabase.database.withSystem((system) =>
      system.sequelize.query<{ target: string; source: string; columns: string; action: string }>(
        `SELECT confrelid::regclass::text AS target, conrelid::regclass::text AS source,
                (SELECT string_agg(attname, ',' ORDER BY attname) FROM pg_attribute
                  WHERE attrelid = conrelid AND attnum = ANY (conkey) AND attname <> 'workspace_id') AS columns,
                confdeltype AS action
           FROM pg_constraint
          WHERE contype = 'f' AND confrelid IN ('contacts'::regclass, 'deals'::regclass)`,
        { transaction: system.transaction, type: QueryTypes.SELECT },
      ),
    )
    const live = rows
      .map(
        (row) =>
          `${row.target} <- ${row.source}.${row.columns} ${row.action === 'c' ? 'cascade' : 'set_null'}`,
      )
      .sort()
    const declared = [
      ...deleteEffects.contact.map(
        (effect) => `contacts <- ${effect.table}.${effect.column} ${effect.onDelete}`,
      ),
      ...deleteEffects.deal.map((effect) => `deals <- ${effect.table}.${effect.column} ${effect.onDelete}`),
    ].sort()
    expect(live).toEqual(declared)
    expect(rows.every((row) => row.action === 'c' || row.action === 'n')).toBe(true)
  })

  it('delete_contact waits for approval, deletes the contact with its interactions and campaign memberships, unlinks the rest; undo restores all', async () => {
    // A seeded contact with interactions and a deal, plus one of every other kind of reference.
    const [{ id }] = (await query<{ id: string }>(
      `SELECT k.id FROM contacts k
        WHERE EXISTS (SELECT 1 FROM deals d WHERE d.contact_id = k.id)
          AND (SELECT count(*) FROM crm_interactions i WHERE i.contact_id = k.id) >= 2
        ORDER BY k.created_at, k.id LIMIT 1`,
    )) as unknown as [{ id: string }]
    const contact = (await find('contact', id))!
    const [campaign] = await findAll('campaign', {})
    await inTenant(async (tenant) => {
      await createRecord(tenant, {
        kind: 'task',
        values: { title: 'Send Ada the contract', contactId: id, createdById: bed.members.owner.userId },
      })
      await createRecord(tenant, { kind: 'prospect', values: { name: fullName(contact), contactId: id } })
      const recipients = await findRecords(tenant, {
        kind: 'campaign_recipient',
        where: { contactId: id, campaignId: campaign!.id },
      })
      if (recipients.length === 0) {
        await createRecord(tenant, {
          kind: 'campaign_recipient',
          values: { campaignId: campaign!.id, contactId: id },
        })
      }
    })
    const before = await referencesOf('contact', id)
    const interactions = before['crm_interactions.contact_id']!.length
    const recipients = before['campaign_recipients.contact_id']!.length
    const deals = before['deals.contact_id']!.length
    const prospects = before['prospects.contact_id']!.length
    const tasks = before['tasks.contact_id']!.length
    expect(Math.min(interactions, recipients, deals, prospects, tasks)).toBeGreaterThanOrEqual(1)

    // A member asks; the owner approves.
    const pending = await invoke('delete_contact', { contactId: id }, 'member')
    expect(pending.status).toBe('pending')
    const expectedEffects = [
      `${interactions} interaction${interactions === 1 ? '' : 's'}`,
      `${recipients} campaign membership${recipients === 1 ? '' : 's'}`,
    ].join(', ')
    expect(pending.summary).toBe(
      `Delete contact '${fullName(contact)}' and ${expectedEffects}; unlink ${deals} deal${deals === 1 ? '' : 's'}, ` +
        `${prospects} prospect${prospects === 1 ? '' : 's'}, ${tasks} task${tasks === 1 ? '' : 's'}`,
    )
    const rowsBefore = await countRows()
    const approved = await bed.service.approve({ actor: bed.actor('owner'), actionId: pending.actionId })
    expect(approved.result).toMatchObject({
      deleted: { id, name: fullName(contact) },
      deletedInteractions: interactions,
      removedFromCampaigns: recipients,
      unlinked: { deals, prospects, tasks },
    })

    expect(await find('contact', id)).toBeUndefined()
    const after = await referencesOf('contact', id)
    expect(Object.values(after).every((rows) => rows.length === 0)).toBe(true)
    for (const [key, rows] of Object.entries(before)) {
      if (!key.startsWith('deals') && !key.startsWith('prospects') && !key.startsWith('tasks')) continue
      const kind = key.startsWith('deals') ? 'deal' : key.startsWith('prospects') ? 'prospect' : 'task'
      for (const row of rows as PlainRecord[]) expect((await find(kind, row.id))!.contactId).toBeNull()
    }
    expect(await countRows()).toEqual({
      ...rowsBefore,
      contacts: rowsBefore.contacts! - 1,
      crm_interactions: rowsBefore.crm_interactions! - interactions,
      campaign_recipients: rowsBefore.campaign_recipients! - recipients,
    })

    // Undo by the pending action id: the contact first, then its rows, then the links.
    await undo(pending.actionId)
    expect(comparable(await find('contact', id))).toEqual(comparable(contact))
    expect(await referencesOf('contact', id)).toEqual(before)
    expect(await countRows()).toEqual(rowsBefore)
    await expect(undo(pending.actionId)).rejects.toMatchObject({ code: 'conflict' })
  })

  it('delete_contact: another workspace’s contact is not found and stays', async () => {
    const [foreign] = await query<{ id: string }>('SELECT id FROM contacts LIMIT 1', {}, other)
    await expectRefused(() => invoke('delete_contact', { contactId: foreign!.id }), { code: 'not_found' })
    expect(await find('contact', foreign!.id, other)).toBeDefined()
    await expectRefused(() => invoke('delete_contact', { contactId: 'Ada' }), { code: 'validation_failed' })
  })

  it('delete_deal deletes the deal and its interactions, unlinks its tasks; undo restores all', async () => {
    const [{ id }] = (await query<{ id: string }>(
      `SELECT d.id FROM deals d
        WHERE (SELECT count(*) FROM crm_interactions i WHERE i.deal_id = d.id) >= 2
          AND EXISTS (SELECT 1 FROM tasks t WHERE t.deal_id = d.id)
        ORDER BY d.created_at, d.id LIMIT 1`,
    )) as unknown as [{ id: string }]
    const deal = (await find('deal', id))!
    const before = await referencesOf('deal', id)
    const interactions = before['crm_interactions.deal_id']!.length
    const tasks = before['tasks.deal_id']!.length
    const rowsBefore = await countRows()

    const outcome = await run('delete_deal', { dealId: id })
    expect(outcome.summary).toMatch(
      new RegExp(
        `^Delete deal '${deal.name}' \\(.+, ${deal.stage === 'won' ? 'Won' : '.+'}\\) and ${interactions} interactions; unlink ${tasks} tasks?$`,
      ),
    )
    expect(outcome.result).toMatchObject({ deletedInteractions: interactions, unlinked: { tasks } })
    expect(await find('deal', id)).toBeUndefined()
    expect(Object.values(await referencesOf('deal', id)).every((rows) => rows.length === 0)).toBe(true)
    expect(await countRows()).toMatchObject({
      deals: rowsBefore.deals! - 1,
      crm_interactions: rowsBefore.crm_interactions! - interactions,
      tasks: rowsBefore.tasks,
    })

    await undo(outcome.actionId)
    expect(comparable(await find('deal', id))).toEqual(comparable(deal))
    expect(await referencesOf('deal', id)).toEqual(before)
    expect(await countRows()).toEqual(rowsBefore)
  })

  it('undo of a delete is all or nothing: a link changed since makes it a 409 and restores nothing', async () => {
    const [{ id, dealId }] = (await query<{ id: string; dealId: string }>(
      `SELECT k.id, min(d.id::text) AS "dealId" FROM contacts k JOIN deals d ON d.contact_id = k.id
        WHERE EXISTS (SELECT 1 FROM crm_interactions i WHERE i.contact_id = k.id)
        GROUP BY k.id ORDER BY k.id DESC LIMIT 1`,
    )) as unknown as [{ id: string; dealId: string }]
    const outcome = await run('delete_contact', { contactId: id })
    const rowsAfterDelete = await countRows()
    const newContact = await run('create_contact', { firstName: 'Successor' })
    await inTenant((tenant) =>
      updateRecord(tenant, {
        kind: 'deal',
        id: dealId,
        changes: { contactId: newContact.result.contact.id },
      }),
    )
    await expect(undo(outcome.actionId)).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('(contactId)'),
    })
    expect(await find('contact', id)).toBeUndefined()
    expect(await countRows()).toEqual({ ...rowsAfterDelete, contacts: rowsAfterDelete.contacts! + 1 })
  })

  it('delete_deal: an unknown id and another workspace’s deal are not found', async () => {
    await expectRefused(() => invoke('delete_deal', { dealId: unknownId }), { code: 'not_found' })
    const [foreign] = await query<{ id: string }>('SELECT id FROM deals LIMIT 1', {}, other)
    await expectRefused(() => invoke('delete_deal', { dealId: foreign!.id }), { code: 'not_found' })
    expect(await find('deal', foreign!.id, other)).toBeDefined()
  })
})

describe('approval path', () => {
  it('a member’s create_contact waits with its summary; approving creates it exactly as asked', async () => {
    const pending = await invoke('create_contact', { firstName: 'Charles', lastName: 'Babbage' }, 'member')
    expect(pending).toMatchObject({ status: 'pending', summary: "Create contact 'Charles Babbage'" })
    const before = await countRows()
    expect(await findAll('contact', { lastName: 'Babbage' })).toEqual([])
    const approved = await bed.service.approve({ actor: bed.actor('owner'), actionId: pending.actionId })
    expect(approved.status).toBe('executed')
    const [created] = await findAll('contact', { lastName: 'Babbage' })
    // The change is the requester's: they own the new contact.
    expect(created).toMatchObject({ firstName: 'Charles', ownerId: bed.members.member.userId })
    expect(await countRows()).toEqual({ ...before, contacts: before.contacts! + 1 })
  })
})
