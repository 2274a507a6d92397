import { appRole, type MigrationContext } from '../db/index.ts'

/**
 * The app role tenant work runs under, the vector extension, and shared functions.
 * Roles are cluster-wide (shared by every database on the server), so `down` leaves the role
 * in place and only takes back what this database granted.
 */
export async function up({ context }: { context: MigrationContext }): Promise<void> {
  await context.query(`
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${appRole}') THEN
        CREATE ROLE ${appRole} NOLOGIN NOSUPERUSER NOBYPASSRLS;
      END IF;
    END $$;
    GRANT ${appRole} TO CURRENT_USER;
    GRANT USAGE ON SCHEMA public TO ${appRole};
    CREATE EXTENSION IF NOT EXISTS vector;
    CREATE FUNCTION nereid_set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.updated_at = now();
      RETURN NEW;
    END $$;
  `)
}

export async function down({ context }: { context: MigrationContext }): Promise<void> {
  await context.query(`
    DROP FUNCTION IF EXISTS nereid_set_updated_at();
    DROP EXTENSION IF EXISTS vector;
    REVOKE USAGE ON SCHEMA public FROM ${appRole};
  `)
}
