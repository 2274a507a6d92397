import {
  insightSeverities,
  insightStatuses,
  type MigrationContext,
  notificationChannels,
  oneOfSql,
  tenantColumnsSql,
  tenantTableSql,
} from '../db/index.ts'

/**
 * Proactive insights (assistant/insights) and in-app notifications.
 *
 * `proactive_insights`: one row per finding per member it is for. `dedupe_key` names the condition
 * (e.g. `stale-deal:<deal id>`); the partial unique index allows one unresolved row per member and
 * key, so a condition that still holds is refreshed, not raised again. When the condition no longer
 * holds the row gets `resolved_at` (and status `resolved` when it was open or snoozed), which frees
 * the key: the same condition can be raised again later.
 *
 * `notifications`: what a member is told (in-app list, widget push, Slack DM), with an optional
 * `dedupe_key` so a daily digest is sent once per member per day.
 *
 * `notification_preferences`: per member channels, quiet hours (in the workspace time zone) and
 * digest-only mode. No row means the defaults.
 *
 * All three are tenant tables with forced row-level security, and the member columns reference
 * workspace_members, so a row can only be for a member of its own workspace.
 */
export async function up({ context }: { context: MigrationContext }): Promise<void> {
  await context.query(`
    CREATE TABLE proactive_insights (
      ${tenantColumnsSql},
      type text NOT NULL CHECK (type ~ '^[a-z][a-z0-9_]{1,63}$'),
      severity text NOT NULL DEFAULT 'info' ${oneOfSql('severity', insightSeverities)},
      title text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
      body text NOT NULL DEFAULT '',
      entities jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(entities) = 'array'),
      data jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(data) = 'object'),
      user_id uuid NOT NULL,
      dedupe_key text NOT NULL CHECK (length(dedupe_key) BETWEEN 1 AND 300),
      status text NOT NULL DEFAULT 'open' ${oneOfSql('status', insightStatuses)},
      -- { tool, input, label, relativeDates? }: a tool call run through the autonomy policy on accept.
      suggested_action jsonb CHECK (suggested_action IS NULL OR jsonb_typeof(suggested_action) = 'object'),
      snoozed_until timestamptz,
      decided_at timestamptz,
      -- The action that accepting created (pending or executed), and what became of it.
      action_id uuid,
      action_status text,
      first_detected_at timestamptz NOT NULL,
      last_detected_at timestamptz NOT NULL,
      -- The run that raised it or last changed its text (an unchanged finding is not rewritten).
      last_run_id uuid NOT NULL,
      resolved_at timestamptz,
      CHECK ((status = 'resolved') <= (resolved_at IS NOT NULL)),
      CHECK ((status = 'snoozed') = (snoozed_until IS NOT NULL)),
      UNIQUE (workspace_id, id),
      FOREIGN KEY (workspace_id, user_id) REFERENCES workspace_members (workspace_id, user_id) ON DELETE CASCADE
    );
    CREATE UNIQUE INDEX proactive_insights_dedupe_idx ON proactive_insights (workspace_id, user_id, dedupe_key)
      WHERE resolved_at IS NULL;
    CREATE INDEX proactive_insights_member_idx ON proactive_insights (workspace_id, user_id, status, created_at DESC);
    CREATE INDEX proactive_insights_open_type_idx ON proactive_insights (workspace_id, type) WHERE resolved_at IS NULL;
    ${tenantTableSql({ table: 'proactive_insights' })}

    CREATE TABLE notifications (
      ${tenantColumnsSql},
      user_id uuid NOT NULL,
      kind text NOT NULL CHECK (kind IN ('insight', 'insights', 'digest')),
      title text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
      body text NOT NULL DEFAULT '',
      insight_id uuid,
      data jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(data) = 'object'),
      dedupe_key text,
      -- Channels it was pushed to beyond the in-app list (widget, slack); empty in quiet hours.
      pushed_to text[] NOT NULL DEFAULT '{}',
      read_at timestamptz,
      FOREIGN KEY (workspace_id, user_id) REFERENCES workspace_members (workspace_id, user_id) ON DELETE CASCADE,
      FOREIGN KEY (workspace_id, insight_id) REFERENCES proactive_insights (workspace_id, id) ON DELETE SET NULL (insight_id)
    );
    CREATE INDEX notifications_member_idx ON notifications (workspace_id, user_id, created_at DESC);
    CREATE UNIQUE INDEX notifications_dedupe_idx ON notifications (workspace_id, user_id, dedupe_key)
      WHERE dedupe_key IS NOT NULL;
    ${tenantTableSql({ table: 'notifications' })}

    CREATE TABLE notification_preferences (
      ${tenantColumnsSql},
      user_id uuid NOT NULL,
      channels text[] NOT NULL DEFAULT '{widget,slack}'
        CHECK (channels <@ ARRAY[${notificationChannels.map((channel) => `'${channel}'`).join(', ')}]::text[]),
      -- Minutes after local midnight (workspace time zone); both null: no quiet hours.
      quiet_start_minute smallint CHECK (quiet_start_minute BETWEEN 0 AND 1439),
      quiet_end_minute smallint CHECK (quiet_end_minute BETWEEN 0 AND 1439),
      digest_only boolean NOT NULL DEFAULT false,
      CHECK ((quiet_start_minute IS NULL) = (quiet_end_minute IS NULL)),
      UNIQUE (workspace_id, user_id),
      FOREIGN KEY (workspace_id, user_id) REFERENCES workspace_members (workspace_id, user_id) ON DELETE CASCADE
    );
    ${tenantTableSql({ table: 'notification_preferences' })}
  `)
}

export async function down({ context }: { context: MigrationContext }): Promise<void> {
  await context.query(`
    DROP TABLE IF EXISTS notification_preferences;
    DROP TABLE IF EXISTS notifications;
    DROP TABLE IF EXISTS proactive_insights;
  `)
}
