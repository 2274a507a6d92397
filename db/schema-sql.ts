/**
 * SQL building blocks shared by migrations. Kept here (not in migrations/) so every tenant
 * table gets exactly the same row-level security, grants and timestamp trigger.
 */

/** The role tenant work runs under (`SET LOCAL ROLE`). Not a superuser, so RLS applies to it. */
export const appRole = 'nereid_app'

/** The session setting that names the current workspace, set per transaction by `withTenant`. */
export const workspaceSetting = 'app.workspace_id'

/** The session setting that names the acting user (for audit and defaults), set by `withTenant`. */
export const userSetting = 'app.user_id'

/**
 * The current workspace as a uuid, or NULL outside a tenant context. `nullif` matters: once a
 * custom setting has been set in a session, Postgres reports it as '' (not NULL) after the
 * transaction ends, and ''::uuid would raise instead of failing closed.
 */
export const currentWorkspaceSql = `nullif(current_setting('${workspaceSetting}', true), '')::uuid`

export interface TenantTableSqlOptions {
  table: string
  /** Privileges of the app role; audit-style tables leave out UPDATE and DELETE. */
  privileges?: string
}

/**
 * Row-level security for a table with a `workspace_id` column: enabled and forced (so even the
 * table owner is filtered), one policy for reads and writes, grants for the app role, and the
 * `updated_at` trigger.
 */
export function tenantTableSql({
  table,
  privileges = 'SELECT, INSERT, UPDATE, DELETE',
}: TenantTableSqlOptions): string {
  return `
    ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
    CREATE POLICY ${table}_tenant_isolation ON ${table}
      USING (workspace_id = ${currentWorkspaceSql})
      WITH CHECK (workspace_id = ${currentWorkspaceSql});
    GRANT ${privileges} ON ${table} TO ${appRole};
    ${updatedAtTriggerSql(table)}
  `
}

/** Keeps `updated_at` current on every UPDATE. */
export function updatedAtTriggerSql(table: string): string {
  return `CREATE TRIGGER ${table}_set_updated_at BEFORE UPDATE ON ${table}
    FOR EACH ROW EXECUTE FUNCTION nereid_set_updated_at();`
}

/** The columns every tenant table starts with. */
export const tenantColumnsSql = `
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()`

/** A CHECK constraint restricting a text column to a fixed list. */
export function oneOfSql(column: string, values: readonly string[]): string {
  return `CHECK (${column} IN (${values.map((value) => `'${value}'`).join(', ')}))`
}

/**
 * A foreign key making `column` name a member of the row's own workspace (composite on
 * (workspace_id, user_id)), cleared when the member leaves.
 */
export function memberReferenceSql(column: string): string {
  return `FOREIGN KEY (workspace_id, ${column}) REFERENCES workspace_members (workspace_id, user_id) ON DELETE SET NULL (${column})`
}
