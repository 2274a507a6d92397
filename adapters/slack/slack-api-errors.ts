import { ErrorCode } from '@slack/web-api'

/** What a failed Slack Web API call means for the bot. */
export type SlackFailureKind =
  /** Rate limited (only surfaces when the client gave up waiting; it honours `retry-after` itself). */
  | 'rate_limited'
  /** The channel is gone, archived, or the bot is not in it: stop writing there. */
  | 'channel_gone'
  /** The token was revoked, the app uninstalled, the account deactivated: stop using the token. */
  | 'auth_revoked'
  /** The method or feature is not available to this app, token or channel (e.g. streaming). */
  | 'not_supported'
  /** The message to update no longer exists or can no longer be edited. */
  | 'message_gone'
  /** Anything else (network failures, unknown errors). */
  | 'other'

export interface SlackFailure {
  kind: SlackFailureKind
  /** Slack's error code (`channel_not_found`), or the SDK's. */
  code: string
  retryAfterSeconds?: number | undefined
}

const kinds: Record<string, SlackFailureKind> = {
  ratelimited: 'rate_limited',
  rate_limited: 'rate_limited',
  channel_not_found: 'channel_gone',
  not_in_channel: 'channel_gone',
  is_archived: 'channel_gone',
  channel_is_archived: 'channel_gone',
  restricted_action: 'channel_gone',
  cannot_dm_bot: 'channel_gone',
  user_not_in_channel: 'channel_gone',
  token_revoked: 'auth_revoked',
  token_expired: 'auth_revoked',
  invalid_auth: 'auth_revoked',
  not_authed: 'auth_revoked',
  account_inactive: 'auth_revoked',
  app_uninstalled: 'auth_revoked',
  team_access_not_granted: 'auth_revoked',
  unknown_method: 'not_supported',
  method_not_supported_for_channel_type: 'not_supported',
  not_allowed_token_type: 'not_supported',
  feature_not_enabled: 'not_supported',
  missing_scope: 'not_supported',
  not_allowed: 'not_supported',
  team_not_allowed: 'not_supported',
  message_not_found: 'message_gone',
  cant_update_message: 'message_gone',
  edit_window_closed: 'message_gone',
  message_not_in_streaming_state: 'message_gone',
}

/** Classifies an error thrown by `@slack/web-api`. */
export function classifySlackError(error: unknown): SlackFailure {
  const candidate = error as {
    code?: string
    data?: { error?: string }
    retryAfter?: number
  }
  if (candidate?.code === ErrorCode.RateLimitedError) {
    return { kind: 'rate_limited', code: 'ratelimited', retryAfterSeconds: candidate.retryAfter }
  }
  if (candidate?.code === ErrorCode.PlatformError) {
    const code = candidate.data?.error ?? 'unknown_error'
    return { kind: kinds[code] ?? 'other', code }
  }
  return { kind: 'other', code: candidate?.code ?? (error instanceof Error ? error.name : 'unknown_error') }
}
