import { createInstallLinkTokens, deriveSecret } from '../../adapters/slack/index.ts'
import { AppError } from '../../core/index.ts'
import {
  type Database,
  findWorkspace,
  linkSlackTeam,
  listSlackInstallations,
  listSlackTeamLinks,
  unlinkSlackTeam,
  type WorkspaceSummary,
} from '../../db/index.ts'
import { type CommandEnvironment, withRuntime } from '../runtime.ts'

async function requireWorkspace(database: Database, idOrSlug: string): Promise<WorkspaceSummary> {
  const workspace = await database.withSystem((system) => findWorkspace(system, { idOrSlug }))
  if (!workspace)
    throw new AppError('not_found', { message: `No workspace "${idOrSlug}" (give its id or slug).` })
  return workspace
}

/**
 * `nereid slack link --team T… --workspace <ws> [--move]`: every member of that Slack team who is
 * also a member of the workspace (same email) can then use Nereid from Slack. A team already linked
 * to another workspace is only moved with `--move`. Running services pick the change up within
 * 30 seconds.
 */
export async function linkSlackTeamCommand(
  commandEnvironment: CommandEnvironment,
  { team, workspace, move = false }: { team: string; workspace: string; move?: boolean },
): Promise<void> {
  await withRuntime(commandEnvironment, async ({ database }) => {
    const found = await requireWorkspace(database, workspace)
    const { created, movedFrom } = await database.withSystem((system) =>
      linkSlackTeam(system, { teamId: team.trim().toUpperCase(), workspaceId: found.id, move }),
    )
    const { output } = commandEnvironment
    if (!created) output.log(`Slack team ${team} is already linked to "${found.name}" (${found.slug}).`)
    else
      output.log(
        `Linked Slack team ${team} to "${found.name}" (${found.slug})${movedFrom ? ', moved from another workspace' : ''}.`,
      )
    output.log('Slack users are matched to members by email: add them with "nereid user add" if needed.')
  })
}

/** `nereid slack unlink --team T…`. */
export async function unlinkSlackTeamCommand(
  commandEnvironment: CommandEnvironment,
  { team }: { team: string },
): Promise<void> {
  await withRuntime(commandEnvironment, async ({ database }) => {
    const removed = await database.withSystem((system) =>
      unlinkSlackTeam(system, { teamId: team.trim().toUpperCase() }),
    )
    if (!removed)
      throw new AppError('not_found', { message: `Slack team ${team} is not linked to any workspace.` })
    commandEnvironment.output.log(`Unlinked Slack team ${team}.`)
  })
}

/** `nereid slack list`: linked teams and OAuth installations (never their tokens). */
export async function listSlackCommand(commandEnvironment: CommandEnvironment): Promise<void> {
  await withRuntime(commandEnvironment, async ({ database }) => {
    const { links, installations } = await database.withSystem(async (system) => ({
      links: await listSlackTeamLinks(system),
      installations: await listSlackInstallations(system),
    }))
    const { output } = commandEnvironment
    output.log(links.length === 0 ? 'No Slack team is linked.' : 'Linked Slack teams:')
    for (const link of links) {
      output.log(
        `  ${link.teamId}  ${link.teamName ?? ''}  ->  ${link.workspaceName} (${link.workspaceSlug})`,
      )
    }
    if (installations.length > 0) output.log('OAuth installations:')
    for (const installation of installations) {
      const state = installation.revokedAt ? `revoked ${installation.revokedAt.toISOString()}` : 'active'
      output.log(
        `  ${installation.installationKey}  ${installation.teamName ?? ''}  (${state}, installed ${installation.createdAt.toISOString()})`,
      )
    }
  })
}

/**
 * `nereid slack install-url --workspace <ws>`: a signed link (valid 7 days) to `/slack/install`;
 * whoever installs the app through it links their Slack team to the workspace.
 */
export async function slackInstallUrlCommand(
  commandEnvironment: CommandEnvironment,
  { workspace }: { workspace: string },
): Promise<string> {
  return withRuntime(commandEnvironment, async ({ database, config, clock }) => {
    if (!config.encryptionKey || !config.slack.clientId) {
      throw new AppError('config_invalid', {
        message:
          'Install links need Slack OAuth: set SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and ENCRYPTION_KEY.',
      })
    }
    const found = await requireWorkspace(database, workspace)
    const tokens = createInstallLinkTokens({
      secret: deriveSecret({ key: config.encryptionKey, purpose: 'slack-install-links' }),
      clock,
    })
    const base = config.publicUrl ?? `http://${config.host}:${config.port}`
    const url = new URL('/slack/install', base)
    url.searchParams.set('link', tokens.issue({ workspaceId: found.id }))
    commandEnvironment.output.log(
      `Install Nereid into a Slack workspace and link it to "${found.name}" (valid 7 days):`,
    )
    commandEnvironment.output.log(url.toString())
    return url.toString()
  })
}
