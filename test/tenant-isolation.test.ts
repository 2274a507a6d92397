import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../core/index.ts'
import { appRole, migrationsTable, type SystemTransaction, type TenantTransaction } from '../db/index.ts'
import {
  addMembership,
  buildTenantRow,
  createFixtureWorkspace,
  createTenantRow,
  createUser,
  type FixtureWorkspace,
  insertRow,
  insertRowQuietly,
  queryRows,
  quoteIdentifier,
  type SqlExecutor,
  tenantRowFactories,
} from './support/tenant-fixtures.ts'
import { createTestDatabase } from './support/test-database.ts'

/**
 * Proves that one workspace can never see or change another workspace's rows, for every tenant
 * table there is. The tables come from the catalog (every table in `public` with a
 * `workspace_id` column), so a new table is covered the moment its migration exists; it only
 * needs a row factory in test/support/tenant-fixtures.ts, and this suite fails until it has one.
 *
 * Every query here deliberately omits any workspace filter: row-level security alone must do the
 * scoping.
 */

const testDatabase = await createTestDatabase()
const { database } = testDatabase

/** Tables whose rows the app may add and read but never change or remove. */
const appendOnlyTables = new Set(['audit_logs', 'action_history'])

const tenantTables = await database
  .withSystem((system) =>
    queryRows<{ table_name: string }>(
      system,
      `SELECT c.table_name
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = 'public' AND c.column_name = 'workspace_id' AND t.table_type = 'BASE TABLE'
      ORDER BY c.table_name`,
    ),
  )
  .then((rows) => rows.map((row) => row.table_name))

let workspaceA: FixtureWorkspace
let workspaceB: FixtureWorkspace
/** A user who is a member of both workspaces. */
let sharedUserId: string
/** The seeded row of each tenant table in each workspace. */
const seeded = new Map<string, { a: string; b: string }>()

beforeAll(async () => {
  await database.withSystem(async (system) => {
    workspaceA = await createFixtureWorkspace(system, { label: 'a' })
    workspaceB = await createFixtureWorkspace(system, { label: 'b' })
    sharedUserId = await createUser(system, { label: 'shared' })
    await addMembership(system, { workspaceId: workspaceA.id, userId: sharedUserId })
    await addMembership(system, { workspaceId: workspaceB.id, userId: sharedUserId })
    for (const table of tenantTables) {
      if (!tenantRowFactories[table]) continue
      seeded.set(table, {
        a: await createTenantRow(system, { table, workspace: workspaceA }),
        b: await createTenantRow(system, { table, workspace: workspaceB }),
      })
    }
  })
})

afterAll(async () => {
  await testDatabase.close()
})

function seededRows(table: string): { a: string; b: string } {
  const rows = seeded.get(table)
  if (!rows) {
    throw new Error(
      `No fixture factory for tenant table "${table}": add one to tenantRowFactories in test/support/tenant-fixtures.ts.`,
    )
  }
  return rows
}

/** The Postgres error behind a failed call (Sequelize wraps it), or a test failure if the call succeeded. */
async function failureOf(promise: Promise<unknown>): Promise<{ code: string | undefined; message: string }> {
  try {
    await promise
  } catch (error) {
    const original = ((error as { original?: unknown }).original ?? error) as {
      code?: string
      message: string
    }
    return { code: original.code, message: original.message }
  }
  throw new Error('expected the statement to fail, but it succeeded')
}

function expectRlsViolation(failure: { code: string | undefined; message: string }, table: string): void {
  expect(failure.code).toBe('42501')
  expect(failure.message).toContain(`new row violates row-level security policy for table "${table}"`)
}

function expectPermissionDenied(failure: { code: string | undefined; message: string }, table: string): void {
  expect(failure.code).toBe('42501')
  expect(failure.message).toContain(`permission denied for table ${table}`)
}

/** Runs `work` as the app role with no workspace set: what code outside `withTenant` would see. */
function withoutTenant<Result>(work: (system: SystemTransaction) => Promise<Result>): Promise<Result> {
  return database.withSystem(async (system) => {
    await queryRows(system, `SET LOCAL ROLE ${appRole}`)
    return work(system)
  })
}

class Rollback extends Error {}

/** Runs tenant work and rolls it back, returning what `work` returned. */
async function inRolledBackTenant<Result>(
  workspaceId: string,
  work: (tenant: TenantTransaction) => Promise<Result>,
): Promise<Result> {
  let result: Result | undefined
  await database
    .withTenant({ workspaceId }, async (tenant) => {
      result = await work(tenant)
      throw new Rollback()
    })
    .catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error
    })
  return result as Result
}

/** The ids of a table's rows in one workspace, as the privileged system user sees them. */
function systemIds(table: string, workspaceId: string): Promise<string[]> {
  return database.withSystem(async (system) =>
    (
      await queryRows<{ id: string }>(
        system,
        `SELECT id FROM ${quoteIdentifier(table)} WHERE workspace_id = :workspaceId ORDER BY id`,
        { workspaceId },
      )
    ).map((row) => row.id),
  )
}

/** A row as the system sees it (undefined when gone), to prove a statement left it untouched. */
function systemRow(table: string, id: string): Promise<unknown> {
  return database.withSystem(
    async (system) =>
      (
        await queryRows<{ row: unknown }>(
          system,
          `SELECT to_jsonb(t) AS row FROM ${quoteIdentifier(table)} t WHERE id = :id`,
          { id },
        )
      )[0]?.row,
  )
}

/** Values for a new, valid row of `table` in `workspace`; parents it needs are created (and committed) first. */
function newRowValues(table: string, workspace: FixtureWorkspace): Promise<Record<string, unknown>> {
  return database.withSystem((system) => buildTenantRow(system, { table, workspace }))
}

function ids(rows: { id: string }[]): string[] {
  return rows.map((row) => row.id).sort()
}

describe('the catalog', () => {
  it('discovers the tenant tables from information_schema', () => {
    expect(tenantTables).toEqual(
      expect.arrayContaining([
        'workspace_members',
        'api_keys',
        'audit_logs',
        'customers',
        'contacts',
        'prospects',
        'deals',
        'crm_interactions',
        'tasks',
        'campaigns',
        'campaign_recipients',
      ]),
    )
  })

  it('has a fixture factory for every tenant table', () => {
    const missing = tenantTables.filter((table) => !tenantRowFactories[table])
    expect(
      missing,
      `add a factory for new table(s) ${missing.join(', ')} to tenantRowFactories in test/support/tenant-fixtures.ts`,
    ).toEqual([])
  })

  it('has no fixture factory for a table that is not a tenant table', () => {
    const stale = Object.keys(tenantRowFactories).filter((table) => !tenantTables.includes(table))
    expect(stale, `remove or rename the factories for ${stale.join(', ')}`).toEqual([])
  })

  it.each(tenantTables)(
    '%s has row-level security enabled and forced, with a workspace policy',
    async (table) => {
      const { security, policies } = await database.withSystem(async (system) => ({
        security: await queryRows<{ relrowsecurity: boolean; relforcerowsecurity: boolean }>(
          system,
          `SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = to_regclass(:name)`,
          { name: `public.${quoteIdentifier(table)}` },
        ),
        policies: await queryRows<{
          policyname: string
          permissive: string
          qual: string | null
          with_check: string | null
        }>(
          system,
          `SELECT policyname, permissive, qual, with_check FROM pg_policies WHERE schemaname = 'public' AND tablename = :table`,
          { table },
        ),
      }))
      expect(security).toEqual([{ relrowsecurity: true, relforcerowsecurity: true }])
      expect(policies.length).toBeGreaterThan(0)
      // A permissive policy that is not bound to the current workspace would open the table up.
      for (const policy of policies.filter((candidate) => candidate.permissive === 'PERMISSIVE')) {
        expect(policy.qual, policy.policyname).toMatch(/workspace_id/)
        expect(policy.qual, policy.policyname).toContain("current_setting('app.workspace_id'")
        if (policy.with_check !== null)
          expect(policy.with_check, policy.policyname).toContain("current_setting('app.workspace_id'")
      }
    },
  )

  it('workspaces and users have row-level security enabled and forced, with a policy', async () => {
    const rows = await database.withSystem((system) =>
      queryRows<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean; policies: number }>(
        system,
        `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                (SELECT count(*)::int FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname) AS policies
           FROM pg_class c
          WHERE c.relnamespace = 'public'::regnamespace AND c.relname IN ('workspaces', 'users')
          ORDER BY c.relname`,
      ),
    )
    expect(rows).toEqual([
      { relname: 'users', relrowsecurity: true, relforcerowsecurity: true, policies: 1 },
      { relname: 'workspaces', relrowsecurity: true, relforcerowsecurity: true, policies: 1 },
    ])
  })

  it(`no table in public lacks forced row-level security except ${migrationsTable}`, async () => {
    const rows = await database.withSystem((system) =>
      queryRows<{ relname: string }>(
        system,
        `SELECT relname FROM pg_class
          WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')
            AND NOT (relrowsecurity AND relforcerowsecurity)
          ORDER BY relname`,
      ),
    )
    expect(rows.map((row) => row.relname)).toEqual([migrationsTable])
  })

  it('the app role can read no relation that row-level security does not protect', async () => {
    // Views run with their owner's rights unless security_invoker is set, and materialized views
    // have no row-level security at all: either would hand the app role every workspace's rows.
    const rows = await database.withSystem((system) =>
      queryRows<{ relname: string; relkind: string }>(
        system,
        `SELECT relname, relkind FROM pg_class
          WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'f')
            AND has_table_privilege(:appRole, oid, 'SELECT')
            AND NOT (relkind IN ('r', 'p') AND relrowsecurity AND relforcerowsecurity)
            AND NOT (relkind = 'v' AND 'security_invoker=true' = ANY (coalesce(reloptions, '{}')))
          ORDER BY relname`,
        { appRole },
      ),
    )
    expect(rows).toEqual([])
  })

  it(`the app role has no access to ${migrationsTable}`, async () => {
    const [row] = await database.withSystem((system) =>
      queryRows<{ allowed: boolean }>(
        system,
        `SELECT has_table_privilege(:appRole, :table, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE') AS allowed`,
        { appRole, table: migrationsTable },
      ),
    )
    expect(row).toEqual({ allowed: false })
  })

  it('the app role is an ordinary role: no superuser, no BYPASSRLS, no login', async () => {
    const rows = await database.withSystem((system) =>
      queryRows(system, 'SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = :appRole', {
        appRole,
      }),
    )
    expect(rows).toEqual([{ rolsuper: false, rolbypassrls: false, rolcanlogin: false }])
  })

  it('the app role cannot create objects in public', async () => {
    // A table or view the app role created itself would sit outside the migrations and their policies.
    const [row] = await database.withSystem((system) =>
      queryRows(system, `SELECT has_schema_privilege(:appRole, 'public', 'CREATE') AS allowed`, { appRole }),
    )
    expect(row).toEqual({ allowed: false })
  })

  it.each(tenantTables)('%s grants the app role exactly what its rows need', async (table) => {
    const [row] = await database.withSystem((system) =>
      queryRows<Record<string, boolean>>(
        system,
        `SELECT has_table_privilege(:appRole, :table, 'SELECT') AS select,
                has_table_privilege(:appRole, :table, 'INSERT') AS insert,
                has_table_privilege(:appRole, :table, 'UPDATE') AS update,
                has_table_privilege(:appRole, :table, 'DELETE') AS delete,
                has_table_privilege(:appRole, :table, 'TRUNCATE') AS truncate`,
        { appRole, table: `public.${quoteIdentifier(table)}` },
      ),
    )
    const changeable = !appendOnlyTables.has(table)
    // TRUNCATE ignores row-level security, so the app role must never have it.
    expect(row).toEqual({
      select: true,
      insert: true,
      update: changeable,
      delete: changeable,
      truncate: false,
    })
  })
})

describe.each(tenantTables)('tenant table %s', (table) => {
  const name = quoteIdentifier(table)
  const appendOnly = appendOnlyTables.has(table)

  it('has a fixture factory', () => {
    expect(
      tenantRowFactories[table],
      `add a factory for new table ${table} to tenantRowFactories in test/support/tenant-fixtures.ts`,
    ).toBeDefined()
  })

  it("SELECT * without a filter returns only the current workspace's rows", async () => {
    const { a, b } = seededRows(table)
    const expected = await systemIds(table, workspaceA.id)
    const rows = await database.withTenant({ workspaceId: workspaceA.id }, (tenant) =>
      queryRows<{ id: string; workspace_id: string }>(tenant, `SELECT * FROM ${name}`),
    )
    expect(rows.length).toBeGreaterThan(0)
    expect(rows.every((row) => row.workspace_id === workspaceA.id)).toBe(true)
    expect(ids(rows)).toEqual(expected)
    expect(ids(rows)).toContain(a)
    expect(ids(rows)).not.toContain(b)
  })

  it("count(*) never counts another workspace's rows", async () => {
    seededRows(table)
    const [countA, countB] = await Promise.all([
      systemIds(table, workspaceA.id).then((rows) => rows.length),
      systemIds(table, workspaceB.id).then((rows) => rows.length),
    ])
    expect(countB).toBeGreaterThan(0)
    const counted = async (workspaceId: string) =>
      database.withTenant({ workspaceId }, async (tenant) => {
        const [row] = await queryRows<{ count: number }>(tenant, `SELECT count(*)::int AS count FROM ${name}`)
        return row!.count
      })
    expect(await counted(workspaceA.id)).toBe(countA)
    expect(await counted(workspaceB.id)).toBe(countB)
  })

  it('lets a workspace insert a row of its own and read it back', async () => {
    const values = await newRowValues(table, workspaceA)
    const seen = await inRolledBackTenant(workspaceA.id, async (tenant) => {
      const id = await insertRow(tenant, table, values)
      return queryRows<{ id: string }>(tenant, `SELECT id FROM ${name} WHERE id = :id`, { id })
    })
    expect(seen).toHaveLength(1)
  })

  it("refuses an INSERT carrying another workspace's id and writes nothing", async () => {
    const values = await newRowValues(table, workspaceB)
    const before = await systemIds(table, workspaceB.id)
    const failure = await failureOf(
      database.withTenant({ workspaceId: workspaceA.id }, (tenant) =>
        insertRowQuietly(tenant, table, values),
      ),
    )
    expectRlsViolation(failure, table)
    expect(await systemIds(table, workspaceB.id)).toEqual(before)
  })

  it("cannot UPDATE another workspace's rows", async () => {
    const { b } = seededRows(table)
    const before = await systemRow(table, b)
    const statements = [
      `UPDATE ${name} SET workspace_id = workspace_id WHERE id = :b RETURNING id`,
      `UPDATE ${name} SET workspace_id = :a WHERE id = :b RETURNING id`,
    ]
    for (const statement of statements) {
      const attempt = database.withTenant({ workspaceId: workspaceA.id }, (tenant) =>
        queryRows(tenant, statement, { a: workspaceA.id, b }),
      )
      if (appendOnly) expectPermissionDenied(await failureOf(attempt), table)
      else expect(await attempt).toEqual([])
    }
    expect(await systemRow(table, b)).toEqual(before)
  })

  it('an unfiltered UPDATE touches only the current workspace', async () => {
    const expected = await systemIds(table, workspaceA.id)
    const attempt = inRolledBackTenant(workspaceA.id, (tenant) =>
      queryRows<{ id: string }>(tenant, `UPDATE ${name} SET workspace_id = workspace_id RETURNING id`),
    )
    if (appendOnly) expectPermissionDenied(await failureOf(attempt), table)
    else expect(ids(await attempt)).toEqual(expected)
  })

  it('cannot move its own rows into another workspace', async () => {
    const { a } = seededRows(table)
    const before = await systemIds(table, workspaceA.id)
    const seededBefore = await systemRow(table, a)
    // No RETURNING, and one statement that reads no column: either would add the SELECT policy's
    // check on the new row and hide a WITH CHECK that is too wide.
    const statements = [
      `UPDATE ${name} SET workspace_id = :b WHERE id = :a`,
      `UPDATE ${name} SET workspace_id = :b`,
    ]
    for (const statement of statements) {
      const failure = await failureOf(
        database.withTenant({ workspaceId: workspaceA.id }, (tenant) =>
          tenant.sequelize.query(statement, {
            replacements: { a, b: workspaceB.id },
            transaction: tenant.transaction,
          }),
        ),
      )
      if (appendOnly) expectPermissionDenied(failure, table)
      else expectRlsViolation(failure, table)
    }
    expect(await systemIds(table, workspaceA.id)).toEqual(before)
    expect(await systemRow(table, a)).toEqual(seededBefore)
  })

  it("cannot DELETE another workspace's rows", async () => {
    const { b } = seededRows(table)
    const before = await systemIds(table, workspaceB.id)
    const statements = [
      `DELETE FROM ${name} WHERE id = :b RETURNING id`,
      `DELETE FROM ${name} WHERE workspace_id = :workspaceB RETURNING id`,
    ]
    for (const statement of statements) {
      const attempt = database.withTenant({ workspaceId: workspaceA.id }, (tenant) =>
        queryRows(tenant, statement, { b, workspaceB: workspaceB.id }),
      )
      if (appendOnly) expectPermissionDenied(await failureOf(attempt), table)
      else expect(await attempt).toEqual([])
    }
    expect(await systemIds(table, workspaceB.id)).toEqual(before)
  })

  it('an unfiltered DELETE removes only the current workspace rows', async () => {
    const expected = await systemIds(table, workspaceA.id)
    const attempt = inRolledBackTenant(workspaceA.id, (tenant) =>
      queryRows<{ id: string }>(tenant, `DELETE FROM ${name} RETURNING id`),
    )
    if (appendOnly) expectPermissionDenied(await failureOf(attempt), table)
    else expect(ids(await attempt)).toEqual(expected)
  })

  it('shows nothing and accepts nothing outside a tenant context', async () => {
    seededRows(table)
    const rows = await withoutTenant((system) => queryRows(system, `SELECT * FROM ${name}`))
    expect(rows).toEqual([])
    const values = await newRowValues(table, workspaceA)
    const before = await systemIds(table, workspaceA.id)
    expectRlsViolation(
      await failureOf(withoutTenant((system) => insertRowQuietly(system, table, values))),
      table,
    )
    expect(await systemIds(table, workspaceA.id)).toEqual(before)
  })
})

describe('workspaces', () => {
  it('inside a workspace, SELECT * FROM workspaces shows only that workspace', async () => {
    const rows = await database.withTenant({ workspaceId: workspaceA.id }, (tenant) =>
      queryRows<{ id: string }>(tenant, 'SELECT * FROM workspaces'),
    )
    expect(ids(rows)).toEqual([workspaceA.id])
  })

  it('outside a tenant context no workspace is visible', async () => {
    expect(await withoutTenant((system) => queryRows(system, 'SELECT * FROM workspaces'))).toEqual([])
  })

  it('a workspace cannot rename, create or delete another workspace', async () => {
    const before = await systemRow('workspaces', workspaceB.id)
    const renamed = await database.withTenant({ workspaceId: workspaceA.id }, (tenant) =>
      queryRows(tenant, `UPDATE workspaces SET name = 'Taken over' WHERE id = :b RETURNING id`, {
        b: workspaceB.id,
      }),
    )
    expect(renamed).toEqual([])
    expectPermissionDenied(
      await failureOf(
        database.withTenant({ workspaceId: workspaceA.id }, (tenant) =>
          queryRows(tenant, `DELETE FROM workspaces WHERE id = :b RETURNING id`, { b: workspaceB.id }),
        ),
      ),
      'workspaces',
    )
    expectPermissionDenied(
      await failureOf(
        database.withTenant({ workspaceId: workspaceA.id }, (tenant) =>
          queryRows(
            tenant,
            `INSERT INTO workspaces (name, slug) VALUES ('Rogue', 'rogue-workspace') RETURNING id`,
          ),
        ),
      ),
      'workspaces',
    )
    expect(await systemRow('workspaces', workspaceB.id)).toEqual(before)
  })
})

describe('users', () => {
  it("inside a workspace, SELECT * FROM users shows exactly that workspace's members", async () => {
    const members = await database.withSystem((system) =>
      queryRows<{ id: string }>(
        system,
        'SELECT user_id AS id FROM workspace_members WHERE workspace_id = :id',
        {
          id: workspaceA.id,
        },
      ),
    )
    const rows = await database.withTenant({ workspaceId: workspaceA.id }, (tenant) =>
      queryRows<{ id: string }>(tenant, 'SELECT * FROM users'),
    )
    expect(ids(rows)).toEqual(ids(members))
    expect(ids(rows)).toContain(workspaceA.ownerUserId)
    expect(ids(rows)).toContain(sharedUserId)
    expect(ids(rows)).not.toContain(workspaceB.ownerUserId)
  })

  it('outside a tenant context no user is visible', async () => {
    expect(await withoutTenant((system) => queryRows(system, 'SELECT * FROM users'))).toEqual([])
  })

  it("a workspace cannot change another workspace's users", async () => {
    const before = await systemRow('users', workspaceB.ownerUserId)
    expectPermissionDenied(
      await failureOf(
        database.withTenant({ workspaceId: workspaceA.id }, (tenant) =>
          queryRows(tenant, `UPDATE users SET name = 'Taken over' WHERE id = :id RETURNING id`, {
            id: workspaceB.ownerUserId,
          }),
        ),
      ),
      'users',
    )
    expect(await systemRow('users', workspaceB.ownerUserId)).toEqual(before)
  })
})

describe('withTenant', () => {
  it.each([
    ['not-a-uuid', undefined],
    ["'; DROP TABLE customers; --", undefined],
    ['', undefined],
    [undefined as unknown as string, undefined],
    ['00000000-0000-4000-8000-000000000000', 'not-a-user-id'],
  ])(
    'refuses workspace id %j / user id %j with bad_request before touching the database',
    async (workspaceId, userId) => {
      let ran = false
      const error = await database
        .withTenant({ workspaceId, userId }, async () => {
          ran = true
        })
        .then(
          () => undefined,
          (caught: unknown) => caught,
        )
      expect(error).toBeInstanceOf(AppError)
      expect(error).toMatchObject({ code: 'bad_request', status: 400 })
      expect(ran).toBe(false)
    },
  )

  it('a workspace id that does not exist sees no rows at all', async () => {
    const rows = await database.withTenant(
      { workspaceId: '00000000-0000-4000-8000-000000000000' },
      async (tenant) => {
        const counts: number[] = []
        for (const table of [...tenantTables, 'workspaces', 'users']) {
          const [row] = await queryRows<{ count: number }>(
            tenant,
            `SELECT count(*)::int AS count FROM ${quoteIdentifier(table)}`,
          )
          counts.push(row!.count)
        }
        return counts
      },
    )
    expect(rows.every((count) => count === 0)).toBe(true)
  })

  it('leaves no role or workspace setting behind when its transaction ends', async () => {
    const pidsWithTenant = new Set<number>()
    const pidsAfter = new Set<number>()
    // Several rounds, committed and rolled back, so pooled connections that ran tenant work are
    // reused (PGlite has only one session, so there every round reuses it).
    for (let round = 0; round < 6; round += 1) {
      const work = async (tenant: TenantTransaction) => {
        const [row] = await queryRows<{ pid: number; count: number }>(
          tenant,
          'SELECT pg_backend_pid() AS pid, (SELECT count(*)::int FROM customers) AS count',
        )
        expect(row!.count).toBeGreaterThan(0)
        pidsWithTenant.add(row!.pid)
      }
      if (round % 2 === 0) {
        await database.withTenant({ workspaceId: workspaceA.id, userId: workspaceA.ownerUserId }, work)
      } else {
        await inRolledBackTenant(workspaceA.id, work)
      }

      const system = await database.withSystem((transaction) =>
        queryRows<{ pid: number; role: boolean; workspace: string | null; user: string | null }>(
          transaction,
          `SELECT pg_backend_pid() AS pid, current_user = session_user AS role,
                  current_setting('app.workspace_id', true) AS workspace, current_setting('app.user_id', true) AS user`,
        ),
      )
      expect(system[0]!.role).toBe(true)
      expect(system[0]!.workspace ?? '').toBe('')
      expect(system[0]!.user ?? '').toBe('')
      const [after] = await withoutTenant((transaction) =>
        queryRows<{ pid: number; customers: number; workspaces: number; users: number }>(
          transaction,
          `SELECT pg_backend_pid() AS pid, (SELECT count(*)::int FROM customers) AS customers,
                  (SELECT count(*)::int FROM workspaces) AS workspaces, (SELECT count(*)::int FROM users) AS users`,
        ),
      )
      expect(after).toMatchObject({ customers: 0, workspaces: 0, users: 0 })
      pidsAfter.add(after!.pid)
    }
    // The check means something only if a connection that ran tenant work was used again after it.
    expect([...pidsAfter].some((pid) => pidsWithTenant.has(pid))).toBe(true)
  })

  it('concurrent transactions for two workspaces each see only their own rows', async () => {
    const workspaces = Array.from({ length: 12 }, (_, index) => (index % 2 === 0 ? workspaceA : workspaceB))
    const results = await Promise.all(
      workspaces.map((workspace, index) =>
        database.withTenant({ workspaceId: workspace.id }, async (tenant) => {
          await sleep((index % 3) * 5)
          const customers = await queryRows<{ workspace_id: string }>(
            tenant,
            'SELECT workspace_id FROM customers',
          )
          await sleep(((index + 1) % 3) * 5)
          const visible = await queryRows<{ id: string }>(tenant, 'SELECT id FROM workspaces')
          const [setting] = await queryRows<{ value: string }>(
            tenant,
            "SELECT current_setting('app.workspace_id') AS value",
          )
          return {
            expected: workspace.id,
            seen: [
              ...new Set([...customers.map((row) => row.workspace_id), ...visible.map((row) => row.id)]),
            ],
            customers: customers.length,
            setting: setting!.value,
          }
        }),
      ),
    )
    for (const result of results) {
      expect(result.customers).toBeGreaterThan(0)
      expect(result.seen).toEqual([result.expected])
      expect(result.setting).toBe(result.expected)
    }
  })
})

describe('withSystemStatements', () => {
  it('runs each statement in a transaction of its own, where withSystem runs them in one', async () => {
    const transactionIds = async (executor: SqlExecutor) => {
      const ids: string[] = []
      for (const _ of [1, 2]) {
        const [row] = await queryRows<{ id: string }>(executor, 'SELECT txid_current()::text AS id')
        ids.push(row!.id)
      }
      return ids
    }
    const separate = await database.withSystemStatements(transactionIds)
    const together = await database.withSystem(transactionIds)
    expect(separate[0]).not.toBe(separate[1])
    expect(together[0]).toBe(together[1])
  })

  it('has the system privileges: it sees every workspace', async () => {
    const ids = await database.withSystemStatements((system) =>
      queryRows<{ id: string }>(system, 'SELECT id FROM workspaces WHERE id IN (:ids)', {
        ids: [workspaceA.id, workspaceB.id],
      }),
    )
    expect(ids.map((row) => row.id).sort()).toEqual([workspaceA.id, workspaceB.id].sort())
  })
})

describe('references between workspaces', () => {
  const contact = ({ firstName, customerId }: { firstName: string; customerId: string }) => ({
    firstName,
    lastName: 'Example',
    email: null,
    phone: null,
    title: null,
    customerId,
    ownerId: null,
  })
  const deal = ({ name, ownerId }: { name: string; ownerId: string }) => ({
    name,
    customerId: null,
    contactId: null,
    stage: 'qualification',
    valueCents: 0,
    currency: 'USD',
    expectedCloseDate: null,
    ownerId,
    closedAt: null,
  })

  it("a contact in workspace A cannot point at workspace B's customer", async () => {
    const { a: customerA, b: customerB } = seededRows('customers')
    const failure = await failureOf(
      database.withTenant({ workspaceId: workspaceA.id }, ({ models, transaction }) =>
        models.Contact.create(contact({ firstName: 'Mallory', customerId: customerB }), { transaction }),
      ),
    )
    expect(failure.code).toBe('23503')
    // The same row pointing at A's own customer is fine, so the refusal is about the workspace.
    const created = await inRolledBackTenant(workspaceA.id, async ({ models, transaction }) =>
      (
        await models.Contact.create(contact({ firstName: 'Ada', customerId: customerA }), { transaction })
      ).get(),
    )
    expect(created).toMatchObject({ workspaceId: workspaceA.id, customerId: customerA })
  })

  it('a deal in workspace A cannot be owned by a user who is only a member of workspace B', async () => {
    const failure = await failureOf(
      database.withTenant({ workspaceId: workspaceA.id }, ({ models, transaction }) =>
        models.Deal.create(deal({ name: 'Stolen deal', ownerId: workspaceB.ownerUserId }), { transaction }),
      ),
    )
    expect(failure.code).toBe('23503')
    for (const ownerId of [workspaceA.ownerUserId, sharedUserId]) {
      const created = await inRolledBackTenant(workspaceA.id, async ({ models, transaction }) =>
        (await models.Deal.create(deal({ name: 'Own deal', ownerId }), { transaction })).get(),
      )
      expect(created).toMatchObject({ workspaceId: workspaceA.id, ownerId })
    }
  })
})
