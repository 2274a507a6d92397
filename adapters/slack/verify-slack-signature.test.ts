import { describe, expect, it } from 'vitest'
import { fixedClock } from '../../core/index.ts'
import { signSlackRequest, verifySlackSignature } from './verify-slack-signature.ts'

const clock = fixedClock(new Date('2026-03-02T09:00:00Z'))
const now = Math.floor(clock.now().getTime() / 1000)
const signingSecret = '8f742231b10e8888abcd99yyyzzz85a5'
const rawBody = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fnereid&text=tasks'

const verify = (headers: Record<string, string>, body = rawBody) =>
  verifySlackSignature({ signingSecret, headers, rawBody: body, clock })

describe('verifySlackSignature', () => {
  it('accepts what Slack signs: v0 HMAC-SHA256 of v0:timestamp:body', () => {
    expect(() => verify(signSlackRequest({ signingSecret, rawBody, timestamp: now }))).not.toThrow()
    expect(() => verify(signSlackRequest({ signingSecret, rawBody, timestamp: now - 299 }))).not.toThrow()
  })

  it.each([
    ['another secret', signSlackRequest({ signingSecret: 'other', rawBody, timestamp: now })],
    ['a stale timestamp', signSlackRequest({ signingSecret, rawBody, timestamp: now - 301 })],
    ['a timestamp from the future', signSlackRequest({ signingSecret, rawBody, timestamp: now + 301 })],
    ['no headers', {}],
    ['a non-numeric timestamp', { 'x-slack-signature': 'v0=00', 'x-slack-request-timestamp': 'soon' }],
    [
      'another version',
      { 'x-slack-signature': `v1=${'a'.repeat(64)}`, 'x-slack-request-timestamp': String(now) },
    ],
  ])('refuses %s', (_label, headers) => {
    expect(() => verify(headers as Record<string, string>)).toThrow(/signature is not valid/)
  })

  it('refuses a body changed after signing', () => {
    const headers = signSlackRequest({ signingSecret, rawBody, timestamp: now })
    expect(() => verify(headers, rawBody.replace('tasks', 'autonomy'))).toThrow(/signature is not valid/)
  })
})
