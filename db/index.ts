export { type CampaignStats, campaignStatsFromCounts } from './campaign-stats.ts'
export {
  type Database,
  type OpenDatabaseOptions,
  openDatabase,
  type SystemStatements,
  type SystemTransaction,
  type TenantContext,
  type TenantTransaction,
} from './database.ts'
export {
  type EmbeddedPostgres,
  findRunningEmbeddedPostgres,
  startEmbeddedPostgres,
} from './embedded-postgres.ts'
export {
  createMigrator,
  type MigrationContext,
  type MigrationStatus,
  type Migrator,
  migrationsTable,
} from './migrator.ts'
export type { Models } from './models/index.ts'
export { createPostgresEventBus } from './postgres-event-bus.ts'
export * from './queries/index.ts'
export * from './queries/insights.ts'
export * from './queries/notifications.ts'
export {
  appRole,
  currentWorkspaceSql,
  memberReferenceSql,
  oneOfSql,
  tenantColumnsSql,
  tenantTableSql,
  updatedAtTriggerSql,
  userSetting,
  workspaceSetting,
} from './schema-sql.ts'
export {
  type SeedDemoWorkspaceOptions,
  type SeededDemoWorkspace,
  seedDemoWorkspace,
} from './seed/demo-workspace.ts'
export * from './vocabulary.ts'
