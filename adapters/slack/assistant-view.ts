import { Assistant } from '@slack/bolt'
import { answerMessage } from './answer-message.ts'
import { botOf, teamOf } from './message-events.ts'
import { classifySlackError } from './slack-api-errors.ts'
import type { SlackBotContext } from './slack-bot-context.ts'

/** What a new assistant thread offers to ask. */
/** What Slack reports about an assistant thread (the channel the person is looking at). */
interface AssistantThreadContext {
  channel_id?: string
  team_id?: string
  enterprise_id?: string | null
}

export const suggestedPrompts = [
  { title: 'Deals gone quiet', message: 'Which deals have had no activity in the last two weeks?' },
  { title: 'My tasks', message: 'What are my open tasks, most urgent first?' },
  { title: 'Ask the handbook', message: 'What does our handbook say about refunds?' },
]

/**
 * The Slack assistant view (the side panel, Bolt's `Assistant`): a new thread gets a greeting and
 * suggested prompts; each message in it is answered like a direct message in a thread, with the
 * status "is thinking..." until the answer starts. The thread context Slack reports (which channel
 * the person is looking at) is kept in memory only: Nereid does not use it yet.
 */
export function createAssistantView(context: SlackBotContext): Assistant {
  const threadContexts = new Map<string, AssistantThreadContext>()
  const keyOf = (payload: {
    channel?: string
    assistant_thread?: { channel_id?: string; thread_ts?: string }
  }) =>
    `${payload.assistant_thread?.channel_id ?? payload.channel}:${payload.assistant_thread?.thread_ts ?? ''}`
  return new Assistant({
    threadContextStore: {
      get: async ({ payload }) => threadContexts.get(keyOf(payload as never)) ?? {},
      save: async ({ payload }) => {
        const thread = (payload as { assistant_thread?: { context?: AssistantThreadContext } })
          .assistant_thread
        if (threadContexts.size > 5_000) threadContexts.clear()
        if (thread?.context) threadContexts.set(keyOf(payload as never), thread.context)
      },
    },
    threadStarted: async ({ event, context: boltContext }) => {
      const client = context.clients.forToken(boltContext.botToken ?? '')
      const { channel_id: channel, thread_ts } = event.assistant_thread
      try {
        await client.chat.postMessage({
          channel,
          thread_ts,
          text: "Hi! I'm Nereid. Ask me about your deals, contacts, tasks, campaigns or documents; I can make changes too, after you approve them.",
        })
        await client.assistant.threads.setSuggestedPrompts({
          channel_id: channel,
          thread_ts,
          title: 'Try asking',
          prompts: suggestedPrompts,
        })
      } catch (error) {
        context.logger.warn(
          { component: 'slack', code: classifySlackError(error).code },
          'could not greet an assistant thread',
        )
      }
    },
    userMessage: async ({ message, body, context: boltContext }) => {
      const event = message as {
        user?: string
        text?: string
        ts: string
        thread_ts?: string
        channel: string
        channel_type?: string
      }
      if (!event.user || !event.thread_ts) return
      await answerMessage(context, {
        bot: botOf(boltContext),
        message: {
          teamId: teamOf(boltContext, body),
          channelId: event.channel,
          channelType: 'im',
          ts: event.ts,
          threadTs: event.thread_ts,
          replyThreadTs: event.thread_ts,
          slackUserId: event.user,
          text: event.text ?? '',
          assistantThread: true,
        },
      })
    },
  })
}
