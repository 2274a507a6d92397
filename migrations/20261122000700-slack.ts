import {
  appRole,
  type MigrationContext,
  memberReferenceSql,
  oneOfSql,
  slackCardStatuses,
  tenantColumnsSql,
  tenantTableSql,
  updatedAtTriggerSql,
} from '../db/index.ts'

/**
 * The Slack bot (adapters/slack).
 *
 * Tenant tables (row-level security like every other): `slack_team_links` (a Slack team belongs to
 * exactly one Nereid workspace, chosen by an admin), `slack_user_links` (a Slack user matched to a
 * member by email, re-checked daily), `slack_threads` (where a member's Slack conversation lives,
 * so continuations after a decision reach the right thread) and `slack_approval_cards` (where each
 * approval card was posted, so a decision from any channel updates it).
 *
 * Two system tables have no `workspace_id` by nature, and the app role gets no privilege on them
 * (RLS is enabled and forced with no policy, so even a mistaken grant would show nothing):
 * `slack_installations` is read to authenticate a request before any workspace is known (and an
 * installation may exist before it is linked to one); `slack_event_receipts` deduplicates
 * deliveries across processes before the request has been attributed to anyone. Only `withSystem`
 * (the privileged connection) reads or writes them, like API key verification.
 */
export async function up({ context }: { context: MigrationContext }): Promise<void> {
  await context.query(`
    CREATE TABLE slack_installations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      -- The team id, or the enterprise id for an org-wide install.
      installation_key text NOT NULL UNIQUE CHECK (installation_key ~ '^[A-Z0-9]{2,32}$'),
      team_id text,
      enterprise_id text,
      is_enterprise_install boolean NOT NULL DEFAULT false,
      team_name text,
      app_id text,
      bot_user_id text,
      bot_id text,
      installer_slack_user_id text,
      -- The whole installation (bot and user tokens included) as AES-256-GCM ciphertext.
      secret text NOT NULL,
      revoked_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    ALTER TABLE slack_installations ENABLE ROW LEVEL SECURITY;
    ALTER TABLE slack_installations FORCE ROW LEVEL SECURITY;
    REVOKE ALL ON slack_installations FROM ${appRole};
    ${updatedAtTriggerSql('slack_installations')}

    CREATE TABLE slack_event_receipts (
      key text PRIMARY KEY CHECK (length(key) <= 300),
      received_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX slack_event_receipts_received_idx ON slack_event_receipts (received_at);
    ALTER TABLE slack_event_receipts ENABLE ROW LEVEL SECURITY;
    ALTER TABLE slack_event_receipts FORCE ROW LEVEL SECURITY;
    REVOKE ALL ON slack_event_receipts FROM ${appRole};

    CREATE TABLE slack_team_links (
      ${tenantColumnsSql},
      team_id text NOT NULL UNIQUE CHECK (team_id ~ '^[A-Z0-9]{2,32}$'),
      team_name text,
      linked_by_id uuid,
      UNIQUE (workspace_id, id),
      UNIQUE (workspace_id, team_id),
      ${memberReferenceSql('linked_by_id')}
    );
    ${tenantTableSql({ table: 'slack_team_links' })}

    CREATE TABLE slack_user_links (
      ${tenantColumnsSql},
      team_id text NOT NULL,
      slack_user_id text NOT NULL CHECK (length(slack_user_id) <= 32),
      user_id uuid NOT NULL,
      email text NOT NULL,
      checked_at timestamptz NOT NULL,
      UNIQUE (workspace_id, team_id, slack_user_id),
      FOREIGN KEY (workspace_id, team_id) REFERENCES slack_team_links (workspace_id, team_id) ON DELETE CASCADE,
      FOREIGN KEY (workspace_id, user_id) REFERENCES workspace_members (workspace_id, user_id) ON DELETE CASCADE
    );
    ${tenantTableSql({ table: 'slack_user_links' })}

    CREATE TABLE slack_threads (
      ${tenantColumnsSql},
      conversation_id uuid NOT NULL,
      user_id uuid NOT NULL,
      team_id text NOT NULL,
      channel_id text NOT NULL CHECK (length(channel_id) <= 32),
      -- '' for a conversation that is not threaded (top-level direct messages).
      thread_ts text NOT NULL CHECK (thread_ts = '' OR thread_ts ~ '^[0-9]+\\.[0-9]+$'),
      slack_user_id text NOT NULL,
      -- The newest Slack message of the thread this conversation has seen (thread context starts after it).
      last_seen_ts text CHECK (last_seen_ts ~ '^[0-9]+\\.[0-9]+$'),
      UNIQUE (workspace_id, conversation_id),
      UNIQUE (workspace_id, team_id, channel_id, thread_ts, user_id),
      FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations (workspace_id, id) ON DELETE CASCADE,
      FOREIGN KEY (workspace_id, user_id) REFERENCES workspace_members (workspace_id, user_id) ON DELETE CASCADE
    );
    CREATE INDEX slack_threads_lookup_idx ON slack_threads (team_id, channel_id, thread_ts, slack_user_id);
    ${tenantTableSql({ table: 'slack_threads' })}

    CREATE TABLE slack_approval_cards (
      ${tenantColumnsSql},
      pending_action_id uuid NOT NULL,
      team_id text NOT NULL,
      channel_id text NOT NULL CHECK (length(channel_id) <= 32),
      message_ts text NOT NULL CHECK (message_ts ~ '^[0-9]+\\.[0-9]+$'),
      thread_ts text,
      -- What the card shows: 'pending' until a decision (from any channel) is written onto it.
      status text NOT NULL DEFAULT 'pending' ${oneOfSql('status', slackCardStatuses)},
      UNIQUE (workspace_id, team_id, channel_id, message_ts),
      FOREIGN KEY (workspace_id, pending_action_id) REFERENCES pending_actions (workspace_id, id) ON DELETE CASCADE
    );
    CREATE INDEX slack_approval_cards_action_idx ON slack_approval_cards (workspace_id, pending_action_id);
    ${tenantTableSql({ table: 'slack_approval_cards' })}
  `)
}

export async function down({ context }: { context: MigrationContext }): Promise<void> {
  await context.query(`
    DROP TABLE IF EXISTS slack_approval_cards;
    DROP TABLE IF EXISTS slack_threads;
    DROP TABLE IF EXISTS slack_user_links;
    DROP TABLE IF EXISTS slack_team_links;
    DROP TABLE IF EXISTS slack_event_receipts;
    DROP TABLE IF EXISTS slack_installations;
  `)
}
