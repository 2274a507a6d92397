import type { WebClient } from '@slack/web-api'
import type { Clock, Logger } from '../../core/index.ts'
import {
  type Database,
  deleteSlackUserLink,
  findMember,
  findSlackTeamLink,
  findSlackUserLink,
  type MemberRole,
  type SlackTeamLink,
  saveSlackUserLink,
} from '../../db/index.ts'
import type { Actor } from '../../tools/index.ts'
import { classifySlackError } from './slack-api-errors.ts'
import type { SlackUserDirectory } from './slack-user-directory.ts'

/** Who is talking in Slack, as far as Nereid is concerned. */
export type SlackSpeaker =
  /** The Slack team is not linked to any workspace. */
  | { kind: 'unlinked'; teamId: string }
  /** The team is linked, but this Slack user is not (or cannot be shown to be) a member. */
  | {
      kind: 'unmatched'
      link: SlackTeamLink
      reason: 'no_email' | 'not_a_member' | 'external' | 'bot' | 'deleted' | 'lookup_failed'
      email?: string | undefined
    }
  /** A member of the linked workspace, acting from Slack. */
  | {
      kind: 'member'
      link: SlackTeamLink
      actor: Actor & { channel: 'slack' }
      member: { userId: string; email: string; name: string; role: MemberRole }
    }

/**
 * Decides who a Slack user is in Nereid.
 *
 * Tenancy: the workspace comes only from the team the request was signed for, through a link an
 * admin made (`nereid slack link` or a signed install link); never from anything in the message.
 * Authorization: a Slack user acts as the member whose email equals the email Slack reports for
 * that user (`users.info`, re-checked daily), and only if the user belongs to the linked team
 * itself. People from another organization in a shared channel, bots, deactivated accounts and
 * accounts without a readable email get a reply saying so and never anyone's access. The member's
 * role is read from the workspace on every request, so a demotion or removal applies at once.
 */
export function createSlackIdentity({
  database,
  directory,
  clock,
  logger,
  teamCacheTtlMs = 30_000,
  recheckAfterMs = 24 * 3600 * 1000,
  onRevoked,
}: {
  database: Database
  directory: SlackUserDirectory
  clock: Clock
  logger: Logger
  teamCacheTtlMs?: number
  recheckAfterMs?: number
  /** Told when Slack says the team's token was revoked. */
  onRevoked?: ((teamId: string) => Promise<void>) | undefined
}) {
  const teams = new Map<string, { link: SlackTeamLink | undefined; until: number }>()

  /** The workspace a team is linked to (cached briefly: it is read for every request). */
  async function linkOf(teamId: string): Promise<SlackTeamLink | undefined> {
    const now = clock.now().getTime()
    const cached = teams.get(teamId)
    if (cached && cached.until > now) return cached.link
    const link = await database.withSystem((system) => findSlackTeamLink(system, { teamId }))
    teams.set(teamId, { link, until: now + teamCacheTtlMs })
    return link
  }

  async function identify({
    client,
    teamId,
    slackUserId,
  }: {
    client: WebClient
    teamId: string
    slackUserId: string
  }): Promise<SlackSpeaker> {
    const link = await linkOf(teamId)
    if (!link) return { kind: 'unlinked', teamId }
    const speaker = (member: {
      userId: string
      email: string
      name: string
      role: MemberRole
    }): SlackSpeaker => ({
      kind: 'member',
      link,
      member,
      actor: { workspaceId: link.workspaceId, userId: member.userId, role: member.role, channel: 'slack' },
    })
    const known = await database.withTenant({ workspaceId: link.workspaceId }, (tenant) =>
      findSlackUserLink(tenant, { teamId, slackUserId }),
    )
    if (known && clock.now().getTime() - known.checkedAt.getTime() < recheckAfterMs) return speaker(known)

    let profile: Awaited<ReturnType<SlackUserDirectory['get']>>
    try {
      profile = await directory.get({ client, teamId, userId: slackUserId, fresh: true })
    } catch (error) {
      const failure = classifySlackError(error)
      logger.warn({ component: 'slack', teamId, slackUserId, code: failure.code }, 'users.info failed')
      if (failure.kind === 'auth_revoked') await onRevoked?.(teamId)
      // A member matched before keeps access while Slack cannot be asked; nobody new gets in.
      if (known) return speaker(known)
      return { kind: 'unmatched', link, reason: 'lookup_failed' }
    }
    if (profile.isBot) return { kind: 'unmatched', link, reason: 'bot' }
    if (profile.deleted) return { kind: 'unmatched', link, reason: 'deleted' }
    if (profile.teamId !== teamId && !profile.enterpriseTeams.includes(teamId)) {
      return { kind: 'unmatched', link, reason: 'external', email: profile.email }
    }
    if (!profile.email) return { kind: 'unmatched', link, reason: 'no_email' }
    const email = profile.email
    const member = await database.withTenant({ workspaceId: link.workspaceId }, async (tenant) => {
      const found = await findMember(tenant, { idOrEmail: email })
      if (found) {
        await saveSlackUserLink(tenant, {
          teamId,
          slackUserId,
          userId: found.userId,
          email,
          checkedAt: clock.now(),
        })
      } else if (known) {
        await deleteSlackUserLink(tenant, { teamId, slackUserId })
      }
      return found
    })
    if (!member) return { kind: 'unmatched', link, reason: 'not_a_member', email }
    return speaker({ userId: member.userId, email: member.email, name: member.name, role: member.role })
  }

  return {
    linkOf,
    identify,
    /** Forgets cached team links (after linking or unlinking in this process). */
    forgetTeams(): void {
      teams.clear()
    },
  }
}

export type SlackIdentity = ReturnType<typeof createSlackIdentity>

/** The reply for someone Nereid cannot act for: what happened and how to get linked. */
export function describeUnknownSpeaker(speaker: Exclude<SlackSpeaker, { kind: 'member' }>): string {
  if (speaker.kind === 'unlinked') {
    return (
      `This Slack workspace isn't connected to Nereid yet. A Nereid admin can connect it with ` +
      `\`nereid slack link --team ${speaker.teamId} --workspace <workspace>\`.`
    )
  }
  const workspace = `*${speaker.link.workspaceName}*`
  switch (speaker.reason) {
    case 'not_a_member':
      return (
        `I couldn't find a member of ${workspace} with your Slack email address (${speaker.email}). ` +
        `Ask a workspace admin to add you (\`nereid user add --workspace ${speaker.link.workspaceSlug} --email ${speaker.email}\`), then message me again.`
      )
    case 'no_email':
      return (
        `I can't read the email address of your Slack account, so I can't tell which member of ${workspace} you are. ` +
        'A Slack admin can check that the Nereid app has the users:read.email scope.'
      )
    case 'external':
      return `You're here from another Slack organization, so I can't act for you in ${workspace}. Ask me from your own workspace.`
    case 'lookup_failed':
      return "I couldn't check your Slack account just now (Slack didn't answer). Please try again in a minute."
    default:
      return `I only work for members of ${workspace}.`
  }
}
