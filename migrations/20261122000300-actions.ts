import {
  actionChannels,
  actionHistoryStatuses,
  autonomyModes,
  autonomyScopeTypes,
  type MigrationContext,
  memberReferenceSql,
  oneOfSql,
  pendingActionStatuses,
  tenantColumnsSql,
  tenantTableSql,
  toolRisks,
} from '../db/index.ts'

const member = memberReferenceSql

/**
 * Autonomy preferences, pending actions and the action history.
 *
 * `user_autonomy_preferences` rows with `user_id` NULL are the workspace defaults admins set;
 * `action_history` is append-only for the app (undo adds a row that points at the undone one).
 */
export async function up({ context }: { context: MigrationContext }): Promise<void> {
  await context.query(`
    CREATE TABLE user_autonomy_preferences (
      ${tenantColumnsSql},
      user_id uuid,
      scope_type text NOT NULL ${oneOfSql('scope_type', autonomyScopeTypes)},
      scope text NOT NULL CHECK (scope ~ '^[a-z_]{1,64}$'),
      mode text NOT NULL ${oneOfSql('mode', autonomyModes)},
      set_by_id uuid,
      UNIQUE NULLS NOT DISTINCT (workspace_id, user_id, scope_type, scope),
      FOREIGN KEY (workspace_id, user_id) REFERENCES workspace_members (workspace_id, user_id) ON DELETE CASCADE,
      ${member('set_by_id')}
    );
    ${tenantTableSql({ table: 'user_autonomy_preferences' })}

    CREATE TABLE pending_actions (
      ${tenantColumnsSql},
      tool text NOT NULL,
      input jsonb NOT NULL,
      input_hash text NOT NULL CHECK (input_hash ~ '^[0-9a-f]{64}$'),
      summary text NOT NULL,
      risk text NOT NULL ${oneOfSql('risk', toolRisks)},
      requested_by_id uuid,
      channel text NOT NULL ${oneOfSql('channel', actionChannels)},
      conversation_id uuid,
      message_id text,
      status text NOT NULL DEFAULT 'pending' ${oneOfSql('status', pendingActionStatuses)},
      expires_at timestamptz NOT NULL,
      decided_by_id uuid,
      decided_at timestamptz,
      result jsonb,
      error text,
      UNIQUE (workspace_id, id),
      ${member('requested_by_id')},
      ${member('decided_by_id')}
    );
    CREATE INDEX pending_actions_workspace_status_idx ON pending_actions (workspace_id, status, created_at DESC);
    CREATE INDEX pending_actions_requester_idx ON pending_actions (workspace_id, requested_by_id, tool, decided_at DESC);
    ${tenantTableSql({ table: 'pending_actions' })}

    CREATE TABLE action_history (
      ${tenantColumnsSql},
      actor_user_id uuid,
      tool text NOT NULL,
      risk text NOT NULL ${oneOfSql('risk', toolRisks)},
      input jsonb NOT NULL,
      status text NOT NULL ${oneOfSql('status', actionHistoryStatuses)},
      result_summary text,
      result jsonb,
      error text,
      duration_ms integer CHECK (duration_ms IS NULL OR duration_ms >= 0),
      channel text NOT NULL ${oneOfSql('channel', actionChannels)},
      conversation_id uuid,
      pending_action_id uuid,
      undo_state jsonb,
      undoes_action_id uuid UNIQUE,
      UNIQUE (workspace_id, id),
      ${member('actor_user_id')},
      FOREIGN KEY (workspace_id, pending_action_id) REFERENCES pending_actions (workspace_id, id) ON DELETE SET NULL (pending_action_id),
      FOREIGN KEY (workspace_id, undoes_action_id) REFERENCES action_history (workspace_id, id),
      CHECK ((status = 'undone') = (undoes_action_id IS NOT NULL))
    );
    CREATE INDEX action_history_workspace_created_idx ON action_history (workspace_id, created_at DESC);
    CREATE INDEX action_history_workspace_status_idx ON action_history (workspace_id, status, created_at DESC);
    CREATE INDEX action_history_pending_idx ON action_history (workspace_id, pending_action_id);
    -- Append-only: the app may add history, never change or remove it.
    ${tenantTableSql({ table: 'action_history', privileges: 'SELECT, INSERT' })}
  `)
}

export async function down({ context }: { context: MigrationContext }): Promise<void> {
  await context.query(`
    DROP TABLE IF EXISTS action_history;
    DROP TABLE IF EXISTS pending_actions;
    DROP TABLE IF EXISTS user_autonomy_preferences;
  `)
}
