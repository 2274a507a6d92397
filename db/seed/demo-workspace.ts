import type { Faker } from '@faker-js/faker'
import { type Clock, randomIds } from '../../core/index.ts'
import { campaignStatsFromCounts } from '../campaign-stats.ts'
import type { Database } from '../database.ts'
import type { Creatable } from '../models/define-tenant-model.ts'
import type {
  CampaignAttributes,
  CampaignRecipientAttributes,
  ContactAttributes,
  CustomerAttributes,
  DealAttributes,
  InteractionAttributes,
  ProspectAttributes,
  TaskAttributes,
} from '../models/index.ts'
import {
  addMember,
  createWorkspace,
  type MemberSummary,
  type WorkspaceSummary,
} from '../queries/workspaces.ts'
import type { MemberRole } from '../vocabulary.ts'

export interface SeedDemoWorkspaceOptions {
  database: Database
  /** "Now" for the demo: every date in the data is relative to it. */
  clock: Clock
  /** The faker seed: the same clock and seed always give the same data (default 42). */
  random?: number
  /** Default "demo". */
  slug?: string
  /** Default "Acme Demo Co". */
  name?: string
}

export interface SeededDemoWorkspace {
  workspace: WorkspaceSummary
  /** Owner first, then admin, members and the viewer. */
  members: MemberSummary[]
  /** Rows created per table name, e.g. `{ customers: 20, deals: 25 }`. */
  counts: Record<string, number>
}

/**
 * The demo team. Fixed (not generated) so the demo logins stay the same across seeds; the users are
 * shared when several demo workspaces are seeded, as one person can belong to many workspaces.
 */
export const demoMembers: readonly { name: string; email: string; role: MemberRole }[] = [
  { name: 'Olivia Bennett', email: 'olivia.bennett@acme-demo.test', role: 'owner' },
  { name: 'Marcus Chen', email: 'marcus.chen@acme-demo.test', role: 'admin' },
  { name: 'Priya Raman', email: 'priya.raman@acme-demo.test', role: 'member' },
  { name: 'Diego Alvarez', email: 'diego.alvarez@acme-demo.test', role: 'member' },
  { name: 'Hannah Weber', email: 'hannah.weber@acme-demo.test', role: 'viewer' },
]

/** Days after which an open deal without any interaction counts as stale (the insight's threshold). */
const staleAfterDays = 14
const dayMs = 24 * 60 * 60 * 1000

/**
 * Seeds a realistic demo workspace: the workspace and its five members (system work, one
 * transaction), then customers, contacts, prospects, deals, interactions, tasks and campaigns
 * (tenant work, one transaction under row-level security, acting as the owner).
 *
 * The data is deterministic for a given `clock` and `random` seed, and shaped so the assistant has
 * something to notice: stale open deals (no interaction for more than 14 days), deals past their
 * expected close date, overdue tasks, hot prospects (score >= 80) and overdue follow-ups, and one
 * sent campaign whose `stats` agree with its recipients. Customer and contact domains use the
 * reserved `.example` TLD, so nothing can ever reach a real mailbox.
 *
 * Throws `AppError('conflict')` when a workspace with the slug already exists (nothing is written).
 */
export async function seedDemoWorkspace({
  database,
  clock,
  random = 42,
  slug = 'demo',
  name = 'Acme Demo Co',
}: SeedDemoWorkspaceOptions): Promise<SeededDemoWorkspace> {
  // Loaded lazily: faker with all its locales is large, and only seeding needs it.
  const { Faker: FakerClass, base, en } = await import('@faker-js/faker')
  // A private instance, so seeding neither depends on nor disturbs anyone else's faker state.
  const faker = new FakerClass({ locale: [en, base] })
  faker.seed(random)
  const now = clock.now()
  faker.setDefaultRefDate(now)

  const { workspace, members } = await database.withSystem(async (system) => {
    const workspace = await createWorkspace(system, { name, slug })
    const members: MemberSummary[] = []
    for (const member of demoMembers) {
      members.push(await addMember(system, { workspaceId: workspace.id, ...member }))
    }
    return { workspace, members }
  })

  // Everything is generated before the tenant transaction opens, so it stays short.
  const records = buildDemoRecords({ faker, now, members })
  const owner = members.find((member) => member.role === 'owner')!
  await database.withTenant({ workspaceId: workspace.id, userId: owner.userId }, async (tenant) => {
    const { models, transaction } = tenant
    // Parents before children: the composite foreign keys check each link on insert.
    await models.Customer.bulkCreate(records.customers, { transaction })
    await models.Contact.bulkCreate(records.contacts, { transaction })
    await models.Prospect.bulkCreate(records.prospects, { transaction })
    await models.Deal.bulkCreate(records.deals, { transaction })
    await models.Interaction.bulkCreate(records.interactions, { transaction })
    await models.Task.bulkCreate(records.tasks, { transaction })
    await models.Campaign.bulkCreate(records.campaigns, { transaction })
    await models.CampaignRecipient.bulkCreate(records.campaignRecipients, { transaction })
  })

  return {
    workspace,
    members,
    counts: {
      workspace_members: members.length,
      customers: records.customers.length,
      contacts: records.contacts.length,
      prospects: records.prospects.length,
      deals: records.deals.length,
      crm_interactions: records.interactions.length,
      tasks: records.tasks.length,
      campaigns: records.campaigns.length,
      campaign_recipients: records.campaignRecipients.length,
    },
  }
}

/** What every generator shares: the seeded faker, "now" and who can own records. */
interface SeedContext {
  faker: Faker
  now: Date
  /** Members who can own and do work (everyone but the viewer). */
  sellers: string[]
}

interface DemoRecords {
  customers: Creatable<CustomerAttributes>[]
  contacts: Creatable<ContactAttributes>[]
  prospects: Creatable<ProspectAttributes>[]
  deals: Creatable<DealAttributes>[]
  interactions: Creatable<InteractionAttributes>[]
  tasks: Creatable<TaskAttributes>[]
  campaigns: Creatable<CampaignAttributes>[]
  campaignRecipients: Creatable<CampaignRecipientAttributes>[]
}

/** Generates all rows in memory, in a fixed order of faker calls (that order is the determinism). */
function buildDemoRecords({
  faker,
  now,
  members,
}: {
  faker: Faker
  now: Date
  members: MemberSummary[]
}): DemoRecords {
  const context: SeedContext = {
    faker,
    now,
    sellers: members.filter((member) => member.role !== 'viewer').map((member) => member.userId),
  }
  const customers = buildCustomers(context)
  const contacts = buildContacts(context, { customers })
  const prospects = buildProspects(context, { customers, contacts })
  const { deals, interactions } = buildDealsAndInteractions(context, { customers, contacts })
  const tasks = buildTasks(context, { customers, contacts, deals })
  const { campaigns, campaignRecipients } = buildCampaigns(context, { customers, contacts })
  return { customers, contacts, prospects, deals, interactions, tasks, campaigns, campaignRecipients }
}

// ---------------------------------------------------------------------------------------------
// Customers and contacts

const industries = [
  'Software',
  'Healthcare',
  'Manufacturing',
  'Retail',
  'Financial Services',
  'Logistics',
  'Education',
  'Energy',
  'Media',
  'Hospitality',
  'Real Estate',
  'Telecommunications',
]

const contactTitles = [
  'CEO',
  'CTO',
  'CFO',
  'COO',
  'VP of Sales',
  'VP of Engineering',
  'Head of Operations',
  'Head of Finance',
  'Marketing Director',
  'Procurement Manager',
  'IT Manager',
  'Operations Manager',
  'Product Manager',
  'Customer Success Lead',
  'Office Manager',
  'Head of People',
]

const customerNotes = [
  'Prefers email over calls; decisions go through the finance team.',
  'Expanding into two new regions this year.',
  'Renewal conversations usually start a quarter ahead.',
  'Very responsive champion, slow procurement.',
  'Asked for a security review before any expansion.',
  'Budget cycle starts in April.',
]

function buildCustomers({ faker, now, sellers }: SeedContext): Creatable<CustomerAttributes>[] {
  // A fixed status mix, shuffled: the demo always shows every status.
  const statuses = faker.helpers.shuffle([
    ...repeat('active', 10),
    ...repeat('lead', 5),
    ...repeat('inactive', 2),
    ...repeat('churned', 3),
  ])
  const names = uniqueValues(statuses.length, () => faker.company.name())
  return statuses.map((status, index) => {
    const name = names[index]!
    const createdAt = daysFrom(now, -faker.number.int({ min: 30, max: 540 }), faker)
    return {
      id: randomIds(),
      name,
      domain: `${domainLabel(name)}.example`,
      industry: faker.helpers.arrayElement(industries),
      status,
      ownerId: faker.helpers.arrayElement(sellers),
      notes: faker.datatype.boolean({ probability: 0.4 }) ? faker.helpers.arrayElement(customerNotes) : null,
      createdAt,
      updatedAt: createdAt,
    }
  })
}

function buildContacts(
  { faker, now, sellers }: SeedContext,
  { customers }: { customers: Creatable<CustomerAttributes>[] },
): Creatable<ContactAttributes>[] {
  // Every customer gets two contacts, 14 more go to random customers, and 6 belong to nobody
  // (consultants, people met at events): 60 in all.
  const homes: (Creatable<CustomerAttributes> | undefined)[] = [
    ...customers,
    ...customers,
    ...Array.from({ length: 14 }, () => faker.helpers.arrayElement(customers)),
    ...repeat(undefined, 6),
  ]
  const usedEmails = new Set<string>()
  return homes.map((customer) => {
    const firstName = faker.person.firstName()
    const lastName = faker.person.lastName()
    const domain =
      customer?.domain ?? faker.helpers.arrayElement(['mail.example', 'inbox.example', 'post.example'])
    const email = uniqueEmail(usedEmails, `${emailPart(firstName)}.${emailPart(lastName)}`, domain)
    const createdAt = customer
      ? new Date(
          Math.min(
            customer.createdAt!.getTime() + faker.number.int({ min: 0, max: 20 }) * dayMs,
            now.getTime(),
          ),
        )
      : daysFrom(now, -faker.number.int({ min: 5, max: 200 }), faker)
    return {
      id: randomIds(),
      firstName,
      lastName,
      email,
      phone: faker.datatype.boolean({ probability: 0.85 }) ? faker.phone.number({ style: 'national' }) : null,
      title: faker.helpers.arrayElement(contactTitles),
      customerId: customer?.id ?? null,
      ownerId: customer?.ownerId ?? faker.helpers.arrayElement(sellers),
      createdAt,
      updatedAt: createdAt,
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Prospects

type FollowUp = 'none' | 'overdue' | 'upcoming'

/** Stage, follow-up state and score band of each prospect: 30 in all, every stage represented. */
const prospectPlan: { stage: string; followUps: FollowUp[]; score: [number, number] }[] = [
  { stage: 'new', followUps: ['none', 'none', 'none', 'upcoming', 'upcoming', 'upcoming'], score: [5, 45] },
  {
    stage: 'contacted',
    followUps: ['overdue', 'overdue', 'upcoming', 'upcoming', 'upcoming', 'none'],
    score: [20, 60],
  },
  {
    stage: 'qualified',
    followUps: ['overdue', 'overdue', 'upcoming', 'upcoming', 'upcoming'],
    score: [45, 85],
  },
  { stage: 'proposal', followUps: ['overdue', 'upcoming', 'upcoming', 'upcoming'], score: [60, 90] },
  // Negotiation prospects are the hot ones (score >= 80).
  { stage: 'negotiation', followUps: ['overdue', 'upcoming', 'none'], score: [80, 98] },
  { stage: 'won', followUps: ['none', 'none', 'none'], score: [85, 100] },
  { stage: 'lost', followUps: ['none', 'none', 'none'], score: [5, 35] },
]

const prospectSources = ['website', 'referral', 'linkedin', 'event', 'webinar', 'cold outreach', 'partner']

const prospectNotes = [
  'Downloaded the pricing guide twice this week.',
  'Met at the regional SaaS meetup; wants a demo for their ops team.',
  'Referred by an existing customer.',
  'Currently on a competitor contract that ends in Q3.',
  'Asked about SSO and audit logs.',
  'Small team today, hiring fast.',
]

function buildProspects(
  { faker, now, sellers }: SeedContext,
  {
    customers,
    contacts,
  }: { customers: Creatable<CustomerAttributes>[]; contacts: Creatable<ContactAttributes>[] },
): Creatable<ProspectAttributes>[] {
  const plan = faker.helpers.shuffle(
    prospectPlan.flatMap(({ stage, followUps, score }) =>
      followUps.map((followUp) => ({ stage, followUp, score })),
    ),
  )
  // A few prospects are people already in the CRM at companies that are still leads.
  const leadCustomerIds = new Set(customers.filter((customer) => customer.status === 'lead').map((c) => c.id))
  const knownPeople = faker.helpers.arrayElements(
    contacts.filter((contact) => contact.customerId && leadCustomerIds.has(contact.customerId)),
    4,
  )
  const customerNames = new Map(customers.map((customer) => [customer.id, customer.name]))
  const usedEmails = new Set<string>()
  return plan.map(({ stage, followUp, score }, index) => {
    const known = knownPeople[index]
    let person: { name: string; companyName: string; email: string; contactId: string | null }
    if (known) {
      person = {
        name: `${known.firstName} ${known.lastName}`,
        companyName: customerNames.get(known.customerId!)!,
        email: known.email!,
        contactId: known.id!,
      }
    } else {
      const firstName = faker.person.firstName()
      const lastName = faker.person.lastName()
      const companyName = faker.company.name()
      person = {
        name: `${firstName} ${lastName}`,
        companyName,
        email: uniqueEmail(usedEmails, emailPart(firstName), `${domainLabel(companyName)}.example`),
        contactId: null,
      }
    }
    const createdAt =
      stage === 'new'
        ? daysFrom(now, -faker.number.int({ min: 1, max: 10 }), faker)
        : daysFrom(now, -faker.number.int({ min: 15, max: 120 }), faker)
    let nextFollowUpAt: Date | null = null
    if (followUp === 'overdue') nextFollowUpAt = daysFrom(now, -faker.number.int({ min: 1, max: 9 }), faker)
    if (followUp === 'upcoming') nextFollowUpAt = daysFrom(now, faker.number.int({ min: 1, max: 14 }), faker)
    return {
      id: randomIds(),
      ...person,
      stage,
      score: faker.number.int({ min: score[0], max: score[1] }),
      source: faker.helpers.arrayElement(prospectSources),
      ownerId: faker.helpers.arrayElement(sellers),
      nextFollowUpAt,
      notes: faker.datatype.boolean({ probability: 0.5 }) ? faker.helpers.arrayElement(prospectNotes) : null,
      createdAt,
      updatedAt: createdAt,
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Deals and interactions

/** How recent an open deal's latest interaction is. */
type Activity = 'fresh' | 'stale' | 'silent'

interface DealPlanEntry {
  stage: string
  activity: Activity
  /** Open deals only: the expected close date has already passed. */
  pastClose: boolean
  currency: 'USD' | 'EUR'
}

/**
 * 17 open deals (6 stale, of which 2 never had an interaction; 4 past their close date) and 8 closed
 * ones (5 won, 3 lost): 25 in all.
 */
const dealPlan: DealPlanEntry[] = [
  { stage: 'qualification', activity: 'fresh', pastClose: false, currency: 'USD' },
  { stage: 'qualification', activity: 'fresh', pastClose: false, currency: 'USD' },
  { stage: 'qualification', activity: 'silent', pastClose: false, currency: 'USD' },
  { stage: 'qualification', activity: 'stale', pastClose: false, currency: 'EUR' },
  { stage: 'qualification', activity: 'fresh', pastClose: false, currency: 'USD' },
  { stage: 'discovery', activity: 'fresh', pastClose: false, currency: 'USD' },
  { stage: 'discovery', activity: 'stale', pastClose: true, currency: 'USD' },
  { stage: 'discovery', activity: 'fresh', pastClose: false, currency: 'EUR' },
  { stage: 'discovery', activity: 'fresh', pastClose: false, currency: 'USD' },
  { stage: 'proposal', activity: 'fresh', pastClose: true, currency: 'USD' },
  { stage: 'proposal', activity: 'stale', pastClose: false, currency: 'USD' },
  { stage: 'proposal', activity: 'silent', pastClose: true, currency: 'USD' },
  { stage: 'proposal', activity: 'fresh', pastClose: false, currency: 'USD' },
  { stage: 'negotiation', activity: 'fresh', pastClose: false, currency: 'USD' },
  { stage: 'negotiation', activity: 'stale', pastClose: true, currency: 'USD' },
  { stage: 'negotiation', activity: 'fresh', pastClose: false, currency: 'EUR' },
  { stage: 'negotiation', activity: 'fresh', pastClose: false, currency: 'USD' },
  { stage: 'won', activity: 'fresh', pastClose: false, currency: 'USD' },
  { stage: 'won', activity: 'fresh', pastClose: false, currency: 'USD' },
  { stage: 'won', activity: 'fresh', pastClose: false, currency: 'EUR' },
  { stage: 'won', activity: 'fresh', pastClose: false, currency: 'USD' },
  { stage: 'won', activity: 'fresh', pastClose: false, currency: 'USD' },
  { stage: 'lost', activity: 'fresh', pastClose: false, currency: 'USD' },
  { stage: 'lost', activity: 'fresh', pastClose: false, currency: 'USD' },
  { stage: 'lost', activity: 'fresh', pastClose: false, currency: 'USD' },
]

const dealProducts = [
  'Annual platform license',
  'Enterprise upgrade',
  'Onboarding services',
  'Analytics add-on',
  'Pilot program',
  'Multi-year renewal',
  'Regional rollout',
  'Support plan upgrade',
  'Data migration project',
  'Team expansion seats',
]

/** Interaction summaries; `{contact}` is replaced by the contact's first name. */
const interactionSummaries: Record<string, string[]> = {
  call: [
    'Call with {contact}: walked through pricing tiers and agreed on next steps.',
    'Quick check-in call with {contact}; they are comparing us with two other vendors.',
    'Discovery call with {contact}: the main pain point is manual weekly reporting.',
    'Called {contact} about the timeline; legal review starts next week.',
  ],
  email: [
    'Sent {contact} the updated quote with the volume discount.',
    'Emailed {contact} our answers to the security questionnaire.',
    '{contact} replied asking for a customer reference in their industry.',
    'Shared the implementation plan with {contact} by email.',
  ],
  meeting: [
    'On-site meeting with {contact} and their team to review the rollout plan.',
    "Product demo for {contact}'s team; strong interest in the analytics module.",
    'Quarterly business review with {contact}: usage is up, two new teams onboarded.',
    'Workshop with {contact} to map their current process.',
  ],
  note: [
    '{contact} expects budget approval after their board meeting.',
    '{contact} mentioned a competitor offer about 15% below our price.',
    'Champion is {contact}; procurement is the main blocker.',
    '{contact} is out of office for two weeks.',
  ],
}

function buildDealsAndInteractions(
  context: SeedContext,
  {
    customers,
    contacts,
  }: { customers: Creatable<CustomerAttributes>[]; contacts: Creatable<ContactAttributes>[] },
): { deals: Creatable<DealAttributes>[]; interactions: Creatable<InteractionAttributes>[] } {
  const { faker, now, sellers } = context
  const plan = faker.helpers.shuffle(dealPlan)
  // Won deals sit with active customers; open and lost deals with active customers and leads.
  const activeCustomers = customers.filter((customer) => customer.status === 'active')
  const pipelineCustomers = customers.filter(
    (customer) => customer.status === 'active' || customer.status === 'lead',
  )
  const contactsByCustomer = groupBy(contacts, (contact) => contact.customerId ?? '')
  const deals: Creatable<DealAttributes>[] = []
  const dealNames = new Set<string>()
  const interactions: Creatable<InteractionAttributes>[] = []

  for (const { stage, activity, pastClose, currency } of plan) {
    const customer = faker.helpers.arrayElement(stage === 'won' ? activeCustomers : pipelineCustomers)
    const contact = faker.helpers.arrayElement(contactsByCustomer.get(customer.id!) ?? [undefined])
    const ownerId =
      faker.datatype.boolean({ probability: 0.7 }) && customer.ownerId
        ? customer.ownerId
        : faker.helpers.arrayElement(sellers)
    const closed = stage === 'won' || stage === 'lost'
    const dollars = faker.number.int({
      min: 5_000,
      max: stage === 'won' ? 180_000 : 250_000,
      multipleOf: 500,
    })

    // Work backwards from the latest activity so every date is in order and never in the future.
    let latestActivityAt: Date | undefined
    let closedAt: Date | null = null
    let expectedCloseDate: string
    if (closed) {
      closedAt = daysFrom(now, -faker.number.int({ min: 3, max: 120 }), faker)
      latestActivityAt = new Date(closedAt.getTime() - faker.number.int({ min: 1, max: 48 }) * 60 * 60 * 1000)
      expectedCloseDate = toDateOnly(
        new Date(closedAt.getTime() + faker.number.int({ min: -10, max: 10 }) * dayMs),
      )
    } else {
      if (activity === 'fresh')
        latestActivityAt = minutesAgo(now, faker.number.int({ min: 2 * 60, max: 9 * 24 * 60 }))
      if (activity === 'stale')
        latestActivityAt = daysFrom(now, -faker.number.int({ min: staleAfterDays + 4, max: 45 }), faker)
      expectedCloseDate = pastClose
        ? toDateOnly(daysFrom(now, -faker.number.int({ min: 3, max: 25 }), faker))
        : toDateOnly(daysFrom(now, faker.number.int({ min: 7, max: 90 }), faker))
    }
    const createdAt = new Date(
      (latestActivityAt ?? daysFrom(now, -staleAfterDays, faker)).getTime() -
        faker.number.int({ min: 10, max: 75 }) * dayMs,
    )
    const deal: Creatable<DealAttributes> = {
      id: randomIds(),
      name: uniqueDealName({ faker, usedNames: dealNames, customerName: customer.name }),
      customerId: customer.id!,
      contactId: contact?.id ?? null,
      stage,
      valueCents: dollars * 100,
      currency,
      expectedCloseDate,
      ownerId,
      closedAt,
      createdAt,
      updatedAt: closedAt ?? latestActivityAt ?? createdAt,
    }
    deals.push(deal)

    if (latestActivityAt) {
      // One to four touches between the deal's creation and its latest activity.
      const earlier = faker.number.int({ min: 0, max: 3 })
      const times = [
        latestActivityAt,
        ...Array.from({ length: earlier }, () =>
          faker.date.between({ from: createdAt, to: latestActivityAt }),
        ),
      ]
      for (const occurredAt of times) {
        interactions.push(
          buildInteraction(context, {
            occurredAt,
            userId: ownerId,
            contact,
            customerId: customer.id!,
            dealId: deal.id!,
          }),
        )
      }
    }
  }

  // Account check-ins with active customers that belong to no deal.
  for (let index = 0; index < 12; index++) {
    const customer = faker.helpers.arrayElement(activeCustomers)
    const contact = faker.helpers.arrayElement(contactsByCustomer.get(customer.id!) ?? [undefined])
    interactions.push(
      buildInteraction(context, {
        occurredAt: minutesAgo(now, faker.number.int({ min: 3 * 60, max: 60 * 24 * 60 })),
        userId: customer.ownerId ?? faker.helpers.arrayElement(sellers),
        contact,
        customerId: customer.id!,
        dealId: null,
      }),
    )
  }
  return { deals, interactions }
}

/** "Pilot program for Acme": a product this customer has no other deal for, so names stay unambiguous. */
function uniqueDealName({
  faker,
  usedNames,
  customerName,
}: {
  faker: Faker
  usedNames: Set<string>
  customerName: string
}): string {
  const products = faker.helpers.shuffle(dealProducts)
  const name =
    products
      .map((product) => `${product} for ${customerName}`)
      .find((candidate) => !usedNames.has(candidate)) ??
    `${products[0]} for ${customerName} (${usedNames.size + 1})`
  usedNames.add(name)
  return name
}

function buildInteraction(
  { faker }: SeedContext,
  {
    occurredAt,
    userId,
    contact,
    customerId,
    dealId,
  }: {
    occurredAt: Date
    userId: string | null
    contact: Creatable<ContactAttributes> | undefined
    customerId: string
    dealId: string | null
  },
): Creatable<InteractionAttributes> {
  const type = faker.helpers.weightedArrayElement([
    { weight: 4, value: 'email' },
    { weight: 3, value: 'call' },
    { weight: 2, value: 'meeting' },
    { weight: 1, value: 'note' },
  ])
  const summary = faker.helpers
    .arrayElement(interactionSummaries[type]!)
    .replaceAll('{contact}', contact?.firstName ?? 'the buyer')
  return {
    id: randomIds(),
    type,
    contactId: contact?.id ?? null,
    dealId,
    customerId,
    userId,
    occurredAt,
    summary,
    createdAt: occurredAt,
    updatedAt: occurredAt,
  }
}

// ---------------------------------------------------------------------------------------------
// Tasks

type Due = 'overdue' | 'today' | 'upcoming' | 'none' | 'past'

/** Status and due state of each task: 40 in all (16 todo, 8 in progress, 12 done, 4 cancelled). */
const taskPlan: { status: string; due: Due; count: number }[] = [
  { status: 'todo', due: 'overdue', count: 4 },
  { status: 'todo', due: 'today', count: 3 },
  { status: 'todo', due: 'upcoming', count: 7 },
  { status: 'todo', due: 'none', count: 2 },
  { status: 'in_progress', due: 'overdue', count: 2 },
  { status: 'in_progress', due: 'today', count: 1 },
  { status: 'in_progress', due: 'upcoming', count: 4 },
  { status: 'in_progress', due: 'none', count: 1 },
  { status: 'done', due: 'past', count: 12 },
  { status: 'cancelled', due: 'past', count: 4 },
]

/** Task titles by what the task is about; `{deal}` is the deal's customer, `{contact}` and `{customer}` as named. */
const taskTitles = {
  deal: [
    'Send revised proposal to {deal}',
    'Schedule pricing call with {deal}',
    'Get legal sign-off from {deal}',
    'Prepare tailored demo for {deal}',
    'Confirm decision makers at {deal}',
  ],
  contact: [
    'Follow up with {contact}',
    'Call {contact} about onboarding',
    'Send case study to {contact}',
    'Introduce {contact} to the solutions team',
  ],
  customer: [
    'Prepare QBR deck for {customer}',
    'Review renewal terms with {customer}',
    'Check open support tickets for {customer}',
    'Plan expansion pitch for {customer}',
  ],
  none: [
    'Update the pipeline forecast',
    'Clean up duplicate contacts',
    'Review win/loss notes from last month',
    'Draft copy for the next newsletter',
    'Refresh the sales playbook',
    'Prepare agenda for the team sync',
  ],
}

const taskDescriptions = [
  'Keep it short: they asked for a one-page summary.',
  'Loop in finance before sending anything.',
  'See the notes from the last call.',
  'Use the new template in the shared drive.',
]

function buildTasks(
  { faker, now, sellers }: SeedContext,
  {
    customers,
    contacts,
    deals,
  }: {
    customers: Creatable<CustomerAttributes>[]
    contacts: Creatable<ContactAttributes>[]
    deals: Creatable<DealAttributes>[]
  },
): Creatable<TaskAttributes>[] {
  const plan = faker.helpers.shuffle(
    taskPlan.flatMap(({ status, due, count }) => repeat({ status, due }, count)),
  )
  const openDeals = deals.filter((deal) => deal.closedAt === null)
  const customerContacts = contacts.filter((contact) => contact.customerId)
  const customerNames = new Map(customers.map((customer) => [customer.id!, customer.name]))
  const startOfToday = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
  const endOfToday = startOfToday + dayMs - 60 * 1000

  return plan.map(({ status, due }) => {
    const open = status === 'todo' || status === 'in_progress'
    let dueAt: Date | null = null
    let completedAt: Date | null = null
    if (due === 'overdue') dueAt = atHour(daysFrom(now, -faker.number.int({ min: 1, max: 10 }), faker), faker)
    if (due === 'upcoming') dueAt = atHour(daysFrom(now, faker.number.int({ min: 1, max: 21 }), faker), faker)
    if (due === 'today') {
      // Later today (in UTC, the demo workspace's time zone), on a quarter hour, never already past.
      const quarter = 15 * 60 * 1000
      const at = faker.number.int({
        min: now.getTime() + quarter,
        max: Math.max(endOfToday, now.getTime() + quarter),
      })
      dueAt = new Date(Math.ceil(at / quarter) * quarter)
    }
    if (due === 'past') {
      const finishedAt = minutesAgo(now, faker.number.int({ min: 2 * 60, max: 30 * 24 * 60 }))
      dueAt = atHour(new Date(finishedAt.getTime() + faker.number.int({ min: -3, max: 3 }) * dayMs), faker)
      if (status === 'done') completedAt = finishedAt
    }
    const createdAt = new Date(
      Math.min(now.getTime(), (completedAt ?? dueAt ?? now).getTime()) -
        faker.number.int({ min: 1, max: 14 }) * dayMs,
    )

    // What the task is about: open tasks link to open deals, finished ones to any deal.
    const about = faker.helpers.weightedArrayElement([
      { weight: 4, value: 'deal' as const },
      { weight: 3, value: 'contact' as const },
      { weight: 2, value: 'customer' as const },
      { weight: 2, value: 'none' as const },
    ])
    const deal = about === 'deal' ? faker.helpers.arrayElement(open ? openDeals : deals) : undefined
    const contact = about === 'contact' ? faker.helpers.arrayElement(customerContacts) : undefined
    const customer = about === 'customer' ? faker.helpers.arrayElement(customers) : undefined
    const title = faker.helpers
      .arrayElement(taskTitles[about])
      .replace('{deal}', (deal && customerNames.get(deal.customerId!)) ?? '')
      .replace('{contact}', contact ? `${contact.firstName} ${contact.lastName}` : '')
      .replace('{customer}', customer?.name ?? '')

    return {
      id: randomIds(),
      title,
      description: faker.datatype.boolean({ probability: 0.35 })
        ? faker.helpers.arrayElement(taskDescriptions)
        : null,
      status,
      priority: faker.helpers.weightedArrayElement([
        { weight: 2, value: 'low' },
        { weight: 4, value: 'medium' },
        { weight: 3, value: 'high' },
        { weight: 1, value: 'urgent' },
      ]),
      dueAt,
      assigneeId: faker.helpers.arrayElement(sellers),
      createdById: faker.helpers.arrayElement(sellers),
      contactId: contact?.id ?? deal?.contactId ?? null,
      dealId: deal?.id ?? null,
      customerId: customer?.id ?? deal?.customerId ?? contact?.customerId ?? null,
      completedAt,
      createdAt,
      updatedAt: completedAt ?? createdAt,
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Campaigns

/** Recipient statuses of the sent campaign, before shuffling (36 recipients). */
const sentRecipientStatuses = [
  ...repeat('delivered', 12),
  ...repeat('opened', 13),
  ...repeat('clicked', 8),
  ...repeat('bounced', 2),
  ...repeat('unsubscribed', 1),
]

/** A campaign's delivery stats from its recipients' statuses (see db/campaign-stats.ts). */
function campaignStatsFromStatuses(statuses: readonly string[]): Record<string, number> {
  const byStatus: Record<string, number> = {}
  for (const status of statuses) byStatus[status] = (byStatus[status] ?? 0) + 1
  return { ...campaignStatsFromCounts(byStatus) }
}

function buildCampaigns(
  { faker, now, sellers }: SeedContext,
  {
    customers,
    contacts,
  }: { customers: Creatable<CustomerAttributes>[]; contacts: Creatable<ContactAttributes>[] },
): {
  campaigns: Creatable<CampaignAttributes>[]
  campaignRecipients: Creatable<CampaignRecipientAttributes>[]
} {
  const statusOf = new Map(customers.map((customer) => [customer.id, customer.status]))
  const reachable = contacts.filter((contact) => contact.email)
  const engaged = reachable.filter((contact) => {
    const status = contact.customerId ? statusOf.get(contact.customerId) : 'lead'
    return status === 'active' || status === 'lead'
  })
  const lapsed = reachable.filter((contact) => {
    const status = contact.customerId ? statusOf.get(contact.customerId) : undefined
    return status === 'inactive' || status === 'churned'
  })
  const campaignRecipients: Creatable<CampaignRecipientAttributes>[] = []
  const month = (date: Date) => date.toLocaleString('en-US', { month: 'long', timeZone: 'UTC' })

  // 1. Sent nine days ago, with results.
  const sentAt = atHour(daysFrom(now, -9, faker), faker)
  const sentStatuses = faker.helpers.shuffle(sentRecipientStatuses)
  const sentAudience = faker.helpers.arrayElements(engaged, Math.min(sentStatuses.length, engaged.length))
  const sentCampaign: Creatable<CampaignAttributes> = {
    id: randomIds(),
    name: `${month(sentAt)} Product Update`,
    channel: 'email',
    status: 'sent',
    subject: 'New this month: faster reports and smarter reminders',
    body:
      'Hi there,\n\nReports now load up to three times faster, and reminders follow your time zone. ' +
      'Reply to this email to book a 20-minute walkthrough.\n\nThe Acme team',
    scheduledAt: sentAt,
    sentAt,
    stats: campaignStatsFromStatuses(sentStatuses.slice(0, sentAudience.length)),
    createdById: faker.helpers.arrayElement(sellers),
    createdAt: new Date(sentAt.getTime() - 4 * dayMs),
    updatedAt: sentAt,
  }
  sentAudience.forEach((contact, index) => {
    const status = sentStatuses[index]!
    // Later steps happen later: delivery within minutes, opens and clicks within days.
    const delayHours =
      status === 'delivered' || status === 'bounced' ? 0.05 : faker.number.float({ min: 0.5, max: 120 })
    const statusChangedAt = new Date(
      Math.min(sentAt.getTime() + delayHours * 60 * 60 * 1000, now.getTime() - 60 * 1000),
    )
    campaignRecipients.push({
      id: randomIds(),
      campaignId: sentCampaign.id!,
      contactId: contact.id!,
      status,
      statusChangedAt,
      createdAt: sentCampaign.createdAt!,
      updatedAt: statusChangedAt,
    })
  })

  // 2. Scheduled for next week: everyone still pending.
  const scheduledAt = atHour(daysFrom(now, 6, faker), faker)
  const scheduledCampaign: Creatable<CampaignAttributes> = {
    id: randomIds(),
    name: 'Spring Webinar: Forecasting That Works',
    channel: 'email',
    status: 'scheduled',
    subject: 'Join our live webinar on pipeline forecasting',
    body:
      'Hi there,\n\nJoin us for 45 minutes on building a forecast your board will trust, with a live Q&A. ' +
      'Save your seat with the link below.\n\nThe Acme team',
    scheduledAt,
    sentAt: null,
    stats: {},
    createdById: faker.helpers.arrayElement(sellers),
    createdAt: daysFrom(now, -2, faker),
    updatedAt: daysFrom(now, -1, faker),
  }
  for (const contact of faker.helpers.arrayElements(engaged, Math.min(28, engaged.length))) {
    campaignRecipients.push(pendingRecipient(scheduledCampaign, contact))
  }

  // 3. A draft win-back campaign aimed at inactive and churned customers.
  const draftCampaign: Creatable<CampaignAttributes> = {
    id: randomIds(),
    name: 'Win-back Offer for Past Customers',
    channel: 'email',
    status: 'draft',
    subject: 'We have missed you: three months on us',
    body: 'Hi there,\n\nA lot has changed since we last worked together. [Draft: add the offer details.]',
    scheduledAt: null,
    sentAt: null,
    stats: {},
    createdById: faker.helpers.arrayElement(sellers),
    createdAt: minutesAgo(now, 20 * 60),
    updatedAt: minutesAgo(now, 20 * 60),
  }
  for (const contact of lapsed) campaignRecipients.push(pendingRecipient(draftCampaign, contact))

  return { campaigns: [sentCampaign, scheduledCampaign, draftCampaign], campaignRecipients }
}

function pendingRecipient(
  campaign: Creatable<CampaignAttributes>,
  contact: Creatable<ContactAttributes>,
): Creatable<CampaignRecipientAttributes> {
  return {
    id: randomIds(),
    campaignId: campaign.id!,
    contactId: contact.id!,
    status: 'pending',
    statusChangedAt: null,
    createdAt: campaign.createdAt!,
    updatedAt: campaign.createdAt!,
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function repeat<Value>(value: Value, count: number): Value[] {
  return Array.from({ length: count }, () => value)
}

/** `count` distinct values from `generate` (faker names repeat now and then). */
function uniqueValues(count: number, generate: () => string): string[] {
  const values = new Set<string>()
  while (values.size < count) values.add(generate())
  return [...values]
}

function groupBy<Item>(items: Item[], keyOf: (item: Item) => string): Map<string, Item[]> {
  const groups = new Map<string, Item[]>()
  for (const item of items) {
    const key = keyOf(item)
    groups.set(key, [...(groups.get(key) ?? []), item])
  }
  return groups
}

/** A date `days` days from `now` (negative: in the past), up to six hours closer to `now`. */
function daysFrom(now: Date, days: number, faker: Faker): Date {
  const jitter = faker.number.int({ min: 0, max: 6 * 60 }) * 60 * 1000
  // Jitter moves dates toward `now`, so a past date never lands in the future and vice versa.
  return new Date(now.getTime() + days * dayMs + (days < 0 ? jitter : days > 0 ? -jitter : 0))
}

function minutesAgo(now: Date, minutes: number): Date {
  return new Date(now.getTime() - minutes * 60 * 1000)
}

/** The same UTC day at a working hour (9:00 to 17:00), as a person would set a due date. */
function atHour(date: Date, faker: Faker): Date {
  const result = new Date(date)
  result.setUTCHours(faker.number.int({ min: 9, max: 17 }), 0, 0, 0)
  return result
}

function toDateOnly(date: Date): string {
  return date.toISOString().slice(0, 10)
}

/** "Schaden, Kuhn and Hane" -> "schaden-kuhn-hane". */
function domainLabel(companyName: string): string {
  return (
    companyName
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/\band\b/g, ' ')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40)
      .replace(/-+$/, '') || 'company'
  )
}

/** "O'Keefe" -> "okeefe". */
function emailPart(name: string): string {
  return (
    name
      .normalize('NFKD')
      .replace(/[^a-zA-Z]/g, '')
      .toLowerCase() || 'contact'
  )
}

function uniqueEmail(used: Set<string>, local: string, domain: string): string {
  let email = `${local}@${domain}`
  for (let suffix = 2; used.has(email); suffix++) email = `${local}${suffix}@${domain}`
  used.add(email)
  return email
}
