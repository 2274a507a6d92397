import type { App, BlockAction, ButtonAction } from '@slack/bolt'
import type { WebClient } from '@slack/web-api'
import type { Actor } from '../../tools/index.ts'
import { postNotice } from './answer-message.ts'
import type { SlackBotContext } from './slack-bot-context.ts'
import { describeUnknownSpeaker } from './slack-identity.ts'

/** A click on one of the bot's Block Kit buttons, as the handlers use it. */
export interface ButtonClick<Decision> {
  decision: Decision
  /** The button's `value` (the id of what it decides), untrusted until looked up. */
  value: string
  teamId: string
  slackUserId: string
  channelId: string | undefined
  /** The message carrying the button. */
  messageTs: string | undefined
  /** The thread that message is in, when it is a reply. */
  threadTs: string | undefined
  client: WebClient
}

/**
 * Registers `handle` for the buttons `decisions` names (`action_id` -> decision). Each click is
 * acknowledged before anything else (Slack's 3-second limit), then handled.
 */
export function onButtonClicks<Decision>(
  app: App,
  context: SlackBotContext,
  decisions: readonly (readonly [actionId: string, decision: Decision])[],
  handle: (click: ButtonClick<Decision>) => Promise<void>,
): void {
  for (const [actionId, decision] of decisions) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, context: boltContext }) => {
      await ack()
      await handle({
        decision,
        value: action.value ?? '',
        teamId: body.team?.id ?? boltContext.teamId ?? '',
        slackUserId: body.user.id,
        channelId: body.channel?.id ?? body.container?.channel_id,
        messageTs: body.message?.ts ?? body.container?.message_ts,
        threadTs: body.message?.thread_ts ?? body.container?.thread_ts,
        client: context.clients.forToken(boltContext.botToken ?? ''),
      })
    })
  }
}

/**
 * The clicking Slack user as a member of the team's linked workspace (undefined, and told why, when
 * they are not one), and `tell`: a notice to them where they clicked, in `threadTs` (private in a
 * channel, plain in a direct message).
 */
export async function identifyClicker(
  context: SlackBotContext,
  click: ButtonClick<unknown>,
  { threadTs }: { threadTs: string | undefined },
): Promise<{ actor: (Actor & { channel: 'slack' }) | undefined; tell: (text: string) => Promise<void> }> {
  const { client, channelId, slackUserId, teamId } = click
  const tell = async (text: string) => {
    if (!channelId) return
    await postNotice(context, {
      client,
      channelId,
      threadTs,
      slackUserId,
      text,
      ephemeral: !channelId.startsWith('D'),
      teamId,
    })
  }
  const speaker = await context.identity.identify({ client, teamId, slackUserId })
  if (speaker.kind !== 'member') {
    await tell(describeUnknownSpeaker(speaker))
    return { actor: undefined, tell }
  }
  return { actor: speaker.actor, tell }
}
