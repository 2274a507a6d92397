import type { App, BlockAction, ButtonAction } from '@slack/bolt'
import type { KnownBlock, WebClient } from '@slack/web-api'
import { z } from 'zod'
import type { InsightService } from '../../assistant/index.ts'
import { isAppError } from '../../core/index.ts'
import { postNotice } from './answer-message.ts'
import { escapeText } from './markdown-to-mrkdwn.ts'
import { classifySlackError } from './slack-api-errors.ts'
import type { SlackBotContext } from './slack-bot-context.ts'
import { describeUnknownSpeaker } from './slack-identity.ts'

/** The `action_id`s of an insight message's buttons; the button `value` is the insight's id. */
export const acceptInsightActionId = 'nereid_insight_accept'
export const dismissInsightActionId = 'nereid_insight_dismiss'

/** What the buttons need of the insight service. */
export type SlackInsightDecisions = Pick<InsightService, 'accept' | 'dismiss'>

/**
 * The buttons under an insight's direct message: its suggested action, labelled as the insight
 * labels it (only when it has one), and Dismiss.
 */
export function insightButtonsBlock({
  insightId,
  actionLabel,
}: {
  insightId: string
  actionLabel?: string | undefined
}): KnownBlock {
  return {
    type: 'actions',
    block_id: `nereid_insight:${insightId}`,
    elements: [
      ...(actionLabel
        ? [
            {
              type: 'button' as const,
              action_id: acceptInsightActionId,
              style: 'primary' as const,
              // Slack caps button text at 75 characters.
              text: { type: 'plain_text' as const, text: actionLabel.slice(0, 75) },
              value: insightId,
            },
          ]
        : []),
      {
        type: 'button',
        action_id: dismissInsightActionId,
        text: { type: 'plain_text', text: 'Dismiss' },
        value: insightId,
      },
    ],
  }
}

/**
 * The Accept and Dismiss buttons of insight messages. The click is acknowledged first; then the
 * clicking Slack user is matched to a member of the team's linked workspace, and the insight
 * service decides as for any other channel.
 *
 * Authorization and tenancy are the insight service's: an insight is found only inside the
 * clicker's workspace and only when it is theirs (a forwarded message, or a forged button value,
 * naming someone else's insight finds nothing), and a decided insight cannot be decided again (a
 * second click is a conflict, told to the clicker). Accepting runs the suggested action through the
 * tool service as the member, so their autonomy settings apply: when it must wait, an approval card
 * is posted under the message, and the decision can also come from any other channel.
 */
export function registerInsightActions(app: App, context: SlackBotContext): void {
  for (const [actionId, decision] of [
    [acceptInsightActionId, 'accept'],
    [dismissInsightActionId, 'dismiss'],
  ] as const) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, context: boltContext }) => {
      await ack()
      await decide(context, {
        decision,
        insightId: action.value ?? '',
        teamId: body.team?.id ?? boltContext.teamId ?? '',
        slackUserId: body.user.id,
        channelId: body.channel?.id ?? body.container?.channel_id,
        messageTs: body.message?.ts ?? body.container?.message_ts,
        botToken: boltContext.botToken ?? '',
      })
    })
  }
}

async function decide(
  context: SlackBotContext,
  {
    decision,
    insightId,
    teamId,
    slackUserId,
    channelId,
    messageTs,
    botToken,
  }: {
    decision: 'accept' | 'dismiss'
    insightId: string
    teamId: string
    slackUserId: string
    channelId: string | undefined
    messageTs: string | undefined
    botToken: string
  },
): Promise<void> {
  const client = context.clients.forToken(botToken)
  const tell = async (text: string) => {
    if (!channelId) return
    await postNotice(context, {
      client,
      channelId,
      threadTs: messageTs,
      slackUserId,
      text,
      ephemeral: !channelId.startsWith('D'),
      teamId,
    })
  }
  const speaker = await context.identity.identify({ client, teamId, slackUserId })
  if (speaker.kind !== 'member') {
    await tell(describeUnknownSpeaker(speaker))
    return
  }
  if (!context.insights || !z.uuid().safeParse(insightId).success) {
    await tell('This button does not name an insight I know.')
    return
  }
  try {
    if (decision === 'dismiss') {
      const insight = await context.insights.dismiss({ actor: speaker.actor, id: insightId })
      await showOutcome(context, {
        client,
        channelId,
        messageTs,
        insight,
        outcome: ':heavy_minus_sign: Dismissed',
      })
      return
    }
    const { insight, action } = await context.insights.accept({ actor: speaker.actor, id: insightId })
    if (action.status === 'executed') {
      await showOutcome(context, {
        client,
        channelId,
        messageTs,
        insight,
        outcome: `:white_check_mark: Done: ${escapeText(action.summary)}`,
      })
      return
    }
    await showOutcome(context, {
      client,
      channelId,
      messageTs,
      insight,
      outcome: `:raised_hand: Accepted; waiting for approval: ${escapeText(action.summary)}`,
    })
    if (channelId) {
      await context.cards.post({
        client,
        workspaceId: speaker.actor.workspaceId,
        teamId,
        channelId,
        threadTs: messageTs,
        actionId: action.actionId,
        summary: action.summary,
        requesterSlackUserId: slackUserId,
      })
    }
  } catch (error) {
    if (!isAppError(error)) throw error
    if (error.code === 'not_found') {
      await tell('I cannot find this insight among yours in this workspace.')
      return
    }
    if (error.status < 500) {
      // Already decided, or the suggested action was refused (e.g. the task is gone): say why.
      await tell(error.message)
      return
    }
    throw error
  }
}

/** Replaces the message's buttons with the outcome, so the message shows what happened. */
async function showOutcome(
  context: SlackBotContext,
  {
    client,
    channelId,
    messageTs,
    insight,
    outcome,
  }: {
    client: WebClient
    channelId: string | undefined
    messageTs: string | undefined
    insight: { title: string; body: string }
    outcome: string
  },
): Promise<void> {
  if (!channelId || !messageTs) return
  try {
    await client.chat.update({
      channel: channelId,
      ts: messageTs,
      text: `${insight.title}\n${insight.body}`,
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: `*${escapeText(insight.title)}*\n${escapeText(insight.body)}`.slice(0, 3_000),
          },
        },
        { type: 'context', elements: [{ type: 'mrkdwn', text: outcome.slice(0, 3_000) }] },
      ],
    })
  } catch (error) {
    // The decision stands; only the message could not be updated.
    context.logger.warn(
      { component: 'slack', channel: channelId, code: classifySlackError(error).code },
      'could not update an insight message',
    )
  }
}
