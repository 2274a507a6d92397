import { AppError } from '../../core/index.ts'
import {
  addMember,
  createApiKey,
  createWorkspace,
  type Database,
  findWorkspace,
  listApiKeys,
  type MemberRole,
  memberRoles,
  revokeApiKey,
  seedDemoWorkspace,
  type WorkspaceSummary,
} from '../../db/index.ts'
import { ensureDemoWorkspace } from '../demo-workspace.ts'
import { type CommandEnvironment, ensureMigrated, withRuntime } from '../runtime.ts'

async function requireWorkspace(database: Database, idOrSlug: string): Promise<WorkspaceSummary> {
  const workspace = await database.withSystem((system) => findWorkspace(system, { idOrSlug }))
  if (!workspace)
    throw new AppError('not_found', { message: `No workspace "${idOrSlug}" (give its id or slug).` })
  return workspace
}

/** `nereid workspace create --name`. */
export async function createWorkspaceCommand(
  commandEnvironment: CommandEnvironment,
  { name, slug, timeZone }: { name: string; slug?: string | undefined; timeZone?: string | undefined },
): Promise<WorkspaceSummary> {
  return withRuntime(commandEnvironment, async ({ database }) => {
    await ensureMigrated({ database, allowMigrate: false, output: commandEnvironment.output })
    const workspace = await database.withSystem((system) =>
      createWorkspace(system, { name, ...(slug ? { slug } : {}), ...(timeZone ? { timeZone } : {}) }),
    )
    commandEnvironment.output.log(
      `Created workspace "${workspace.name}"\n  id:   ${workspace.id}\n  slug: ${workspace.slug}`,
    )
    return workspace
  })
}

/** `nereid user add --workspace --email --role`: adds (or re-roles) a member. */
export async function addUserCommand(
  commandEnvironment: CommandEnvironment,
  {
    workspace,
    email,
    role,
    name,
  }: { workspace: string; email: string; role: string; name?: string | undefined },
): Promise<void> {
  if (!memberRoles.includes(role as MemberRole)) {
    throw new AppError('validation_failed', {
      message: `--role must be one of ${memberRoles.join(', ')}; got "${role}".`,
    })
  }
  await withRuntime(commandEnvironment, async ({ database }) => {
    const found = await requireWorkspace(database, workspace)
    const member = await database.withSystem((system) =>
      addMember(system, {
        workspaceId: found.id,
        email,
        role: role as MemberRole,
        ...(name ? { name } : {}),
      }),
    )
    commandEnvironment.output.log(
      `${member.name} <${member.email}> is now ${member.role} of "${found.name}"\n  user id: ${member.userId}`,
    )
  })
}

/** `nereid key create --workspace`: prints the new key once. */
export async function createKeyCommand(
  commandEnvironment: CommandEnvironment,
  { workspace, name }: { workspace: string; name: string },
): Promise<string> {
  return withRuntime(commandEnvironment, async ({ database }) => {
    const found = await requireWorkspace(database, workspace)
    const created = await database.withTenant({ workspaceId: found.id }, (tenant) =>
      createApiKey(tenant, { name }),
    )
    const { output } = commandEnvironment
    output.log(`API key "${created.name}" for "${found.name}" (id ${created.id}):`)
    output.log(created.key)
    output.log(
      'Store it now: it is shown only once. Send it as "Authorization: Bearer <key>" with "X-Nereid-User: <member email>".',
    )
    return created.key
  })
}

/** `nereid key list --workspace`. */
export async function listKeysCommand(
  commandEnvironment: CommandEnvironment,
  { workspace }: { workspace: string },
): Promise<void> {
  await withRuntime(commandEnvironment, async ({ database }) => {
    const found = await requireWorkspace(database, workspace)
    const keys = await database.withTenant({ workspaceId: found.id }, (tenant) => listApiKeys(tenant))
    const { output } = commandEnvironment
    if (keys.length === 0) output.log('No API keys.')
    for (const key of keys) {
      const state = key.revokedAt ? `revoked ${key.revokedAt.toISOString()}` : 'active'
      const used = key.lastUsedAt ? `last used ${key.lastUsedAt.toISOString()}` : 'never used'
      output.log(`  ${key.id}  nrd_${key.prefix}_…  ${key.name}  (${state}, ${used})`)
    }
  })
}

/** `nereid key revoke --workspace --id`. */
export async function revokeKeyCommand(
  commandEnvironment: CommandEnvironment,
  { workspace, id }: { workspace: string; id: string },
): Promise<void> {
  await withRuntime(commandEnvironment, async ({ database, clock }) => {
    const found = await requireWorkspace(database, workspace)
    const revoked = await database.withTenant({ workspaceId: found.id }, (tenant) =>
      revokeApiKey(tenant, { id, clock }),
    )
    if (!revoked) throw new AppError('not_found', { message: `No active API key ${id} in "${found.name}".` })
    commandEnvironment.output.log(`Revoked API key ${id}.`)
  })
}

/** `nereid seed --demo [--slug]`: creates a demo workspace with realistic data. */
export async function seedCommand(
  commandEnvironment: CommandEnvironment,
  { demo, slug }: { demo: boolean; slug: string },
): Promise<void> {
  if (!demo) throw new AppError('validation_failed', { message: 'Nothing to seed: pass --demo.' })
  await withRuntime(commandEnvironment, async ({ database, config, clock }) => {
    const { output } = commandEnvironment
    await ensureMigrated({ database, allowMigrate: false, output })
    if (slug === 'demo') {
      const access = await ensureDemoWorkspace({ database, clock, dataDir: config.dataDir })
      output.log(
        `${access.created ? 'Created' : 'Found'} the demo workspace "${access.workspaceName}" (${access.workspaceId}).\n` +
          `  API key:       ${access.apiKey}\n  X-Nereid-User: ${access.ownerEmail}`,
      )
      return
    }
    const seeded = await seedDemoWorkspace({ database, clock, slug })
    output.log(`Created demo workspace "${seeded.workspace.name}" (${seeded.workspace.id}).`)
    for (const [table, count] of Object.entries(seeded.counts)) output.log(`  ${table}: ${count}`)
    output.log(`Members: ${seeded.members.map((member) => `${member.email} (${member.role})`).join(', ')}`)
    output.log(`Create an API key with: nereid key create --workspace ${seeded.workspace.slug}`)
  })
}
