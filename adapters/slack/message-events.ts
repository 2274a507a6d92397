import type { AnyMiddlewareArgs, App, Context, Middleware } from '@slack/bolt'
import { findSlackThread } from '../../db/index.ts'
import { answerMessage } from './answer-message.ts'
import type { BotIdentity } from './bot-credentials.ts'
import type { SlackBotContext } from './slack-bot-context.ts'

/** Message subtypes that are someone writing (everything else is an edit, a join, a bot, …). */
const writtenSubtypes = new Set([undefined, 'file_share', 'thread_broadcast'])

interface MessageEvent {
  type: string
  subtype?: string
  user?: string
  bot_id?: string
  text?: string
  ts: string
  thread_ts?: string
  channel: string
  channel_type?: string
}

/** The bot serving the request, from Bolt's context (filled by `authorize`). */
export function botOf(context: Context): BotIdentity {
  return {
    teamId: context.teamId,
    enterpriseId: context.enterpriseId,
    botToken: context.botToken ?? '',
    botUserId: context.botUserId ?? '',
    botId: context.botId ?? '',
  }
}

/** The Slack team a request is for. */
export function teamOf(context: Context, body: unknown): string {
  const candidate = body as { team_id?: string; team?: { id?: string } }
  return context.teamId ?? candidate.team_id ?? candidate.team?.id ?? ''
}

/**
 * Drops deliveries this or another process already took (retries of an event, by `event_id`),
 * and messages from bots (the bot's own are dropped by Bolt's `ignoreSelf` already), before any
 * listener runs. Events are acknowledged before this runs (slack-receiver.ts).
 */
export function deliveryFilter(context: SlackBotContext): Middleware<AnyMiddlewareArgs> {
  return async ({ body, next }) => {
    const envelope = body as {
      type?: string
      event_id?: string
      event?: { bot_id?: string; subtype?: string; type?: string }
    }
    if (envelope.type === 'event_callback') {
      const event = envelope.event
      if (
        (event?.type === 'message' || event?.type === 'app_mention') &&
        (event.bot_id || event.subtype === 'bot_message')
      )
        return
      if (envelope.event_id && !(await context.dedupe.claim(`event:${envelope.event_id}`))) {
        context.logger.info(
          { component: 'slack', eventId: envelope.event_id },
          'duplicate Slack delivery ignored',
        )
        return
      }
    }
    await next()
  }
}

/**
 * Mentions, direct messages and thread follow-ups.
 *
 * - A mention in a channel is answered in a thread under it (or in the thread it was written in).
 * - Direct messages are answered in place (threads in a DM are answered in their thread).
 * - In a channel thread, a member who already talks with the bot there is answered without a new
 *   mention; anyone else in the thread brings the bot in with a mention, so people talking among
 *   themselves in a thread the bot is in are left alone.
 *
 * A message that also arrives as `app_mention` is answered once: the `message` listener leaves
 * mentions to it, and each message is claimed before it is answered (answer-message.ts).
 */
export function registerMessageEvents(app: App, context: SlackBotContext): void {
  app.event('app_mention', async ({ event, body, context: boltContext }) => {
    const mention = event as unknown as MessageEvent
    if (!mention.user || mention.channel.startsWith('D')) return
    await answerMessage(context, {
      bot: botOf(boltContext),
      message: {
        teamId: teamOf(boltContext, body),
        channelId: mention.channel,
        channelType: undefined,
        ts: mention.ts,
        threadTs: mention.thread_ts,
        replyThreadTs: mention.thread_ts ?? mention.ts,
        slackUserId: mention.user,
        text: mention.text ?? '',
        assistantThread: false,
      },
    })
  })

  app.event('message', async ({ event, body, context: boltContext }) => {
    const message = event as unknown as MessageEvent
    if (!writtenSubtypes.has(message.subtype) || message.bot_id || !message.user) return
    const bot = botOf(boltContext)
    const teamId = teamOf(boltContext, body)
    const incoming = {
      teamId,
      channelId: message.channel,
      channelType: message.channel_type,
      ts: message.ts,
      threadTs: message.thread_ts,
      slackUserId: message.user,
      text: message.text ?? '',
      assistantThread: false,
    }
    if (message.channel_type === 'im') {
      await answerMessage(context, { bot, message: { ...incoming, replyThreadTs: message.thread_ts } })
      return
    }
    // Channels and group DMs: only follow-ups in a thread, without a mention (mentions are app_mention's).
    if (!message.thread_ts || message.thread_ts === message.ts) return
    if (bot.botUserId && (message.text ?? '').includes(`<@${bot.botUserId}>`)) return
    const link = await context.identity.linkOf(teamId)
    if (!link) return
    const known = await context.database.withTenant({ workspaceId: link.workspaceId }, (tenant) =>
      findSlackThread(tenant, {
        teamId,
        channelId: message.channel,
        threadTs: message.thread_ts!,
        slackUserId: message.user!,
      }),
    )
    if (!known) return
    await answerMessage(context, { bot, message: { ...incoming, replyThreadTs: message.thread_ts } })
  })
}
