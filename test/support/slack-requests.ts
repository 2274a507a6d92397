import { randomBytes } from 'node:crypto'
import { signSlackRequest } from '../../adapters/slack/index.ts'

/**
 * Requests to `POST /slack/events` built and signed the way Slack builds and signs them: Events API
 * deliveries as JSON, interactivity as a form with a JSON `payload` field, slash commands as a
 * form; `X-Slack-Signature` is v0 HMAC-SHA256 of `v0:<timestamp>:<body>` with the signing secret.
 */
export function createSlackRequests({ baseUrl, signingSecret }: { baseUrl: string; signingSecret: string }) {
  async function post(
    rawBody: string,
    contentType: string,
    {
      secret = signingSecret,
      timestamp = Math.floor(Date.now() / 1000),
      headers = {},
    }: { secret?: string; timestamp?: number; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    return fetch(`${baseUrl}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        ...signSlackRequest({ signingSecret: secret, rawBody, timestamp }),
        ...headers,
      },
      body: rawBody,
    })
  }

  return {
    post,

    /** An Events API delivery (`event_callback`); returns the response and the envelope sent. */
    async event({
      teamId,
      event,
      eventId = `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
      retryNum,
      ...options
    }: {
      teamId: string
      event: Record<string, unknown>
      eventId?: string
      retryNum?: number
      secret?: string
      timestamp?: number
    }): Promise<{ response: Response; eventId: string; rawBody: string }> {
      const rawBody = JSON.stringify({
        token: 'legacy-verification-token',
        team_id: teamId,
        api_app_id: 'A0NEREID',
        event,
        type: 'event_callback',
        event_id: eventId,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [{ team_id: teamId, is_bot: true }],
      })
      const headers: Record<string, string> =
        retryNum === undefined
          ? {}
          : { 'x-slack-retry-num': String(retryNum), 'x-slack-retry-reason': 'http_timeout' }
      return { response: await post(rawBody, 'application/json', { ...options, headers }), eventId, rawBody }
    },

    /** A click on a Block Kit button. */
    async buttonClick({
      teamId,
      userId,
      channelId,
      messageTs,
      threadTs,
      actionId,
      value,
    }: {
      teamId: string
      userId: string
      channelId: string
      messageTs: string
      threadTs?: string | undefined
      actionId: string
      value: string
    }): Promise<Response> {
      const payload = {
        type: 'block_actions',
        team: { id: teamId, domain: 'test' },
        user: { id: userId, team_id: teamId },
        api_app_id: 'A0NEREID',
        trigger_id: `trigger-${randomBytes(4).toString('hex')}`,
        container: { type: 'message', message_ts: messageTs, channel_id: channelId, is_ephemeral: false },
        channel: { id: channelId },
        message: { ts: messageTs, ...(threadTs ? { thread_ts: threadTs } : {}), type: 'message' },
        actions: [
          {
            type: 'button',
            action_id: actionId,
            block_id: `nereid_approval:${value}`,
            value,
            action_ts: String(Date.now() / 1000),
          },
        ],
      }
      return post(
        new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
        'application/x-www-form-urlencoded',
      )
    },

    /** A slash command. */
    async command({
      teamId,
      userId,
      channelId,
      text,
      responseUrl,
      command = '/nereid',
    }: {
      teamId: string
      userId: string
      channelId: string
      text: string
      responseUrl: string
      command?: string
    }): Promise<Response> {
      const form = new URLSearchParams({
        token: 'legacy-verification-token',
        team_id: teamId,
        team_domain: 'test',
        channel_id: channelId,
        channel_name: 'general',
        user_id: userId,
        user_name: 'someone',
        command,
        text,
        api_app_id: 'A0NEREID',
        response_url: responseUrl,
        trigger_id: `trigger-${randomBytes(4).toString('hex')}`,
      })
      return post(form.toString(), 'application/x-www-form-urlencoded')
    },
  }
}

export type SlackRequests = ReturnType<typeof createSlackRequests>
