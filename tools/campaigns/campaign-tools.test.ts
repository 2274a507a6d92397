import { QueryTypes } from 'sequelize'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createRecord,
  findRecord,
  findRecords,
  type PlainRecord,
  type TenantTransaction,
  updateRecord,
} from '../../db/index.ts'
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.ts'
import { createToolTestbed, type ToolTestbed } from '../../test/support/tool-fixtures.ts'

/**
 * The campaign tools end to end through the tool service on the seeded demo workspace (a sent
 * campaign with results, a scheduled one, a draft). The owner opted in to bulk, external and
 * destructive campaign tools, so calls run directly; one test shows the approval path instead.
 */

let testDatabase: TestDatabase
let bed: ToolTestbed
let other: ToolTestbed
const start = new Date('2026-03-02T09:00:00Z')
const dayMs = 24 * 60 * 60 * 1000

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  bed = await createToolTestbed({ database: testDatabase.database, now: start })
  other = await createToolTestbed({ database: testDatabase.database, slug: 'other', now: start })
  await bed.service.setAutonomy({
    actor: bed.actor('owner'),
    settings: [
      { scopeType: 'category', scope: 'campaigns', mode: 'auto' },
      { scopeType: 'risk', scope: 'bulk', mode: 'auto' },
      { scopeType: 'risk', scope: 'external', mode: 'auto' },
      { scopeType: 'risk', scope: 'destructive', mode: 'auto' },
    ],
  })
})

afterAll(async () => {
  await testDatabase?.close()
})

async function run(name: string, input: unknown) {
  const outcome = await bed.service.invoke({ actor: bed.actor('owner'), name, input })
  if (outcome.status !== 'executed') throw new Error(`${name} did not run: ${outcome.status}`)
  return outcome as typeof outcome & { result: Record<string, unknown> }
}

const undo = (actionId: string) => bed.service.undo({ actor: bed.actor('owner'), actionId })

function inTenant<Result>(work: (tenant: TenantTransaction) => Promise<Result>, testbed = bed) {
  return testDatabase.database.withTenant(
    { workspaceId: testbed.workspaceId, userId: testbed.members.owner.userId },
    work,
  )
}

const campaignById = (id: string) => inTenant((tenant) => findRecord(tenant, { kind: 'campaign', id }))
const campaigns = (testbed = bed) =>
  inTenant((tenant) => findRecords(tenant, { kind: 'campaign', where: {}, limit: 100 }), testbed)
const seededCampaign = async (status: string) =>
  (await campaigns()).find((campaign) => campaign.status === status)!
const recipientsOf = (campaignId: string) =>
  inTenant((tenant) =>
    findRecords(tenant, { kind: 'campaign_recipient', where: { campaignId }, limit: 10_000 }),
  )
const contacts = () => inTenant((tenant) => findRecords(tenant, { kind: 'contact', where: {}, limit: 1000 }))
const customers = () =>
  inTenant((tenant) => findRecords(tenant, { kind: 'customer', where: {}, limit: 1000 }))

async function countRows(table: 'campaigns' | 'campaign_recipients'): Promise<number> {
  return inTenant(async (tenant) => {
    const [row] = await tenant.sequelize.query<{ count: string }>(`SELECT count(*) AS count FROM ${table}`, {
      transaction: tenant.transaction,
      type: QueryTypes.SELECT,
    })
    return Number(row!.count)
  })
}
const counts = async () => ({
  campaigns: await countRows('campaigns'),
  recipients: await countRows('campaign_recipients'),
})

let draftNumber = 0
/** A fresh email draft made through the tool, so tests do not share campaigns. */
async function newDraft(overrides: Record<string, unknown> = {}): Promise<PlainRecord> {
  draftNumber += 1
  const outcome = await run('create_campaign', {
    name: `Test draft ${draftNumber}`,
    subject: 'Hello',
    body: 'Hello there',
    ...overrides,
  })
  return (outcome.result as { campaign: PlainRecord }).campaign
}

/** A fresh draft with `count` contacts (those with an email) as recipients. */
async function draftWithRecipients(count: number): Promise<PlainRecord> {
  const campaign = await newDraft()
  const ids = (await contacts())
    .filter((contact) => contact.email)
    .slice(0, count)
    .map((contact) => contact.id)
  await run('add_campaign_recipients', { campaign: campaign.id, contactIds: ids })
  return campaign
}

const future = (days: number) => new Date(bed.clock.now().getTime() + days * dayMs).toISOString()

describe('list_campaigns', () => {
  it('lists the campaigns with their recipient counts, filtered by status and channel', async () => {
    const all = await run('list_campaigns', {})
    const listed = (all.result as { campaigns: PlainRecord[] }).campaigns
    const seeded = await campaigns()
    expect(listed.map((campaign) => campaign.id).sort()).toEqual(seeded.map((campaign) => campaign.id).sort())
    for (const campaign of listed) {
      expect(campaign.recipientCount).toBe((await recipientsOf(campaign.id)).length)
    }
    expect(all.summary).toBe('List campaigns')

    const sent = await run('list_campaigns', { status: 'sent', channel: 'email' })
    const sentListed = (sent.result as { campaigns: PlainRecord[] }).campaigns
    expect(sentListed).toHaveLength(1)
    expect(sentListed[0]).toMatchObject({ status: 'sent', recipientCount: 36 })
    expect(sent.summary).toBe('List sent email campaigns')

    const sms = await run('list_campaigns', { channel: 'sms' })
    expect((sms.result as { campaigns: unknown[] }).campaigns).toHaveLength(0)
    await expect(run('list_campaigns', { status: 'archived' })).rejects.toMatchObject({
      code: 'validation_failed',
    })
  })
})

describe('get_campaign_stats', () => {
  it('computes counts and rates of the sent campaign from its recipients, agreeing with the stored stats', async () => {
    const sent = await seededCampaign('sent')
    const outcome = await run('get_campaign_stats', { campaign: String(sent.name) })
    const result = outcome.result as {
      recipients: { total: number; byStatus: Record<string, number> }
      stats: Record<string, number>
      rates: Record<string, number | null>
      storedStats: Record<string, number>
    }
    expect(result.recipients).toEqual({
      total: 36,
      byStatus: { pending: 0, sent: 0, delivered: 12, opened: 13, clicked: 8, bounced: 2, unsubscribed: 1 },
    })
    expect(result.stats).toEqual({
      sent: 36,
      delivered: 34,
      opened: 21,
      clicked: 8,
      bounced: 2,
      unsubscribed: 1,
    })
    expect(result.storedStats).toEqual(result.stats)
    expect(result.rates).toEqual({
      openRate: Math.round((21 / 34) * 10_000) / 10_000,
      clickRate: Math.round((8 / 34) * 10_000) / 10_000,
      clickToOpenRate: Math.round((8 / 21) * 10_000) / 10_000,
      bounceRate: Math.round((2 / 36) * 10_000) / 10_000,
      unsubscribeRate: Math.round((1 / 34) * 10_000) / 10_000,
    })
    expect(outcome.summary).toBe(`Get the stats of campaign '${String(sent.name)}'`)
  })

  it('finds a campaign by part of its name or id; rates are null before anything is sent', async () => {
    const scheduled = await seededCampaign('scheduled')
    const byName = await run('get_campaign_stats', { campaign: 'spring webinar' })
    const result = byName.result as { campaign: { id: string }; stats: { sent: number }; rates: object }
    expect(result.campaign.id).toBe(scheduled.id)
    expect(result.stats.sent).toBe(0)
    expect(result.rates).toEqual({
      openRate: null,
      clickRate: null,
      clickToOpenRate: null,
      bounceRate: null,
      unsubscribeRate: null,
    })
    expect(byName.result).not.toHaveProperty('storedStats')
    const byId = await run('get_campaign_stats', { campaign: scheduled.id })
    expect((byId.result as { recipients: { total: number } }).recipients.total).toBe(28)
  })

  it('returns candidates for an ambiguous name and not found for unknown or foreign campaigns', async () => {
    await newDraft({ name: 'Partner promo North' })
    await newDraft({ name: 'Partner promo South' })
    const error = await run('get_campaign_stats', { campaign: 'partner promo' }).catch(
      (caught: unknown) => caught,
    )
    expect(error).toMatchObject({ code: 'ambiguous_reference', status: 409 })
    expect((error as { details: { candidates: unknown[] } }).details.candidates).toHaveLength(2)
    await expect(run('get_campaign_stats', { campaign: 'No such campaign' })).rejects.toMatchObject({
      code: 'not_found',
    })
    const foreign = (await campaigns(other))[0]!
    await expect(run('get_campaign_stats', { campaign: foreign.id })).rejects.toMatchObject({
      code: 'not_found',
    })
  })
})

describe('create_campaign', () => {
  it('creates a draft, and undo removes it', async () => {
    const before = await counts()
    const outcome = await run('create_campaign', {
      name: 'Spring launch',
      subject: 'Meet the new dashboard',
      body: 'Hi there, ...',
    })
    expect(outcome.summary).toBe(
      "Create draft email campaign 'Spring launch' with subject 'Meet the new dashboard'",
    )
    const created = (outcome.result as { campaign: PlainRecord }).campaign
    expect(await campaignById(created.id)).toMatchObject({
      name: 'Spring launch',
      channel: 'email',
      status: 'draft',
      subject: 'Meet the new dashboard',
      createdById: bed.members.owner.userId,
      sentAt: null,
      scheduledAt: null,
    })
    await undo(outcome.actionId)
    expect(await campaignById(created.id)).toBeUndefined()
    expect(await counts()).toEqual(before)
  })

  it('creates an SMS draft without a subject', async () => {
    const outcome = await run('create_campaign', {
      name: 'Flash sale',
      channel: 'sms',
      body: 'Sale today only!',
    })
    const created = (outcome.result as { campaign: PlainRecord }).campaign
    expect(await campaignById(created.id)).toMatchObject({ channel: 'sms', subject: null, status: 'draft' })
  })

  it('refuses an email without subject, an SMS with one, a wrong channel or an empty body, writing nothing', async () => {
    const before = await counts()
    for (const input of [
      { name: 'No subject', body: 'x' },
      { name: 'SMS subject', channel: 'sms', subject: 'Hi', body: 'x' },
      { name: 'Fax', channel: 'fax', subject: 'Hi', body: 'x' },
      { name: 'Empty', subject: 'Hi', body: '   ' },
      { name: 'Long SMS', channel: 'sms', body: 'x'.repeat(1601) },
      { subject: 'Hi', body: 'no name' },
    ]) {
      await expect(run('create_campaign', input)).rejects.toMatchObject({ code: 'validation_failed' })
    }
    expect(await counts()).toEqual(before)
  })
})

describe('add_campaign_recipients', () => {
  it('adds by filter, skips contacts without email and those already added, and undo removes only its own', async () => {
    const allCustomers = await customers()
    const allContacts = await contacts()
    const customer = allCustomers.find(
      (candidate) =>
        candidate.status === 'active' &&
        allContacts.filter((contact) => contact.customerId === candidate.id).length >= 2,
    )!
    // A contact of that customer without an email address: an email campaign cannot reach them.
    await inTenant((tenant) =>
      createRecord(tenant, {
        kind: 'contact',
        values: { firstName: 'No', lastName: 'Email', email: null, customerId: customer.id },
      }),
    )
    const campaign = await newDraft({ name: 'Active customers update' })

    const ofCustomer = allContacts.filter((contact) => contact.customerId === customer.id && contact.email)
    const first = await run('add_campaign_recipients', {
      campaign: 'Active customers update',
      filter: { customerId: customer.id },
    })
    expect(first.summary).toBe(
      `Add ${ofCustomer.length} contacts to campaign 'Active customers update' (skipping 1 without an email address)`,
    )
    expect(first.result).toMatchObject({
      added: ofCustomer.length,
      skippedAlreadyAdded: 0,
      skippedUnreachable: 1,
    })
    const afterFirst = await recipientsOf(campaign.id)
    expect(afterFirst.map((recipient) => recipient.contactId).sort()).toEqual(
      ofCustomer.map((contact) => contact.id).sort(),
    )
    expect(afterFirst.every((recipient) => recipient.status === 'pending')).toBe(true)

    // Second run, wider: every contact of an active customer. The first batch is skipped.
    const activeIds = new Set(allCustomers.filter((c) => c.status === 'active').map((c) => c.id))
    const ofActive = allContacts.filter(
      (contact) => activeIds.has(String(contact.customerId)) && contact.email,
    )
    const second = await run('add_campaign_recipients', {
      campaign: campaign.id,
      filter: { customerStatus: 'active' },
    })
    const newOnes = ofActive.length - ofCustomer.length
    expect(second.summary).toBe(
      `Add ${newOnes} contacts to campaign 'Active customers update' (skipping ${ofCustomer.length} already added, 1 without an email address)`,
    )
    expect(second.result).toMatchObject({ added: newOnes, skippedAlreadyAdded: ofCustomer.length })
    const afterSecond = await recipientsOf(campaign.id)
    expect(afterSecond.map((recipient) => recipient.contactId).sort()).toEqual(
      ofActive.map((contact) => contact.id).sort(),
    )

    // The same again adds nothing: a clear error, no write.
    await expect(
      run('add_campaign_recipients', { campaign: campaign.id, filter: { customerStatus: 'active' } }),
    ).rejects.toMatchObject({ code: 'validation_failed', message: expect.stringContaining('already added') })
    expect(await recipientsOf(campaign.id)).toHaveLength(afterSecond.length)

    // Undo of the second run removes exactly its recipients; the first batch stays.
    await undo(second.actionId)
    expect((await recipientsOf(campaign.id)).map((recipient) => recipient.id).sort()).toEqual(
      afterFirst.map((recipient) => recipient.id).sort(),
    )
  })

  it('filters by job title and email domain', async () => {
    const allContacts = await contacts()
    const campaign = await newDraft()
    const ctos = allContacts.filter((contact) =>
      String(contact.title ?? '')
        .toLowerCase()
        .includes('cto'),
    )
    const byTitle = await run('add_campaign_recipients', {
      campaign: campaign.id,
      filter: { titleContains: 'cto' },
    })
    expect((byTitle.result as { added: number }).added).toBe(ctos.length)

    const domain = String(allContacts[0]!.email).split('@')[1]!
    const atDomain = allContacts.filter((contact) => String(contact.email).endsWith(`@${domain}`))
    const domainCampaign = await newDraft()
    await run('add_campaign_recipients', {
      campaign: domainCampaign.id,
      filter: { emailDomain: domain.toUpperCase() },
    })
    expect((await recipientsOf(domainCampaign.id)).map((recipient) => recipient.contactId).sort()).toEqual(
      atDomain.map((contact) => contact.id).sort(),
    )
  })

  it('adds by ids (duplicates once), also to a scheduled campaign, and undo removes them', async () => {
    const scheduled = await seededCampaign('scheduled')
    const onIt = new Set((await recipientsOf(scheduled.id)).map((recipient) => recipient.contactId))
    const fresh = (await contacts()).filter((contact) => contact.email && !onIt.has(contact.id)).slice(0, 3)
    const ids = fresh.map((contact) => contact.id)
    const before = await counts()
    const outcome = await run('add_campaign_recipients', {
      campaign: scheduled.id,
      contactIds: [...ids, ids[0]!, [...onIt][0]!],
    })
    expect(outcome.summary).toBe(
      `Add 3 contacts to campaign '${String(scheduled.name)}' (skipping 1 already added)`,
    )
    expect((await counts()).recipients).toBe(before.recipients + 3)
    await undo(outcome.actionId)
    expect(await counts()).toEqual(before)
  })

  it('refuses bad selections and closed campaigns, writing nothing', async () => {
    const campaign = await newDraft()
    const sent = await seededCampaign('sent')
    const someContact = (await contacts())[0]!
    const foreignContact = (
      await inTenant((tenant) => findRecords(tenant, { kind: 'contact', where: {}, limit: 1 }), other)
    )[0]!
    const foreignCampaign = (await campaigns(other))[0]!
    const before = await counts()
    const expectations: [unknown, string][] = [
      [{ campaign: campaign.id, contactIds: [] }, 'validation_failed'],
      [{ campaign: campaign.id }, 'validation_failed'],
      [{ campaign: campaign.id, contactIds: [someContact.id], filter: {} }, 'validation_failed'],
      [{ campaign: campaign.id, filter: { status: 'active' } }, 'validation_failed'],
      [{ campaign: campaign.id, filter: { customerStatus: 'vip' } }, 'validation_failed'],
      [{ campaign: campaign.id, filter: { emailDomain: 'not a domain' } }, 'validation_failed'],
      [{ campaign: campaign.id, contactIds: ['nope'] }, 'validation_failed'],
      [{ campaign: campaign.id, contactIds: [someContact.id, foreignContact.id] }, 'not_found'],
      [{ campaign: campaign.id, contactIds: ['00000000-0000-4000-8000-000000000001'] }, 'not_found'],
      [
        { campaign: campaign.id, filter: { customerId: '00000000-0000-4000-8000-000000000002' } },
        'not_found',
      ],
      [{ campaign: campaign.id, filter: { titleContains: 'Astronaut' } }, 'validation_failed'],
      [{ campaign: foreignCampaign.id, contactIds: [someContact.id] }, 'not_found'],
      [{ campaign: sent.id, contactIds: [someContact.id] }, 'conflict'],
      [
        { campaign: campaign.id, contactIds: Array.from({ length: 5001 }, () => someContact.id) },
        'validation_failed',
      ],
    ]
    for (const [input, code] of expectations) {
      await expect(
        run('add_campaign_recipients', input),
        JSON.stringify(input).slice(0, 120),
      ).rejects.toMatchObject({
        code,
      })
    }
    expect(await counts()).toEqual(before)
  })

  it('asks a member for approval with the count in the summary, and adds once approved', async () => {
    const campaign = await newDraft({ name: 'Needs approval' })
    const ids = (await contacts()).slice(0, 4).map((contact) => contact.id)
    const pending = await bed.service.invoke({
      actor: bed.actor('member'),
      name: 'add_campaign_recipients',
      input: { campaign: 'Needs approval', contactIds: ids },
    })
    expect(pending).toMatchObject({
      status: 'pending',
      summary: "Add 4 contacts to campaign 'Needs approval'",
    })
    expect(await recipientsOf(campaign.id)).toHaveLength(0)
    await bed.service.approve({ actor: bed.actor('owner'), actionId: pending.actionId })
    expect(await recipientsOf(campaign.id)).toHaveLength(4)
  })
})

describe('schedule_campaign', () => {
  it('schedules a draft in the future, and undo returns it to draft', async () => {
    const campaign = await draftWithRecipients(5)
    const scheduledAt = '2026-03-05T14:00:00Z'
    const outcome = await run('schedule_campaign', { campaign: campaign.id, scheduledAt })
    expect(outcome.summary).toBe(
      `Schedule campaign '${String(campaign.name)}' to 5 recipients for Mar 5, 2026, 14:00 UTC`,
    )
    const stored = await campaignById(campaign.id)
    expect(stored?.status).toBe('scheduled')
    expect((stored!.scheduledAt as Date).toISOString()).toBe('2026-03-05T14:00:00.000Z')
    await undo(outcome.actionId)
    expect(await campaignById(campaign.id)).toMatchObject({ status: 'draft', scheduledAt: null })
  })

  it('moves a scheduled campaign to another time, and undo puts the old time back', async () => {
    const campaign = await draftWithRecipients(2)
    await run('schedule_campaign', { campaign: campaign.id, scheduledAt: '2026-03-06T10:00:00Z' })
    const outcome = await run('schedule_campaign', {
      campaign: campaign.id,
      scheduledAt: '2026-03-09T08:30:00+01:00',
    })
    expect(outcome.summary).toBe(
      `Reschedule campaign '${String(campaign.name)}' to 2 recipients for Mar 9, 2026, 07:30 UTC`,
    )
    expect((await campaignById(campaign.id))?.scheduledAt).toEqual(new Date('2026-03-09T07:30:00Z'))
    await expect(
      run('schedule_campaign', { campaign: campaign.id, scheduledAt: '2026-03-09T07:30:00Z' }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      message: expect.stringContaining('already scheduled'),
    })
    await undo(outcome.actionId)
    expect(await campaignById(campaign.id)).toMatchObject({
      status: 'scheduled',
      scheduledAt: new Date('2026-03-06T10:00:00Z'),
    })
  })

  it('refuses the past, an empty audience and sent campaigns, writing nothing', async () => {
    const empty = await newDraft()
    const ready = await draftWithRecipients(2)
    const sent = await seededCampaign('sent')
    const before = await campaigns()
    await expect(
      run('schedule_campaign', {
        campaign: ready.id,
        scheduledAt: new Date(start.getTime() - 60_000).toISOString(),
      }),
    ).rejects.toMatchObject({ code: 'validation_failed', message: expect.stringContaining('future') })
    await expect(
      run('schedule_campaign', { campaign: ready.id, scheduledAt: 'tomorrow' }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
    })
    await expect(
      run('schedule_campaign', { campaign: empty.id, scheduledAt: future(1) }),
    ).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('no recipients'),
    })
    await expect(
      run('schedule_campaign', { campaign: sent.id, scheduledAt: future(1) }),
    ).rejects.toMatchObject({
      code: 'conflict',
    })
    expect(await campaigns()).toEqual(before)
  })
})

describe('pause_campaign', () => {
  it('pauses a scheduled campaign, and undo schedules it again', async () => {
    const campaign = await draftWithRecipients(3)
    await run('schedule_campaign', { campaign: campaign.id, scheduledAt: future(2) })
    const outcome = await run('pause_campaign', { campaign: String(campaign.name) })
    expect(outcome.summary).toBe(`Pause campaign '${String(campaign.name)}' (now scheduled)`)
    expect((await campaignById(campaign.id))?.status).toBe('paused')
    await undo(outcome.actionId)
    expect((await campaignById(campaign.id))?.status).toBe('scheduled')
  })

  it('refuses drafts and sent campaigns', async () => {
    const draft = await newDraft()
    await expect(run('pause_campaign', { campaign: draft.id })).rejects.toMatchObject({ code: 'conflict' })
    await expect(
      run('pause_campaign', { campaign: (await seededCampaign('sent')).id }),
    ).rejects.toMatchObject({
      code: 'conflict',
    })
    expect((await campaignById(draft.id))?.status).toBe('draft')
  })
})

describe('send_campaign', () => {
  it('sends the scheduled campaign: recipients sent, stats stored, undo refused', async () => {
    const scheduled = await seededCampaign('scheduled')
    const pendingBefore = (await recipientsOf(scheduled.id)).filter(
      (recipient) => recipient.status === 'pending',
    )
    bed.clock.advance(30 * 60 * 1000)
    const sentAt = bed.clock.now()
    try {
      const outcome = await run('send_campaign', { campaign: scheduled.id })
      expect(outcome.summary).toBe(
        `Send email campaign '${String(scheduled.name)}' now to ${pendingBefore.length} recipients`,
      )
      const stored = await campaignById(scheduled.id)
      expect(stored).toMatchObject({ status: 'sent', sentAt })
      expect(stored!.stats).toEqual({
        sent: pendingBefore.length,
        delivered: 0,
        opened: 0,
        clicked: 0,
        bounced: 0,
        unsubscribed: 0,
      })
      const recipients = await recipientsOf(scheduled.id)
      expect(recipients.every((recipient) => recipient.status === 'sent')).toBe(true)
      expect(
        recipients.every((recipient) => (recipient.statusChangedAt as Date).getTime() === sentAt.getTime()),
      ).toBe(true)

      const stats = await run('get_campaign_stats', { campaign: scheduled.id })
      expect((stats.result as { storedStats: unknown }).storedStats).toEqual(stored!.stats)

      await expect(undo(outcome.actionId)).rejects.toMatchObject({
        code: 'conflict',
        status: 409,
        message: 'A sent campaign cannot be unsent: the messages have left.',
      })
      expect((await campaignById(scheduled.id))?.status).toBe('sent')

      await expect(run('send_campaign', { campaign: scheduled.id })).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringContaining('is sent'),
      })
    } finally {
      bed.clock.set(start)
    }
  })

  it('keeps a sent campaign: undoing its creation or its recipients is refused afterwards', async () => {
    const created = await run('create_campaign', { name: 'Sent for good', subject: 'Hi', body: 'Hello' })
    const campaign = (created.result as { campaign: PlainRecord }).campaign
    const ids = (await contacts()).slice(0, 2).map((contact) => contact.id)
    const added = await run('add_campaign_recipients', { campaign: campaign.id, contactIds: ids })
    await run('send_campaign', { campaign: campaign.id })
    for (const actionId of [added.actionId, created.actionId]) {
      await expect(undo(actionId)).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringContaining('changed since (status)'),
      })
    }
    expect((await campaignById(campaign.id))?.status).toBe('sent')
    expect((await recipientsOf(campaign.id)).map((recipient) => recipient.status)).toEqual(['sent', 'sent'])
  })

  it('bounces recipients whose address is gone, and refuses drafts without recipients', async () => {
    const campaign = await draftWithRecipients(3)
    const [first] = await recipientsOf(campaign.id)
    const contact = await inTenant((tenant) =>
      findRecord(tenant, { kind: 'contact', id: String(first!.contactId) }),
    )
    await inTenant((tenant) =>
      updateRecord(tenant, { kind: 'contact', id: contact!.id, changes: { email: null } }),
    )
    try {
      const outcome = await run('send_campaign', { campaign: campaign.id })
      expect(outcome.result).toMatchObject({ sent: 2, bounced: 1 })
      expect((await campaignById(campaign.id))?.stats).toMatchObject({ sent: 3, bounced: 1, delivered: 0 })
    } finally {
      await inTenant((tenant) =>
        updateRecord(tenant, { kind: 'contact', id: contact!.id, changes: { email: contact!.email } }),
      )
    }
    const empty = await newDraft()
    await expect(run('send_campaign', { campaign: empty.id })).rejects.toMatchObject({ code: 'conflict' })
    expect((await campaignById(empty.id))?.status).toBe('draft')
  })

  it('waits for approval when a member asks', async () => {
    const campaign = await draftWithRecipients(2)
    const pending = await bed.service.invoke({
      actor: bed.actor('member'),
      name: 'send_campaign',
      input: { campaign: campaign.id },
    })
    expect(pending).toMatchObject({ status: 'pending' })
    expect((await campaignById(campaign.id))?.status).toBe('draft')
  })
})

describe('delete_campaign', () => {
  it('deletes the seeded draft with its recipients, and undo restores both', async () => {
    const draft = (await campaigns()).find(
      (campaign) => campaign.name === 'Win-back Offer for Past Customers',
    )!
    const recipients = await recipientsOf(draft.id)
    expect(recipients.length).toBeGreaterThan(0)
    const before = await counts()
    const outcome = await run('delete_campaign', { campaign: 'Win-back Offer' })
    expect(outcome.summary).toBe(
      `Delete draft campaign 'Win-back Offer for Past Customers' and its ${recipients.length} recipients`,
    )
    expect(await campaignById(draft.id)).toBeUndefined()
    expect(await recipientsOf(draft.id)).toHaveLength(0)
    expect(await counts()).toEqual({
      campaigns: before.campaigns - 1,
      recipients: before.recipients - recipients.length,
    })

    await undo(outcome.actionId)
    expect(await campaignById(draft.id)).toMatchObject({
      name: draft.name,
      status: 'draft',
      body: draft.body,
    })
    const restored = await recipientsOf(draft.id)
    expect(restored.map((recipient) => [recipient.id, recipient.contactId, recipient.status]).sort()).toEqual(
      recipients.map((recipient) => [recipient.id, recipient.contactId, recipient.status]).sort(),
    )
    expect(await counts()).toEqual(before)
  })

  it('refuses anything but drafts, and foreign campaigns', async () => {
    const before = await counts()
    await expect(
      run('delete_campaign', { campaign: (await seededCampaign('sent')).id }),
    ).rejects.toMatchObject({
      code: 'conflict',
    })
    await expect(run('delete_campaign', { campaign: (await campaigns(other))[0]!.id })).rejects.toMatchObject(
      {
        code: 'not_found',
      },
    )
    expect(await counts()).toEqual(before)
  })
})
