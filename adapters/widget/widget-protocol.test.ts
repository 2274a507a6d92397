import { describe, expect, it } from 'vitest'
import { isAllowedWidgetOrigin } from './widget-origins.ts'
import { parseClientMessage, serverMessageSchema } from './widget-protocol.ts'

describe('the widget protocol', () => {
  it('accepts the documented client messages', () => {
    for (const message of [
      { type: 'chat', id: 'r1', chatId: 'chat-1', text: 'Hello' },
      { type: 'approve', actionId: '6f1c1b9e-8a43-4e55-9c1a-2f4f3c0f7a11' },
      { type: 'reject', actionId: '6f1c1b9e-8a43-4e55-9c1a-2f4f3c0f7a11', reason: 'not now' },
      { type: 'subscribe', chatId: 'chat-1' },
      { type: 'subscribe' },
      { type: 'ping' },
    ]) {
      expect(parseClientMessage(JSON.stringify(message))).toMatchObject({ ok: true, message })
    }
  })

  it('explains what is wrong with a bad message and echoes its id', () => {
    expect(parseClientMessage('not json')).toEqual({ ok: false, message: 'Messages must be JSON.' })
    expect(parseClientMessage(JSON.stringify({ type: 'launch' }))).toMatchObject({ ok: false })
    expect(parseClientMessage(JSON.stringify({ type: 'chat', id: 'r2', chatId: 'c', text: '  ' }))).toEqual({
      ok: false,
      id: 'r2',
      message: 'Invalid message: text: the message has no text',
    })
    expect(parseClientMessage(JSON.stringify({ type: 'approve', actionId: 'drop table' }))).toMatchObject({
      ok: false,
      message: expect.stringContaining('actionId'),
    })
    // Unknown fields are refused rather than ignored (strict messages).
    expect(parseClientMessage(JSON.stringify({ type: 'ping', userId: 'someone-else' })).ok).toBe(false)
  })

  it('describes server messages with a schema clients can validate against', () => {
    expect(serverMessageSchema.safeParse({ type: 'action', actionId: 'a', status: 'executed' }).success).toBe(
      true,
    )
    expect(serverMessageSchema.safeParse({ type: 'action', actionId: 'a', status: 'exploded' }).success).toBe(
      false,
    )
  })
})

describe('widget origins', () => {
  const allowedOrigins = ['https://app.example.com']
  const check = (origin: string | undefined) =>
    isAllowedWidgetOrigin({ origin, host: 'nereid.example.com', publicOrigin: undefined, allowedOrigins })

  it("allows the workspace's origins, the service's own host and non-browser callers", () => {
    expect(check('https://app.example.com')).toBe(true)
    expect(check('https://nereid.example.com')).toBe(true)
    expect(check(undefined)).toBe(true)
  })

  it('refuses other sites, look-alikes and garbage', () => {
    expect(check('https://evil.example')).toBe(false)
    expect(check('https://app.example.com.evil.example')).toBe(false)
    expect(check('http://app.example.com')).toBe(false)
    expect(check('null')).toBe(false)
  })
})
