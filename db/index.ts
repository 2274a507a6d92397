export {
  type Database,
  openDatabase,
  type OpenDatabaseOptions,
  type SystemTransaction,
  type TenantContext,
  type TenantTransaction,
} from './database.ts'
export { type EmbeddedPostgres, findRunningEmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres.ts'
export { createMigrator, type MigrationContext, type MigrationStatus, type Migrator, migrationsTable } from './migrator.ts'
export type { Models } from './models/index.ts'
export {
  appRole,
  currentWorkspaceSql,
  oneOfSql,
  tenantColumnsSql,
  tenantTableSql,
  updatedAtTriggerSql,
  userSetting,
  workspaceSetting,
} from './schema-sql.ts'
export * from './vocabulary.ts'
export * from './queries/index.ts'
