import type { NotificationSender } from '../../assistant/index.ts'
import { AppError } from '../../core/index.ts'
import { findSlackUserForMember } from '../../db/index.ts'
import { insightButtonsBlock, titledMessageBlocks } from './insight-actions.ts'
import { classifySlackError } from './slack-api-errors.ts'
import type { SlackBotContext } from './slack-bot-context.ts'

/**
 * Delivers notifications (proactive insights, the daily digest) as direct messages from the bot,
 * for the insight service's fan-out. Tenancy: the recipient is the Slack account the member was
 * matched to in *this* workspace's linked team (a tenant row), so a notification can only reach
 * the member it is for. A member never seen in Slack is skipped (logged at debug level).
 */
export function createSlackNotificationSender(context: SlackBotContext): NotificationSender {
  return {
    channel: 'slack',
    async send({ workspaceId, notification }) {
      const account = await context.database.withTenant({ workspaceId }, (tenant) =>
        findSlackUserForMember(tenant, { userId: notification.userId }),
      )
      if (!account) {
        context.logger.debug(
          { component: 'slack', workspaceId },
          'no Slack account for this member; not sent',
        )
        return
      }
      const bot = await context.credentials.forTeam({ teamId: account.teamId })
      if (!bot) throw new AppError('unavailable', { message: `No Slack token for team ${account.teamId}.` })
      const client = context.clients.forToken(bot.botToken)
      try {
        const opened = await client.conversations.open({ users: account.slackUserId })
        await client.chat.postMessage({
          channel: String(opened.channel?.id),
          text: `${notification.title}\n${notification.body}`,
          blocks: [
            ...titledMessageBlocks({
              title: notification.title,
              body: notification.body,
              note: 'From Nereid · ask me about it here',
            }),
            // One insight (not a summary of several): its suggested action and Dismiss as buttons.
            ...(notification.kind === 'insight' && notification.insightId && context.insights
              ? [
                  insightButtonsBlock({
                    insightId: notification.insightId,
                    actionLabel:
                      typeof notification.data.actionLabel === 'string'
                        ? notification.data.actionLabel
                        : undefined,
                  }),
                ]
              : []),
          ],
        })
      } catch (error) {
        const failure = classifySlackError(error)
        if (failure.kind === 'auth_revoked') await context.credentials.revoke({ teamId: account.teamId })
        throw new AppError('unavailable', {
          message: `Slack refused the message (${failure.code}).`,
          cause: error,
        })
      }
    },
  }
}
