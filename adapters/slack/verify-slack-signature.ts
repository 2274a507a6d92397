import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { AppError, type Clock } from '../../core/index.ts'

/** How far a request's timestamp may be from our clock (Slack's guidance: five minutes). */
export const maxSignatureAgeSeconds = 300

/**
 * Verifies a request the way Slack signs it: `X-Slack-Signature` is `v0=` + the hex HMAC-SHA256 of
 * `v0:<X-Slack-Request-Timestamp>:<raw body>` with the app's signing secret. A timestamp more than
 * five minutes from now, in either direction, is refused too (a replayed request). Throws an
 * `unauthorized` AppError saying why; the comparison is constant-time.
 */
export function verifySlackSignature({
  signingSecret,
  headers,
  rawBody,
  clock,
}: {
  signingSecret: string
  headers: IncomingHttpHeaders
  rawBody: string
  clock: Clock
}): void {
  const refuse = (reason: string): never => {
    throw new AppError('unauthorized', {
      message: 'The Slack request signature is not valid.',
      details: { reason },
    })
  }
  const signature = headers['x-slack-signature']
  const timestamp = headers['x-slack-request-timestamp']
  if (typeof signature !== 'string' || typeof timestamp !== 'string') refuse('missing signature headers')
  const seconds = Number(timestamp)
  if (!Number.isInteger(seconds)) refuse('the timestamp is not a number')
  const now = Math.floor(clock.now().getTime() / 1000)
  if (Math.abs(now - seconds) > maxSignatureAgeSeconds) refuse('the timestamp is stale')
  const [version, hash] = String(signature).split('=')
  if (version !== 'v0' || !hash || !/^[0-9a-f]{64}$/.test(hash)) refuse('unknown signature format')
  const expected = createHmac('sha256', signingSecret).update(`v0:${seconds}:${rawBody}`).digest()
  if (!timingSafeEqual(expected, Buffer.from(hash!, 'hex'))) refuse('signature mismatch')
}

/** The headers Slack would send with `rawBody` (tests, benchmarks and local tools). */
export function signSlackRequest({
  signingSecret,
  rawBody,
  timestamp,
}: {
  signingSecret: string
  rawBody: string
  /** Seconds since the epoch. */
  timestamp: number
}): { 'x-slack-signature': string; 'x-slack-request-timestamp': string } {
  const hash = createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')
  return { 'x-slack-signature': `v0=${hash}`, 'x-slack-request-timestamp': String(timestamp) }
}
