import type { App, Receiver, ReceiverEvent } from '@slack/bolt'
import express, { type Request, type Response, type Router } from 'express'
import { type Clock, isAppError, type Logger } from '../../core/index.ts'
import { verifySlackSignature } from './verify-slack-signature.ts'

/** Slack gives an app 3 seconds; if a listener has not acknowledged by this time, we do. */
export const defaultAckTimeoutMs = 2_500

/**
 * Bolt's receiver for `POST /slack/events` on Nereid's own express app (events, interactivity
 * and slash commands on one URL).
 *
 * - The signature is checked on the raw body before anything else (bad or stale: 401), with the
 *   injected clock; a timestamp five minutes off in either direction is refused.
 * - Acknowledge first, work after: an Events API delivery is answered 200 before Bolt even looks
 *   up the team's token, so the acknowledgement never waits for the database, Slack or the model.
 *   Interactive requests and slash commands are acknowledged by their listener (which does that
 *   first); a safety timer answers 200 by itself before Slack's 3-second limit in any case.
 * - `X-Slack-Retry-Num` / `X-Slack-Retry-Reason` reach Bolt's context; duplicates are dropped
 *   later by the delivery filter (message-events.ts).
 *
 * Mount `router` before any body parser: the signature covers the exact bytes Slack sent.
 */
export function createSlackReceiver({
  signingSecret,
  clock,
  logger,
  path = '/slack/events',
  ackTimeoutMs = defaultAckTimeoutMs,
  maxBodyBytes = 1024 * 1024,
}: {
  signingSecret: string
  clock: Clock
  logger: Logger
  path?: string
  ackTimeoutMs?: number
  maxBodyBytes?: number
}): Receiver & { router: Router } {
  let bolt: App | undefined
  const router = express.Router()
  const log = logger.child({ component: 'slack' })

  router.post(
    path,
    express.raw({ type: () => true, limit: maxBodyBytes }),
    (request: Request, response: Response) => {
      const rawBody = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : ''
      try {
        verifySlackSignature({ signingSecret, headers: request.headers, rawBody, clock })
      } catch (error) {
        const reason = isAppError(error) ? error.details?.reason : 'unreadable'
        log.warn({ reason }, 'refused a request with a bad Slack signature')
        response
          .status(401)
          .json({ error: { code: 'unauthorized', message: 'The Slack request signature is not valid.' } })
        return
      }
      let body: Record<string, unknown>
      try {
        body = parseBody(rawBody, String(request.headers['content-type'] ?? ''))
      } catch {
        response
          .status(400)
          .json({ error: { code: 'bad_request', message: 'The Slack request body could not be read.' } })
        return
      }
      if (body.ssl_check) {
        response.status(200).end()
        return
      }
      if (body.type === 'url_verification') {
        response.status(200).json({ challenge: body.challenge })
        return
      }
      let answered = false
      let timer: NodeJS.Timeout | undefined
      const answer = (reply?: unknown) => {
        if (answered) return
        answered = true
        if (timer) clearTimeout(timer)
        if (reply === undefined || reply === '') response.status(200).end()
        else if (typeof reply === 'string') response.status(200).type('text/plain').send(reply)
        else response.status(200).json(reply)
      }
      const retryNum = Number(request.headers['x-slack-retry-num'])
      const retryReason = request.headers['x-slack-retry-reason']
      const isEvent = body.type === 'event_callback' || body.type === 'app_rate_limited'
      if (isEvent) answer()
      else {
        timer = setTimeout(() => {
          log.warn({ type: body.type }, 'a Slack request was not acknowledged in time; acknowledging it now')
          answer()
        }, ackTimeoutMs)
      }
      const event: ReceiverEvent = {
        body,
        ack: async (reply?: unknown) => answer(reply),
        ...(Number.isInteger(retryNum) ? { retryNum } : {}),
        ...(typeof retryReason === 'string' ? { retryReason } : {}),
        customProperties: {},
      }
      if (!bolt) {
        answer()
        return
      }
      bolt.processEvent(event).catch((error: unknown) => {
        log.error({ err: error }, 'a Slack request failed')
        answer()
      })
    },
  )

  return {
    router,
    init(app: App) {
      bolt = app
    },
    async start() {
      return undefined
    },
    async stop() {
      return undefined
    },
  }
}

/** Slack sends JSON (events) or a form: slash commands as fields, interactivity as a `payload` field. */
function parseBody(rawBody: string, contentType: string): Record<string, unknown> {
  if (contentType.includes('application/json')) return JSON.parse(rawBody) as Record<string, unknown>
  const form = new URLSearchParams(rawBody)
  const payload = form.get('payload')
  if (payload !== null) return JSON.parse(payload) as Record<string, unknown>
  return Object.fromEntries(form.entries())
}
