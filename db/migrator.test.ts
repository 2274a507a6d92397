import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../test/support/tenant-fixtures.ts'
import { createTestDatabase, type TestDatabase } from '../test/support/test-database.ts'
import { appRole, type Database, migrationsTable } from './index.ts'

/**
 * The migration lifecycle on a clean database: status, up, down one step, down to zero and up
 * again. The steps build on each other, so they share one database and run in order.
 */

const migrationsDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations')

/** The migration names as the files on disk say they should be, in the order they must run. */
const migrationFiles = readdirSync(migrationsDirectory)
  .filter((file) => /^[0-9].*-.*\.(ts|js)$/.test(file) && !/\.(d|test)\.(ts|js)$/.test(file))
  .map((file) => file.replace(/\.(ts|js)$/, ''))
  .sort()

let testDatabase: TestDatabase
let database: Database

beforeAll(async () => {
  testDatabase = await createTestDatabase({ migrate: false })
  database = testDatabase.database
})

afterAll(async () => {
  await testDatabase?.close()
})

function rows<Row = Record<string, unknown>>(
  sql: string,
  replacements: Record<string, unknown> = {},
): Promise<Row[]> {
  return database.withSystem((system) => queryRows<Row>(system, sql, replacements))
}

/** Relations in `public` (tables, views, sequences, materialized views), indexes left out. */
async function publicRelations(): Promise<string[]> {
  const found = await rows<{ relname: string }>(
    `SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      ORDER BY relname`,
  )
  return found.map((row) => row.relname)
}

/** Tables in `public` that lack row-level security or do not force it on their owner. */
async function tablesWithoutForcedRls(): Promise<string[]> {
  const found = await rows<{ relname: string }>(
    `SELECT relname FROM pg_class
      WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND NOT (relrowsecurity AND relforcerowsecurity)
      ORDER BY relname`,
  )
  return found.map((row) => row.relname)
}

/** Everything a migration defines, in a comparable form: relations, columns, constraints, policies, triggers, grants. */
async function schemaSnapshot(): Promise<unknown> {
  return {
    relations: await rows(
      `SELECT c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity,
              (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END,
                                 ', ' ORDER BY a.attnum)
                 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
              CASE WHEN c.relkind IN ('r', 'p', 'v', 'm') THEN has_table_privilege(:appRole, c.oid, 'SELECT') END AS app_select,
              CASE WHEN c.relkind IN ('r', 'p', 'v', 'm') THEN has_table_privilege(:appRole, c.oid, 'INSERT') END AS app_insert,
              CASE WHEN c.relkind IN ('r', 'p', 'v', 'm') THEN has_table_privilege(:appRole, c.oid, 'UPDATE') END AS app_update,
              CASE WHEN c.relkind IN ('r', 'p', 'v', 'm') THEN has_table_privilege(:appRole, c.oid, 'DELETE') END AS app_delete
         FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'i')
        ORDER BY c.relname`,
      { appRole },
    ),
    constraints: await rows(
      `SELECT conrelid::regclass::text AS table, conname, pg_get_constraintdef(oid) AS definition
         FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`,
    ),
    policies: await rows(
      `SELECT tablename, policyname, permissive, cmd, qual, with_check FROM pg_policies
        WHERE schemaname = 'public' ORDER BY tablename, policyname`,
    ),
    triggers: await rows(
      `SELECT tgrelid::regclass::text AS table, tgname FROM pg_trigger
        WHERE NOT tgisinternal AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)
        ORDER BY 1, 2`,
    ),
    functions: await rows(
      `SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND proname LIKE 'nereid%' ORDER BY 1`,
    ),
  }
}

describe('migrator', () => {
  let snapshotAfterUp: unknown

  it('finds the migration files to test', () => {
    expect(migrationFiles.length).toBeGreaterThanOrEqual(3)
    expect(migrationFiles).toEqual(
      expect.arrayContaining([
        '20261122000000-database-roles',
        '20261122000100-tenancy',
        '20261122000200-crm',
      ]),
    )
  })

  it('on a clean database, status shows every migration pending and none executed', async () => {
    expect(await database.migrator.status()).toEqual({ executed: [], pending: migrationFiles })
    expect(await database.migrator.down()).toEqual([])
    expect(await tablesWithoutForcedRls()).toEqual([migrationsTable])
  })

  it('up applies every migration, in file order', async () => {
    expect(await database.migrator.up()).toEqual(migrationFiles)
    const recorded = await rows<{ name: string }>(`SELECT name FROM ${migrationsTable} ORDER BY name`)
    expect(recorded.map((row) => row.name)).toEqual(migrationFiles)
  })

  it('status then shows every migration executed and none pending', async () => {
    expect(await database.migrator.status()).toEqual({ executed: migrationFiles, pending: [] })
  })

  it('up again applies nothing', async () => {
    expect(await database.migrator.up()).toEqual([])
  })

  it('creates the tables with row-level security forced on every one but the migrations table', async () => {
    const relations = await publicRelations()
    expect(relations).toEqual(
      expect.arrayContaining([
        migrationsTable,
        'workspaces',
        'users',
        'workspace_members',
        'customers',
        'deals',
      ]),
    )
    expect(await tablesWithoutForcedRls()).toEqual([migrationsTable])
    snapshotAfterUp = await schemaSnapshot()
  })

  it('down without options reverts only the newest migration, and up restores it exactly', async () => {
    const newest = migrationFiles.at(-1)!
    expect(await database.migrator.down()).toEqual([newest])
    expect(await database.migrator.status()).toEqual({
      executed: migrationFiles.slice(0, -1),
      pending: [newest],
    })
    expect(await database.migrator.up()).toEqual([newest])
    expect(await schemaSnapshot()).toEqual(snapshotAfterUp)
  })

  it('down to 0 reverts every migration, newest first, and leaves only the migrations table', async () => {
    expect(await database.migrator.down({ to: 0 })).toEqual([...migrationFiles].reverse())
    expect(await database.migrator.status()).toEqual({ executed: [], pending: migrationFiles })
    expect(await publicRelations()).toEqual([migrationsTable])
    expect(
      await rows('SELECT policyname FROM pg_policies WHERE schemaname = :schema', { schema: 'public' }),
    ).toEqual([])
    expect(
      await rows(`SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY proname`),
    ).toEqual([])
    // Enums or domains a migration created would outlive their tables unless down drops them.
    expect(
      await rows(
        `SELECT typname FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typrelid = 0 AND typelem = 0`,
      ),
    ).toEqual([])
  })

  it('up again brings every table back with row-level security forced, and tenant work runs', async () => {
    expect(await database.migrator.up()).toEqual(migrationFiles)
    expect(await database.migrator.status()).toEqual({ executed: migrationFiles, pending: [] })
    expect(await tablesWithoutForcedRls()).toEqual([migrationsTable])
    expect(await schemaSnapshot()).toEqual(snapshotAfterUp)

    const workspaceId = await database.withSystem(async ({ models, transaction }) => {
      const workspace = await models.Workspace.create(
        { name: 'Round trip', slug: 'round-trip' },
        { transaction },
      )
      return workspace.get().id
    })
    const names = await database.withTenant({ workspaceId }, async (tenant) => {
      await queryRows(
        tenant,
        `INSERT INTO customers (workspace_id, name) VALUES (:workspaceId, 'Acme') RETURNING id`,
        {
          workspaceId,
        },
      )
      return queryRows(tenant, 'SELECT name FROM customers')
    })
    expect(names).toEqual([{ name: 'Acme' }])
  })
})
