import {
  campaignChannels,
  campaignStatuses,
  closedDealStages,
  customerStatuses,
  dealStages,
  interactionTypes,
  type MigrationContext,
  memberReferenceSql,
  oneOfSql,
  prospectStages,
  recipientStatuses,
  taskPriorities,
  taskStatuses,
  tenantColumnsSql,
  tenantTableSql,
} from '../db/index.ts'

/**
 * Every reference between tenant rows is a composite foreign key on (workspace_id, id), so the
 * database itself refuses a link from one workspace's record to another workspace's record.
 * People (owners, assignees) reference workspace_members on (workspace_id, user_id) for the same
 * reason: only a member of the same workspace can own or be assigned anything.
 */
const member = memberReferenceSql
const sameWorkspace = (column: string, table: string, onDelete: 'SET NULL' | 'CASCADE') =>
  `FOREIGN KEY (workspace_id, ${column}) REFERENCES ${table} (workspace_id, id) ON DELETE ${onDelete}${
    onDelete === 'SET NULL' ? ` (${column})` : ''
  }`

export async function up({ context }: { context: MigrationContext }): Promise<void> {
  await context.query(`
    CREATE TABLE customers (
      ${tenantColumnsSql},
      name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 300),
      domain text,
      industry text,
      status text NOT NULL DEFAULT 'lead' ${oneOfSql('status', customerStatuses)},
      owner_id uuid,
      notes text,
      UNIQUE (workspace_id, id),
      ${member('owner_id')}
    );
    CREATE INDEX customers_workspace_status_idx ON customers (workspace_id, status);
    CREATE INDEX customers_workspace_owner_idx ON customers (workspace_id, owner_id);
    CREATE INDEX customers_workspace_name_idx ON customers (workspace_id, lower(name));
    ${tenantTableSql({ table: 'customers' })}

    CREATE TABLE contacts (
      ${tenantColumnsSql},
      first_name text NOT NULL CHECK (length(btrim(first_name)) BETWEEN 1 AND 200),
      last_name text NOT NULL DEFAULT '',
      email text CHECK (email IS NULL OR email ~ '^[^@\\s]+@[^@\\s]+$'),
      phone text,
      title text,
      customer_id uuid,
      owner_id uuid,
      UNIQUE (workspace_id, id),
      ${sameWorkspace('customer_id', 'customers', 'SET NULL')},
      ${member('owner_id')}
    );
    CREATE INDEX contacts_workspace_customer_idx ON contacts (workspace_id, customer_id);
    CREATE INDEX contacts_workspace_email_idx ON contacts (workspace_id, lower(email));
    CREATE INDEX contacts_workspace_name_idx ON contacts (workspace_id, lower(last_name), lower(first_name));
    ${tenantTableSql({ table: 'contacts' })}

    CREATE TABLE prospects (
      ${tenantColumnsSql},
      name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 300),
      company_name text,
      email text CHECK (email IS NULL OR email ~ '^[^@\\s]+@[^@\\s]+$'),
      contact_id uuid,
      stage text NOT NULL DEFAULT 'new' ${oneOfSql('stage', prospectStages)},
      score integer NOT NULL DEFAULT 0 CHECK (score BETWEEN 0 AND 100),
      source text,
      owner_id uuid,
      next_follow_up_at timestamptz,
      notes text,
      UNIQUE (workspace_id, id),
      ${sameWorkspace('contact_id', 'contacts', 'SET NULL')},
      ${member('owner_id')}
    );
    CREATE INDEX prospects_workspace_stage_idx ON prospects (workspace_id, stage);
    CREATE INDEX prospects_workspace_owner_idx ON prospects (workspace_id, owner_id);
    CREATE INDEX prospects_workspace_follow_up_idx ON prospects (workspace_id, next_follow_up_at);
    ${tenantTableSql({ table: 'prospects' })}

    CREATE TABLE deals (
      ${tenantColumnsSql},
      name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 300),
      customer_id uuid,
      contact_id uuid,
      stage text NOT NULL DEFAULT 'qualification' ${oneOfSql('stage', dealStages)},
      value_cents bigint NOT NULL DEFAULT 0 CHECK (value_cents >= 0),
      currency char(3) NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
      expected_close_date date,
      owner_id uuid,
      closed_at timestamptz,
      -- A deal is closed exactly when it is won or lost.
      CHECK ((stage IN (${closedDealStages.map((stage) => `'${stage}'`).join(', ')})) = (closed_at IS NOT NULL)),
      UNIQUE (workspace_id, id),
      ${sameWorkspace('customer_id', 'customers', 'SET NULL')},
      ${sameWorkspace('contact_id', 'contacts', 'SET NULL')},
      ${member('owner_id')}
    );
    CREATE INDEX deals_workspace_stage_idx ON deals (workspace_id, stage);
    CREATE INDEX deals_workspace_owner_idx ON deals (workspace_id, owner_id, stage);
    CREATE INDEX deals_workspace_customer_idx ON deals (workspace_id, customer_id);
    CREATE INDEX deals_workspace_close_idx ON deals (workspace_id, expected_close_date) WHERE closed_at IS NULL;
    ${tenantTableSql({ table: 'deals' })}

    CREATE TABLE crm_interactions (
      ${tenantColumnsSql},
      type text NOT NULL ${oneOfSql('type', interactionTypes)},
      contact_id uuid,
      deal_id uuid,
      customer_id uuid,
      user_id uuid,
      occurred_at timestamptz NOT NULL DEFAULT now(),
      summary text NOT NULL CHECK (length(btrim(summary)) BETWEEN 1 AND 10000),
      CHECK (contact_id IS NOT NULL OR deal_id IS NOT NULL OR customer_id IS NOT NULL),
      ${sameWorkspace('contact_id', 'contacts', 'CASCADE')},
      ${sameWorkspace('deal_id', 'deals', 'CASCADE')},
      ${sameWorkspace('customer_id', 'customers', 'CASCADE')},
      ${member('user_id')}
    );
    CREATE INDEX crm_interactions_deal_idx ON crm_interactions (workspace_id, deal_id, occurred_at DESC);
    CREATE INDEX crm_interactions_contact_idx ON crm_interactions (workspace_id, contact_id, occurred_at DESC);
    CREATE INDEX crm_interactions_customer_idx ON crm_interactions (workspace_id, customer_id, occurred_at DESC);
    ${tenantTableSql({ table: 'crm_interactions' })}

    CREATE TABLE tasks (
      ${tenantColumnsSql},
      title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 500),
      description text,
      status text NOT NULL DEFAULT 'todo' ${oneOfSql('status', taskStatuses)},
      priority text NOT NULL DEFAULT 'medium' ${oneOfSql('priority', taskPriorities)},
      due_at timestamptz,
      assignee_id uuid,
      created_by_id uuid,
      contact_id uuid,
      deal_id uuid,
      customer_id uuid,
      completed_at timestamptz,
      CHECK ((status = 'done') = (completed_at IS NOT NULL)),
      ${member('assignee_id')},
      ${member('created_by_id')},
      ${sameWorkspace('contact_id', 'contacts', 'SET NULL')},
      ${sameWorkspace('deal_id', 'deals', 'SET NULL')},
      ${sameWorkspace('customer_id', 'customers', 'SET NULL')}
    );
    CREATE INDEX tasks_workspace_assignee_idx ON tasks (workspace_id, assignee_id, status, due_at);
    CREATE INDEX tasks_workspace_status_due_idx ON tasks (workspace_id, status, due_at);
    CREATE INDEX tasks_workspace_deal_idx ON tasks (workspace_id, deal_id);
    ${tenantTableSql({ table: 'tasks' })}

    CREATE TABLE campaigns (
      ${tenantColumnsSql},
      name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 300),
      channel text NOT NULL DEFAULT 'email' ${oneOfSql('channel', campaignChannels)},
      status text NOT NULL DEFAULT 'draft' ${oneOfSql('status', campaignStatuses)},
      subject text,
      body text NOT NULL DEFAULT '',
      scheduled_at timestamptz,
      sent_at timestamptz,
      stats jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(stats) = 'object'),
      created_by_id uuid,
      UNIQUE (workspace_id, id),
      ${member('created_by_id')}
    );
    CREATE INDEX campaigns_workspace_status_idx ON campaigns (workspace_id, status, scheduled_at);
    ${tenantTableSql({ table: 'campaigns' })}

    CREATE TABLE campaign_recipients (
      ${tenantColumnsSql},
      campaign_id uuid NOT NULL,
      contact_id uuid NOT NULL,
      status text NOT NULL DEFAULT 'pending' ${oneOfSql('status', recipientStatuses)},
      status_changed_at timestamptz,
      UNIQUE (campaign_id, contact_id),
      ${sameWorkspace('campaign_id', 'campaigns', 'CASCADE')},
      ${sameWorkspace('contact_id', 'contacts', 'CASCADE')}
    );
    CREATE INDEX campaign_recipients_campaign_idx ON campaign_recipients (workspace_id, campaign_id, status);
    CREATE INDEX campaign_recipients_contact_idx ON campaign_recipients (workspace_id, contact_id);
    ${tenantTableSql({ table: 'campaign_recipients' })}
  `)
}

export async function down({ context }: { context: MigrationContext }): Promise<void> {
  await context.query(`
    DROP TABLE IF EXISTS campaign_recipients;
    DROP TABLE IF EXISTS campaigns;
    DROP TABLE IF EXISTS tasks;
    DROP TABLE IF EXISTS crm_interactions;
    DROP TABLE IF EXISTS deals;
    DROP TABLE IF EXISTS prospects;
    DROP TABLE IF EXISTS contacts;
    DROP TABLE IF EXISTS customers;
  `)
}
