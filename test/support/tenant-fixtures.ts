import { randomBytes, randomUUID } from 'node:crypto'
import { QueryTypes } from 'sequelize'
import type { SystemStatements, SystemTransaction } from '../../db/index.ts'

/**
 * Fixture rows for every tenant table, used by the tenant isolation suite
 * (test/tenant-isolation.test.ts). That suite discovers tenant tables from the catalog (every
 * table in `public` with a `workspace_id` column) and fails for any table without a factory here,
 * so a new tenant table cannot skip the isolation tests: when you add one, add a factory.
 */

/** Anything that can run SQL inside a transaction: a tenant or a system transaction. */
export type SqlExecutor = Pick<SystemTransaction | SystemStatements, 'sequelize' | 'transaction'>

/** A workspace created for tests, with an owner who is a member of this workspace only. */
export interface FixtureWorkspace {
  id: string
  slug: string
  ownerUserId: string
}

export interface RowFactoryContext {
  system: SystemTransaction
  workspace: FixtureWorkspace
  /** Inserts one new row of another tenant table in the same workspace (via its factory) and returns its id. */
  parent(table: string): Promise<string>
  /** A short string that is unique within the test run (names, emails, key prefixes). */
  unique(): string
}

/**
 * Returns the column values of one new, valid row of a tenant table for `workspace`, without
 * `workspace_id` (added by the caller). Parent rows it needs are created first, in the same
 * workspace; global prerequisites (users) too.
 */
export type RowFactory = (context: RowFactoryContext) => Promise<Record<string, unknown>>

let counter = 0
function unique(): string {
  counter += 1
  return `${counter.toString(36)}${randomBytes(3).toString('hex')}`
}

/** Runs a statement and returns the rows it produces (SELECT, or any statement with RETURNING). */
export async function queryRows<Row = Record<string, unknown>>(
  executor: SqlExecutor,
  sql: string,
  replacements: Record<string, unknown> = {},
): Promise<Row[]> {
  return (await executor.sequelize.query(sql, {
    replacements,
    transaction: executor.transaction,
    type: QueryTypes.SELECT,
  })) as Row[]
}

/** Quotes an identifier that came from the catalog. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/**
 * Inserts a row given as column -> value and returns its id. Postgres converts the JSON values to
 * the column types itself (`jsonb_populate_record`), so one function serves every table.
 */
export async function insertRow(
  executor: SqlExecutor,
  table: string,
  values: Record<string, unknown>,
): Promise<string> {
  const rows = await queryRows<{ id: string }>(executor, `${insertSql(table, values)} RETURNING id`, {
    values: JSON.stringify(values),
  })
  return rows[0]!.id
}

/**
 * Inserts a row without `RETURNING`. Attack tests use this: with `RETURNING`, Postgres also checks
 * the new row against the SELECT policy, which would hide a missing or too-wide `WITH CHECK`.
 */
export async function insertRowQuietly(
  executor: SqlExecutor,
  table: string,
  values: Record<string, unknown>,
): Promise<void> {
  await executor.sequelize.query(insertSql(table, values), {
    replacements: { values: JSON.stringify(values) },
    transaction: executor.transaction,
  })
}

function insertSql(table: string, values: Record<string, unknown>): string {
  const columns = Object.keys(values).map(quoteIdentifier).join(', ')
  return `INSERT INTO ${quoteIdentifier(table)} (${columns})
     SELECT ${columns} FROM jsonb_populate_record(NULL::${quoteIdentifier(table)}, CAST(:values AS jsonb))`
}

/** Creates a global user (not a member of anything yet). */
export async function createUser(system: SystemTransaction, { label }: { label: string }): Promise<string> {
  const rows = await queryRows<{ id: string }>(
    system,
    'INSERT INTO users (email, name) VALUES (:email, :name) RETURNING id',
    { email: `${label}-${unique()}@example.test`, name: `User ${label}` },
  )
  return rows[0]!.id
}

/** Makes a user a member of a workspace. */
export async function addMembership(
  system: SystemTransaction,
  { workspaceId, userId, role = 'member' }: { workspaceId: string; userId: string; role?: string },
): Promise<void> {
  await queryRows(
    system,
    'INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (:workspaceId, :userId, :role) RETURNING id',
    { workspaceId, userId, role },
  )
}

/** Creates a workspace and its owner (a user who is a member of this workspace only). */
export async function createFixtureWorkspace(
  system: SystemTransaction,
  { label }: { label: string },
): Promise<FixtureWorkspace> {
  const slug = `${label}-${unique()}`
  const rows = await queryRows<{ id: string }>(
    system,
    'INSERT INTO workspaces (name, slug) VALUES (:name, :slug) RETURNING id',
    { name: `Workspace ${label}`, slug },
  )
  const id = rows[0]!.id
  const ownerUserId = await createUser(system, { label: `${label}-owner` })
  await addMembership(system, { workspaceId: id, userId: ownerUserId, role: 'owner' })
  return { id, slug, ownerUserId }
}

/** One factory per tenant table. Keep it in step with the migrations. */
export const tenantRowFactories: Record<string, RowFactory> = {
  workspace_members: async ({ system, workspace }) => ({
    user_id: await createUser(system, { label: `member-of-${workspace.slug}` }),
    role: 'member',
  }),
  api_keys: async ({ workspace }) => ({
    name: `Key ${unique()}`,
    prefix: `${unique()}${'0'.repeat(12)}`.slice(0, 12),
    key_hash: randomBytes(32).toString('hex'),
    created_by_id: workspace.ownerUserId,
  }),
  audit_logs: async ({ workspace }) => ({
    actor_type: 'user',
    actor_user_id: workspace.ownerUserId,
    action: 'fixture.created',
    target_type: 'workspace',
    target_id: workspace.id,
    metadata: { fixture: true },
  }),
  customers: async ({ workspace }) => ({
    name: `Customer ${unique()}`,
    domain: 'example.test',
    status: 'active',
    owner_id: workspace.ownerUserId,
  }),
  contacts: async ({ workspace, parent }) => ({
    first_name: 'Ada',
    last_name: `Contact ${unique()}`,
    email: `contact-${unique()}@example.test`,
    customer_id: await parent('customers'),
    owner_id: workspace.ownerUserId,
  }),
  prospects: async ({ workspace, parent }) => ({
    name: `Prospect ${unique()}`,
    contact_id: await parent('contacts'),
    stage: 'contacted',
    score: 40,
    owner_id: workspace.ownerUserId,
  }),
  deals: async ({ workspace, parent }) => ({
    name: `Deal ${unique()}`,
    customer_id: await parent('customers'),
    contact_id: await parent('contacts'),
    stage: 'proposal',
    value_cents: 125_000,
    owner_id: workspace.ownerUserId,
  }),
  crm_interactions: async ({ workspace, parent }) => ({
    type: 'call',
    deal_id: await parent('deals'),
    user_id: workspace.ownerUserId,
    summary: 'Discussed the proposal.',
  }),
  tasks: async ({ workspace, parent }) => ({
    title: `Task ${unique()}`,
    status: 'todo',
    priority: 'high',
    assignee_id: workspace.ownerUserId,
    created_by_id: workspace.ownerUserId,
    deal_id: await parent('deals'),
  }),
  campaigns: async ({ workspace }) => ({
    name: `Campaign ${unique()}`,
    subject: 'Hello',
    body: 'Hello there',
    created_by_id: workspace.ownerUserId,
  }),
  campaign_recipients: async ({ parent }) => ({
    campaign_id: await parent('campaigns'),
    contact_id: await parent('contacts'),
  }),
  user_autonomy_preferences: async ({ workspace }) => ({
    user_id: workspace.ownerUserId,
    scope_type: 'tool',
    scope: `tool_${unique().replace(/[^a-z]/g, 'x')}`,
    mode: 'auto',
    set_by_id: workspace.ownerUserId,
  }),
  pending_actions: async ({ workspace }) => ({
    tool: 'create_task',
    input: { title: 'Follow up' },
    input_hash: randomBytes(32).toString('hex'),
    summary: 'Create task "Follow up"',
    risk: 'write',
    requested_by_id: workspace.ownerUserId,
    channel: 'api',
    expires_at: new Date(Date.now() + 3_600_000).toISOString(),
  }),
  knowledge_collections: async ({ workspace }) => ({
    name: `Collection ${unique()}`,
    created_by_id: workspace.ownerUserId,
  }),
  knowledge_documents: async ({ workspace, parent }) => ({
    collection_id: await parent('knowledge_collections'),
    title: `Handbook ${unique()}`,
    source_type: 'text',
    size_bytes: 120,
    content_hash: randomBytes(32).toString('hex'),
    status: 'ready',
    chunk_count: 1,
    created_by_id: workspace.ownerUserId,
  }),
  knowledge_chunks: async ({ parent }) => ({
    document_id: await parent('knowledge_documents'),
    position: 0,
    text: 'Expense reports are due on the fifth of each month.',
    context: 'Handbook > Expenses',
    heading_path: ['Expenses'],
    page: 1,
    token_count: 11,
    embedding: '[0.1,0.2,0.3]',
    embedding_model: 'fixture-3',
  }),
  conversations: async ({ workspace }) => ({
    user_id: workspace.ownerUserId,
    channel: 'api',
    title: `Pipeline questions ${unique()}`,
  }),
  messages: async ({ workspace, parent }) => ({
    conversation_id: await parent('conversations'),
    position: 0,
    role: 'user',
    parts: [{ type: 'text', text: 'Which deals are stuck?' }],
    author_id: workspace.ownerUserId,
  }),
  action_history: async ({ workspace, parent }) => ({
    actor_user_id: workspace.ownerUserId,
    tool: 'create_task',
    risk: 'write',
    input: { title: 'Follow up' },
    status: 'executed',
    result_summary: 'Created task "Follow up"',
    channel: 'api',
    pending_action_id: await parent('pending_actions'),
  }),
  slack_team_links: async ({ workspace, unique }) => ({
    team_id: `T${unique().toUpperCase()}`,
    team_name: 'Fixture Slack',
    linked_by_id: workspace.ownerUserId,
  }),
  slack_user_links: async ({ system, workspace, parent, unique }) => {
    const linkId = await parent('slack_team_links')
    const [link] = await queryRows<{ team_id: string }>(
      system,
      'SELECT team_id FROM slack_team_links WHERE id = :linkId',
      { linkId },
    )
    return {
      team_id: link!.team_id,
      slack_user_id: `U${unique().toUpperCase()}`,
      user_id: workspace.ownerUserId,
      email: `owner-${unique()}@example.test`,
      checked_at: new Date().toISOString(),
    }
  },
  slack_threads: async ({ workspace, parent, unique }) => ({
    conversation_id: await parent('conversations'),
    user_id: workspace.ownerUserId,
    team_id: 'T0FIXTURE',
    channel_id: `C${unique().toUpperCase()}`,
    thread_ts: '1700000000.000100',
    slack_user_id: 'U0FIXTURE',
    last_seen_ts: '1700000000.000100',
  }),
  slack_approval_cards: async ({ parent, unique }) => ({
    pending_action_id: await parent('pending_actions'),
    team_id: 'T0FIXTURE',
    channel_id: `C${unique().toUpperCase()}`,
    message_ts: '1700000000.000200',
  }),
  proactive_insights: async ({ workspace, unique }) => ({
    type: 'stale_deal',
    severity: 'warning',
    title: `Deal went quiet ${unique()}`,
    body: 'No activity for 20 days.',
    entities: [],
    user_id: workspace.ownerUserId,
    dedupe_key: `stale-deal:${unique()}`,
    first_detected_at: new Date(),
    last_detected_at: new Date(),
    last_run_id: randomUUID(),
  }),
  notifications: async ({ workspace, parent }) => ({
    user_id: workspace.ownerUserId,
    kind: 'insight',
    title: 'Deal went quiet',
    insight_id: await parent('proactive_insights'),
  }),
  notification_preferences: async ({ system, workspace }) => {
    // One row per member: a fresh member for every row.
    const userId = await createUser(system, { label: `prefs-${workspace.slug}` })
    await addMembership(system, { workspaceId: workspace.id, userId, role: 'member' })
    return { user_id: userId, digest_only: true }
  },
}

/** The values of one new valid row of `table` in `workspace`, including `workspace_id`. */
export async function buildTenantRow(
  system: SystemTransaction,
  { table, workspace }: { table: string; workspace: FixtureWorkspace },
): Promise<Record<string, unknown>> {
  const factory = tenantRowFactories[table]
  if (!factory) {
    throw new Error(
      `No fixture factory for tenant table "${table}": add one to tenantRowFactories in test/support/tenant-fixtures.ts.`,
    )
  }
  const values = await factory({
    system,
    workspace,
    unique,
    parent: (parentTable) => createTenantRow(system, { table: parentTable, workspace }),
  })
  return { ...values, workspace_id: workspace.id }
}

/** Inserts one new valid row of `table` in `workspace` (as the system) and returns its id. */
export async function createTenantRow(
  system: SystemTransaction,
  { table, workspace }: { table: string; workspace: FixtureWorkspace },
): Promise<string> {
  return insertRow(system, table, await buildTenantRow(system, { table, workspace }))
}
