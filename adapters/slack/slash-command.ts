import type { App, RespondFn, SlashCommand } from '@slack/bolt'
import type { KnownBlock } from '@slack/web-api'
import { isAppError } from '../../core/index.ts'
import { listTasks, saveSlackThread, toolCategories, toolRisks } from '../../db/index.ts'
import { renderInSlack } from './answer-message.ts'
import { escapeText, markdownToMrkdwn } from './markdown-to-mrkdwn.ts'
import { classifySlackError } from './slack-api-errors.ts'
import type { SlackBotContext } from './slack-bot-context.ts'
import { describeUnknownSpeaker, type SlackSpeaker } from './slack-identity.ts'
import type { ReplyPart } from './slack-reply.ts'
import { slackTextToPlain } from './slack-text.ts'
import { splitMessage } from './split-message.ts'

/** The slash command the manifest declares. */
export const slashCommand = '/nereid'

const help = [
  '*Nereid* answers questions about your pipeline, tasks, campaigns and documents.',
  '• `/nereid <question>` answers just for you (`/nereid share <question>` posts the answer in the channel)',
  '• `/nereid tasks` lists your open tasks',
  '• `/nereid autonomy` shows what I may do without asking; `/nereid autonomy <tool|category|risk> auto|ask|off|default` changes it',
  '• Mention me in a channel, or message me directly, to talk in a thread.',
].join('\n')

/**
 * `/nereid`: a question answered ephemerally (only the asker sees it) unless they say `share`,
 * `tasks`, `autonomy`, `help`. The command is acknowledged at once ("Thinking…"); the answer
 * follows through the response URL. The command's conversation is one per member, channel and day.
 * A change that needs approval gets its card in the member's direct messages with the bot (an
 * ephemeral message cannot be updated later), where the conversation then continues.
 */
export function registerSlashCommand(app: App, context: SlackBotContext): void {
  app.command(slashCommand, async ({ command, ack, respond, context: boltContext }) => {
    const text = command.text.trim()
    const [word, ...rest] = text.split(/\s+/)
    const keyword = (word ?? '').toLowerCase()
    if (text === '' || keyword === 'help') {
      await ack({ response_type: 'ephemeral', text: help })
      return
    }
    const share = keyword === 'share'
    if (share) await ack()
    else
      await ack({
        response_type: 'ephemeral',
        text: keyword === 'tasks' || keyword === 'autonomy' ? '_One moment…_' : '_Thinking…_',
      })
    const client = context.clients.forToken(boltContext.botToken ?? '')
    const reply = (body: { text: string; blocks?: KnownBlock[] }) =>
      respond({ response_type: 'ephemeral', replace_original: true, ...body }).catch((error: unknown) =>
        context.logger.warn({ err: error, component: 'slack' }, 'could not answer the slash command'),
      )
    const speaker = await context.identity.identify({
      client,
      teamId: command.team_id,
      slackUserId: command.user_id,
    })
    if (speaker.kind !== 'member') {
      await reply({ text: describeUnknownSpeaker(speaker) })
      return
    }
    try {
      if (keyword === 'tasks') await reply(await describeTasks(context, speaker))
      else if (keyword === 'autonomy') await reply(await autonomy(context, speaker, rest))
      else
        await answer(context, {
          command,
          speaker,
          respond,
          share,
          question: share ? rest.join(' ') : text,
          client,
        })
    } catch (error) {
      if (!isAppError(error) || error.status >= 500) throw error
      await reply({ text: error.message })
    }
  })
}

async function answer(
  context: SlackBotContext,
  {
    command,
    speaker,
    respond,
    share,
    question,
    client,
  }: {
    command: SlashCommand
    speaker: Extract<SlackSpeaker, { kind: 'member' }>
    respond: RespondFn
    share: boolean
    question: string
    client: ReturnType<SlackBotContext['clients']['forToken']>
  },
): Promise<void> {
  const plain = await slackTextToPlain({
    text: question,
    mentionName: async (userId) =>
      (await context.directory.get({ client, teamId: command.team_id, userId })).name,
  })
  const day = context.clock.now().toISOString().slice(0, 10)
  const chatId = `slack:${command.team_id}:${command.channel_id}:command:${day}`
  const turn = await context.chat.streamTurn({
    actor: speaker.actor,
    chatId,
    message: { role: 'user', parts: [{ type: 'text', text: plain }] },
  })
  const tenant = { workspaceId: speaker.actor.workspaceId, userId: speaker.actor.userId }
  let direct: { channelId: string; threadTs: string | undefined } | undefined
  let first = true
  context.renderingHere.add(turn.conversationId)
  try {
    await renderInSlack(context, {
      stream: turn.stream,
      // Only used for approval cards; the text goes through the response URL (createPart below).
      target: {
        client,
        teamId: command.team_id,
        channelId: command.channel_id,
        threadTs: undefined,
        recipientUserId: command.user_id,
      },
      workspaceId: speaker.actor.workspaceId,
      requesterSlackUserId: command.user_id,
      createPart: () =>
        respondPart({
          send: async (body) => {
            const sent = respond({
              response_type: share ? 'in_channel' : 'ephemeral',
              ...(first && !share ? { replace_original: true } : {}),
              ...body,
            })
            first = false
            await sent
          },
          onError: (error) =>
            context.logger.warn(
              { err: error, component: 'slack' },
              'could not send the slash command answer',
            ),
        }),
      approvalTarget: async () => {
        if (direct) return direct
        try {
          const opened = await client.conversations.open({ users: command.user_id })
          direct = { channelId: String(opened.channel?.id), threadTs: undefined }
          return direct
        } catch (error) {
          context.logger.warn(
            { component: 'slack', code: classifySlackError(error).code },
            'could not open a direct message',
          )
          return undefined
        }
      },
      afterCardPosted: async ({ channelId, messageTs }) => {
        if (direct && !direct.threadTs) {
          // Later cards, and the continuation after the decision, go into this card's thread.
          direct.threadTs = messageTs
          await context.database.withTenant(tenant, (transaction) =>
            saveSlackThread(transaction, {
              conversationId: turn.conversationId,
              userId: speaker.actor.userId,
              teamId: command.team_id,
              channelId,
              threadTs: messageTs,
              slackUserId: command.user_id,
              lastSeenTs: messageTs,
            }),
          )
          await respond({
            response_type: 'ephemeral',
            text: 'This needs your approval first: I sent you the request in a direct message.',
          }).catch(() => undefined)
        }
      },
    })
  } finally {
    context.renderingHere.delete(turn.conversationId)
  }
}

/** A reply part that collects the text and sends it through the response URL when settled. */
function respondPart({
  send,
  onError,
}: {
  send: (body: { text: string; blocks?: KnownBlock[] }) => Promise<void>
  onError: (error: unknown) => void
}): ReplyPart {
  let text = ''
  return {
    append(markdown) {
      text += markdown
    },
    get text() {
      return text
    },
    async settle({ blocks } = {}) {
      const mrkdwn = markdownToMrkdwn(text).trim()
      if (!mrkdwn) return []
      const pieces = splitMessage(mrkdwn)
      try {
        for (const [index, piece] of pieces.entries()) {
          const last = index === pieces.length - 1
          await send(
            last && blocks && blocks.length > 0
              ? {
                  text: piece,
                  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: piece } }, ...blocks],
                }
              : { text: piece },
          )
        }
      } catch (error) {
        onError(error)
      }
      return []
    },
  }
}

async function describeTasks(
  context: SlackBotContext,
  speaker: Extract<SlackSpeaker, { kind: 'member' }>,
): Promise<{ text: string; blocks?: KnownBlock[] }> {
  const { tasks, total } = await context.database.withTenant(
    { workspaceId: speaker.actor.workspaceId, userId: speaker.actor.userId },
    (tenant) =>
      listTasks(tenant, {
        assigneeId: speaker.actor.userId,
        statuses: ['todo', 'in_progress'],
        now: context.clock.now(),
        limit: 15,
      }),
  )
  if (total === 0) return { text: 'You have no open tasks. :tada:' }
  const lines = tasks.map((task) => {
    const due = task.dueAt
      ? ` · due <!date^${Math.floor(task.dueAt.getTime() / 1000)}^{date_short}|${task.dueAt.toISOString().slice(0, 10)}>`
      : ''
    return `• ${task.overdue ? ':red_circle: ' : ''}*${escapeText(task.title)}*${due} · ${task.priority}${task.status === 'in_progress' ? ' · in progress' : ''}`
  })
  const more = total > tasks.length ? `\n…and ${total - tasks.length} more.` : ''
  const text = `*Your open tasks (${total})*\n${lines.join('\n')}${more}`
  return {
    text,
    blocks: splitMessage(text).map((piece) => ({ type: 'section', text: { type: 'mrkdwn', text: piece } })),
  }
}

async function autonomy(
  context: SlackBotContext,
  speaker: Extract<SlackSpeaker, { kind: 'member' }>,
  words: string[],
): Promise<{ text: string }> {
  const { toolService } = context
  if (words.length >= 2) {
    const [scope, modeWord] = [words[0]!.toLowerCase(), words[1]!.toLowerCase()]
    const scopeType = toolService.tools.some((tool) => tool.name === scope)
      ? 'tool'
      : (toolCategories as readonly string[]).includes(scope)
        ? 'category'
        : (toolRisks as readonly string[]).includes(scope)
          ? 'risk'
          : undefined
    if (!scopeType)
      return {
        text: `"${escapeText(scope)}" is not a tool, a category (${toolCategories.join(', ')}) or a risk (${toolRisks.join(', ')}).`,
      }
    if (!['auto', 'ask', 'off', 'default'].includes(modeWord))
      return { text: 'The setting is one of auto, ask, off or default.' }
    await toolService.setAutonomy({
      actor: speaker.actor,
      settings: [
        { scopeType, scope, mode: modeWord === 'default' ? null : (modeWord as 'auto' | 'ask' | 'off') },
      ],
    })
  }
  const settings = await toolService.getAutonomy({ actor: speaker.actor })
  const lines = toolService.tools.map((tool) => {
    const decision = settings.effective[tool.name]
    return `• \`${tool.name}\` (${tool.category}, ${tool.risk}): *${decision?.mode ?? '?'}*`
  })
  const suggestions = settings.suggestions.map(
    (suggestion) => `• ${escapeText(suggestion.reason)} Try \`/nereid autonomy ${suggestion.tool} auto\`.`,
  )
  return {
    text: [
      '*What I may do for you* (auto: at once · ask: after your approval · off: never)',
      ...lines,
      ...(suggestions.length > 0 ? ['', '*Suggestions*', ...suggestions] : []),
      '',
      'Change one with `/nereid autonomy <tool|category|risk> auto|ask|off|default`.',
    ].join('\n'),
  }
}
