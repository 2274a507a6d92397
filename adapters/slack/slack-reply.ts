import type { KnownBlock, WebClient } from '@slack/web-api'
import type { Logger } from '../../core/index.ts'
import { markdownToMrkdwn } from './markdown-to-mrkdwn.ts'
import { classifySlackError, type SlackFailure } from './slack-api-errors.ts'
import { findCut, insideFence, slackMessageLimit, splitMessage } from './split-message.ts'

/** Where a reply goes. `threadTs` undefined: a top-level message (direct messages). */
export interface ReplyTarget {
  client: WebClient
  teamId: string
  channelId: string
  threadTs: string | undefined
  /** The person the answer is for (Slack's streaming API wants to know outside DMs). */
  recipientUserId: string
}

/**
 * Whether to use Slack's streaming methods. `enabled` comes from SLACK_STREAMING; a team whose
 * `chat.startStream` fails as unsupported is remembered here and gets edited messages from then on.
 */
export interface StreamingSupport {
  enabled: boolean
  unsupportedTeams: Set<string>
}

/** How often a reply may call Slack while text streams in. */
export interface ReplyTiming {
  /** Edited-message mode: at most one `chat.update` per this many ms (Slack allows about 1/s). */
  updateIntervalMs: number
  /** Streaming mode: at most one `chat.appendStream` per this many ms. */
  appendIntervalMs: number
}

export const defaultReplyTiming: ReplyTiming = { updateIntervalMs: 1_000, appendIntervalMs: 300 }

/** One block of answer text in Slack: one message, or several when it outgrows Slack's limit. */
export interface ReplyPart {
  /** Adds Markdown; it reaches Slack at the next flush (throttled). */
  append(markdown: string): void
  /** The Markdown so far. */
  readonly text: string
  /** Flushes everything, finishes the message(s) (with `blocks` under the last one); returns their ts. */
  settle(options?: { blocks?: KnownBlock[] | undefined }): Promise<string[]>
}

/**
 * Writes streamed answer text into Slack.
 *
 * With streaming (threads only, where the team allows it): `chat.startStream` with the first text,
 * `chat.appendStream` at most every `appendIntervalMs`, `chat.stopStream` at the end with the
 * citation blocks. Slack renders the Markdown itself. If `chat.startStream` is refused as
 * unsupported, the reply (and the team, from then on) falls back to:
 *
 * Edited message: a placeholder posted at once, then `chat.update` with the text converted to
 * mrkdwn at most once per `updateIntervalMs`, and a final update with the blocks.
 *
 * Either way, text longer than Slack's limit continues in a new message, cut at a paragraph or
 * line break (code blocks closed and reopened). Slack API failures are logged and never thrown:
 * a gone channel or revoked token stops the reply (`onFailure` is told), a deleted message is
 * posted again, anything else is retried at the next flush.
 */
export function createReplyPart({
  target,
  streaming,
  timing = defaultReplyTiming,
  logger,
  limit = slackMessageLimit,
  placeholder,
  onFailure,
}: {
  target: ReplyTarget
  streaming: StreamingSupport
  timing?: ReplyTiming
  logger: Logger
  limit?: number
  /** Edited-message mode: posted at once so the person sees that an answer is coming. */
  placeholder?: string | undefined
  onFailure?: ((failure: SlackFailure) => void) | undefined
}): ReplyPart {
  const { client, channelId: channel, threadTs } = target
  let mode: 'stream' | 'update' =
    streaming.enabled && threadTs && !streaming.unsupportedTeams.has(target.teamId) ? 'stream' : 'update'
  let text = ''
  let dead = false
  let chain: Promise<void> = Promise.resolve()
  let timer: NodeJS.Timeout | undefined
  let lastFlushAt = 0
  const posted: string[] = []
  // Streaming mode: how much of `text` went out, the open stream, and what the next one must start with.
  let sent = 0
  let current: { ts: string; markdown: string } | undefined
  let carry = ''
  // Edited-message mode: the messages and what each shows.
  const messages: { ts: string; shown: string }[] = []

  const log = logger.child({ component: 'slack', teamId: target.teamId, channel })
  const threadArguments = threadTs ? { thread_ts: threadTs } : {}

  function fail(error: unknown, step: string): void {
    const failure = classifySlackError(error)
    if (failure.kind === 'channel_gone' || failure.kind === 'auth_revoked') {
      dead = true
      log.warn({ code: failure.code, step }, 'Slack refused the reply; giving up on this reply')
      onFailure?.(failure)
      return
    }
    log.warn(
      { code: failure.code, step, err: failure.kind === 'other' ? error : undefined },
      'a Slack call of the reply failed',
    )
  }

  const run = (task: () => Promise<void>): Promise<void> => {
    chain = chain.then(task).catch((error: unknown) => log.error({ err: error }, 'a reply step failed'))
    return chain
  }

  // One interim flush at a time: text arriving meanwhile waits for the next one, an interval later.
  let flushPending = false
  let dirty = false
  let settled = false
  const schedule = () => {
    if (flushPending || dead || settled) return
    flushPending = true
    const interval = mode === 'stream' ? timing.appendIntervalMs : timing.updateIntervalMs
    const wait = Math.max(0, lastFlushAt + interval - performance.now())
    timer = setTimeout(() => {
      timer = undefined
      void run(async () => {
        dirty = false
        try {
          await flush({ final: false })
        } finally {
          flushPending = false
          if (dirty) schedule()
        }
      })
    }, wait)
  }

  async function flush({
    final,
    blocks,
  }: {
    final: boolean
    blocks?: KnownBlock[] | undefined
  }): Promise<void> {
    if (dead) return
    try {
      if (mode === 'stream') await flushStream({ final, blocks })
      else await flushUpdate({ final, blocks })
    } finally {
      // Measured from the end of a flush, so Slack sees at most one update per interval.
      lastFlushAt = performance.now()
    }
  }

  async function sendToStream(piece: string): Promise<void> {
    if (!current) {
      const markdown = `${carry}${piece}`
      const started = await client.chat.startStream({
        channel,
        thread_ts: threadTs!,
        markdown_text: markdown,
        recipient_team_id: target.teamId,
        recipient_user_id: target.recipientUserId,
      })
      carry = ''
      current = { ts: String(started.ts), markdown }
      posted.push(current.ts)
      return
    }
    await client.chat.appendStream({ channel, ts: current.ts, markdown_text: piece })
    current.markdown += piece
  }

  /**
   * Finishes the open stream message; one that ends inside a code block gets the block closed, and
   * the next message reopens it.
   */
  async function stopStream(blocks?: KnownBlock[] | undefined): Promise<void> {
    if (!current) return
    const { ts, markdown } = current
    current = undefined
    const repair = insideFence(markdown)
    carry = repair ? '```\n' : ''
    await client.chat.stopStream({
      channel,
      ts,
      ...(repair ? { markdown_text: '\n```' } : {}),
      ...(blocks && blocks.length > 0 ? { blocks } : {}),
    })
  }

  /** Skips the blank lines a new message would otherwise start with. */
  const skipLeadingBlankLines = () => {
    sent += text.slice(sent).match(/^\s*/)?.[0].length ?? 0
  }

  async function flushStream({
    final,
    blocks,
  }: {
    final: boolean
    blocks?: KnownBlock[] | undefined
  }): Promise<void> {
    try {
      let pending = text.slice(sent)
      while (pending.length > 0) {
        const used = current ? current.markdown.length : carry.length
        // Room for the text, keeping 4 characters for closing a code block.
        const room = limit - 4 - used
        if (pending.length <= room) {
          // Near the limit only whole lines go out, so that a full message can end at a line break.
          if (!final && used + pending.length > limit * 0.7) {
            const lineEnd = pending.lastIndexOf('\n')
            if (lineEnd < 0) break
            await sendToStream(pending.slice(0, lineEnd + 1))
            sent += lineEnd + 1
            break
          }
          await sendToStream(pending)
          sent += pending.length
          break
        }
        const lineEnd = pending.lastIndexOf('\n', room - 1)
        if (lineEnd >= 0 && (lineEnd > 0 || current)) {
          if (lineEnd > 0) await sendToStream(pending.slice(0, lineEnd))
          sent += lineEnd
        } else if (!current) {
          // One line longer than a whole message: cut it at a space (or anywhere, as a last resort).
          const cut = Math.max(1, findCut(pending, room))
          await sendToStream(pending.slice(0, cut))
          sent += cut
        }
        // Otherwise the open message is as full as it gets: it ends here and the text goes on below.
        await stopStream()
        skipLeadingBlankLines()
        pending = text.slice(sent)
      }
      if (final) {
        if (current) await stopStream(blocks)
        else if (blocks && blocks.length > 0 && posted.length === 0) {
          const result = await client.chat.postMessage({
            channel,
            ...threadArguments,
            text: 'Sources',
            blocks,
          })
          posted.push(String(result.ts))
        }
      }
    } catch (error) {
      const failure = classifySlackError(error)
      if (failure.kind === 'not_supported' && posted.length === 0) {
        // This team (or channel type) cannot stream: edit one message instead, from now on.
        streaming.unsupportedTeams.add(target.teamId)
        log.info({ code: failure.code }, 'Slack streaming is not available here; editing a message instead')
        mode = 'update'
        current = undefined
        await flushUpdate({ final, blocks })
        return
      }
      if (failure.kind === 'message_gone') current = undefined
      fail(error, 'stream')
    }
  }

  async function flushUpdate({
    final,
    blocks,
  }: {
    final: boolean
    blocks?: KnownBlock[] | undefined
  }): Promise<void> {
    const mrkdwn = markdownToMrkdwn(text).trim()
    const pieces = mrkdwn ? splitMessage(mrkdwn, limit) : []
    try {
      for (const [index, piece] of pieces.entries()) {
        const last = index === pieces.length - 1
        const withBlocks = final && last && blocks && blocks.length > 0
        const payload = withBlocks
          ? {
              text: piece,
              blocks: [{ type: 'section', text: { type: 'mrkdwn', text: piece } } as KnownBlock, ...blocks],
            }
          : { text: piece }
        const shown = JSON.stringify(payload)
        const existing = messages[index]
        if (existing) {
          if (existing.shown === shown) continue
          try {
            await client.chat.update({ channel, ts: existing.ts, ...payload })
            existing.shown = shown
            continue
          } catch (error) {
            if (classifySlackError(error).kind !== 'message_gone') throw error
            // Someone deleted it: post the text again below.
            messages.splice(index)
          }
        }
        const result = await client.chat.postMessage({
          channel,
          ...threadArguments,
          ...payload,
          unfurl_links: false,
        })
        messages.push({ ts: String(result.ts), shown })
        posted.push(String(result.ts))
      }
      if (final && pieces.length === 0 && messages.length > 0) {
        // Only the placeholder was posted (the turn produced no text): take it away.
        const [placeholderMessage] = messages.splice(0)
        await client.chat.delete({ channel, ts: placeholderMessage!.ts })
        posted.splice(posted.indexOf(placeholderMessage!.ts), 1)
      }
    } catch (error) {
      fail(error, 'update')
    }
  }

  if (mode === 'update' && placeholder) {
    void run(async () => {
      try {
        const result = await client.chat.postMessage({ channel, ...threadArguments, text: placeholder })
        messages.push({ ts: String(result.ts), shown: JSON.stringify({ text: placeholder }) })
        posted.push(String(result.ts))
      } catch (error) {
        fail(error, 'placeholder')
      }
    })
  }

  return {
    append(markdown) {
      if (!markdown || dead) return
      text += markdown
      dirty = true
      schedule()
    },
    get text() {
      return text
    },
    async settle({ blocks } = {}) {
      settled = true
      if (timer) clearTimeout(timer)
      timer = undefined
      await run(() => flush({ final: true, blocks }))
      return [...posted]
    },
  }
}
