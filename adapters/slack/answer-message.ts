import type { WebClient } from '@slack/web-api'
import type { UIMessageChunk } from 'ai'
import { conversationIdFor } from '../../assistant/index.ts'
import { isAppError } from '../../core/index.ts'
import { findSlackThread, markSlackThreadSeen, saveSlackThread } from '../../db/index.ts'
import type { BotIdentity } from './bot-credentials.ts'
import { renderTurn } from './render-turn.ts'
import { classifySlackError } from './slack-api-errors.ts'
import type { SlackBotContext } from './slack-bot-context.ts'
import { describeUnknownSpeaker } from './slack-identity.ts'
import { createReplyPart, type ReplyPart, type ReplyTarget } from './slack-reply.ts'
import { slackTextToPlain } from './slack-text.ts'
import { loadThreadContext, questionParts, tsAfter } from './thread-context.ts'

/** A message someone wrote to the bot (a mention, a direct message, a thread follow-up). */
export interface IncomingSlackMessage {
  teamId: string
  channelId: string
  /** `im`, `mpim`, `channel` or `group`. */
  channelType: string | undefined
  /** The message's own timestamp. */
  ts: string
  /** The thread the message is in, if any. */
  threadTs: string | undefined
  /** The thread the answer goes into; undefined answers at the top level (direct messages). */
  replyThreadTs: string | undefined
  slackUserId: string
  text: string
  /** The message came from the Slack assistant view (status "is thinking..." while answering). */
  assistantThread: boolean
}

/**
 * The chat id of a Slack conversation: one per thread (team + channel + thread ts), or one per
 * direct-message channel for top-level direct messages.
 */
export function slackChatId({
  teamId,
  channelId,
  threadTs,
}: {
  teamId: string
  channelId: string
  threadTs: string | undefined
}): string {
  return `slack:${teamId}:${channelId}:${threadTs ?? 'dm'}`
}

/**
 * Answers a message in Slack: claims it (never answered twice), finds the member, builds the
 * question with the thread's history, streams the assistant's answer into the thread, posts
 * approval cards, and remembers where the conversation lives for continuations.
 *
 * A thread with several people: each Slack user gets their own Nereid conversation for the
 * thread (the chat id is the thread; conversations are per member), and the thread's history from
 * Slack (`conversations.replies`, everything they have not seen yet, the bot's answers to others
 * included) travels with their question as quoted context. That is what a person in the thread
 * expects: the bot knows what was said above, answers with *their* access and autonomy, and
 * approval cards name *them* as the requester. Sharing one conversation would run a second
 * person's requests inside someone else's private history and approvals.
 */
export async function answerMessage(
  context: SlackBotContext,
  { message, bot }: { message: IncomingSlackMessage; bot: BotIdentity },
): Promise<void> {
  const { teamId, channelId } = message
  if (!(await context.dedupe.claim(`message:${teamId}:${channelId}:${message.ts}`))) {
    context.logger.debug({ component: 'slack', teamId, ts: message.ts }, 'message already answered')
    return
  }
  await context.limit(() => answerClaimed(context, { message, bot }))
}

async function answerClaimed(
  context: SlackBotContext,
  { message, bot }: { message: IncomingSlackMessage; bot: BotIdentity },
): Promise<void> {
  const { teamId, channelId, slackUserId } = message
  const client = context.clients.forToken(bot.botToken)
  const isDirect = message.channelType === 'im'
  const notice = (text: string) =>
    postNotice(context, {
      client,
      channelId,
      threadTs: message.replyThreadTs,
      slackUserId,
      text,
      ephemeral: !isDirect,
      teamId,
    })

  const speaker = await context.identity.identify({ client, teamId, slackUserId })
  if (speaker.kind !== 'member') {
    await notice(describeUnknownSpeaker(speaker))
    return
  }
  const question = await slackTextToPlain({
    text: message.text,
    dropUserId: bot.botUserId,
    mentionName: async (userId) => (await context.directory.get({ client, teamId, userId })).name,
  })
  if (question === '') {
    await notice(
      'Ask me anything about your pipeline, tasks, campaigns or documents, e.g. "Which deals have gone quiet?"',
    )
    return
  }
  const chatId = slackChatId({ teamId, channelId, threadTs: message.replyThreadTs })
  const conversationId = conversationIdFor({
    workspaceId: speaker.actor.workspaceId,
    userId: speaker.actor.userId,
    chatId,
  })
  const tenant = { workspaceId: speaker.actor.workspaceId, userId: speaker.actor.userId }

  await context.serialize(conversationId, async () => {
    // The thread's history: only in shared channels (a DM thread holds only this person and the bot).
    let threadContext: string | undefined
    if (message.threadTs && !isDirect) {
      const known = await context.database.withTenant(tenant, (transaction) =>
        findSlackThread(transaction, { teamId, channelId, threadTs: message.threadTs!, slackUserId }),
      )
      threadContext = await loadThreadContext({
        client,
        directory: context.directory,
        logger: context.logger,
        teamId,
        channelId,
        threadTs: message.threadTs,
        oldest: known?.lastSeenTs,
        excludeTs: message.ts,
        bot,
      })
    }
    if (message.assistantThread && message.threadTs) {
      await client.assistant.threads
        .setStatus({ channel_id: channelId, thread_ts: message.threadTs, status: 'is thinking...' })
        .catch((error: unknown) =>
          context.logger.debug(
            { component: 'slack', code: classifySlackError(error).code },
            'could not set the status',
          ),
        )
    }
    context.renderingHere.add(conversationId)
    try {
      let turn: Awaited<ReturnType<SlackBotContext['chat']['streamTurn']>>
      try {
        turn = await context.chat.streamTurn({
          actor: speaker.actor,
          chatId,
          message: {
            role: 'user',
            parts: questionParts({ question, context: threadContext }),
          },
        })
      } catch (error) {
        if (!isAppError(error) || error.status >= 500) throw error
        await notice(error.message)
        return
      }
      await context.database.withTenant(tenant, (transaction) =>
        saveSlackThread(transaction, {
          conversationId: turn.conversationId,
          userId: speaker.actor.userId,
          teamId,
          channelId,
          threadTs: message.replyThreadTs ?? '',
          slackUserId,
          lastSeenTs: message.ts,
        }),
      )
      const target: ReplyTarget = {
        client,
        teamId,
        channelId,
        threadTs: message.replyThreadTs,
        recipientUserId: slackUserId,
      }
      const { postedTs } = await renderInSlack(context, {
        stream: turn.stream,
        target,
        workspaceId: speaker.actor.workspaceId,
        requesterSlackUserId: slackUserId,
      })
      await markSeen(context, { tenant, conversationId: turn.conversationId, postedTs })
    } finally {
      context.renderingHere.delete(conversationId)
    }
  })
}

/** Renders an assistant message stream into a Slack thread, approval cards included. */
export async function renderInSlack(
  context: SlackBotContext,
  {
    stream,
    target,
    workspaceId,
    requesterSlackUserId,
    approvalTarget,
    afterCardPosted,
    createPart,
  }: {
    stream: ReadableStream<UIMessageChunk>
    target: ReplyTarget
    workspaceId: string
    requesterSlackUserId: string
    /** Where approval cards go when not in the reply's own channel (slash commands: the DM). */
    approvalTarget?:
      | (() => Promise<{ channelId: string; threadTs: string | undefined } | undefined>)
      | undefined
    afterCardPosted?: ((card: { channelId: string; messageTs: string }) => Promise<void>) | undefined
    /** Replaces the Slack message writer (slash commands answer through the response URL). */
    createPart?: (() => ReplyPart) | undefined
  },
): Promise<{ postedTs: string[]; text: string }> {
  return renderTurn({
    stream,
    logger: context.logger,
    createPart:
      createPart ??
      (() =>
        createReplyPart({
          target,
          streaming: context.streaming,
          timing: context.timing,
          logger: context.logger,
          placeholder: '_Thinking…_',
          onFailure: (failure) => {
            if (failure.kind === 'auth_revoked') {
              void context.credentials.revoke({ teamId: target.teamId }).catch(() => undefined)
            }
          },
        })),
    onApprovalRequest: async ({ actionId, summary, toolName }) => {
      const where = approvalTarget
        ? await approvalTarget()
        : { channelId: target.channelId, threadTs: target.threadTs }
      if (!where) return
      const messageTs = await context.cards.post({
        client: target.client,
        workspaceId,
        teamId: target.teamId,
        channelId: where.channelId,
        threadTs: where.threadTs,
        actionId,
        summary,
        toolName,
        requesterSlackUserId,
      })
      if (messageTs) await afterCardPosted?.({ channelId: where.channelId, messageTs })
    },
  })
}

/** Moves the conversation's "seen" mark past the bot's own answer (it is in the history already). */
export async function markSeen(
  context: SlackBotContext,
  {
    tenant,
    conversationId,
    postedTs,
  }: { tenant: { workspaceId: string; userId?: string }; conversationId: string; postedTs: string[] },
): Promise<void> {
  const newest = postedTs.reduce<string | undefined>(
    (best, ts) => (!best || tsAfter(ts, best) ? ts : best),
    undefined,
  )
  if (!newest) return
  await context.database.withTenant(tenant, (transaction) =>
    markSlackThreadSeen(transaction, { conversationId, ts: newest }),
  )
}

/**
 * A short notice to one person: ephemeral in shared channels (only they see it), a normal message
 * in a direct message. Failures are logged, never thrown.
 */
export async function postNotice(
  context: SlackBotContext,
  {
    client,
    channelId,
    threadTs,
    slackUserId,
    text,
    ephemeral,
    teamId,
  }: {
    client: WebClient
    channelId: string
    threadTs: string | undefined
    slackUserId: string
    text: string
    ephemeral: boolean
    /** The team whose token `client` uses (a revoked token is then retired). */
    teamId?: string | undefined
  },
): Promise<void> {
  try {
    if (ephemeral) {
      await client.chat.postEphemeral({
        channel: channelId,
        user: slackUserId,
        text,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      })
    } else {
      await client.chat.postMessage({
        channel: channelId,
        text,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      })
    }
  } catch (error) {
    const failure = classifySlackError(error)
    context.logger.warn(
      { component: 'slack', channel: channelId, code: failure.code },
      'could not post a notice',
    )
    if (failure.kind === 'auth_revoked' && teamId)
      await context.credentials.revoke({ teamId }).catch(() => undefined)
  }
}
