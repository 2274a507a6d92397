import type { WebClient } from '@slack/web-api'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../core/index.ts'
import { createReplyPart, type StreamingSupport } from './slack-reply.ts'
import { insideFence } from './split-message.ts'

/** A fake Web API client that keeps messages like Slack and records calls. */
function fakeSlack({ streaming = true }: { streaming?: boolean } = {}) {
  let sequence = 0
  const messages = new Map<string, { text: string; stopped: boolean; blocks?: unknown }>()
  const calls: { method: string; args: Record<string, unknown> }[] = []
  const next = () => {
    sequence += 1
    return `1700000000.${String(sequence).padStart(6, '0')}`
  }
  const client = {
    chat: {
      startStream: async (args: Record<string, unknown>) => {
        calls.push({ method: 'startStream', args })
        if (!streaming)
          throw Object.assign(new Error('unknown_method'), {
            code: 'slack_webapi_platform_error',
            data: { error: 'unknown_method' },
          })
        const ts = next()
        messages.set(ts, { text: String(args.markdown_text ?? ''), stopped: false })
        return { ok: true, ts }
      },
      appendStream: async (args: Record<string, unknown>) => {
        calls.push({ method: 'appendStream', args })
        messages.get(String(args.ts))!.text += String(args.markdown_text ?? '')
        return { ok: true }
      },
      stopStream: async (args: Record<string, unknown>) => {
        calls.push({ method: 'stopStream', args })
        const message = messages.get(String(args.ts))!
        message.text += String(args.markdown_text ?? '')
        message.stopped = true
        message.blocks = args.blocks
        return { ok: true }
      },
      postMessage: async (args: Record<string, unknown>) => {
        calls.push({ method: 'postMessage', args })
        const ts = next()
        messages.set(ts, { text: String(args.text ?? ''), stopped: true, blocks: args.blocks })
        return { ok: true, ts }
      },
      update: async (args: Record<string, unknown>) => {
        calls.push({ method: 'update', args })
        const message = messages.get(String(args.ts))!
        message.text = String(args.text ?? '')
        message.blocks = args.blocks
        return { ok: true }
      },
      delete: async (args: Record<string, unknown>) => {
        calls.push({ method: 'delete', args })
        messages.delete(String(args.ts))
        return { ok: true }
      },
    },
  }
  return { client: client as unknown as WebClient, messages, calls }
}

const logger = createLogger({ level: 'silent' })
const timing = { updateIntervalMs: 0, appendIntervalMs: 0 }

async function feed(part: ReturnType<typeof createReplyPart>, text: string, pieceLength = 7) {
  for (let index = 0; index < text.length; index += pieceLength) {
    part.append(text.slice(index, index + pieceLength))
    if (index % 70 === 0) await new Promise((resolve) => setTimeout(resolve, 1))
  }
}

describe('createReplyPart', () => {
  it('streams into a thread and continues in a new message past the limit, code blocks reopened', async () => {
    const slack = fakeSlack()
    const streaming: StreamingSupport = { enabled: true, unsupportedTeams: new Set() }
    const part = createReplyPart({
      target: { client: slack.client, teamId: 'T1', channelId: 'C1', threadTs: '1.0', recipientUserId: 'U1' },
      streaming,
      timing,
      logger,
      limit: 200,
    })
    const code = Array.from({ length: 20 }, (_unused, index) => `const line${index} = ${index}`).join('\n')
    const text = `Intro paragraph with a few words.\n\n\`\`\`\n${code}\n\`\`\`\n\nThe end.`
    await feed(part, text)
    const posted = await part.settle({
      blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: '[1] Source' }] }],
    })
    expect(posted.length).toBeGreaterThan(1)
    const shown = posted.map((ts) => slack.messages.get(ts)!)
    for (const message of shown) {
      expect(message.stopped).toBe(true)
      expect(message.text.length).toBeLessThanOrEqual(200)
      expect(insideFence(message.text)).toBe(false)
    }
    expect(shown.at(-1)!.blocks).toBeDefined()
    expect(
      shown
        .map((message) => message.text)
        .join('\n')
        .replace(/```\n```\n?/g, '')
        .replace(/\s+/g, ''),
    ).toBe(text.replace(/\s+/g, ''))
    expect(slack.calls.filter((call) => call.method === 'startStream')).toHaveLength(posted.length)
  })

  it('ends a full streamed message at a line break, and cuts a line longer than a message at a space', async () => {
    const slack = fakeSlack()
    const part = createReplyPart({
      target: { client: slack.client, teamId: 'T1', channelId: 'C1', threadTs: '1.0', recipientUserId: 'U1' },
      streaming: { enabled: true, unsupportedTeams: new Set() },
      timing,
      logger,
      limit: 200,
    })
    const lines = Array.from(
      { length: 12 },
      (_unused, index) => `Line ${index} says something useful about the pipeline.`,
    )
    const longLine = 'word '.repeat(80).trim()
    const text = `${lines.join('\n')}\n\n${longLine}`
    await feed(part, text, 5)
    const posted = await part.settle()
    const shown = posted.map((ts) => slack.messages.get(ts)!.text)
    for (const message of shown) expect(message.length).toBeLessThanOrEqual(200)
    for (const message of shown.slice(0, 3)) expect(message.trimEnd()).toMatch(/(pipeline\.|word)$/)
    expect(shown.join(' ').replace(/\s+/g, ' ')).toBe(text.replace(/\s+/g, ' '))
  })

  it('falls back to one edited message when the team cannot stream, and remembers it', async () => {
    const slack = fakeSlack({ streaming: false })
    const streaming: StreamingSupport = { enabled: true, unsupportedTeams: new Set() }
    const part = createReplyPart({
      target: { client: slack.client, teamId: 'T1', channelId: 'C1', threadTs: '1.0', recipientUserId: 'U1' },
      streaming,
      timing,
      logger,
    })
    await feed(part, 'Hello **world**, this is an answer.')
    const posted = await part.settle()
    expect(posted).toHaveLength(1)
    expect(slack.messages.get(posted[0]!)!.text).toBe('Hello *world*, this is an answer.')
    expect(streaming.unsupportedTeams.has('T1')).toBe(true)
    expect(slack.calls.filter((call) => call.method === 'startStream')).toHaveLength(1)
  })

  it('takes its placeholder away when the turn wrote no text', async () => {
    const slack = fakeSlack()
    const part = createReplyPart({
      target: {
        client: slack.client,
        teamId: 'T1',
        channelId: 'D1',
        threadTs: undefined,
        recipientUserId: 'U1',
      },
      streaming: { enabled: true, unsupportedTeams: new Set() },
      timing,
      logger,
      placeholder: '_Thinking…_',
    })
    expect(await part.settle()).toEqual([])
    expect(slack.calls.map((call) => call.method)).toEqual(['postMessage', 'delete'])
  })
})
