import {
  appRole,
  auditActorTypes,
  currentWorkspaceSql,
  type MigrationContext,
  memberRoles,
  oneOfSql,
  tenantColumnsSql,
  tenantTableSql,
  updatedAtTriggerSql,
  workspacePlans,
} from '../db/index.ts'

/** Workspaces, users, memberships, API keys and the audit log. */
export async function up({ context }: { context: MigrationContext }): Promise<void> {
  await context.query(`
    CREATE TABLE workspaces (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
      slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
      plan text NOT NULL DEFAULT 'free' ${oneOfSql('plan', workspacePlans)},
      time_zone text NOT NULL DEFAULT 'UTC',
      settings jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(settings) = 'object'),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    -- A workspace sees only itself. Creating and deleting workspaces is system work.
    ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
    ALTER TABLE workspaces FORCE ROW LEVEL SECURITY;
    CREATE POLICY workspaces_tenant_isolation ON workspaces
      USING (id = ${currentWorkspaceSql}) WITH CHECK (id = ${currentWorkspaceSql});
    GRANT SELECT, UPDATE ON workspaces TO ${appRole};
    ${updatedAtTriggerSql('workspaces')}

    CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL CHECK (email ~ '^[^@\\s]+@[^@\\s]+$' AND email = lower(email)),
      name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX users_email_key ON users (email);
    ${updatedAtTriggerSql('users')}

    CREATE TABLE workspace_members (
      ${tenantColumnsSql},
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      role text NOT NULL DEFAULT 'member' ${oneOfSql('role', memberRoles)},
      UNIQUE (workspace_id, user_id)
    );
    CREATE INDEX workspace_members_user_id_idx ON workspace_members (user_id);
    ${tenantTableSql({ table: 'workspace_members' })}

    -- Users are global identities; inside a workspace the app sees only that workspace's members
    -- (the subquery is itself filtered by workspace_members' policy).
    ALTER TABLE users ENABLE ROW LEVEL SECURITY;
    ALTER TABLE users FORCE ROW LEVEL SECURITY;
    CREATE POLICY users_member_visibility ON users
      USING (EXISTS (SELECT 1 FROM workspace_members m WHERE m.user_id = users.id));
    GRANT SELECT ON users TO ${appRole};

    CREATE TABLE api_keys (
      ${tenantColumnsSql},
      name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
      prefix text NOT NULL UNIQUE CHECK (prefix ~ '^[a-z0-9]{12}$'),
      key_hash text NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
      created_by_id uuid REFERENCES users(id) ON DELETE SET NULL,
      last_used_at timestamptz,
      revoked_at timestamptz
    );
    CREATE INDEX api_keys_workspace_id_idx ON api_keys (workspace_id, created_at DESC);
    ${tenantTableSql({ table: 'api_keys' })}

    CREATE TABLE audit_logs (
      ${tenantColumnsSql},
      actor_type text NOT NULL ${oneOfSql('actor_type', auditActorTypes)},
      actor_user_id uuid REFERENCES users(id) ON DELETE SET NULL,
      action text NOT NULL CHECK (action ~ '^[a-z_]+(\\.[a-z_]+)+$'),
      target_type text,
      target_id uuid,
      request_id text,
      metadata jsonb NOT NULL DEFAULT '{}'::jsonb
    );
    CREATE INDEX audit_logs_workspace_created_idx ON audit_logs (workspace_id, created_at DESC);
    CREATE INDEX audit_logs_workspace_target_idx ON audit_logs (workspace_id, target_type, target_id);
    -- The audit log is append-only for the app: no UPDATE or DELETE privilege.
    ${tenantTableSql({ table: 'audit_logs', privileges: 'SELECT, INSERT' })}
  `)
}

export async function down({ context }: { context: MigrationContext }): Promise<void> {
  await context.query(`
    DROP TABLE IF EXISTS audit_logs;
    DROP TABLE IF EXISTS api_keys;
    DROP POLICY IF EXISTS users_member_visibility ON users;
    DROP TABLE IF EXISTS workspace_members;
    DROP TABLE IF EXISTS users;
    DROP TABLE IF EXISTS workspaces;
  `)
}
