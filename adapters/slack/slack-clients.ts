import { type RetryOptions, WebClient, WebClientEvent, type WebClientOptions } from '@slack/web-api'
import type { Logger } from '../../core/index.ts'
import { toSlackLogger } from './slack-logger.ts'

/** How the Web API client retries failed calls: a few quick tries, not Slack's 30-minute default. */
export const defaultSlackRetries: RetryOptions = {
  retries: 3,
  factor: 2,
  minTimeout: 500,
  maxTimeout: 5_000,
  randomize: true,
}

export interface SlackClientsOptions {
  /** The Web API base URL; Slack's when undefined. */
  apiUrl?: string | undefined
  logger: Logger
  retryConfig?: RetryOptions
  /** Per-request timeout in ms. */
  timeoutMs?: number
}

/**
 * One Web API client per bot token, all pointed at the configured API URL. A rate-limited call
 * waits for Slack's `retry-after` and retries (the client pauses that token's queue meanwhile);
 * each wait is logged with the method and the delay.
 */
export function createSlackClients({
  apiUrl,
  logger,
  retryConfig = defaultSlackRetries,
  timeoutMs = 15_000,
}: SlackClientsOptions) {
  const slackLogger = toSlackLogger(logger)
  const options: WebClientOptions = {
    ...(apiUrl ? { slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/` } : {}),
    logger: slackLogger,
    retryConfig,
    timeout: timeoutMs,
  }
  const byToken = new Map<string, WebClient>()
  return {
    /** The options Bolt's own clients are built with. */
    options,
    /** The client for a bot token (created once per token). */
    forToken(token: string): WebClient {
      let client = byToken.get(token)
      if (!client) {
        client = new WebClient(token, options)
        client.on(WebClientEvent.RATE_LIMITED, (retryAfterSeconds: number, { url }: { url: string }) => {
          logger.warn(
            { component: 'slack', method: url.split('/').pop(), retryAfterSeconds },
            'Slack rate limited a call; waiting as it asked before retrying',
          )
        })
        byToken.set(token, client)
      }
      return client
    },
    /** A client without a token (OAuth code exchange). */
    anonymous(): WebClient {
      return new WebClient(undefined, options)
    },
    /** Drops a token's client (after it was revoked). */
    forget(token: string): void {
      byToken.delete(token)
    },
  }
}

export type SlackClients = ReturnType<typeof createSlackClients>
