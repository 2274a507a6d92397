import type { UIMessageChunk } from 'ai'
import { findSlackThreadByConversation } from '../../db/index.ts'
import { markSeen, renderInSlack } from './answer-message.ts'
import type { SlackBotContext } from './slack-bot-context.ts'

/**
 * Brings assistant messages that did not start in Slack into their Slack thread: above all the
 * continuation after a decision (an approval in Slack, the widget or the API resumes the
 * conversation in whichever process settles it, and that process renders it into the thread).
 *
 * Every chunk of every turn this process streams is observed; a turn whose conversation lives in
 * Slack (a `slack_threads` row) and that this process is not already rendering is buffered while
 * the thread is looked up, then rendered like any answer. Other turns are dropped at once.
 */
export function mirrorContinuations(context: SlackBotContext): () => void {
  const flights = new Map<
    string,
    { controller: ReadableStreamDefaultController<UIMessageChunk>; open: boolean }
  >()
  /** Conversations known not to be Slack's (bounded), so widget and API turns cost one lookup each. */
  const notSlack = new Set<string>()

  const close = (conversationId: string) => {
    const flight = flights.get(conversationId)
    if (!flight) return
    flights.delete(conversationId)
    if (flight.open) {
      flight.open = false
      try {
        flight.controller.close()
      } catch {
        // Already cancelled by the reader.
      }
    }
  }

  const stop = context.chat.observeTurns(({ workspaceId, userId, conversationId, chunk }) => {
    if (context.renderingHere.has(conversationId) || notSlack.has(conversationId)) return
    let flight = flights.get(conversationId)
    if (!flight && chunk.type === 'start') {
      let controller!: ReadableStreamDefaultController<UIMessageChunk>
      const stream = new ReadableStream<UIMessageChunk>({
        start: (started) => {
          controller = started
        },
      })
      flight = { controller, open: true }
      flights.set(conversationId, flight)
      void render({ workspaceId, userId, conversationId, stream }).catch((error: unknown) =>
        context.logger.error(
          { err: error, component: 'slack', conversationId },
          'could not bring a continuation to Slack',
        ),
      )
    }
    if (!flight?.open) return
    try {
      flight.controller.enqueue(chunk)
    } catch {
      flight.open = false
    }
    if (chunk.type === 'finish') close(conversationId)
  })

  async function render({
    workspaceId,
    userId,
    conversationId,
    stream,
  }: {
    workspaceId: string
    userId: string
    conversationId: string
    stream: ReadableStream<UIMessageChunk>
  }): Promise<void> {
    const tenant = { workspaceId, userId }
    const thread = await context.database.withTenant(tenant, (transaction) =>
      findSlackThreadByConversation(transaction, { conversationId }),
    )
    const bot = thread ? await context.credentials.forTeam({ teamId: thread.teamId }) : undefined
    if (!thread || !bot) {
      if (!thread) {
        if (notSlack.size > 10_000) notSlack.clear()
        notSlack.add(conversationId)
      }
      const flight = flights.get(conversationId)
      if (flight) flight.open = false
      flights.delete(conversationId)
      await stream.cancel().catch(() => undefined)
      return
    }
    await context.serialize(conversationId, async () => {
      const client = context.clients.forToken(bot.botToken)
      const { postedTs } = await renderInSlack(context, {
        stream,
        target: {
          client,
          teamId: thread.teamId,
          channelId: thread.channelId,
          threadTs: thread.threadTs || undefined,
          recipientUserId: thread.slackUserId,
        },
        workspaceId,
        requesterSlackUserId: thread.slackUserId,
      })
      await markSeen(context, { tenant, conversationId, postedTs })
    })
  }

  return () => {
    stop()
    for (const conversationId of [...flights.keys()]) close(conversationId)
  }
}
