/**
 * The bot scopes Nereid asks for at install; `manifest.json` declares the same (a test keeps the
 * two in step).
 *
 * - `app_mentions:read`, `channels:history`, `groups:history`, `im:history`, `mpim:history`:
 *   mentions, direct messages, thread follow-ups, and thread history as context
 * - `chat:write`: answers (streamed or edited), approval cards, ephemeral notices
 * - `im:write`: a direct message for approvals asked from `/nereid`
 * - `commands`: `/nereid`
 * - `users:read`, `users:read.email`: matching a Slack user to a member by email
 * - `assistant:write`: the assistant view (suggested prompts, "is thinking..." status)
 */
export const slackBotScopes = [
  'app_mentions:read',
  'assistant:write',
  'channels:history',
  'chat:write',
  'commands',
  'groups:history',
  'im:history',
  'im:write',
  'mpim:history',
  'users:read',
  'users:read.email',
] as const

/** The events the bot subscribes to. */
export const slackBotEvents = [
  'app_mention',
  'app_uninstalled',
  'assistant_thread_context_changed',
  'assistant_thread_started',
  'message.channels',
  'message.groups',
  'message.im',
  'message.mpim',
  'tokens_revoked',
] as const
