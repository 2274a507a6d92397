import type { WebClient } from '@slack/web-api'
import type { Logger } from '../../core/index.ts'
import {
  claimSlackApprovalCards,
  type Database,
  findMember,
  findPendingAction,
  type SlackCardStatus,
  saveSlackApprovalCard,
} from '../../db/index.ts'
import { cardText, decidedCardBlocks, pendingCardBlocks } from './approval-card.ts'
import type { BotCredentials } from './bot-credentials.ts'
import { classifySlackError } from './slack-api-errors.ts'
import type { SlackClients } from './slack-clients.ts'

const finalStatuses = new Set<string>(['executed', 'failed', 'rejected', 'expired', 'cancelled'])

/**
 * Approval cards: posting one for a pending action, and writing the outcome onto every card of an
 * action once it is decided (from Slack, the widget or the API). Each card is claimed in the
 * database before it is updated, so with several processes hearing the same decision each card
 * is updated exactly once.
 */
export function createApprovalCards({
  database,
  clients,
  credentials,
  logger,
}: {
  database: Database
  clients: SlackClients
  credentials: BotCredentials
  logger: Logger
}) {
  /** Posts the card for `actionId` in the channel (and thread) and remembers where it is. */
  async function post({
    client,
    workspaceId,
    teamId,
    channelId,
    threadTs,
    actionId,
    summary,
    toolName,
    requesterSlackUserId,
  }: {
    client: WebClient
    workspaceId: string
    teamId: string
    channelId: string
    threadTs: string | undefined
    actionId: string
    summary: string
    toolName?: string | undefined
    requesterSlackUserId: string
  }): Promise<string | undefined> {
    const action = await database.withTenant({ workspaceId }, (tenant) =>
      findPendingAction(tenant, { id: actionId }),
    )
    if (!action) return undefined
    const posted = await client.chat.postMessage({
      channel: channelId,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      text: cardText({ summary, status: 'pending' }),
      blocks: pendingCardBlocks({
        actionId,
        summary,
        requesterSlackUserId,
        toolName,
        expiresAt: action.expiresAt,
      }),
    })
    const messageTs = String(posted.ts)
    await database.withTenant({ workspaceId }, (tenant) =>
      saveSlackApprovalCard(tenant, {
        pendingActionId: actionId,
        teamId,
        channelId,
        messageTs,
        threadTs: threadTs ?? null,
      }),
    )
    // Decided before the card was saved (another channel was quicker): show the outcome now.
    if (action.status !== 'pending' || (await statusOf({ workspaceId, actionId })) !== 'pending') {
      await sync({ workspaceId, actionId })
    }
    return messageTs
  }

  async function statusOf({ workspaceId, actionId }: { workspaceId: string; actionId: string }) {
    return (
      await database.withTenant({ workspaceId }, (tenant) => findPendingAction(tenant, { id: actionId }))
    )?.status
  }

  /** Writes a decided action's outcome onto its cards that still show it as waiting. */
  async function sync({ workspaceId, actionId }: { workspaceId: string; actionId: string }): Promise<number> {
    const claimed = await database.withTenant({ workspaceId }, async (tenant) => {
      const action = await findPendingAction(tenant, { id: actionId })
      if (!action || !finalStatuses.has(action.status)) return undefined
      const status = action.status as Exclude<SlackCardStatus, 'pending'>
      const cards = await claimSlackApprovalCards(tenant, { pendingActionId: actionId, status })
      if (cards.length === 0) return undefined
      const decider = action.decidedById
        ? await findMember(tenant, { idOrEmail: action.decidedById })
        : undefined
      return { action, status, cards, deciderName: decider?.name }
    })
    if (!claimed) return 0
    const { action, status, cards, deciderName } = claimed
    for (const card of cards) {
      try {
        const bot = await credentials.forTeam({ teamId: card.teamId })
        if (!bot) {
          logger.warn(
            { component: 'slack', teamId: card.teamId },
            'no Slack token to update an approval card with',
          )
          continue
        }
        await clients.forToken(bot.botToken).chat.update({
          channel: card.channelId,
          ts: card.messageTs,
          text: cardText({ summary: action.summary, status, deciderName }),
          blocks: decidedCardBlocks({ summary: action.summary, status, deciderName, error: action.error }),
        })
      } catch (error) {
        const failure = classifySlackError(error)
        logger.warn(
          { component: 'slack', teamId: card.teamId, channel: card.channelId, code: failure.code },
          'could not update an approval card',
        )
        if (failure.kind === 'auth_revoked')
          await credentials.revoke({ teamId: card.teamId }).catch(() => undefined)
      }
    }
    return cards.length
  }

  return { post, sync }
}

export type ApprovalCards = ReturnType<typeof createApprovalCards>
