import type { App } from '@slack/bolt'
import type { KnownBlock } from '@slack/web-api'
import { z } from 'zod'
import type { InsightService } from '../../assistant/index.ts'
import { isAppError } from '../../core/index.ts'
import { type ButtonClick, identifyClicker, onButtonClicks } from './button-clicks.ts'
import { escapeText } from './markdown-to-mrkdwn.ts'
import { classifySlackError } from './slack-api-errors.ts'
import type { SlackBotContext } from './slack-bot-context.ts'

/** The `action_id`s of an insight message's buttons; the button `value` is the insight's id. */
export const acceptInsightActionId = 'nereid_insight_accept'
export const dismissInsightActionId = 'nereid_insight_dismiss'

/** What the buttons need of the insight service. */
export type SlackInsightDecisions = Pick<InsightService, 'accept' | 'dismiss'>

/** A notification message's text blocks: the title in bold over the body, and a context line under them. */
export function titledMessageBlocks({
  title,
  body,
  note,
}: {
  title: string
  body: string
  /** Slack mrkdwn, already escaped. */
  note: string
}): KnownBlock[] {
  return [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `*${escapeText(title)}*\n${escapeText(body)}`.slice(0, 3_000) },
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: note.slice(0, 3_000) }] },
  ]
}

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
  onButtonClicks(
    app,
    context,
    [
      [acceptInsightActionId, 'accept'],
      [dismissInsightActionId, 'dismiss'],
    ] as const,
    (click) => decide(context, click),
  )
}

async function decide(context: SlackBotContext, click: ButtonClick<'accept' | 'dismiss'>): Promise<void> {
  const { decision, value: insightId, client, channelId, messageTs, teamId, slackUserId } = click
  // Notices go under the insight's message (its own thread).
  const { actor, tell } = await identifyClicker(context, click, { threadTs: messageTs })
  if (!actor) return
  if (!context.insights || !z.uuid().safeParse(insightId).success) {
    await tell('This button does not name an insight I know.')
    return
  }
  const show = (insight: { title: string; body: string }, outcome: string) =>
    showOutcome(context, { click, insight, outcome })
  try {
    if (decision === 'dismiss') {
      await show(await context.insights.dismiss({ actor, id: insightId }), ':heavy_minus_sign: Dismissed')
      return
    }
    const { insight, action } = await context.insights.accept({ actor, id: insightId })
    if (action.status === 'executed') {
      await show(insight, `:white_check_mark: Done: ${escapeText(action.summary)}`)
      return
    }
    await show(insight, `:raised_hand: Accepted; waiting for approval: ${escapeText(action.summary)}`)
    if (channelId) {
      await context.cards.post({
        client,
        workspaceId: actor.workspaceId,
        teamId,
        channelId,
        threadTs: messageTs,
        actionId: action.actionId,
        summary: action.summary,
        requesterSlackUserId: slackUserId,
      })
    }
  } catch (error) {
    if (!isAppError(error) || error.status >= 500) throw error
    // The insight service marks its own not-found with the insight's id; any other one came from
    // the suggested action's tool (e.g. the task is gone), after which the insight is open again.
    if (error.code === 'not_found' && error.details?.insightId === insightId) {
      await tell('I cannot find this insight among yours in this workspace.')
    } else if (error.code === 'conflict') {
      await tell(error.message)
    } else {
      await tell(`The suggested action could not run: ${error.message}`)
    }
  }
}

/** Replaces the message's buttons with the outcome, so the message shows what happened. */
async function showOutcome(
  context: SlackBotContext,
  {
    click: { client, channelId, messageTs },
    insight,
    outcome,
  }: {
    click: ButtonClick<unknown>
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
      blocks: titledMessageBlocks({ title: insight.title, body: insight.body, note: outcome }),
    })
  } catch (error) {
    // The decision stands; only the message could not be updated.
    context.logger.warn(
      { component: 'slack', channel: channelId, code: classifySlackError(error).code },
      'could not update an insight message',
    )
  }
}
