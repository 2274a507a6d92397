import { AppError } from '../../core/index.ts'
import type { SystemTransaction, TenantTransaction } from '../database.ts'
import type { MemberRole, SlackCardStatus } from '../vocabulary.ts'
import { recordAudit } from './audit-logs.ts'
import { selectRows } from './select-rows.ts'

/** A Slack team linked to a Nereid workspace. */
export interface SlackTeamLink {
  id: string
  workspaceId: string
  workspaceName: string
  workspaceSlug: string
  teamId: string
  teamName: string | null
  createdAt: Date
}

/** A stored OAuth installation; `secret` is the encrypted installation (tokens included). */
export interface SlackInstallationRecord {
  installationKey: string
  teamId: string | null
  enterpriseId: string | null
  isEnterpriseInstall: boolean
  teamName: string | null
  appId: string | null
  botUserId: string | null
  botId: string | null
  installerSlackUserId: string | null
  secret: string
  revokedAt: Date | null
  createdAt: Date
  updatedAt: Date
}

/** A Slack user matched to a member of the current workspace, with the member's current role. */
export interface SlackUserLink {
  teamId: string
  slackUserId: string
  userId: string
  email: string
  name: string
  role: MemberRole
  checkedAt: Date
}

/** Where a member's Slack conversation lives. `threadTs` is '' for a top-level direct message. */
export interface SlackThreadRecord {
  conversationId: string
  userId: string
  teamId: string
  channelId: string
  threadTs: string
  slackUserId: string
  lastSeenTs: string | null
}

/** A posted approval card. */
export interface SlackApprovalCardRecord {
  id: string
  pendingActionId: string
  teamId: string
  channelId: string
  messageTs: string
  threadTs: string | null
  status: SlackCardStatus
}

const teamLinkColumns = `l.id, l.workspace_id AS "workspaceId", w.name AS "workspaceName", w.slug AS "workspaceSlug",
  l.team_id AS "teamId", l.team_name AS "teamName", l.created_at AS "createdAt"`
const installationColumns = `installation_key AS "installationKey", team_id AS "teamId", enterprise_id AS "enterpriseId",
  is_enterprise_install AS "isEnterpriseInstall", team_name AS "teamName", app_id AS "appId",
  bot_user_id AS "botUserId", bot_id AS "botId", installer_slack_user_id AS "installerSlackUserId", secret,
  revoked_at AS "revokedAt", created_at AS "createdAt", updated_at AS "updatedAt"`
const threadColumns = `conversation_id AS "conversationId", user_id AS "userId", team_id AS "teamId",
  channel_id AS "channelId", thread_ts AS "threadTs", slack_user_id AS "slackUserId", last_seen_ts AS "lastSeenTs"`
const cardColumns = `id, pending_action_id AS "pendingActionId", team_id AS "teamId", channel_id AS "channelId",
  message_ts AS "messageTs", thread_ts AS "threadTs", status`

const teamIdPattern = /^[A-Z0-9]{2,32}$/

/**
 * The workspace a Slack team is linked to. System work by necessity, like verifying an API key: a
 * request from Slack names a team, and which workspace that is has to be found before any tenant
 * context can exist. Nothing but the link itself leaves this function.
 */
export async function findSlackTeamLink(
  system: SystemTransaction,
  { teamId }: { teamId: string },
): Promise<SlackTeamLink | undefined> {
  const [row] = await selectRows<SlackTeamLink>(
    system,
    `SELECT ${teamLinkColumns} FROM slack_team_links l JOIN workspaces w ON w.id = l.workspace_id
      WHERE l.team_id = :teamId`,
    { teamId },
  )
  return row
}

/** Every linked team, for the admin CLI. */
export async function listSlackTeamLinks(system: SystemTransaction): Promise<SlackTeamLink[]> {
  return selectRows<SlackTeamLink>(
    system,
    `SELECT ${teamLinkColumns} FROM slack_team_links l JOIN workspaces w ON w.id = l.workspace_id
      ORDER BY w.slug, l.team_id`,
  )
}

/**
 * Links a Slack team to a workspace (admin CLI, or an install started from a signed link). A team
 * belongs to one workspace: linking it elsewhere is refused unless `move` is set, because every
 * member of that Slack team would then reach the other workspace's data. System work: the check
 * has to see links in every workspace.
 */
export async function linkSlackTeam(
  system: SystemTransaction,
  {
    teamId,
    workspaceId,
    teamName,
    linkedById,
    move = false,
  }: {
    teamId: string
    workspaceId: string
    teamName?: string | null | undefined
    linkedById?: string | null | undefined
    move?: boolean
  },
): Promise<{ link: SlackTeamLink; created: boolean; movedFrom?: string }> {
  if (!teamIdPattern.test(teamId)) {
    throw new AppError('validation_failed', {
      message: `"${teamId}" is not a Slack team id (it looks like T0123ABCD).`,
    })
  }
  const existing = await findSlackTeamLink(system, { teamId })
  if (existing && existing.workspaceId !== workspaceId && !move) {
    throw new AppError('conflict', {
      message: `Slack team ${teamId} is already linked to workspace "${existing.workspaceSlug}". Unlink it first, or link with --move.`,
    })
  }
  if (existing && existing.workspaceId !== workspaceId) {
    // Moving: the old workspace's member matches and threads go with the old link (cascade).
    await selectRows(system, 'DELETE FROM slack_team_links WHERE team_id = :teamId RETURNING id', { teamId })
    await recordAudit(system, {
      workspaceId: existing.workspaceId,
      actorType: 'system',
      action: 'slack.unlink',
      metadata: { teamId, movedTo: workspaceId },
    })
  }
  if (existing && existing.workspaceId === workspaceId) {
    if (teamName) {
      await selectRows(
        system,
        'UPDATE slack_team_links SET team_name = :teamName WHERE team_id = :teamId RETURNING id',
        { teamId, teamName },
      )
    }
    return { link: (await findSlackTeamLink(system, { teamId }))!, created: false }
  }
  await selectRows(
    system,
    `INSERT INTO slack_team_links (workspace_id, team_id, team_name, linked_by_id)
     VALUES (:workspaceId, :teamId, :teamName, :linkedById) RETURNING id`,
    { workspaceId, teamId, teamName: teamName ?? null, linkedById: linkedById ?? null },
  )
  await recordAudit(system, {
    workspaceId,
    actorType: linkedById ? 'user' : 'system',
    actorUserId: linkedById ?? null,
    action: 'slack.link',
    metadata: { teamId },
  })
  const link = (await findSlackTeamLink(system, { teamId }))!
  return existing ? { link, created: true, movedFrom: existing.workspaceId } : { link, created: true }
}

/** Removes a team's link (its member matches and thread records go with it); true when one existed. */
export async function unlinkSlackTeam(
  system: SystemTransaction,
  { teamId }: { teamId: string },
): Promise<boolean> {
  const existing = await findSlackTeamLink(system, { teamId })
  if (!existing) return false
  await selectRows(system, 'DELETE FROM slack_team_links WHERE team_id = :teamId RETURNING id', { teamId })
  await recordAudit(system, {
    workspaceId: existing.workspaceId,
    actorType: 'system',
    action: 'slack.unlink',
    metadata: { teamId },
  })
  return true
}

/**
 * Stores (or replaces) an OAuth installation. System work: installations are looked up to
 * authenticate requests before a workspace is known, and may exist before any link.
 */
export async function saveSlackInstallation(
  system: SystemTransaction,
  installation: Omit<SlackInstallationRecord, 'revokedAt' | 'createdAt' | 'updatedAt'>,
): Promise<void> {
  await selectRows(
    system,
    `INSERT INTO slack_installations (installation_key, team_id, enterprise_id, is_enterprise_install, team_name,
        app_id, bot_user_id, bot_id, installer_slack_user_id, secret)
     VALUES (:installationKey, :teamId, :enterpriseId, :isEnterpriseInstall, :teamName, :appId, :botUserId, :botId,
        :installerSlackUserId, :secret)
     ON CONFLICT (installation_key) DO UPDATE SET team_id = EXCLUDED.team_id, enterprise_id = EXCLUDED.enterprise_id,
        is_enterprise_install = EXCLUDED.is_enterprise_install, team_name = EXCLUDED.team_name, app_id = EXCLUDED.app_id,
        bot_user_id = EXCLUDED.bot_user_id, bot_id = EXCLUDED.bot_id,
        installer_slack_user_id = EXCLUDED.installer_slack_user_id, secret = EXCLUDED.secret, revoked_at = NULL
     RETURNING installation_key`,
    {
      ...installation,
      teamId: installation.teamId ?? null,
      enterpriseId: installation.enterpriseId ?? null,
      teamName: installation.teamName ?? null,
      appId: installation.appId ?? null,
      botUserId: installation.botUserId ?? null,
      botId: installation.botId ?? null,
      installerSlackUserId: installation.installerSlackUserId ?? null,
    },
  )
}

/** An installation by team (or enterprise) id, revoked ones included. */
export async function findSlackInstallation(
  system: SystemTransaction,
  { installationKey }: { installationKey: string },
): Promise<SlackInstallationRecord | undefined> {
  const [row] = await selectRows<SlackInstallationRecord>(
    system,
    `SELECT ${installationColumns} FROM slack_installations WHERE installation_key = :installationKey`,
    { installationKey },
  )
  return row
}

/** Every installation (without using the secrets), for the admin CLI. */
export async function listSlackInstallations(system: SystemTransaction): Promise<SlackInstallationRecord[]> {
  return selectRows<SlackInstallationRecord>(
    system,
    `SELECT ${installationColumns} FROM slack_installations ORDER BY installation_key`,
  )
}

/** Forgets an installation (the app was uninstalled); true when one existed. */
export async function deleteSlackInstallation(
  system: SystemTransaction,
  { installationKey }: { installationKey: string },
): Promise<boolean> {
  const rows = await selectRows(
    system,
    'DELETE FROM slack_installations WHERE installation_key = :installationKey RETURNING installation_key',
    { installationKey },
  )
  return rows.length > 0
}

/** Marks an installation's tokens as revoked (Slack said so); it stops authorizing requests. */
export async function revokeSlackInstallation(
  system: SystemTransaction,
  { installationKey, now }: { installationKey: string; now: Date },
): Promise<boolean> {
  const rows = await selectRows(
    system,
    `UPDATE slack_installations SET revoked_at = :now
      WHERE installation_key = :installationKey AND revoked_at IS NULL RETURNING installation_key`,
    { installationKey, now },
  )
  return rows.length > 0
}

/**
 * Claims a delivery key (an event id, or a message) for this process: true for the first claim
 * only, in every process sharing the database, so a retried or duplicated delivery is answered
 * once. System work: it runs before the request is attributed to any workspace.
 */
export async function claimSlackDelivery(
  system: SystemTransaction,
  { key }: { key: string },
): Promise<boolean> {
  const rows = await selectRows(
    system,
    'INSERT INTO slack_event_receipts (key) VALUES (:key) ON CONFLICT (key) DO NOTHING RETURNING key',
    { key: key.slice(0, 300) },
  )
  return rows.length === 1
}

/** Forgets delivery claims older than `before` (Slack retries within minutes); returns how many. */
export async function pruneSlackDeliveries(
  system: SystemTransaction,
  { before }: { before: Date },
): Promise<number> {
  const rows = await selectRows(
    system,
    'DELETE FROM slack_event_receipts WHERE received_at < :before RETURNING key',
    { before },
  )
  return rows.length
}

/** The member a Slack user was matched to in the current workspace, with their current role. */
export async function findSlackUserLink(
  tenant: TenantTransaction,
  { teamId, slackUserId }: { teamId: string; slackUserId: string },
): Promise<SlackUserLink | undefined> {
  const [row] = await selectRows<SlackUserLink>(
    tenant,
    `SELECT s.team_id AS "teamId", s.slack_user_id AS "slackUserId", s.user_id AS "userId", s.email,
            u.name, m.role, s.checked_at AS "checkedAt"
       FROM slack_user_links s
       JOIN workspace_members m ON m.workspace_id = s.workspace_id AND m.user_id = s.user_id
       JOIN users u ON u.id = s.user_id
      WHERE s.team_id = :teamId AND s.slack_user_id = :slackUserId`,
    { teamId, slackUserId },
  )
  return row
}

/** The Slack account a member was matched to (for direct messages to them), if any. */
export async function findSlackUserForMember(
  tenant: TenantTransaction,
  { userId }: { userId: string },
): Promise<{ teamId: string; slackUserId: string } | undefined> {
  const [row] = await selectRows<{ teamId: string; slackUserId: string }>(
    tenant,
    `SELECT team_id AS "teamId", slack_user_id AS "slackUserId" FROM slack_user_links
      WHERE user_id = :userId ORDER BY checked_at DESC LIMIT 1`,
    { userId },
  )
  return row
}

/** Records (or refreshes) the match of a Slack user to a member of the current workspace. */
export async function saveSlackUserLink(
  tenant: TenantTransaction,
  {
    teamId,
    slackUserId,
    userId,
    email,
    checkedAt,
  }: { teamId: string; slackUserId: string; userId: string; email: string; checkedAt: Date },
): Promise<void> {
  await selectRows(
    tenant,
    `INSERT INTO slack_user_links (workspace_id, team_id, slack_user_id, user_id, email, checked_at)
     VALUES (:workspaceId, :teamId, :slackUserId, :userId, :email, :checkedAt)
     ON CONFLICT (workspace_id, team_id, slack_user_id) DO UPDATE
       SET user_id = EXCLUDED.user_id, email = EXCLUDED.email, checked_at = EXCLUDED.checked_at
     RETURNING id`,
    { workspaceId: tenant.workspaceId, teamId, slackUserId, userId, email, checkedAt },
  )
}

/** Forgets a Slack user's match (their email no longer names a member). */
export async function deleteSlackUserLink(
  tenant: TenantTransaction,
  { teamId, slackUserId }: { teamId: string; slackUserId: string },
): Promise<void> {
  await selectRows(
    tenant,
    'DELETE FROM slack_user_links WHERE team_id = :teamId AND slack_user_id = :slackUserId RETURNING id',
    { teamId, slackUserId },
  )
}

/** A Slack user's conversation in a thread (or a direct-message channel when `threadTs` is ''). */
export async function findSlackThread(
  tenant: TenantTransaction,
  {
    teamId,
    channelId,
    threadTs,
    slackUserId,
  }: { teamId: string; channelId: string; threadTs: string; slackUserId: string },
): Promise<SlackThreadRecord | undefined> {
  const [row] = await selectRows<SlackThreadRecord>(
    tenant,
    `SELECT ${threadColumns} FROM slack_threads
      WHERE team_id = :teamId AND channel_id = :channelId AND thread_ts = :threadTs AND slack_user_id = :slackUserId`,
    { teamId, channelId, threadTs, slackUserId },
  )
  return row
}

/** Where a conversation lives in Slack, if it is a Slack conversation. */
export async function findSlackThreadByConversation(
  tenant: TenantTransaction,
  { conversationId }: { conversationId: string },
): Promise<SlackThreadRecord | undefined> {
  const [row] = await selectRows<SlackThreadRecord>(
    tenant,
    `SELECT ${threadColumns} FROM slack_threads WHERE conversation_id = :conversationId`,
    { conversationId },
  )
  return row
}

/** Records where a conversation lives in Slack (idempotent). */
export async function saveSlackThread(tenant: TenantTransaction, thread: SlackThreadRecord): Promise<void> {
  await selectRows(
    tenant,
    `INSERT INTO slack_threads (workspace_id, conversation_id, user_id, team_id, channel_id, thread_ts, slack_user_id, last_seen_ts)
     VALUES (:workspaceId, :conversationId, :userId, :teamId, :channelId, :threadTs, :slackUserId, :lastSeenTs)
     ON CONFLICT (workspace_id, conversation_id) DO UPDATE SET last_seen_ts = CASE
       WHEN slack_threads.last_seen_ts IS NULL OR EXCLUDED.last_seen_ts::numeric > slack_threads.last_seen_ts::numeric
       THEN EXCLUDED.last_seen_ts ELSE slack_threads.last_seen_ts END
     RETURNING id`,
    { workspaceId: tenant.workspaceId, ...thread },
  )
}

/** Moves a conversation's "seen up to" mark forward (never back) to `ts`. */
export async function markSlackThreadSeen(
  tenant: TenantTransaction,
  { conversationId, ts }: { conversationId: string; ts: string },
): Promise<void> {
  await selectRows(
    tenant,
    `UPDATE slack_threads SET last_seen_ts = :ts
      WHERE conversation_id = :conversationId AND (last_seen_ts IS NULL OR last_seen_ts::numeric < CAST(:ts AS numeric))
      RETURNING id`,
    { conversationId, ts },
  )
}

/** Records a posted approval card. */
export async function saveSlackApprovalCard(
  tenant: TenantTransaction,
  card: Omit<SlackApprovalCardRecord, 'id' | 'status'>,
): Promise<SlackApprovalCardRecord> {
  const [row] = await selectRows<SlackApprovalCardRecord>(
    tenant,
    `INSERT INTO slack_approval_cards (workspace_id, pending_action_id, team_id, channel_id, message_ts, thread_ts)
     VALUES (:workspaceId, :pendingActionId, :teamId, :channelId, :messageTs, :threadTs)
     ON CONFLICT (workspace_id, team_id, channel_id, message_ts) DO UPDATE SET pending_action_id = EXCLUDED.pending_action_id
     RETURNING ${cardColumns}`,
    { workspaceId: tenant.workspaceId, ...card, threadTs: card.threadTs ?? null },
  )
  return row!
}

/**
 * Claims the cards of a pending action that still show it as waiting, setting what they will show;
 * returns them. Exactly one caller (in any process) gets each card, so a decision updates it once.
 */
export async function claimSlackApprovalCards(
  tenant: TenantTransaction,
  { pendingActionId, status }: { pendingActionId: string; status: Exclude<SlackCardStatus, 'pending'> },
): Promise<SlackApprovalCardRecord[]> {
  return selectRows<SlackApprovalCardRecord>(
    tenant,
    `UPDATE slack_approval_cards SET status = :status
      WHERE pending_action_id = :pendingActionId AND status = 'pending'
      RETURNING ${cardColumns}`,
    { pendingActionId, status },
  )
}
