import { AppError } from '../core/index.ts'
import {
  type Database,
  findWorkspace,
  listMembers,
  listWorkspaces,
  type MemberSummary,
  type WorkspaceSummary,
} from '../db/index.ts'
import { demoWorkspaceSlug } from './demo-workspace.ts'

/** The workspace and the member a command acts as. */
export interface CommandTarget {
  workspace: WorkspaceSummary
  member: MemberSummary
}

/**
 * Finds the workspace (`workspace`: id or slug) and the member (`user`: email or user id; default the
 * first owner) a command acts as. Without a workspace it takes the only workspace there is, or else
 * the demo one, so `nereid chat` works right after `npm start` with no options.
 */
export async function resolveCommandTarget({
  database,
  workspace,
  user,
}: {
  database: Database
  workspace?: string | undefined
  user?: string | undefined
}): Promise<CommandTarget> {
  const { found, several } = await database.withSystem(async (system) => {
    if (workspace) return { found: await findWorkspace(system, { idOrSlug: workspace }), several: false }
    const first = await listWorkspaces(system, { limit: 2 })
    if (first.length <= 1) return { found: first[0], several: false }
    return { found: await findWorkspace(system, { idOrSlug: demoWorkspaceSlug }), several: true }
  })
  if (!found) {
    throw new AppError('not_found', {
      message: workspace
        ? `No workspace "${workspace}" (give its id or slug).`
        : several
          ? 'There are several workspaces: choose one with --workspace <id-or-slug>.'
          : 'There is no workspace yet: run "nereid seed --demo" or "nereid workspace create".',
    })
  }
  const members = await database.withTenant({ workspaceId: found.id }, (tenant) => listMembers(tenant))
  const member = user
    ? members.find((candidate) => candidate.email === user.toLowerCase() || candidate.userId === user)
    : members.find((candidate) => candidate.role === 'owner')
  if (!member) {
    throw new AppError('not_found', {
      message: user ? `${user} is not a member of "${found.name}".` : 'The workspace has no owner.',
    })
  }
  return { workspace: found, member }
}
